import Flint

/// `SequentialLR(schedulers, milestones)`: runs `schedulers[0]` until
/// `milestones[0]`, then `schedulers[1]` (restarted from its base rate), and
/// so on; the usual warm-up-then-decay recipe without a lambda.
public final class SequentialLR: LRScheduler {
    public let schedulers: [LRScheduler]
    public let milestones: [Int]

    public init(optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int]) throws {
        let op = "sequential_lr"
        try LRScheduler.require(!schedulers.isEmpty, op, "expects at least one scheduler, but got no scheduler")
        for (i, s) in schedulers.enumerated() {
            try LRScheduler.require(!(s is ReduceLROnPlateau), op, "does not support reduce_lr_on_plateau (at index \(i)) as it needs a metric to step")
            try LRScheduler.require(s.optimizer === optimizer, op, "expects all schedulers to belong to the same optimizer, but the one at index \(i) (\(s.typeName)) does not")
        }
        try LRScheduler.require(milestones.count == schedulers.count - 1, op,
                                "expects one milestone fewer than schedulers, got \(schedulers.count) schedulers and \(milestones.count) milestones")
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(optimizer: optimizer, initialStep: false)
        lastEpoch = 0
        for i in optimizer.paramGroups.indices {
            optimizer.paramGroups[i].lr = optimizer.paramGroups[i].initialLR ?? optimizer.paramGroups[i].lr
        }
        for s in schedulers { SequentialLR.undoStep(s) }
        let first = schedulers[activeIndex(at: 0)]
        first.takeInitialStep()
        lastLRs = first.lastLRs
    }

    /// `recursive_undo`: the children's construction stepped them once too often.
    private static func undoStep(_ s: LRScheduler) {
        if let seq = s as? SequentialLR {
            for child in seq.schedulers { undoStep(child) }
        } else {
            s.lastEpoch -= 1
        }
    }

    /// `bisect_right(milestones, epoch)`: which scheduler runs at `epoch`.
    private func activeIndex(at epoch: Int) -> Int { milestones.filter { $0 <= epoch }.count }

    override public var typeName: String { "sequential_lr" }

    override public func step() {
        lastEpoch += 1
        let i = activeIndex(at: lastEpoch)
        let scheduler = schedulers[i]
        if i > 0 && milestones[i - 1] == lastEpoch {
            scheduler.updateLR(epoch: 0)
        } else {
            scheduler.step()
        }
        lastLRs = scheduler.lastLRs
    }

    override public var state: [String: Double] {
        var s = super.state
        for (i, child) in schedulers.enumerated() {
            for (k, v) in child.state { s["_schedulers.\(i).\(k)"] = v }
        }
        return s
    }

    override public func restore(_ state: [String: Double]) {
        for (i, child) in schedulers.enumerated() {
            let prefix = "_schedulers.\(i)."
            var own: [String: Double] = [:]
            for (k, v) in state where k.hasPrefix(prefix) { own[String(k.dropFirst(prefix.count))] = v }
            child.restore(own)
        }
        super.restore(state)
    }
}

/// `ReduceLROnPlateau`: multiplies the rate by `factor` when a metric has not
/// improved for `patience` epochs. It steps with the metric, `step(metric:)`;
/// `requiresMetric` tells a training loop so.
public final class ReduceLROnPlateau: LRScheduler {
    public enum Mode: String, Sendable { case min, max }
    public enum ThresholdMode: String, Sendable { case rel, abs }

    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let mode = Mode.min
        public static let factor = 0.1
        public static let patience = 10
        public static let threshold = 1e-4
        public static let thresholdMode = ThresholdMode.rel
        public static let cooldown = 0
        public static let minLR = [0.0]
        public static let eps = 1e-8
    }

    public let mode: Mode, factor: Double, patience: Int, threshold: Double, thresholdMode: ThresholdMode
    public let cooldown: Int, minLRs: [Double], eps: Double
    public private(set) var best: Double
    public private(set) var numBadEpochs = 0
    public private(set) var cooldownCounter = 0

    /// - Parameter minLR: one floor for every group, or one per group.
    public init(optimizer: Optimizer, mode: Mode = Defaults.mode, factor: Double = Defaults.factor, patience: Int = Defaults.patience,
                threshold: Double = Defaults.threshold, thresholdMode: ThresholdMode = Defaults.thresholdMode,
                cooldown: Int = Defaults.cooldown, minLR: [Double] = Defaults.minLR, eps: Double = Defaults.eps) throws {
        let op = "reduce_lr_on_plateau"
        try LRScheduler.require(factor < 1, op, "factor should be < 1.0, got \(factor)")
        let groups = optimizer.paramGroups.count
        try LRScheduler.require(minLR.count == 1 || minLR.count == groups, op, "expected 1 or \(groups) min_lrs, got \(minLR.count)")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLRs = minLR.count == 1 ? Array(repeating: minLR[0], count: groups) : minLR
        self.eps = eps
        self.best = mode == .min ? .infinity : -.infinity
        super.init(optimizer: optimizer, initialStep: false)
        lastEpoch = 0
    }

    override public var typeName: String { "reduce_lr_on_plateau" }

    /// True: step with `step(metric:)`.
    override public var requiresMetric: Bool { true }

    /// Without a metric there is nothing to compare, so the rate is left as it is.
    override public func step() {}

    /// Records `metric` for the epoch just finished and reduces the rate after
    /// more than `patience` epochs without improvement (outside cooldown).
    override public func step(metric: Double) {
        lastEpoch += 1
        if isBetter(metric) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            for i in optimizer.paramGroups.indices {
                let old = optimizer.paramGroups[i].lr
                let new = Swift.max(old * factor, minLRs[i])
                if old - new > eps { optimizer.paramGroups[i].lr = new }
            }
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLRs = currentLRs
    }

    private func isBetter(_ a: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (threshold + 1)
        case (.max, .abs): return a > best + threshold
        }
    }

    override public var state: [String: Double] {
        super.state.merging(["best": best, "num_bad_epochs": Double(numBadEpochs), "cooldown_counter": Double(cooldownCounter)]) { $1 }
    }

    override public func restore(_ state: [String: Double]) {
        if let v = state["best"] { best = v }
        if let v = state["num_bad_epochs"] { numBadEpochs = Int(v) }
        if let v = state["cooldown_counter"] { cooldownCounter = Int(v) }
        super.restore(state)
    }
}
