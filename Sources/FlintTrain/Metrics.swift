import Foundation
import Flint
import FlintNN
import FlintData
import FlintSpec
import FlintDistributed

/// What a model's metric output is, for the metrics that read it.
public enum MetricTask: Equatable, Sendable {
    /// Scores `[C]` per sample against a class index.
    case multiclass(classes: Int)
    /// One logit or probability per sample against a 0/1 target (`bce_with_logits_loss`, `bce_loss`).
    case binary
    /// Float targets.
    case regression
    /// Logits `[L, vocab]` per sample against next-token ids `[L]` (a language model's).
    case languageModel

    /// The task from per-sample shapes of the metric output and the targets, and the loss that reads them;
    /// nil when no metric applies.
    public static func of(loss: String?, output: [Int], target: [Int], targetIsFloat: Bool) -> MetricTask? {
        if loss == "bce_with_logits_loss" || loss == "bce_loss", output.reduce(1, *) == 1, target.reduce(1, *) == 1 {
            return .binary
        }
        if output.count == 1, !targetIsFloat, target.isEmpty { return .multiclass(classes: output[0]) }
        if output.count == 2, !targetIsFloat, target == [output[0]] { return .languageModel }
        return targetIsFloat ? .regression : nil
    }

    /// Whether `metric` can be computed for this task.
    public func fits(_ metric: MetricSpec) -> Bool {
        switch self {
        case .multiclass: return metric.isClassification && !metric.isLanguageModelOnly
        case .binary: return metric.isClassification && !metric.isLanguageModelOnly && metric.kind != .topKAccuracy
        case .regression: return !metric.isClassification
        case .languageModel: return metric.isLanguageModel
        }
    }
}

/// Accumulates the metrics of one split over batches of a model's metric output and targets.
/// Metrics that do not fit the task are left out (a spec's are checked before training).
public struct MetricAccumulator {
    public let metrics: [MetricSpec]
    let loss: String?
    private(set) var task: MetricTask?
    private var classification: ClassificationAccumulator?
    private var regression: RegressionAccumulator?
    private var language: LanguageModelAccumulator?

    /// The `ignore_index` of the loss, which a language model's metrics leave out too.
    let ignoreIndex: Int

    /// - Parameter loss: the type of the loss that reads the metric output (it tells binary classifiers from regressors).
    public init(metrics: [MetricSpec], loss: String?, ignoreIndex: Int = CrossEntropyLoss.Defaults.ignoreIndex) {
        self.metrics = metrics
        self.loss = loss
        self.ignoreIndex = ignoreIndex
    }

    /// - Parameters:
    ///   - output: `[B, C]` scores, `[B]`/`[B, 1]` binary scores, or `[B, …]` regression outputs.
    ///   - targets: `[B]` class indices or 0/1 values, or `[B, …]` floats.
    public mutating func add(output: Tensor, targets: Tensor) throws {
        guard let rows = output.shape.first, targets.shape.first == rows else { return }
        if task == nil {
            start(MetricTask.of(loss: loss, output: Array(output.shape.dropFirst()), target: Array(targets.shape.dropFirst()),
                                targetIsFloat: targets.dtype.isFloatingPoint))
        }
        try classification?.add(scores: output, targets: targets)
        try regression?.add(outputs: output, targets: targets)
        try language?.add(logits: output, targets: targets)
    }

    private mutating func start(_ task: MetricTask?) {
        self.task = task
        let wanted = metrics.filter { task?.fits($0) ?? false }
        switch task {
        case .multiclass(let classes)?:
            classification = ClassificationAccumulator(classes: classes, topKs: wanted.filter { $0.kind == .topKAccuracy }.map(\.k),
                                                       auroc: wanted.contains { $0.kind == .auroc })
        case .binary?:
            classification = ClassificationAccumulator(classes: 2, binary: true, auroc: wanted.contains { $0.kind == .auroc })
        case .regression?:
            regression = RegressionAccumulator()
        case .languageModel?:
            language = LanguageModelAccumulator(ignoreIndex: ignoreIndex)
        case nil:
            break
        }
    }

    /// Every rank's accumulator, gathered with `gather`, merged into this one: a
    /// data-parallel job evaluates a shard per rank, and its metrics are the whole
    /// split's. A rank whose shard was empty learns the task from the others.
    mutating func merge(_ gather: ([Double]) throws -> [[Double]]) throws {
        let code: [Double]
        switch task {
        case .multiclass(let classes)?: code = [1, Double(classes)]
        case .binary?: code = [2, 0]
        case .regression?: code = [3, Double(regression?.width ?? 0)]
        case .languageModel?: code = [4, 0]
        case nil: code = [0, 0]
        }
        let agreed = try gather(code).max { ($0[0], $0[1]) < ($1[0], $1[1]) } ?? code
        if task == nil {
            switch agreed[0] {
            case 1: start(.multiclass(classes: Int(agreed[1])))
            case 2: start(.binary)
            case 3: start(.regression)
            case 4: start(.languageModel)
            default: return
            }
        }
        try classification?.merge(gather)
        try regression?.merge(width: Int(agreed[1]), gather)
        try language?.merge(gather)
    }

