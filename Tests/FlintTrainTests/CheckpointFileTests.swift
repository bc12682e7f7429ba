import XCTest
import Foundation
import Flint
import FlintNN
import FlintHDF5
import FlintSpec
@testable import FlintTrain

/// The checkpoint as a file other tools read, and weights coming back in:
/// `Checkpoint.readModel`, `loadInitialWeights`, `model.init_from`.
final class CheckpointFileTests: XCTestCase {
    func testReadModelGivesTheCheckpointsWeightsAndConfig() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let full = try Checkpoint.read(from: checkpoint)
        let (config, model) = try Checkpoint.readModel(from: checkpoint)
        XCTAssertEqual(config, full.config)
        XCTAssertEqual(model.map(\.name), full.model.map(\.name))
        for (a, b) in zip(model, full.model) { XCTAssertEqual(a.tensor.toArray(Float.self), b.tensor.toArray(Float.self)) }
    }

    func testInitialWeightsFromEveryFormat() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let trained = try Checkpoint.readModel(from: checkpoint).model
        var sources = [checkpoint]
        for format in [ExportFormat.safetensors, .h5] {
            let path = dir.appendingPathComponent("w.\(format.rawValue)").path
            _ = try FlintCommands.export(checkpoint: checkpoint, format: format, output: path)
            sources.append(path)
        }
        for source in sources {
            let fresh = Sequential([Flatten(), Linear(inFeatures: 784, outFeatures: 64), ReLU(), Linear(inFeatures: 64, outFeatures: 10)])
            let (missing, unexpected) = try loadInitialWeights(into: fresh, from: source, strict: true)
            XCTAssertEqual(missing, [])
            XCTAssertEqual(unexpected, [])
            let loaded = Dictionary(uniqueKeysWithValues: fresh.stateDict().map { ($0.name, $0.tensor) })
            for (name, tensor) in trained {
                XCTAssertEqual(try XCTUnwrap(loaded[name]).toArray(Float.self), tensor.toArray(Float.self), "\(name) from \(source)")
            }
        }
    }

    func testStrictAndLenientLoading() throws {
        let dir = try TestSupport.tempDir(self)
        let path = dir.appendingPathComponent("partial.safetensors").path
        // A backbone that fits (0.*) and a head the model does not have.
        let weights: [(name: String, tensor: Tensor)] = [("0.weight", Tensor.ones([3, 4])), ("0.bias", Tensor.zeros([3])), ("head.weight", Tensor.ones([1]))]
        try SafeTensors.encode(weights).write(to: URL(fileURLWithPath: path))
        let model = Sequential([Linear(inFeatures: 4, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 2)])
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: path, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("partial.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("missing keys: 2.weight, 2.bias"), "\(error)")
            XCTAssertTrue("\(error)".contains("unexpected keys: head.weight"), "\(error)")
        }
        let (missing, unexpected) = try loadInitialWeights(into: model, from: path, strict: false)
        XCTAssertEqual(missing, ["2.weight", "2.bias"])
        XCTAssertEqual(unexpected, ["head.weight"])
        XCTAssertEqual(try XCTUnwrap(model.stateDict().first).tensor.toArray(Float.self), [Float](repeating: 1, count: 12))

        // A shape that differs is an error even when not strict, as in PyTorch.
        let wrong = dir.appendingPathComponent("wrong.safetensors").path
        try SafeTensors.encode([("0.weight", Tensor.ones([4, 4]))]).write(to: URL(fileURLWithPath: wrong))
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: wrong, strict: false))

        let text = dir.appendingPathComponent("notes.txt").path
        try "plain text".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: text, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("not a safetensors file, a Flint checkpoint or an HDF5 weights file"), "\(error)")
        }
    }

    func testSpecInitFromLoadsTheWeights() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let weights = dir.appendingPathComponent("start.safetensors").path
        _ = try FlintCommands.export(checkpoint: checkpoint, format: .safetensors, output: weights)
        let yaml = TestSupport.mlpSpec(data: data).replacingOccurrences(of: "  input: [1, 28, 28]", with: "  input: [1, 28, 28]\n  init_from: \(weights)")
        let plan = try RunPlan(spec: try Spec.parse(yaml: yaml, file: dir.appendingPathComponent("init.yaml").path))
        let trained = Dictionary(uniqueKeysWithValues: try Checkpoint.readModel(from: checkpoint).model.map { ($0.name, $0.tensor) })
        for (name, tensor) in plan.model.stateDict() {
            XCTAssertEqual(tensor.toArray(Float.self), try XCTUnwrap(trained[name]).toArray(Float.self), name)
        }

        let missing = TestSupport.mlpSpec(data: data).replacingOccurrences(of: "  input: [1, 28, 28]", with: "  input: [1, 28, 28]\n  init_from: \(dir.path)/absent.safetensors")
        XCTAssertThrowsError(try RunPlan(spec: try Spec.parse(yaml: missing, file: dir.appendingPathComponent("bad.yaml").path))) { error in
            XCTAssertTrue("\(error)".contains("model.init_from"), "\(error)")
            XCTAssertTrue("\(error)".contains("absent.safetensors"), "\(error)")
        }
    }

    func testInspectShowsEveryPartOfACheckpoint() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let r = try TestSupport.runFlint(["inspect", checkpoint])
        XCTAssertEqual(r.status, 0, r.err)
        for part in ["config", "model", "1.weight", "optimizer", "scheduler", "rng", "data", "order", "history", "flint-checkpoint"] {
            XCTAssertTrue(r.out.contains(part), "inspect does not show \(part):\n\(r.out)")
        }
    }
}
