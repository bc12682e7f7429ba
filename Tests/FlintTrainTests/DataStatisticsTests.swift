import XCTest
import Foundation
import Flint
import FlintData
import FlintHDF5
@testable import FlintTrain

/// `{type: standardize}`: statistics of the training split only, equal to
/// scikit-learn's StandardScaler (fixture from `Tests/Fixtures/data/generate_data.py`),
/// stored in the checkpoint and applied from there by eval, predict and resume
/// even after the training file changes.
final class DataStatisticsTests: XCTestCase {
    private struct Tabular {
        let json: [String: Any]

        init() throws {
            let url = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/data/standardize.json")
            json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }

        func tensor(_ name: String) throws -> Tensor {
            let object = try XCTUnwrap(json[name] as? [String: Any])
            let shape = try XCTUnwrap(object["shape"] as? [NSNumber]).map(\.intValue)
            let values = try XCTUnwrap(object["values"] as? [NSNumber])
            return name.hasSuffix("_y") ? try Tensor(values.map(\.int64Value), shape: shape)
                : try Tensor(values.map(\.floatValue), shape: shape)
        }

        func doubles(_ name: String) throws -> [Double] { try XCTUnwrap(json[name] as? [NSNumber]).map(\.doubleValue) }

        /// train, val and test as `SPLIT/features` and `SPLIT/labels`.
        func write(to path: String) throws {
            let file = try HDF5File.create(path)
            for split in ["train", "val", "test"] {
                try file.createDataset("\(split)/features", tensor: try tensor("\(split)_x"))
                try file.createDataset("\(split)/labels", tensor: try tensor("\(split)_y"))
            }
            try file.close()
        }
    }

    private func spec(data: String) -> String {
        """
        name: tabular-standardize
        seed: 0
        data:
          source: \(data)
          train: {x: train/features, y: train/labels}
          val: {x: val/features, y: val/labels}
          test: {x: test/features, y: test/labels}
          batch_size: 16
          transforms:
            - {type: standardize}
        model:
          input: [5]
          layers:
            - {type: linear, out_features: 8}
            - {type: relu}
            - {type: linear, out_features: 3}
        loss: {type: cross_entropy_loss}
        optimizer: {type: sgd, lr: 0.1}
        train:
          epochs: 2
          metrics: [accuracy]
        """
    }

