import XCTest
import Foundation
import Flint
import FlintHDF5
import FlintSpec
@testable import FlintTrain

final class TrainingTests: XCTestCase {
    func testShortRunOnMNISTSliceLearnsAndCheckpointReloads() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 2000, test: 500)
        let specPath = dir.appendingPathComponent("mlp.yaml").path
        try TestSupport.mlpSpec(data: data, epochs: 3).write(toFile: specPath, atomically: true, encoding: .utf8)
        let runDir = dir.appendingPathComponent("run").path
        let result = try FlintCommands.train(specPath: specPath, overrides: [], runDir: runDir, resume: nil, quiet: true)

        // ln(10) ≈ 2.30 is chance level; three epochs over 1800 samples must get far below it.
        let trainLoss = try XCTUnwrap(result.metrics["train/loss"])
        XCTAssertLessThan(trainLoss, 0.5)
        XCTAssertGreaterThan(try XCTUnwrap(result.metrics["test/accuracy"]), 0.8)
        XCTAssertEqual(result.epochs, 3)

        // The checkpoint alone reproduces the test metrics.
        let report = try FlintCommands.evaluate(checkpoint: result.checkpoint, split: "test", data: nil, scope: .logged)
        let (samples, metrics) = (report.samples, report.metrics)
        XCTAssertEqual(samples, 500)
        XCTAssertEqual(try XCTUnwrap(metrics["accuracy"]), try XCTUnwrap(result.metrics["test/accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(metrics["loss"]), try XCTUnwrap(result.metrics["test/loss"]), accuracy: 1e-6)

        // The run directory holds the resolved config and one metrics line per epoch.
        let lines = try String(contentsOfFile: runDir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/config.yaml"))
    }

    func testCheckpointHoldsParametersWithPyTorchNamesAndShapes() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 200, test: 50)
        let specPath = dir.appendingPathComponent("mlp.yaml").path
        try TestSupport.mlpSpec(data: data).write(toFile: specPath, atomically: true, encoding: .utf8)
        let result = try FlintCommands.train(specPath: specPath, overrides: [], runDir: dir.appendingPathComponent("run").path,
                                             resume: nil, quiet: true)
        let file = try HDF5File.open(result.checkpoint)
        XCTAssertEqual(try file.stringAttribute("format"), "flint-checkpoint")
        XCTAssertEqual(try file.dataset("model/1.weight").shape, [64, 784])
        XCTAssertEqual(try file.dataset("model/1.bias").shape, [64])
        XCTAssertEqual(try file.dataset("model/3.weight").shape, [10, 64])
        XCTAssertEqual(try file.dataset("model/3.bias").shape, [10])
        XCTAssertTrue(file.contains("optimizer/state.0.momentum_buffer"))
        XCTAssertTrue(try file.dataset("config").readString().contains("cross_entropy_loss"))
    }

    func testResumeFromEpochBoundaryMatchesStraightRunBitForBit() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 300, test: 50)
        let specPath = dir.appendingPathComponent("mlp.yaml").path
        try TestSupport.mlpSpec(data: data, epochs: 2).write(toFile: specPath, atomically: true, encoding: .utf8)
        let straight = try FlintCommands.train(specPath: specPath, overrides: [], runDir: dir.appendingPathComponent("a").path,
                                               resume: nil, quiet: true)
        let first = try FlintCommands.train(specPath: specPath, overrides: ["train.epochs=1"], runDir: dir.appendingPathComponent("b").path,
                                            resume: nil, quiet: true)
        let resumed = try FlintCommands.train(specPath: specPath, overrides: [], runDir: dir.appendingPathComponent("b").path,
                                              resume: first.checkpoint, quiet: true)
        let a = try Checkpoint.read(from: straight.checkpoint), b = try Checkpoint.read(from: resumed.checkpoint)
        XCTAssertEqual(a.model.map { $0.name }, b.model.map { $0.name })
        for (x, y) in zip(a.model, b.model) {
            XCTAssertEqual(x.tensor.toArray(Float.self), y.tensor.toArray(Float.self), "parameter \(x.name) differs after resume")
        }
    }
}
