import Foundation

/// The training loop (`train:`) as typed values, built once from the validated section.
///
/// Each field's default is written once, in the initialisers below; the schema
/// (`SpecSchema.train`, `.earlyStopping`, `.checkpoint`, `.clipGradNorm`) reads it from
/// there, and so do FlintTrain's library initialisers (`TrainingControl()`), so a
/// spec without `train:` and a `TrainingControl()` run the same loop.
public struct TrainSpec: Sendable {
    /// `train.nan_guard`: what to do when the loss, a gradient or a parameter stops being finite.
    public enum NaNGuard: String, Sendable, CaseIterable {
        /// Fail the run (exit 1), keeping the last good checkpoint.
        case stop
        /// Drop the batch (no optimizer step) and go on.
        case skip
    }

    /// `train.test_checkpoint`: which weights the test metrics at the end come from.
    public enum TestCheckpoint: String, Sendable, CaseIterable {
        case best, last
    }

    public var epochs: Int
    /// Metrics reported besides the loss: `accuracy`, `f1`, ….
    public var metrics: [MetricSpec]
    /// Log the running loss every this many steps; nil logs once per epoch.
    public var logEverySteps: Int?
    public var evalEveryEpochs: Int
    public var accumulateSteps: Int
    /// `max_time` in seconds; nil runs every epoch.
    public var maxTime: Double?
    public var nanGuard: NaNGuard
    public var tensorboard: Bool
    public var tensorboardHistograms: Bool
    public var clipGradNorm: ClipGradNormSpec?
    public var clipGradValue: Double?
    public var earlyStopping: EarlyStoppingSpec?
    public var checkpoint: CheckpointSpec
    public var limitBatches: Int?
    public var limitValBatches: Int?
    public var limitTestBatches: Int?
    /// nil: `best` when a best checkpoint is chosen, else `last`.
    public var testCheckpoint: TestCheckpoint?
    public var location: SourceLocation

    /// The loop a spec without `train:` runs; every default of the section is here.
    public init(epochs: Int = 1, metrics: [MetricSpec] = [], logEverySteps: Int? = nil, evalEveryEpochs: Int = 1,
                accumulateSteps: Int = 1, maxTime: Double? = nil, nanGuard: NaNGuard = .stop, tensorboard: Bool = false,
                tensorboardHistograms: Bool = false, clipGradNorm: ClipGradNormSpec? = nil, clipGradValue: Double? = nil,
                earlyStopping: EarlyStoppingSpec? = nil, checkpoint: CheckpointSpec = CheckpointSpec(),
                limitBatches: Int? = nil, limitValBatches: Int? = nil, limitTestBatches: Int? = nil,
                testCheckpoint: TestCheckpoint? = nil, location: SourceLocation = .wholeFile("")) {
        self.epochs = epochs
        self.metrics = metrics
        self.logEverySteps = logEverySteps
        self.evalEveryEpochs = evalEveryEpochs
        self.accumulateSteps = accumulateSteps
        self.maxTime = maxTime
        self.nanGuard = nanGuard
        self.tensorboard = tensorboard
        self.tensorboardHistograms = tensorboardHistograms
        self.clipGradNorm = clipGradNorm
        self.clipGradValue = clipGradValue
        self.earlyStopping = earlyStopping
        self.checkpoint = checkpoint
        self.limitBatches = limitBatches
        self.limitValBatches = limitValBatches
        self.limitTestBatches = limitTestBatches
        self.testCheckpoint = testCheckpoint
        self.location = location
    }

    /// From the validated section (defaults applied); nil only if validation let a bad value through.
    init?(_ values: SectionValues) {
        guard let epochs = values.int("epochs"), let evalEveryEpochs = values.int("eval_every_epochs"),
              let accumulateSteps = values.int("accumulate_steps"),
              let nanGuard = values.choice("nan_guard", as: NaNGuard.self),
              let tensorboard = values.bool("tensorboard"), let histograms = values.bool("tensorboard_histograms"),
              let checkpoint = CheckpointSpec(values.section("checkpoint", orDefaultsOf: SpecSchema.checkpoint))
        else { return nil }
        var maxTime: Double?
        if let text = values.string("max_time") {
            guard let seconds = TrainSpec.parseDuration(text) else { return nil }
            maxTime = seconds
        }
        var clipGradNorm: ClipGradNormSpec?
        if let clip = values.sections["clip_grad_norm"] {
            guard let parsed = ClipGradNormSpec(clip) else { return nil }
            clipGradNorm = parsed
        }
        var earlyStopping: EarlyStoppingSpec?
        if let es = values.sections["early_stopping"] {
            guard let parsed = EarlyStoppingSpec(es) else { return nil }
            earlyStopping = parsed
        }
        self.init(epochs: epochs, metrics: (values.entries["metrics"] ?? []).compactMap(MetricSpec.init),
                  logEverySteps: values.int("log_every_steps"), evalEveryEpochs: evalEveryEpochs,
                  accumulateSteps: accumulateSteps, maxTime: maxTime, nanGuard: nanGuard, tensorboard: tensorboard,
                  tensorboardHistograms: histograms, clipGradNorm: clipGradNorm,
                  clipGradValue: values.double("clip_grad_value"), earlyStopping: earlyStopping, checkpoint: checkpoint,
                  limitBatches: values.int("limit_batches"), limitValBatches: values.int("limit_val_batches"),
                  limitTestBatches: values.int("limit_test_batches"),
                  testCheckpoint: values.choice("test_checkpoint", as: TestCheckpoint.self), location: values.location)
    }

