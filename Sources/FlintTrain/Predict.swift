import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5
import FlintSpec

/// What `flint predict` wrote.
public struct PredictionResult {
    /// One model output and the datasets written for it.
    public struct Output {
        public var name: String
        /// Per-sample shape of its raw outputs.
        public var shape: [Int]
        /// Whether predictions and probabilities were written for it too.
        public var classifier: Bool
    }

    public var output: String
    /// The dataset of the input file that was read.
    public var dataset: String
    public var samples: Int
    /// Every model output, in the order of `model.outputs`.
    public var outputs: [Output]

    /// Per-sample shape of the first output (`outputs`, for a model of one output).
    public var outputShape: [Int] { outputs.first?.shape ?? [] }
    /// Whether `predictions` and `probabilities` were written for the first output.
    public var classifier: Bool { outputs.first?.classifier ?? false }

    /// `{"output", "dataset", "samples", "output_shape", "classifier"}` of the
    /// first output, and for a model of several outputs `"outputs"`: each
    /// one's `name`, `shape` and `classifier`, in order.
    public var json: String {
        var pairs: [(String, JSON)] = [("output", .string(output)), ("dataset", .string(dataset)), ("samples", .int(samples)),
                                       ("output_shape", .array(outputShape.map { .int($0) })), ("classifier", .bool(classifier))]
        if outputs.count > 1 {
            pairs.append(("outputs", .array(outputs.map {
                .object([("name", .string($0.name)), ("shape", .array($0.shape.map { .int($0) })), ("classifier", .bool($0.classifier))])
            })))
        }
        return JSON.object(pairs).text
    }

    /// The one-line summary `flint predict` prints.
    public var summary: String {
        let written = outputs.count == 1
            ? "outputs \(outputShape)" + (classifier ? " with predictions and probabilities" : "")
            : outputs.map { "outputs/\($0.name) \($0.shape)" + ($0.classifier ? " with predictions and probabilities" : "") }
                .joined(separator: ", ")
        return "wrote \(output): \(samples) samples from '\(dataset)', \(written)"
    }
}