    /// The scalar metrics by logged name.
    public var values: [String: Double] {
        var out: [String: Double] = [:]
        let reg = regression?.metrics ?? language?.metrics
        for metric in metrics where metric.isScalar && (task?.fits(metric) ?? false) {
            if let c = classification, let v = c.value(of: metric) { out[metric.name] = v }
            if let reg, let v = reg[metric.kind.rawValue] { out[metric.name] = v }
        }
        return out
    }

    /// The confusion matrix, for classifiers.
    public var confusion: ConfusionMatrix? { classification?.confusion }
}

/// The metrics `flint eval` reports besides the checkpoint's own: accuracy, top-k accuracy, precision,
/// recall and F1 (macro and weighted), AUROC and the confusion matrix for classifiers; MSE, MAE and R².
public func evaluationMetrics(topK: Int?) -> [MetricSpec] {
    var list: [MetricSpec] = [MetricSpec(.accuracy)]
    if let k = topK { list.append(MetricSpec(.topKAccuracy, k: k)) }
    for kind in [MetricSpec.Kind.precision, .recall, .f1] {
        list += [MetricSpec(kind), MetricSpec(kind, average: .weighted)]
    }
    return list + [MetricSpec(.auroc), MetricSpec(.confusion), MetricSpec(.mse), MetricSpec(.mae), MetricSpec(.r2),
                   MetricSpec(.perplexity), MetricSpec(.bitsPerToken)]
}

/// The loss and `metrics` of a model over every batch of a loader, in eval
/// mode without recording gradients: what the trainer logs for validation and
/// test, and what `flint eval` reports. With several losses, `loss` is their
/// weighted sum and the metrics read the first loss's output.
///
/// In a data-parallel job each rank evaluates its shard of the loader and the
/// sums are merged over `world`, so every rank returns the whole split's metrics.
public func evaluate(model: Module, objective: Objective, loader: DataLoader, metrics: [MetricSpec],
                     world: Communicator = LocalCommunicator()) throws -> EvaluationReport {
    let wasTraining = model.training
    model.eval()
    defer { model.train(wasTraining) }
    loader.startEpoch()
    var totalLoss = 0.0, seen = 0
    var accumulator = MetricAccumulator(metrics: metrics, loss: objective.metricLoss,
                                        ignoreIndex: objective.metricIgnoreIndex ?? CrossEntropyLoss.Defaults.ignoreIndex)
    try noGrad {
        while let batch = try loader.next() {
            let outputs = try objective.outputs(of: model, batch.x)
            let n = batch.indices.count
            totalLoss += try objective(outputs, x: batch.x, y: batch.y).item() * Double(n)
            seen += n
            guard let index = objective.metricOutput, outputs.indices.contains(index) else { continue }
            try accumulator.add(output: outputs[index], targets: batch.y)
        }
    }
    if world.size > 1 {
        let sums = try world.allreduce([totalLoss, Double(seen)], .sum)
        (totalLoss, seen) = (sums[0], Int(sums[1]))
        try accumulator.merge { try world.allgather($0) }
    }
    var values = accumulator.values
    values["loss"] = seen > 0 ? totalLoss / Double(seen) : .nan
    let confusion = metrics.contains { $0.kind == .confusion } ? accumulator.confusion : nil
    return EvaluationReport(samples: seen, metrics: values, confusion: confusion)
}

extension Objective {
    /// The type of the loss whose output the metrics read.
    public var metricLoss: String? {
        metricOutput == nil ? nil : terms.first?.criterion.typeName
    }
}

/// What `flint eval` reports for one split.
public struct EvaluationReport {
    public var samples: Int
    /// `loss` and the metrics by logged name: `accuracy`, `top_5_accuracy`, `f1`, … or `mse`, `mae`, `r2`.
    public var metrics: [String: Double]
    /// For classifiers: rows are true classes, columns predictions.
    public var confusion: ConfusionMatrix?
    /// The classes' names in label order, when the checkpoint carries them.
    public var classNames: [String]?

    /// The name of class `c`, or its index when it has none.
    public func className(_ c: Int) -> String {
        classNames.flatMap { $0.indices.contains(c) ? $0[c] : nil } ?? String(c)
    }

