import Foundation
import Flint

/// A learning-rate schedule over an optimizer (`torch.optim.lr_scheduler`).
///
/// Like PyTorch's, schedules are chainable: `step()` computes each group's
/// new rate from its current one (`get_lr`), so several schedulers can act on
/// one optimizer, and the closed form is used only where PyTorch uses it
/// (`SequentialLR` jumping to a milestone). Constructing a scheduler takes its
/// initial step, which may already change the rate (`LinearLR`, `ConstantLR`).
open class LRScheduler {
    public let optimizer: Optimizer
    /// `base_lrs`: each group's `initial_lr`.
    public internal(set) var baseLRs: [Double]
    /// `last_epoch`: how many times `step()` has run since the initial step.
    public internal(set) var lastEpoch = -1
    /// `_step_count`: calls to `step()`, the initial one included.
    public internal(set) var stepCount = 0
    /// True during the constructor's step (`_is_initial`).
    public internal(set) var isInitial = false
    /// `get_last_lr()`: the rates this scheduler last set.
    public internal(set) var lastLRs: [Double]

    /// Attaches to `optimizer`, recording each group's `initial_lr` the first
    /// time any scheduler attaches, and takes the initial step. Schedulers
    /// that PyTorch builds without one (`SequentialLR`, `ReduceLROnPlateau`)
    /// pass `initialStep: false`.
    public init(optimizer: Optimizer, initialStep: Bool = true) {
        self.optimizer = optimizer
        if initialStep {
            for i in optimizer.paramGroups.indices where optimizer.paramGroups[i].initialLR == nil {
                optimizer.paramGroups[i].initialLR = optimizer.paramGroups[i].lr
            }
        }
        baseLRs = optimizer.paramGroups.map { $0.initialLR ?? $0.lr }
        lastLRs = optimizer.paramGroups.map { $0.lr }
        if initialStep { takeInitialStep() }
    }

    open var typeName: String { "lr_scheduler" }

    /// The groups' current rates (`group["lr"]` in PyTorch's formulas).
    public var currentLRs: [Double] { optimizer.paramGroups.map { $0.lr } }

    /// `get_lr()`: the next rates, usually from the current ones.
    open func computeLRs() -> [Double] { currentLRs }

    /// `_get_closed_form_lr()`: the rates at `lastEpoch` from the base rates,
    /// for schedulers that have one.
    open func closedFormLRs() -> [Double]? { nil }

    /// Advances the schedule by one epoch (or batch, when stepped per batch).
    open func step() {
        stepCount += 1
        updateLR(epoch: nil)
    }

    /// Whether the schedule steps on a metric (`ReduceLROnPlateau`), so a
    /// training loop should call `step(metric:)`.
    open var requiresMetric: Bool { false }

    /// Steps with the epoch's validation metric; schedules that ignore
    /// metrics take a plain `step()`.
    open func step(metric: Double) { step() }

    /// `_update_lr(epoch)`: with an epoch, jumps there by the closed form.
    func updateLR(epoch: Int?) {
        let values: [Double]
        if let epoch {
            lastEpoch = epoch
            values = closedFormLRs() ?? computeLRs()
        } else {
            lastEpoch += 1
            values = computeLRs()
        }
        setLRs(values)
    }

    func setLRs(_ values: [Double]) {
        for (i, v) in values.enumerated() where i < optimizer.paramGroups.count { optimizer.paramGroups[i].lr = v }
        lastLRs = currentLRs
    }

    /// `_initial_step()`.
    func takeInitialStep() {
        stepCount = 0
        isInitial = true
        step()
        isInitial = false
    }

    /// State for checkpoints: counters, base and last rates, and each
    /// subclass's own fields, by PyTorch's attribute names.
    open var state: [String: Double] {
        var s: [String: Double] = ["last_epoch": Double(lastEpoch), "_step_count": Double(stepCount)]
        for (i, v) in baseLRs.enumerated() { s["base_lrs.\(i)"] = v }
        for (i, v) in lastLRs.enumerated() { s["_last_lr.\(i)"] = v }
        return s
    }

    /// Restores what `state` saved, rates included.
    open func restore(_ state: [String: Double]) {
        if let v = state["last_epoch"] { lastEpoch = Int(v) }
        if let v = state["_step_count"] { stepCount = Int(v) }
        for i in baseLRs.indices {
            if let v = state["base_lrs.\(i)"] { baseLRs[i] = v }
        }
        var last = currentLRs
        for i in last.indices {
            if let v = state["_last_lr.\(i)"] { last[i] = v }
        }
        setLRs(last)
    }

    /// Checks a scheduler argument, naming the scheduler.
    static func require(_ condition: Bool, _ op: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw TensorError.invalidArgument(op: op, message: message()) }
    }
}

/// `StepLR(step_size, gamma)`: multiply by gamma every `step_size` epochs.
public final class StepLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let gamma = 0.1
    }

    public let stepSize: Int, gamma: Double

    public init(optimizer: Optimizer, stepSize: Int, gamma: Double = Defaults.gamma) {
        self.stepSize = Swift.max(stepSize, 1)
        self.gamma = gamma
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "step_lr" }

    override public func computeLRs() -> [Double] {
        if lastEpoch == 0 || lastEpoch % stepSize != 0 { return currentLRs }
        return currentLRs.map { $0 * gamma }
    }

    override public func closedFormLRs() -> [Double]? {
        baseLRs.map { $0 * Foundation.pow(gamma, Double(lastEpoch / stepSize)) }
    }
}