    /// A duration as seconds: a number of seconds, Lightning's `DD:HH:MM:SS`,
    /// or units such as `90s`, `45m`, `1h30m`, `2d`; nil when it is none of these.
    public static func parseDuration(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(t) { return seconds >= 0 ? seconds : nil }
        if t.contains(":") {
            let fields = t.split(separator: ":", omittingEmptySubsequences: false)
            let parts = fields.compactMap { Double($0) }
            guard (2...4).contains(fields.count), parts.count == fields.count, parts.allSatisfy({ $0 >= 0 }) else { return nil }
            let scales: [Double] = [86_400, 3600, 60, 1].suffix(parts.count)
            return zip(parts, scales).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let units: [Character: Double] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
        var total = 0.0, number = ""
        for ch in t {
            if ch.isNumber || ch == "." {
                number.append(ch)
            } else if let unit = units[ch], let v = Double(number) {
                total += v * unit
                number = ""
            } else {
                return nil
            }
        }
        return number.isEmpty && !t.isEmpty ? total : nil
    }
}

/// Whether lower or higher values of a metric are better.
public enum MetricMode: String, Sendable, CaseIterable {
    case min, max

    private static let higherIsBetter = ["accuracy", "precision", "recall", "f1", "r2", "auc", "top"]

    /// Judged by the metric's name, so that "best" needs no configuration for the usual metrics.
    public init(of metric: String) {
        let name = metric.lowercased()
        self = MetricMode.higherIsBetter.contains { name.contains($0) } ? .max : .min
    }
}

/// `train.early_stopping`: Lightning's `EarlyStopping` arguments.
public struct EarlyStoppingSpec: Sendable, Equatable {
    /// The metric to watch, e.g. `val/loss` or `val/accuracy`.
    public var monitor: String
    /// As written, else from the monitored metric's name.
    public var mode: MetricMode
    /// Checks without improvement after which training stops.
    public var patience: Int
    /// A change of at most this much (absolute) is no improvement.
    public var minDelta: Double
    /// Fail when the monitored metric is missing at a check (else skip the check).
    public var strict: Bool
    /// Stop when the metric becomes NaN or infinite.
    public var checkFinite: Bool
    /// Stop as soon as the metric is better than this.
    public var stoppingThreshold: Double?
    /// Stop as soon as the metric is worse than this.
    public var divergenceThreshold: Double?

    /// Lightning's defaults, which the schema reads.
    public init(monitor: String = "val/loss", mode: MetricMode? = nil, patience: Int = 3, minDelta: Double = 0,
                strict: Bool = true, checkFinite: Bool = true, stoppingThreshold: Double? = nil,
                divergenceThreshold: Double? = nil) {
        self.monitor = monitor
        self.mode = mode ?? MetricMode(of: monitor)
        self.patience = patience
        self.minDelta = minDelta
        self.strict = strict
        self.checkFinite = checkFinite
        self.stoppingThreshold = stoppingThreshold
        self.divergenceThreshold = divergenceThreshold
    }

    init?(_ values: SectionValues) {
        guard let monitor = values.string("monitor"), let patience = values.int("patience"),
              let minDelta = values.double("min_delta"), let strict = values.bool("strict"),
              let checkFinite = values.bool("check_finite") else { return nil }
        self.init(monitor: monitor, mode: values.choice("mode", as: MetricMode.self), patience: patience,
                  minDelta: minDelta, strict: strict, checkFinite: checkFinite,
                  stoppingThreshold: values.double("stopping_threshold"),
                  divergenceThreshold: values.double("divergence_threshold"))
    }
}

/// `train.checkpoint`: when checkpoints are written and kept.
public struct CheckpointSpec: Sendable, Equatable {
    /// `train.checkpoint.best`: the metric that chooses `best.h5`.
    public struct Best: Sendable, Equatable {
        public var metric: String
        /// As written, else from the metric's name.
        public var mode: MetricMode

        public init(metric: String, mode: MetricMode? = nil) {
            self.metric = metric
            self.mode = mode ?? MetricMode(of: metric)
        }
    }

    public var everyEpochs: Int
    public var everySteps: Int?
    /// Numbered checkpoints kept besides `last.h5` and `best.h5`; 0 keeps none, -1 keeps all.
    public var keepLast: Int
    public var best: Best?

    /// The defaults, which the schema reads.
    public init(everyEpochs: Int = 1, everySteps: Int? = nil, keepLast: Int = 0, best: Best? = nil) {
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.keepLast = keepLast
        self.best = best
    }

    init?(_ values: SectionValues) {
        guard let everyEpochs = values.int("every_epochs"), let keepLast = values.int("keep_last") else { return nil }
        var best: Best?
        if let written = values.sections["best"] {
            guard let metric = written.string("metric") else { return nil }
            best = Best(metric: metric, mode: written.choice("mode", as: MetricMode.self))
        }
        self.init(everyEpochs: everyEpochs, everySteps: values.int("every_steps"), keepLast: keepLast, best: best)
    }
}

/// `train.clip_grad_norm`: `torch.nn.utils.clip_grad_norm_`'s arguments.
public struct ClipGradNormSpec: Sendable, Equatable {
    public var maxNorm: Double
    public var normType: Double
    public var errorIfNonfinite: Bool

    /// PyTorch's defaults, which the schema reads.
    public init(maxNorm: Double, normType: Double = 2, errorIfNonfinite: Bool = false) {
        self.maxNorm = maxNorm
        self.normType = normType
        self.errorIfNonfinite = errorIfNonfinite
    }

    init?(_ values: SectionValues) {
        guard let maxNorm = values.double("max_norm"), let normType = values.double("norm_type"),
              let errorIfNonfinite = values.bool("error_if_nonfinite") else { return nil }
        self.init(maxNorm: maxNorm, normType: normType, errorIfNonfinite: errorIfNonfinite)
    }
}