    public init(samples: Int, metrics: [String: Double], confusion: ConfusionMatrix?) {
        self.samples = samples
        self.metrics = metrics
        self.confusion = confusion
    }

    /// The `--json` object: `{"checkpoint", "split", "samples", "metrics",
    /// "per_class", "confusion_matrix"}` (the last two for classifiers).
    public func json(checkpoint: String, split: String) -> JSON {
        var pairs: [(String, JSON)] = [
            ("checkpoint", .string(checkpoint)), ("split", .string(split)), ("samples", .int(samples)),
            ("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
        ]
        if let cm = confusion {
            pairs.append(("per_class", .array((0..<cm.classes).map { c in
                .object([("class", .int(c)), ("name", classNames == nil ? .null : .string(className(c))),
                         ("precision", .number(cm.precision(c))), ("recall", .number(cm.recall(c))),
                         ("f1", .number(cm.f1(c))), ("support", .int(cm.support(c)))])
            })))
            pairs.append(("confusion_matrix", .array(cm.counts.map { .array($0.map { .int($0) }) })))
        }
        return .object(pairs)
    }

    /// The readable report: metrics, then for classifiers a per-class table
    /// and the confusion matrix.
    public func table(split: String) -> String {
        var lines = ["\(split): \(samples) samples"]
        let width = metrics.keys.map(\.count).max() ?? 0
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) {
            lines.append(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(format: "%.4f", v))
        }
        guard let cm = confusion else { return lines.joined(separator: "\n") + "\n" }
        lines.append("")
        let nameWidth = Swift.max(5, (0..<cm.classes).map { className($0).count }.max() ?? 0)
        lines.append("class".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  precision  recall      f1  support")
        for c in 0..<cm.classes {
            lines.append(className(c).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                         + String(format: "  %9.4f  %6.4f  %6.4f  %7d", cm.precision(c), cm.recall(c), cm.f1(c), cm.support(c)))
        }
        lines.append("")
        lines.append("confusion matrix (rows: true class, columns: predicted)")
        let cell = Swift.max(String(cm.counts.flatMap { $0 }.max() ?? 0).count, String(cm.classes - 1).count) + 1
        func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(cell - s.count, 0)) + s }
        lines.append(pad("") + "  " + (0..<cm.classes).map { pad(String($0)) }.joined())
        for (t, row) in cm.counts.enumerated() {
            lines.append(pad(String(t)) + "  " + row.map { pad(String($0)) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension FlintCommands {
    /// A checkpoint's run plan with its weights loaded, the loader of one split, and the checkpoint file.
    static func evaluationPlan(checkpoint path: String, split: String, data: String?) throws -> (plan: RunPlan, loader: DataLoader, file: String) {
        let file = resolveCheckpoint(path)
        let (config, weights) = try Checkpoint.readModel(from: file)
        try Checkpoint.requireFiniteWeights(weights, path: file)
        let spec = try Spec.parse(yaml: config, file: file + ":/config")
        let plan = try RunPlan(spec: spec, dataOverride: data, initialWeights: false,
                               statistics: try Checkpoint.readDataStatistics(from: file), batchLimits: false)
        try plan.model.loadCheckpointWeights(weights, from: file)
        let loader: DataLoader?
        switch split {
        case "train": loader = plan.train
        case "val": loader = plan.val
        case "test": loader = plan.test
        default: throw TrainError.badInput("unknown split '\(split)'; expected train, val or test")
        }
        guard let loader else { throw TrainError.badInput("\(file): the spec has no \(split) split") }
        return (plan, loader, file)
    }

    /// Which metrics `evaluate(checkpoint:)` computes.
    public enum EvaluationScope: Equatable, Sendable {
        /// The loss and the checkpoint's own metrics (`train.metrics`, else accuracy), as its training run logged them.
        case logged
        /// What `flint eval` reports: the loss, `evaluationMetrics(topK:)` and the checkpoint's own metrics.
        /// A top-k accuracy with k at least the number of classes (always 1) is left out unless it is the checkpoint's own.
        case full(topK: Int?)
    }

    /// The metrics of a checkpoint on one split (`flint eval`), rebuilt from the checkpoint
    /// alone; `data` replaces the HDF5 file its config names.
    public static func evaluate(checkpoint path: String, split: String, data: String?,
                                scope: EvaluationScope = .full(topK: 5)) throws -> EvaluationReport {
        var topK: Int?
        if case .full(let k) = scope {
            if let k, k < 1 { throw TrainError.badInput("--top-k must be at least 1, got \(k)") }
            topK = k
        }
        let (plan, loader, file) = try evaluationPlan(checkpoint: path, split: split, data: data)
        var metrics = plan.evaluationMetrics
        if scope != .logged {
            metrics = evaluationMetrics(topK: topK)
            for m in plan.metrics where !metrics.contains(m) { metrics.append(m) }
        }
        var report = try FlintTrain.evaluate(model: plan.model, objective: plan.objective, loader: loader, metrics: metrics)
        if let k = topK, let classes = report.confusion?.classes, k >= classes, !plan.metrics.contains(MetricSpec(.topKAccuracy, k: k)) {
            report.metrics[MetricSpec(.topKAccuracy, k: k).name] = nil
        }
        report.classNames = try Checkpoint.readClassNames(from: file) ?? plan.classNames
        return report
    }
}

/// Accumulates regression metrics over batches of outputs and float targets
/// with the same number of values per sample, as scikit-learn defines them
/// with `multioutput='uniform_average'`: MSE and MAE over every value, R²
/// per output column then averaged.
public struct RegressionAccumulator {
    private var count = 0
    /// Values per sample (target columns), 0 before the first batch.
    var width: Int { squaredError.count }
    private var squaredError: [Double] = []
    private var absoluteError: [Double] = []
    /// Running mean and sum of squared deviations of each target column
    /// (Welford), which stay accurate where Σy² − (Σy)²/n cancels.
    private var targetMean: [Double] = []
    private var targetM2: [Double] = []

    public init() {}

    /// Every rank's sums gathered with `gather` and merged into this one; the
    /// targets' means and squared deviations combine as Chan et al.'s parallel variance.
    mutating func merge(width: Int, _ gather: ([Double]) throws -> [[Double]]) rethrows {
        let zeros = [Double](repeating: 0, count: width)
        if squaredError.isEmpty { (squaredError, absoluteError, targetMean, targetM2) = (zeros, zeros, zeros, zeros) }
        let parts = try gather([Double(count)] + squaredError + absoluteError + targetMean + targetM2)
        var n = 0.0
        var se = zeros, ae = zeros, mean = zeros, m2 = zeros
        for part in parts where part[0] > 0 {
            let nb = part[0], total = n + nb
            for c in 0..<width {
                se[c] += part[1 + c]
                ae[c] += part[1 + width + c]
                let delta = part[1 + 2 * width + c] - mean[c]
                m2[c] += part[1 + 3 * width + c] + delta * delta * n * nb / total
                mean[c] += delta * nb / total
            }
            n = total
        }
        (count, squaredError, absoluteError, targetMean, targetM2) = (Int(n), se, ae, mean, m2)
    }

    public mutating func add(outputs: Tensor, targets: Tensor) throws {
        let rows = targets.shape.first ?? 0
        guard outputs.shape.first == rows, outputs.count == targets.count else {
            throw TrainError.runtime("regression metrics: outputs \(outputs.shape) and targets \(targets.shape) do not pair up")
        }
        guard rows > 0 else { return }
        let width = targets.count / rows
        if squaredError.isEmpty {
            squaredError = Array(repeating: 0, count: width)
            absoluteError = squaredError
            targetMean = squaredError
            targetM2 = squaredError
        }
        guard width == squaredError.count else {
            throw TrainError.runtime("regression metrics: \(width) values per sample after \(squaredError.count) in earlier batches")
        }
        let o = outputs.casted(to: .float64).toArray(Double.self)
        let t = targets.casted(to: .float64).toArray(Double.self)
        for row in 0..<rows {
            count += 1
            for c in 0..<width {
                let i = row * width + c
                let e = o[i] - t[i]
                squaredError[c] += e * e
                absoluteError[c] += Swift.abs(e)
                let delta = t[i] - targetMean[c]
                targetMean[c] += delta / Double(count)
                targetM2[c] += delta * (t[i] - targetMean[c])
            }
        }
    }

    /// `mse`, `mae` and `r2`. A column whose targets are constant scores R² 1
    /// when predicted exactly and 0 otherwise (sklearn's `force_finite`).
    public var metrics: [String: Double] {
        guard count > 0, !squaredError.isEmpty else { return ["mse": .nan, "mae": .nan, "r2": .nan] }
        let values = Double(count) * Double(squaredError.count)
        var r2 = 0.0
        for c in squaredError.indices {
            if targetM2[c] > 0 {
                r2 += 1 - squaredError[c] / targetM2[c]
            } else {
                r2 += squaredError[c] == 0 ? 1 : 0
            }
        }
        return ["mse": squaredError.reduce(0, +) / values, "mae": absoluteError.reduce(0, +) / values,
                "r2": r2 / Double(squaredError.count)]
    }
}
