import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5
import FlintSpec

/// What `flint predict` wrote.
public struct PredictionResult {
    public var output: String
    /// The dataset of the input file that was read.
    public var dataset: String
    public var samples: Int
    /// Per-sample shape of `outputs`.
    public var outputShape: [Int]
    /// Whether `predictions` and `probabilities` were written too.
    public var classifier: Bool

    public var json: String {
        JSON.object([("output", .string(output)), ("dataset", .string(dataset)), ("samples", .int(samples)),
                     ("output_shape", .array(outputShape.map { .int($0) })), ("classifier", .bool(classifier))]).text
    }
}

extension FlintCommands {
    /// Runs a checkpoint's model over the rows of an HDF5 dataset and writes
    /// an HDF5 file with `outputs` (the raw model outputs, float32
    /// `[N, ...]`) and, for classifiers, `predictions` (int64 `[N]`, the
    /// argmax) and `probabilities` (float32 `[N, C]`, the softmax).
    ///
    /// The spec's `data.transforms` are applied (never its augmentation), with
    /// the statistics the checkpoint stores (standardize's training-split mean
    /// and std), never statistics of the input.
    /// Rows are read, run and written one batch at a time, so inputs larger
    /// than memory work. The output appears only when complete and replaces
    /// an existing file only with `force`.
    ///
    /// - Parameters:
    ///   - input: `FILE.h5` or `FILE.h5:DATASET`. Without a dataset: the
    ///     file's only dataset, else the spec's test inputs path if present.
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
        let (file, datasetPath) = try locateInput(input, spec: restored.spec)
        let source = try HDF5File.open(file).dataset(datasetPath)
        guard !source.shape.isEmpty, source.dtype != nil else {
            throw TrainError.badInput("\(file): dataset '\(datasetPath)' (\(source.typeAndShape)) is not an array of samples")
        }
        var sample = Array(source.shape.dropFirst())
        do {
            for t in transforms { sample = try t.outputShape(sample) }
        } catch {
            throw TrainError.badInput("\(file): dataset '\(datasetPath)' samples of shape \(Array(source.shape.dropFirst())) do not fit the spec's transforms: \(error)")
        }
        guard sample == restored.inputShape else {
            throw TrainError.badInput("\(file): dataset '\(datasetPath)' has samples of shape \(Array(source.shape.dropFirst()))"
                                      + (transforms.isEmpty ? "" : " (\(sample) after transforms)")
                                      + " but the model takes \(restored.inputShape)")
        }
        let rows = source.rowCount
        let step = batchSize ?? restored.spec.data.batchSize
        let classifier = restored.isClassifier
        let outShape = restored.outputShape
        try destination.writing { tmp in
            let out = try HDF5File.create(tmp)
            try out.setAttribute("checkpoint", restored.path)
            try out.setAttribute("input", file + ":" + datasetPath)
            try out.setAttribute("flint_version", FlintVersion.string)
            let outputs = try out.createDataset("outputs", dtype: .float32, shape: [rows] + outShape)
            let predictions = classifier ? try out.createDataset("predictions", dtype: .int64, shape: [rows]) : nil
            let probabilities = classifier ? try out.createDataset("probabilities", dtype: .float32, shape: [rows] + outShape) : nil
            var start = 0
            while start < rows {
                let range = start..<Swift.min(start + step, rows)
                var x = try source.readTensor(rows: range)
                for t in transforms { x = try t(x) }
                let y = try noGrad { try restored.module(x).casted(to: .float32) }
                guard Array(y.shape.dropFirst()) == outShape else {
                    throw TrainError.runtime("predict: the model gave per-sample shape \(Array(y.shape.dropFirst())) for rows \(range), expected \(outShape)")
                }
                try y.withContiguousBytes { try outputs.write(rows: range, from: $0) }
                if let predictions, let probabilities {
                    let p = try y.softmax(dim: 1)
                    try p.withContiguousBytes { try probabilities.write(rows: range, from: $0) }
                    try y.argmax(dim: 1).casted(to: .int64).withContiguousBytes { try predictions.write(rows: range, from: $0) }
                }
                start = range.upperBound
            }
            try out.close()
        }
        return PredictionResult(output: output, dataset: datasetPath, samples: rows, outputShape: outShape, classifier: classifier)
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
