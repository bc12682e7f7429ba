import Foundation
import Flint
import FlintNN
import FlintData
import FlintSpec
import FlintDistributed

/// Loss and accuracy of a model over every batch of a loader, in eval mode
/// without recording gradients: what the trainer logs for validation and test.
/// Accuracy is reported for class-index targets.
public func evaluate(model: Module, objective: Objective, loader: DataLoader,
                     world: Communicator = LocalCommunicator()) throws -> [String: Double] {
    let report = try evaluateReport(model: model, objective: objective, loader: loader, topK: nil, world: world)
    return report.metrics.filter { $0.key == "loss" || $0.key == "accuracy" }
}

/// Every metric of a model over a loader, as `flint eval` reports them.
///
/// Classification (scores `[B, C]`, integer targets `[B]`): loss, accuracy,
/// top-k accuracy, macro and weighted precision/recall/F1, the confusion
/// matrix. Regression (float targets): loss, MSE, MAE, R². With several losses, `loss`
/// is their weighted sum and the other metrics read the first loss's output.
///
/// In a data-parallel job each rank evaluates its shard of the loader and the
/// sums are merged over `world`, so every rank returns the whole split's metrics.
public func evaluateReport(model: Module, objective: Objective, loader: DataLoader, topK: Int?,
                           world: Communicator = LocalCommunicator()) throws -> EvaluationReport {
    let wasTraining = model.training
    model.eval()
    defer { model.train(wasTraining) }
    loader.startEpoch()
    var totalLoss = 0.0, seen = 0
    var classification: ClassificationAccumulator?
    var regression: RegressionAccumulator?
    try noGrad {
        while let batch = try loader.next() {
            let outputs = try objective.outputs(of: model, batch.x)
            let n = batch.indices.count
            totalLoss += try objective(outputs, x: batch.x, y: batch.y).item() * Double(n)
            seen += n
            guard let index = objective.metricOutput, outputs.indices.contains(index) else { continue }
            let out = outputs[index]
            if out.rank == 2 && !batch.y.dtype.isFloatingPoint && batch.y.rank == 1 {
                if classification == nil { classification = ClassificationAccumulator(classes: out.shape[1], topK: topK) }
                try classification?.add(scores: out, targets: batch.y)
            } else if batch.y.dtype.isFloatingPoint {
                if regression == nil { regression = RegressionAccumulator() }
                try regression?.add(outputs: out, targets: batch.y)
            }
        }
    }
    if world.size > 1 {
        // A rank whose shard was empty learns the kind and width of the metrics from the others.
        let kind = Double(classification != nil ? 1 : regression != nil ? 2 : 0)
        let width = Double(classification?.confusion.classes ?? regression?.width ?? 0)
        let headers = try world.allgather([kind, width, totalLoss, Double(seen)])
        totalLoss = headers.reduce(0) { $0 + $1[2] }
        seen = Int(headers.reduce(0) { $0 + $1[3] })
        let agreed = headers.max { ($0[0], $0[1]) < ($1[0], $1[1]) } ?? [0, 0]
        if agreed[0] == 1 {
            var acc = classification ?? ClassificationAccumulator(classes: Int(agreed[1]), topK: topK)
            try acc.merge { try world.allgather($0) }
            classification = acc
        } else if agreed[0] == 2 {
            var acc = regression ?? RegressionAccumulator()
            try acc.merge(width: Int(agreed[1])) { try world.allgather($0) }
            regression = acc
        }
    }
    var metrics = ["loss": seen > 0 ? totalLoss / Double(seen) : .nan]
    for (k, v) in classification?.metrics ?? regression?.metrics ?? [:] { metrics[k] = v }
    return EvaluationReport(samples: seen, metrics: metrics, confusion: classification?.confusion)
}

/// What `flint eval` reports for one split.
public struct EvaluationReport {
    public var samples: Int
    /// `loss`, `accuracy`, `top5_accuracy`, `macro_f1`, … or `mse`, `mae`, `r2`.
    public var metrics: [String: Double]
    /// For classifiers: rows are true classes, columns predictions.
    public var confusion: ConfusionMatrix?

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
                .object([("class", .int(c)), ("precision", .number(cm.precision(c))), ("recall", .number(cm.recall(c))),
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
        lines.append("class  precision  recall      f1  support")
        for c in 0..<cm.classes {
            lines.append(String(format: "%5d  %9.4f  %6.4f  %6.4f  %7d", c, cm.precision(c), cm.recall(c), cm.f1(c), cm.support(c)))
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
    /// Every metric of a checkpoint on one split (`flint eval`), rebuilt from
    /// the checkpoint alone; `data` replaces the HDF5 file its config names.
    public static func evaluateReport(checkpoint path: String, split: String, data: String?, topK: Int? = 5) throws -> EvaluationReport {
        if let k = topK, k < 1 { throw TrainError.badInput("--top-k must be at least 1, got \(k)") }
        let file = resolveCheckpoint(path)
        let (config, weights) = try Checkpoint.readModel(from: file)
        let spec = try Spec.parse(yaml: config, file: file + ":/config")
        let plan = try RunPlan(spec: spec, dataOverride: data, initialWeights: false,
                               statistics: try Checkpoint.readDataStatistics(from: file))
        var state: [String: Tensor] = [:]
        for (k, v) in weights { state[k] = v }
        do {
            _ = try plan.model.loadStateDict(state, strict: true)
        } catch {
            throw TrainError.badInput("\(file): weights do not fit the model of its own config: \(error)")
        }
        let loader: DataLoader?
        switch split {
        case "train": loader = plan.train
        case "val": loader = plan.val
        case "test": loader = plan.test
        default: throw TrainError.badInput("unknown split '\(split)'; expected train, val or test")
        }
        guard let loader else { throw TrainError.badInput("\(file): the spec has no \(split) split") }
        return try FlintTrain.evaluateReport(model: plan.model, objective: plan.objective, loader: loader, topK: topK)
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

    /// Every rank's sums gathered with `gather` and merged into this one; the
    /// targets' means and squared deviations combine as Chan et al.'s parallel variance.
    mutating func merge(width: Int, _ gather: ([Double]) throws -> [[Double]]) rethrows {
        if squaredError.isEmpty { (squaredError, absoluteError, targetMean, targetM2) = ([Double](repeating: 0, count: width), [Double](repeating: 0, count: width), [Double](repeating: 0, count: width), [Double](repeating: 0, count: width)) }
        let parts = try gather([Double(count)] + squaredError + absoluteError + targetMean + targetM2)
        var n = 0.0
        var se = [Double](repeating: 0, count: width), ae = se, mean = se, m2 = se
        for part in parts {
            let nb = part[0]
            guard nb > 0 else { continue }
            let total = n + nb
            for c in 0..<width {
                se[c] += part[1 + c]
                ae[c] += part[1 + width + c]
                let meanB = part[1 + 2 * width + c], delta = meanB - mean[c]
                m2[c] += part[1 + 3 * width + c] + delta * delta * n * nb / total
                mean[c] += delta * nb / total
            }
            n = total
        }
        (count, squaredError, absoluteError, targetMean, targetM2) = (Int(n), se, ae, mean, m2)
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