/// `MultiStepLR(milestones, gamma)`: multiply by gamma at each milestone
/// (by gamma^k for a milestone listed k times).
public final class MultiStepLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let gamma = StepLR.Defaults.gamma
    }

    public let milestones: [Int], gamma: Double

    public init(optimizer: Optimizer, milestones: [Int], gamma: Double = Defaults.gamma) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "multi_step_lr" }

    override public func computeLRs() -> [Double] {
        let hits = milestones.filter { $0 == lastEpoch }.count
        if hits == 0 { return currentLRs }
        return currentLRs.map { $0 * Foundation.pow(gamma, Double(hits)) }
    }

    override public func closedFormLRs() -> [Double]? {
        let passed = milestones.filter { $0 <= lastEpoch }.count
        return baseLRs.map { $0 * Foundation.pow(gamma, Double(passed)) }
    }
}

/// `ExponentialLR(gamma)`: multiply by gamma every epoch.
public final class ExponentialLR: LRScheduler {
    public let gamma: Double

    public init(optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "exponential_lr" }

    override public func computeLRs() -> [Double] { isInitial ? currentLRs : currentLRs.map { $0 * gamma } }

    override public func closedFormLRs() -> [Double]? { baseLRs.map { $0 * Foundation.pow(gamma, Double(lastEpoch)) } }
}

/// `ConstantLR(factor, total_iters)`: the base rate times `factor` until
/// `total_iters` epochs have passed, then the base rate.
public final class ConstantLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let factor = 1.0 / 3
        public static let totalIters = 5
    }

    public let factor: Double, totalIters: Int

    public init(optimizer: Optimizer, factor: Double = Defaults.factor, totalIters: Int = Defaults.totalIters) throws {
        try LRScheduler.require(factor >= 0 && factor <= 1, "constant_lr", "constant multiplicative factor expected to be between 0 and 1, got \(factor)")
        self.factor = factor
        self.totalIters = totalIters
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "constant_lr" }

    override public func computeLRs() -> [Double] {
        if lastEpoch == 0 { return currentLRs.map { $0 * factor } }
        if lastEpoch != totalIters { return currentLRs }
        return currentLRs.map { $0 * (1.0 / factor) }
    }

    override public func closedFormLRs() -> [Double]? {
        baseLRs.map { $0 * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor)) }
    }
}

/// `LinearLR(start_factor, end_factor, total_iters)`: the factor on the base
/// rate moves linearly from start to end over `total_iters` epochs (warm-up).
public final class LinearLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let startFactor = 1.0 / 3
        public static let endFactor = 1.0
        public static let totalIters = ConstantLR.Defaults.totalIters
    }

    public let startFactor: Double, endFactor: Double, totalIters: Int

    public init(optimizer: Optimizer, startFactor: Double = Defaults.startFactor, endFactor: Double = Defaults.endFactor,
                totalIters: Int = Defaults.totalIters) throws {
        try LRScheduler.require(startFactor > 0 && startFactor <= 1, "linear_lr", "starting multiplicative factor expected to be greater than 0 and less or equal to 1, got \(startFactor)")
        try LRScheduler.require(endFactor >= 0 && endFactor <= 1, "linear_lr", "ending multiplicative factor expected to be between 0 and 1, got \(endFactor)")
        try LRScheduler.require(totalIters > 0, "linear_lr", "total_iters must be positive, got \(totalIters)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "linear_lr" }

    override public func computeLRs() -> [Double] {
        if lastEpoch == 0 { return currentLRs.map { $0 * startFactor } }
        if isInitial || lastEpoch > totalIters { return currentLRs }
        let ratio = 1.0 + (endFactor - startFactor)
            / (Double(totalIters) * startFactor + Double(lastEpoch - 1) * (endFactor - startFactor))
        return currentLRs.map { $0 * ratio }
    }

    override public func closedFormLRs() -> [Double]? {
        baseLRs.map { $0 * (startFactor + (endFactor - startFactor) * Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters)) }
    }
}

/// `PolynomialLR(total_iters, power)`: decays to zero as (1 − t/T)^power over `total_iters` epochs.
public final class PolynomialLR: LRScheduler {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let totalIters = ConstantLR.Defaults.totalIters
        public static let power = 1.0
    }

    public let totalIters: Int, power: Double

    public init(optimizer: Optimizer, totalIters: Int = Defaults.totalIters, power: Double = Defaults.power) throws {
        try LRScheduler.require(totalIters > 0, "polynomial_lr", "total_iters must be positive, got \(totalIters)")
        self.totalIters = totalIters
        self.power = power
        super.init(optimizer: optimizer, initialStep: true)
    }

    override public var typeName: String { "polynomial_lr" }

    override public func computeLRs() -> [Double] {
        if isInitial || lastEpoch > totalIters { return currentLRs }
        let t = Double(lastEpoch), total = Double(totalIters)
        let decay = Foundation.pow((1.0 - t / total) / (1.0 - (t - 1) / total), power)
        return currentLRs.map { $0 * decay }
    }

    override public func closedFormLRs() -> [Double]? {
        baseLRs.map { $0 * Foundation.pow(1.0 - Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters), power) }
    }
}
