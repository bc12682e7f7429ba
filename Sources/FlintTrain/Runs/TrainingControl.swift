import Foundation
import FlintSpec

/// How the loop runs beyond its epochs: logging, validation cadence, gradient
/// accumulation, limits, the NaN guard, TensorBoard and checkpoints. Filled
/// from the spec's typed `train:` section (`TrainSpec`), or set directly by a
/// library user; the defaults of both are `TrainSpec`'s, written once.
public struct TrainingControl: Sendable, Equatable {
    /// What to do when the loss, a gradient or a parameter stops being finite.
    public typealias NaNPolicy = TrainSpec.NaNGuard

    /// How gradients are limited before each optimizer step (`torch.nn.utils.clip_grad_*_`).
    public enum GradientClipping: Sendable, Equatable {
        /// `clip_grad_norm_(max_norm, norm_type, error_if_nonfinite)`.
        case norm(maxNorm: Double, normType: Double, errorIfNonfinite: Bool)
        /// `clip_grad_value_(clip_value)`.
        case value(Double)
    }

    /// Write a `metrics.jsonl` line (running train loss, lr, throughput) every this many steps.
    public var logEverySteps: Int?
    /// Validate every this many epochs (and always after the last epoch).
    public var evalEveryEpochs: Int
    /// Micro-batches whose gradients add up to one optimizer step; each loss is
    /// divided by this, as Lightning's `accumulate_grad_batches` does.
    public var accumulateSteps: Int
    /// Stop (with a checkpoint) once training has run this many seconds, resumed time included.
    public var maxTime: Double?
    public var earlyStopping: EarlyStopping.Config?
    public var nanGuard: NaNPolicy
    /// Write TensorBoard event files to `<run>/tensorboard`.
    public var tensorboard: Bool
    /// Also write a histogram of every parameter at the end of each epoch.
    public var tensorboardHistograms: Bool
    public var checkpoint: CheckpointPolicy
    /// Applied to the summed gradients of an accumulation group, before the step.
    public var gradientClipping: GradientClipping?
    /// Which weights the test metrics at the end come from (`train.test_checkpoint`); nil: `best` when
    /// `checkpoint.best` or early stopping chooses a best checkpoint, else `last`.
    public var testCheckpoint: TestCheckpoint?
    /// Training, validation and test batches per epoch at most (Lightning's `limit_*_batches`); all when nil.
    public var limitBatches: Int?
    public var limitValBatches: Int?
    public var limitTestBatches: Int?

    /// `train.test_checkpoint`.
    public typealias TestCheckpoint = TrainSpec.TestCheckpoint

    public init(logEverySteps: Int? = nil, evalEveryEpochs: Int = TrainSpec().evalEveryEpochs,
                accumulateSteps: Int = TrainSpec().accumulateSteps, maxTime: Double? = nil,
                earlyStopping: EarlyStopping.Config? = nil, nanGuard: NaNPolicy = TrainSpec().nanGuard,
                tensorboard: Bool = TrainSpec().tensorboard, tensorboardHistograms: Bool = TrainSpec().tensorboardHistograms,
                checkpoint: CheckpointPolicy = CheckpointPolicy(), gradientClipping: GradientClipping? = nil) {
        self.logEverySteps = logEverySteps
        self.evalEveryEpochs = evalEveryEpochs
        self.accumulateSteps = accumulateSteps
        self.maxTime = maxTime
        self.earlyStopping = earlyStopping
        self.nanGuard = nanGuard
        self.tensorboard = tensorboard
        self.tensorboardHistograms = tensorboardHistograms
        self.checkpoint = checkpoint
        self.gradientClipping = gradientClipping
    }
}

extension TrainingControl {
    /// The `train:` section of a validated spec.
    public init(spec: Spec) {
        self.init(train: spec.train)
    }

    /// The typed `train:` section; validation has checked every value.
    public init(train: TrainSpec) {
        self.init(logEverySteps: train.logEverySteps, evalEveryEpochs: train.evalEveryEpochs,
                  accumulateSteps: train.accumulateSteps, maxTime: train.maxTime,
                  earlyStopping: train.earlyStopping,
                  nanGuard: train.nanGuard, tensorboard: train.tensorboard,
                  tensorboardHistograms: train.tensorboardHistograms, checkpoint: CheckpointPolicy(train.checkpoint))
        if let clip = train.clipGradNorm {
            gradientClipping = .norm(maxNorm: clip.maxNorm, normType: clip.normType, errorIfNonfinite: clip.errorIfNonfinite)
        } else if let value = train.clipGradValue {
            gradientClipping = .value(value)
        }
        testCheckpoint = train.testCheckpoint
        limitBatches = train.limitBatches
        limitValBatches = train.limitValBatches
        limitTestBatches = train.limitTestBatches
    }
}
