import Foundation
import Flint

/// `CosineAnnealingLR(T_max, eta_min)`: half a cosine from the base rate to
/// eta_min over T_max epochs, continuing as a cosine beyond.
///
/// Stepped normally it uses PyTorch's recursive form, which differs from the
/// closed form by rounding (and, when other schedulers also change the rate,
/// by design), so rates match PyTorch's bit for bit.
public final class CosineAnnealingLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let etaMin = 0.0
    }

    public let tMax: Int, etaMin: Double

    public init(optimizer: Optimizer, tMax: Int, etaMin: Double = Defaults.etaMin) {
        self.tMax = Swift.max(tMax, 1)
        self.etaMin = etaMin
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "cosine_annealing_lr" }

    override public func computeLRs() -> [Double] {
        let t = Double(lastEpoch), period = Double(tMax)
        if isInitial { return currentLRs }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + Foundation.cos(t * Double.pi / period)) / 2 }
        }
        if (lastEpoch - 1 - tMax).isMultiple(of: 2 * tMax) {
            return zip(baseLRs, currentLRs).map { base, lr in lr + (base - etaMin) * (1 - Foundation.cos(Double.pi / period)) / 2 }
        }
        let ratio = (1 + Foundation.cos(Double.pi * t / period)) / (1 + Foundation.cos(Double.pi * (t - 1) / period))
        return currentLRs.map { ratio * ($0 - etaMin) + etaMin }
    }

    override public func closedFormLRs() -> [Double]? {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + Foundation.cos(Double.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }
}

/// `CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`: cosine annealing that
/// restarts from the base rate after T_0 epochs, then T_0·T_mult, ...
public final class CosineAnnealingWarmRestarts: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let tMult = 1
        public static let etaMin = CosineAnnealingLR.Defaults.etaMin
    }

    public let t0: Int, tMult: Int, etaMin: Double
    /// `T_i`: the length of the current cycle; `T_cur`: epochs into it.
    public private(set) var tI: Int
    public private(set) var tCur: Int = -1

    public init(optimizer: Optimizer, t0: Int, tMult: Int = Defaults.tMult, etaMin: Double = Defaults.etaMin) throws {
        try LRScheduler.require(t0 > 0, "cosine_annealing_warm_restarts", "expected positive integer T_0, but got \(t0)")
        try LRScheduler.require(tMult >= 1, "cosine_annealing_warm_restarts", "expected integer T_mult >= 1, but got \(tMult)")
        self.t0 = t0
        self.tI = t0
        self.tMult = tMult
        self.etaMin = etaMin
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "cosine_annealing_warm_restarts" }

    override public func computeLRs() -> [Double] {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + Foundation.cos(Double.pi * Double(tCur) / Double(tI))) / 2 }
    }

    override public func step() {
        if lastEpoch < 0 {
            tI = t0
            tCur = 0
            lastEpoch = 0
        } else {
            lastEpoch += 1
            tCur += 1
            if tCur >= tI {
                tCur %= tI
                tI *= tMult
            }
        }
        setLRs(computeLRs())
    }

    override public var state: [String: Double] {
        super.state.merging(["T_i": Double(tI), "T_cur": Double(tCur)]) { $1 }
    }

    override public func restore(_ state: [String: Double]) {
        if let v = state["T_i"] { tI = Int(v) }
        if let v = state["T_cur"] { tCur = Int(v) }
        super.restore(state)
    }
}