extension FlintCommands {
    /// Runs a checkpoint's model over the rows of an HDF5 dataset and writes
    /// an HDF5 file with `outputs` (the raw model outputs, float32
    /// `[N, ...]`) and, for classifiers, `predictions` (int64 `[N]`, the
    /// argmax) and `probabilities` (float32 `[N, C]`, the softmax).
    ///
    /// A model of several outputs (`model.outputs: [a, b]`) gets one dataset
    /// per output, named by it: `outputs/a`, `outputs/b`, and
    /// `predictions/a`, `probabilities/a` for each output that a
    /// `cross_entropy_loss` or `nll_loss` reads; the root attribute `outputs`
    /// lists the names in order.
    ///
    /// The spec's `data.transforms` are applied (never its augmentation), with
    /// the statistics the checkpoint stores (standardize's training-split mean
    /// and std), never statistics of the input.
    /// Rows are read, run and written one batch at a time, so inputs larger
    /// than memory work. The output appears only when complete and replaces
    /// an existing file only with `force`.
    ///
    /// - Parameters:
    ///   - input: `FILE.h5` or `FILE.h5:DATASET` (without a dataset: the
    ///     file's only dataset, else the spec's test inputs path if present),
    ///     a `.npy` file, a CSV file with the columns of the training import
    ///     (the target column may be there or not), a PNG or JPEG file, or a
    ///     folder of them (sorted by path).
    ///   - output: an HDF5 file, or a `.csv` file (one row per input: its path
    ///     or index, the predicted class's name and the probabilities).
    ///   - batchSize: rows per batch; the spec's `batch_size` when nil.
    public static func predict(checkpoint: String, input: String, output: String, batchSize: Int? = nil,
                               force: Bool = false) throws -> PredictionResult {
        if let b = batchSize, b < 1 { throw TrainError.badInput("--batch-size must be at least 1, got \(b)") }
        let destination = try AtomicOutput(destination: output, force: force)
        let restored = try RestoredModel.load(checkpoint: checkpoint)
        let transforms: [Transform]
        do {
            transforms = try Checkpoint.readDataStatistics(from: restored.path)
                .apply(to: try Builder.transforms(restored.spec.data.transforms))
        } catch let error as DataError {
            throw TrainError.badInput("\(restored.path): \(error)")
        }
        // The output may not be the checkpoint or the input file (`FILE` or `FILE:DATASET`), by device and inode.
        let inputFile = input.range(of: ":", options: .backwards).map { String(input[..<$0.lowerBound]) }
        try AtomicOutput.refuseOverwriting([restored.path, input] + (inputFile.map { [$0] } ?? []), with: output)
        let source = try PredictInput.open(input, restored: restored)
        var sample = source.sampleShape
        do {
            for t in transforms { sample = try t.outputShape(sample) }
        } catch {
            throw TrainError.badInput("\(source.name): samples of shape \(source.sampleShape) do not fit the spec's transforms: \(error)")
        }
        guard sample == restored.inputShape else {
            throw TrainError.badInput("\(source.name) has samples of shape \(source.sampleShape)"
                                      + (transforms.isEmpty ? "" : " (\(sample) after transforms)")
                                      + " but the model takes \(restored.inputShape)")
        }
        let rows = source.rows
        let step = batchSize ?? restored.spec.data.batchSize
        /// Every batch of the input, transformed, through the model.
        func forEachBatch(_ body: (Range<Int>, [Tensor]) throws -> Void) throws {
            var start = 0
            while start < rows {
                let range = start..<Swift.min(start + step, rows)
                var x = try source.read(range)
                for t in transforms { x = try t(x) }
                let ys = try noGrad { try restored(x) }
                guard ys.count == restored.outputs.count else {
                    throw TrainError.runtime("predict: the model gave \(ys.count) outputs for rows \(range), expected \(restored.outputs.count)")
                }
                try body(range, ys)
                start = range.upperBound
            }
        }
        let result = PredictionResult(output: output, dataset: source.dataset, samples: rows,
                                      outputs: restored.outputs.map { .init(name: $0.name, shape: $0.shape, classifier: $0.isClassified) })
        if output.lowercased().hasSuffix(".csv") {
            try destination.writing { tmp in try writeCSV(to: tmp, restored: restored, source: source, forEachBatch) }
            return result
        }
        // One output keeps the flat layout; several are each written under their own name.
        let single = restored.outputs.count == 1
        func path(_ kind: String, _ output: RestoredModel.Output) -> String { single ? kind : kind + "/" + output.name }
        try destination.writing { tmp in
            let out = try HDF5File.create(tmp)
            try out.setAttribute("checkpoint", restored.path)
            try out.setAttribute("input", source.name)
            try out.setAttribute("flint_version", FlintVersion.string)
            if !single { try out.setAttribute("outputs", restored.outputs.map(\.name)) }
            let writers = try restored.outputs.map { output in
                OutputWriter(output: output,
                             outputs: try out.createDataset(path("outputs", output), dtype: .float32, shape: [rows] + output.shape),
                             predictions: output.isClassified ? try out.createDataset(path("predictions", output), dtype: .int64, shape: [rows]) : nil,
                             probabilities: output.isClassified
                                 ? try out.createDataset(path("probabilities", output), dtype: .float32, shape: [rows] + output.shape) : nil)
            }
            if let names = restored.classNames {
                for writer in writers where writer.output.shape == [names.count] {
                    try writer.predictions?.setAttribute("classes", names)
                }
            }
            try forEachBatch { range, ys in
                for (writer, y) in zip(writers, ys) { try writer.write(y, rows: range) }
            }
            try out.close()
        }
        return result
    }