    private func assertScikitLearns(_ statistics: DataStatistics, _ tabular: Tabular, _ label: String,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(statistics.standardize.keys.sorted(), [0], label, file: file, line: line)
        let s = try XCTUnwrap(statistics.standardize[0], file: file, line: line)
        for (a, b) in zip(s.mean, try tabular.doubles("mean")) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "mean, \(label)", file: file, line: line) }
        for (a, b) in zip(s.std, try tabular.doubles("scale")) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "std, \(label)", file: file, line: line) }
    }

    private func outputs(_ path: String) throws -> [Float] { try HDF5File.open(path).dataset("outputs").readArray(as: Float.self) }

    func testStatisticsComeFromTheTrainingSplitAndTravelWithTheCheckpoint() throws {
        let dir = try TestSupport.tempDir(self)
        let tabular = try Tabular()
        let data = dir.appendingPathComponent("tabular.h5").path
        try tabular.write(to: data)
        let specPath = dir.appendingPathComponent("tabular.yaml").path
        try spec(data: data).write(toFile: specPath, atomically: true, encoding: .utf8)

        // One epoch now; the resume below runs the second.
        let run = dir.appendingPathComponent("run").path
        let first = try FlintCommands.train(specPath: specPath, overrides: ["train.epochs=1"], runDir: run, resume: nil, quiet: true)
        try assertScikitLearns(try Checkpoint.readDataStatistics(from: first.checkpoint), tabular, "after training")
        // h5py reads it as /data/transforms/0/{mean,std}, float64 [5], with type = "standardize".
        let stored = try HDF5File.open(first.checkpoint).group("data/transforms/0")
        XCTAssertEqual(try stored.stringAttribute("type"), "standardize")
        XCTAssertEqual(try stored.dataset("mean").shape, [5])
        XCTAssertEqual(try stored.dataset("std").dtype, .float64)

        // The oracle for predict: the restored model on scikit-learn's scaler.transform(test).
        let restored = try RestoredModel.load(checkpoint: first.checkpoint)
        let test = try tabular.tensor("test_x")
        let scaled = try Tensor((try tabular.doubles("test_standardized")).map { Float($0) }, shape: test.shape)
        let expected = try noGrad { try restored.module(scaled) }.toArray(Float.self)
        let predicted = dir.appendingPathComponent("before.h5").path
        _ = try FlintCommands.predict(checkpoint: first.checkpoint, input: data + ":test/features", output: predicted)
        for (a, b) in zip(try outputs(predicted), expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let evaluated = try FlintCommands.evaluate(checkpoint: first.checkpoint, split: "test", data: nil)

        // New training data: a refit would move every statistic.
        let file = try HDF5File.open(data, mode: .readWrite)
        let train = try tabular.tensor("train_x").toArray(Float.self)
        try file.dataset("train/features").write(train.map { $0 * 10 + 3 })
        try file.close()

        let again = try FlintCommands.evaluate(checkpoint: first.checkpoint, split: "test", data: nil).metrics
        XCTAssertEqual(again.keys.sorted(), evaluated.metrics.keys.sorted())
        for (name, value) in evaluated.metrics {
            XCTAssertTrue(again[name] == value || (again[name]?.isNaN == true && value.isNaN),
                          "eval applies the stored statistics: \(name) \(again[name] ?? .nan) vs \(value)")
        }
        let after = dir.appendingPathComponent("after.h5").path
        _ = try FlintCommands.predict(checkpoint: first.checkpoint, input: data + ":test/features", output: after)
        XCTAssertEqual(try outputs(after), try outputs(predicted), "predict applies the stored statistics")
        // New inputs, five rows alone: the stored statistics, not the input's own.
        let fresh = dir.appendingPathComponent("new.h5").path
        let newFile = try HDF5File.create(fresh)
        try newFile.createDataset("rows", tensor: try test.narrow(0, start: 0, length: 5))
        try newFile.close()
        let five = dir.appendingPathComponent("five.h5").path
        _ = try FlintCommands.predict(checkpoint: first.checkpoint, input: fresh, output: five)
        for (a, b) in zip(try outputs(five), expected.prefix(15)) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // Resumed on the changed file, the run keeps the statistics it started with.
        let resumed = try FlintCommands.train(specPath: specPath, overrides: [], runDir: nil, resume: run, quiet: true)
        XCTAssertEqual(try Checkpoint.read(from: resumed.checkpoint).epoch, 2)
        try assertScikitLearns(try Checkpoint.read(from: resumed.checkpoint).dataStatistics, tabular, "after resuming")

        // A fresh run fits the changed file: mean × 10 + 3, std × 10 (the constant column keeps std 1).
        let refit = try FlintCommands.train(specPath: specPath, overrides: ["train.epochs=1"],
                                            runDir: dir.appendingPathComponent("refit").path, resume: nil, quiet: true)
        let s = try XCTUnwrap(try Checkpoint.readDataStatistics(from: refit.checkpoint).standardize[0])
        for (a, b) in zip(s.mean, try tabular.doubles("mean")) { XCTAssertEqual(a, b * 10 + 3, accuracy: 1e-4 * max(1, abs(b * 10))) }
        for (a, b) in zip(s.std.dropLast(), try tabular.doubles("scale").dropLast()) { XCTAssertEqual(a, b * 10, accuracy: 1e-4 * b * 10) }
    }

    func testStandardizeIsRefusedInAugment() throws {
        let dir = try TestSupport.tempDir(self)
        let data = dir.appendingPathComponent("tabular.h5").path
        try Tabular().write(to: data)
        let specPath = dir.appendingPathComponent("augment.yaml").path
        let text = spec(data: data).replacingOccurrences(of: "  transforms:\n    - {type: standardize}",
                                                        with: "  augment:\n    - {type: standardize}")
        try text.write(toFile: specPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FlintCommands.train(specPath: specPath, overrides: [], runDir: dir.appendingPathComponent("r").path,
                                                     resume: nil, quiet: true)) { error in
            XCTAssertTrue("\(error)".contains("standardize belongs in data.transforms"), "\(error)")
        }
    }
}
