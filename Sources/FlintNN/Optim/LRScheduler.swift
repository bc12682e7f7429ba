import Foundation
import Flint

/// A learning-rate schedule over an optimizer (`torch.optim.lr_scheduler`).
/// `step()` advances it (per epoch, as PyTorch's examples do, unless the spec
/// says per batch) and writes the new rate into every parameter group.
open class LRScheduler {
    public let optimizer: Optimizer
    public let baseLRs: [Double]
    /// `last_epoch`: how many times `step()` has run.
    public private(set) var lastEpoch = 0

    public init(optimizer: Optimizer) {
        self.optimizer = optimizer
        self.baseLRs = optimizer.paramGroups.map { $0.lr }
    }

    open var typeName: String { "lr_scheduler" }

    /// The rate of group `group` after `epoch` steps.
    open func lr(group: Int, epoch: Int) -> Double { baseLRs[group] }

    public func step() {
        lastEpoch += 1
        apply()
    }

    private func apply() {
        for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].lr = lr(group: i, epoch: lastEpoch) }
    }

    /// `get_last_lr()`.
    public var lastLRs: [Double] { optimizer.paramGroups.map { $0.lr } }

    /// State for checkpoints.
    public var state: [String: Double] { ["last_epoch": Double(lastEpoch)] }

    public func restore(_ state: [String: Double]) {
        lastEpoch = Int(state["last_epoch"] ?? 0)
        apply()
    }
}

/// `StepLR(step_size, gamma)`: multiply by gamma every `step_size` epochs.
public final class StepLR: LRScheduler {
    public let stepSize: Int, gamma: Double
    public init(optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer: optimizer)
    }
    override public var typeName: String { "step_lr" }
    override public func lr(group: Int, epoch: Int) -> Double {
        baseLRs[group] * Foundation.pow(gamma, Double(epoch / Swift.max(stepSize, 1)))
    }
}

/// `ExponentialLR(gamma)`: multiply by gamma every epoch.
public final class ExponentialLR: LRScheduler {
    public let gamma: Double
    public init(optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer: optimizer)
    }
    override public var typeName: String { "exponential_lr" }
    override public func lr(group: Int, epoch: Int) -> Double { baseLRs[group] * Foundation.pow(gamma, Double(epoch)) }
}

/// `CosineAnnealingLR(T_max, eta_min)`: half a cosine from the base rate to eta_min over T_max epochs.
public final class CosineAnnealingLR: LRScheduler {
    public let tMax: Int, etaMin: Double
    public init(optimizer: Optimizer, tMax: Int, etaMin: Double = 0) {
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer: optimizer)
    }
    override public var typeName: String { "cosine_annealing_lr" }
    override public func lr(group: Int, epoch: Int) -> Double {
        etaMin + (baseLRs[group] - etaMin) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(Swift.max(tMax, 1)))) / 2
    }
}