    /// The CSV form of `predict`'s output, one row per input: `path` (images) or `index`, then for a
    /// classifier `class` (its name when the checkpoint has names) and one probability column per class
    /// (`p_<name>`), else the output's values (`output_<i>`). Needs a model of one output.
    private static func writeCSV(to path: String, restored: RestoredModel, source: PredictInput,
                                 _ forEachBatch: ((Range<Int>, [Tensor]) throws -> Void) throws -> Void) throws {
        guard restored.outputs.count == 1, let output = restored.outputs.first else {
            throw TrainError.badInput("a CSV output holds one model output; this model has \(restored.outputs.count) (write .h5)")
        }
        let width = output.shape.reduce(1, *)
        let names = restored.classNames.flatMap { $0.count == width ? $0 : nil } ?? (0..<width).map(String.init)
        var header = [source.paths == nil ? "index" : "path"]
        header += output.isClassified ? ["class"] + names.map { "p_" + $0 } : (0..<width).map { "output_\($0)" }
        var text = header.map(csvField).joined(separator: ",") + "\n"
        try forEachBatch { range, ys in
            let y = ys[0].casted(to: .float32)
            let scored = try output.isClassified ? y.softmax(dim: 1) : y
            let values = scored.toArray(Float.self)
            for (i, row) in range.enumerated() {
                let v = values[(i * width)..<((i + 1) * width)]
                var fields = [source.paths?[row] ?? String(row)]
                if output.isClassified {
                    let best = v.indices.max { v[$0] < v[$1] } ?? v.startIndex
                    fields.append(names[best - v.startIndex])
                }
                fields += v.map { String($0) }
                text += fields.map(csvField).joined(separator: ",") + "\n"
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TrainError.io("cannot write \(path)")
        }
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    private static func csvField(_ s: String) -> String {
        s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Splits `FILE[:DATASET]` and picks the dataset when none is named.
    /// A path that exists as given is a file even if it contains a colon.
    static func locateInput(_ input: String, spec: Spec) throws -> (file: String, dataset: String) {
        var file = input
        var dataset: String?
        if !FileManager.default.fileExists(atPath: input), let colon = input.lastIndex(of: ":") {
            file = String(input[..<colon])
            dataset = String(input[input.index(after: colon)...])
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw TrainError.badInput("\(file): no such input file")
        }
        let h5 = try HDF5File.open(file)
        let available = try h5.datasetPaths()
        if let dataset, !dataset.isEmpty {
            let normalized = dataset.hasPrefix("/") ? String(dataset.dropFirst()) : dataset
            guard available.contains(normalized) else {
                throw TrainError.badInput("\(file): no dataset '\(dataset)' (available: \(available.joined(separator: ", ")))")
            }
            return (file, normalized)
        }
        if available.count == 1, let only = available.first { return (file, only) }
        if let test = spec.data.test?.x, available.contains(test) { return (file, test) }
        throw TrainError.badInput("\(file): name the dataset to predict as \(file):DATASET (available: \(available.joined(separator: ", ")))")
    }
}

/// The datasets of one model output in a predictions file, filled a batch at a time.
private struct OutputWriter {
    let output: RestoredModel.Output
    let outputs: HDF5Dataset
    let predictions: HDF5Dataset?
    let probabilities: HDF5Dataset?

    /// Writes the model's output `y` (`[batch] + output.shape`) for `rows`.
    func write(_ raw: Tensor, rows: Range<Int>) throws {
        let y = raw.casted(to: .float32)
        guard Array(y.shape.dropFirst()) == output.shape else {
            throw TrainError.runtime("predict: the model gave per-sample shape \(Array(y.shape.dropFirst())) for output '\(output.name)' "
                                     + "of rows \(rows), expected \(output.shape)")
        }
        try y.withContiguousBytes { try outputs.write(rows: rows, from: $0) }
        if let predictions, let probabilities {
            try y.softmax(dim: 1).withContiguousBytes { try probabilities.write(rows: rows, from: $0) }
            try y.argmax(dim: 1).casted(to: .int64).withContiguousBytes { try predictions.write(rows: rows, from: $0) }
        }
    }
}