/// `OneCycleLR`: the 1cycle policy, stepped once per batch. The rate rises from
/// max_lr / div_factor to max_lr over the first pct_start of `total_steps`,
/// then anneals to initial_lr / final_div_factor; momentum (or Adam's beta1)
/// cycles inversely between max_momentum and base_momentum.
///
/// Stepping past `total_steps` keeps the final rate (PyTorch raises instead).
public final class OneCycleLR: LRScheduler {
    public enum AnnealStrategy: String, Sendable { case cos, linear }

    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let pctStart = 0.3
        public static let annealStrategy = AnnealStrategy.cos
        public static let cycleMomentum = true
        public static let baseMomentum = [0.85]
        public static let maxMomentum = [0.95]
        public static let divFactor = 25.0
        public static let finalDivFactor = 1e4
        public static let threePhase = false
    }

    public let totalSteps: Int
    public let anneal: AnnealStrategy
    public let cycleMomentum: Bool
    /// Per group: `initial_lr`, `max_lr`, `min_lr`, `max_momentum`, `base_momentum`.
    public let initialLRs: [Double], maxLRs: [Double], minLRs: [Double]
    public let maxMomentums: [Double], baseMomentums: [Double]
    /// Each phase: its last step and which of (initial, max, min) rates and
    /// (max, base) momenta it runs between.
    private let phases: [(endStep: Double, startLR: Int, endLR: Int, startMomentum: Int, endMomentum: Int)]

    /// - Parameters:
    ///   - maxLR: one rate for every group, or one per group.
    ///   - totalSteps: or give `epochs` and `stepsPerEpoch`.
    public init(optimizer: Optimizer, maxLR: [Double], totalSteps: Int? = nil, epochs: Int? = nil, stepsPerEpoch: Int? = nil,
                pctStart: Double = Defaults.pctStart, annealStrategy: AnnealStrategy = Defaults.annealStrategy,
                cycleMomentum: Bool = Defaults.cycleMomentum, baseMomentum: [Double] = Defaults.baseMomentum,
                maxMomentum: [Double] = Defaults.maxMomentum, divFactor: Double = Defaults.divFactor,
                finalDivFactor: Double = Defaults.finalDivFactor, threePhase: Bool = Defaults.threePhase) throws {
        let op = "one_cycle_lr"
        let groups = optimizer.paramGroups.count
        if let totalSteps {
            try LRScheduler.require(totalSteps > 0, op, "expected positive integer total_steps, but got \(totalSteps)")
            self.totalSteps = totalSteps
        } else if let epochs, let stepsPerEpoch {
            try LRScheduler.require(epochs > 0, op, "expected positive integer epochs, but got \(epochs)")
            try LRScheduler.require(stepsPerEpoch > 0, op, "expected positive integer steps_per_epoch, but got \(stepsPerEpoch)")
            self.totalSteps = epochs * stepsPerEpoch
        } else {
            throw TensorError.invalidArgument(op: op, message: "you must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        try LRScheduler.require(pctStart >= 0 && pctStart <= 1, op, "expected float between 0 and 1 pct_start, but got \(pctStart)")
        func perGroup(_ v: [Double], _ name: String) throws -> [Double] {
            if v.count == 1 { return Array(repeating: v[0], count: groups) }
            try LRScheduler.require(v.count == groups, op, "\(name) must have 1 or \(groups) values (one per parameter group), got \(v.count)")
            return v
        }
        let maxLRs = try perGroup(maxLR, "max_lr")
        self.maxLRs = maxLRs
        self.initialLRs = maxLRs.map { $0 / divFactor }
        self.minLRs = initialLRs.map { $0 / finalDivFactor }
        self.maxMomentums = try perGroup(maxMomentum, "max_momentum")
        self.baseMomentums = try perGroup(baseMomentum, "base_momentum")
        self.anneal = annealStrategy
        self.cycleMomentum = cycleMomentum
        let total = Double(self.totalSteps)
        if threePhase {
            phases = [(pctStart * total - 1, 0, 1, 0, 1), (2 * pctStart * total - 2, 1, 0, 1, 0), (total - 1, 0, 2, 0, 0)]
        } else {
            phases = [(pctStart * total - 1, 0, 1, 0, 1), (total - 1, 1, 2, 1, 0)]
        }
        if cycleMomentum {
            try LRScheduler.require(optimizer.cyclesMomentum, op,
                                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled (\(optimizer.typeName) has neither)")
            for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].momentum = maxMomentums[i] }
        }
        for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].initialLR = initialLRs[i] }
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "one_cycle_lr" }

    /// Restores the counters and rates, then the cycled momentum of `lastEpoch`,
    /// which checkpoints do not hold (it is a function of the step).
    override public func restore(_ state: [String: Double]) {
        super.restore(state)
        if cycleMomentum { _ = computeLRs() }
    }

    private func annealed(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch anneal {
        case .cos: return end + (start - end) / 2.0 * (Foundation.cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    override public func computeLRs() -> [Double] {
        let stepNumber = Double(Swift.min(lastEpoch, totalSteps))
        var lrs: [Double] = []
        for g in optimizer.paramGroups.indices {
            let rates = [initialLRs[g], maxLRs[g], minLRs[g]], momenta = [maxMomentums[g], baseMomentums[g]]
            var startStep = 0.0
            for (i, phase) in phases.enumerated() {
                guard stepNumber <= phase.endStep || i == phases.count - 1 else {
                    startStep = phase.endStep
                    continue
                }
                let pct = (stepNumber - startStep) / (phase.endStep - startStep)
                lrs.append(annealed(rates[phase.startLR], rates[phase.endLR], pct))
                if cycleMomentum {
                    optimizer.paramGroups[g].momentum = annealed(momenta[phase.startMomentum], momenta[phase.endMomentum], pct)
                }
                break
            }
        }
        return lrs
    }
}
