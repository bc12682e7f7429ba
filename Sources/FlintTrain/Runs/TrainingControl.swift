import Foundation
import FlintSpec

/// How the loop runs beyond its epochs: logging, validation cadence, gradient
/// accumulation, limits, the NaN guard, TensorBoard and checkpoints. Filled
/// from the spec's `train:` section, or set directly by a library user.
public struct TrainingControl: Sendable, Equatable {
    /// What to do when the loss, a gradient or a parameter stops being finite.
    public enum NaNPolicy: String, Sendable {
        /// Fail the run (exit 1), keeping the last good checkpoint.
        case stop
        /// Drop the batch (no optimizer step) and go on.
        case skip
    }

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
    public enum TestCheckpoint: String, Sendable {
        case best, last
    }

    public init(logEverySteps: Int? = nil, evalEveryEpochs: Int = 1, accumulateSteps: Int = 1, maxTime: Double? = nil,
                earlyStopping: EarlyStopping.Config? = nil, nanGuard: NaNPolicy = .stop, tensorboard: Bool = false,
                tensorboardHistograms: Bool = false, checkpoint: CheckpointPolicy = CheckpointPolicy(),
                gradientClipping: GradientClipping? = nil) {
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
    /// Reads the `train:` section of a resolved spec. Fields the schema does not
    /// know yet cannot reach here through a validated spec; each is read where
    /// present so that adding it to the schema is all it takes. Problems are
    /// reported at their line, all at once.
    public init(spec: Spec) throws(SpecError) {
        try self.init(train: spec.node["train"])
    }

    /// Reads a `train:` mapping of a resolved spec tree.
    public init(train: SpecNode?) throws(SpecError) {
        self.init()
        guard let train, train.pairs != nil else { return }
        var reader = NodeReader(section: train, path: "train")
        if let n = reader.int("log_every_steps", min: 1) { logEverySteps = n }
        evalEveryEpochs = reader.int("eval_every_epochs", min: 1) ?? 1
        accumulateSteps = reader.int("accumulate_steps", min: 1) ?? 1
        maxTime = reader.duration("max_time")
        if let policy = reader.string("nan_guard") {
            if let p = NaNPolicy(rawValue: policy) { nanGuard = p } else { reader.fail("nan_guard", "must be 'stop' or 'skip', got '\(policy)'") }
        }
        limitBatches = reader.int("limit_batches", min: 1)
        limitValBatches = reader.int("limit_val_batches", min: 1)
        limitTestBatches = reader.int("limit_test_batches", min: 1)
        if let which = reader.string("test_checkpoint") {
            if let t = TestCheckpoint(rawValue: which) { testCheckpoint = t } else { reader.fail("test_checkpoint", "must be 'best' or 'last', got '\(which)'") }
        }
        tensorboard = reader.bool("tensorboard") ?? false
        tensorboardHistograms = reader.bool("tensorboard_histograms") ?? false
        if let value = reader.double("clip_grad_value", min: 0) { gradientClipping = .value(value) }
        if var clip = reader.section("clip_grad_norm") {
            if let maxNorm = clip.double("max_norm", min: 0) {
                gradientClipping = .norm(maxNorm: maxNorm, normType: clip.double("norm_type", min: 0) ?? 2,
                                         errorIfNonfinite: clip.bool("error_if_nonfinite") ?? false)
            } else if clip.section["max_norm"] == nil {
                clip.fail("max_norm", "is required")
            }
            reader.problems += clip.problems
        }
        if var es = reader.section("early_stopping") {
            var config = EarlyStopping.Config()
            config.monitor = es.string("monitor") ?? "val/loss"
            config.mode = es.mode("mode") ?? MetricDirection.mode(of: config.monitor)
            config.patience = es.int("patience", min: 0) ?? 3
            config.minDelta = es.double("min_delta", min: 0) ?? 0
            config.strict = es.bool("strict") ?? true
            config.checkFinite = es.bool("check_finite") ?? true
            config.stoppingThreshold = es.double("stopping_threshold")
            config.divergenceThreshold = es.double("divergence_threshold")
            earlyStopping = config
            reader.problems += es.problems
        }
        if var ck = reader.section("checkpoint") {
            checkpoint.everyEpochs = ck.int("every_epochs", min: 1) ?? 1
            checkpoint.everySteps = ck.int("every_steps", min: 1)
            checkpoint.keepLast = ck.int("keep_last", min: -1) ?? 0
            if var best = ck.section("best") {
                if let metric = best.string("metric") {
                    checkpoint.best = (metric, best.mode("mode") ?? MetricDirection.mode(of: metric))
                } else {
                    best.fail("metric", "is required")
                }
                ck.problems += best.problems
            }
            reader.problems += ck.problems
        }
        if !reader.problems.isEmpty { throw SpecError(reader.problems) }
    }

    /// A duration as seconds: a number of seconds, Lightning's `DD:HH:MM:SS`,
    /// or units such as `90s`, `45m`, `1h30m`, `2d`.
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

/// Typed reads of one spec mapping, collecting a diagnostic per bad value.
private struct NodeReader {
    let section: SpecNode
    let path: String
    var problems: [Diagnostic] = []

    init(section: SpecNode, path: String) {
        self.section = section
        self.path = path
    }

    mutating func fail(_ key: String, _ message: String) {
        let at = section.pair(key)?.value.location ?? section.location
        problems.append(.error(at: at, "\(path).\(key) \(message)", keyPath: "\(path).\(key)"))
    }

    private func scalar(_ key: String) -> ScalarValue? {
        guard let node = section[key], !node.isNull else { return nil }
        return node.scalar?.value
    }

    mutating func int(_ key: String, min: Int) -> Int? {
        guard section[key].map({ !$0.isNull }) ?? false else { return nil }
        guard case .int(let v)? = scalar(key) else { fail(key, "must be an integer"); return nil }
        guard v >= min else { fail(key, "must be at least \(min), got \(v)"); return nil }
        return v
    }

    mutating func double(_ key: String, min: Double? = nil) -> Double? {
        guard section[key].map({ !$0.isNull }) ?? false else { return nil }
        let v: Double
        switch scalar(key) {
        case .int(let i)?: v = Double(i)
        case .float(let d)?: v = d
        default: fail(key, "must be a number"); return nil
        }
        if let min, !(v >= min) { fail(key, "must be at least \(min), got \(v)"); return nil }
        return v
    }

    mutating func bool(_ key: String) -> Bool? {
        guard section[key].map({ !$0.isNull }) ?? false else { return nil }
        guard case .bool(let b)? = scalar(key) else { fail(key, "must be true or false"); return nil }
        return b
    }

    mutating func string(_ key: String) -> String? {
        guard section[key].map({ !$0.isNull }) ?? false else { return nil }
        guard let text = section[key]?.scalar?.text else { fail(key, "must be a string"); return nil }
        return text
    }

    mutating func mode(_ key: String) -> EarlyStopping.Mode? {
        guard let text = string(key) else { return nil }
        guard let mode = EarlyStopping.Mode(rawValue: text) else { fail(key, "must be 'min' or 'max', got '\(text)'"); return nil }
        return mode
    }

    mutating func duration(_ key: String) -> Double? {
        guard let text = section[key]?.scalar?.text, !(section[key]?.isNull ?? true) else { return nil }
        guard let seconds = TrainingControl.parseDuration(text) else {
            fail(key, "must be seconds, DD:HH:MM:SS or a duration such as 90m or 1h30m, got '\(text)'")
            return nil
        }
        return seconds
    }

    mutating func section(_ key: String) -> NodeReader? {
        guard let node = section[key], !node.isNull else { return nil }
        guard node.pairs != nil else { fail(key, "must be a mapping"); return nil }
        return NodeReader(section: node, path: "\(path).\(key)")
    }
}
