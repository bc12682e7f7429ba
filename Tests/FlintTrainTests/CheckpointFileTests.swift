import XCTest
import Foundation
import Flint
import FlintNN
import FlintHDF5
import FlintSpec
@testable import FlintExport
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
            let fresh = try Sequential([Flatten(), Linear(inFeatures: 784, outFeatures: 64), ReLU(), Linear(inFeatures: 64, outFeatures: 10)])
            let report = try loadInitialWeights(into: fresh, from: source, strict: true)
            XCTAssertTrue(report.fits, "\(report)")
            XCTAssertEqual(report.loaded, 4)
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
        let weights: [(name: String, tensor: Tensor)] = [("0.weight", try Tensor.ones([3, 4])), ("0.bias", try Tensor.zeros([3])), ("head.weight", try Tensor.ones([1]))]
        try SafeTensors.encode(weights).write(to: URL(fileURLWithPath: path))
        let model = try Sequential([Linear(inFeatures: 4, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 2)])
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: path, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("partial.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("missing keys: 2.weight, 2.bias"), "\(error)")
            XCTAssertTrue("\(error)".contains("unexpected keys: head.weight"), "\(error)")
        }
        let report = try loadInitialWeights(into: model, from: path, strict: false)
        XCTAssertEqual(report.missing, ["2.weight", "2.bias"])
        XCTAssertEqual(report.unexpected, ["head.weight"])
        XCTAssertEqual(report.loaded, 2)
        XCTAssertEqual(try XCTUnwrap(model.stateDict().first).tensor.toArray(Float.self), [Float](repeating: 1, count: 12))

        // A shape that differs is an error when strict, and skipped (the model keeps its value) when not.
        let wrong = dir.appendingPathComponent("wrong.safetensors").path
        try SafeTensors.encode([("0.weight", Tensor.full([4, 4], 2)), ("0.bias", Tensor.full([3], 2))]).write(to: URL(fileURLWithPath: wrong))
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: wrong, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("size mismatch for 0.weight: [4, 4] in the file, [3, 4] in the model"), "\(error)")
        }
        let skipped = try loadInitialWeights(into: model, from: wrong, strict: false)
        XCTAssertEqual(skipped.mismatched, [WeightsLoadReport.ShapeMismatch(name: "0.weight", file: [4, 4], model: [3, 4])])
        XCTAssertEqual(try XCTUnwrap(model.stateDict().first).tensor.toArray(Float.self), [Float](repeating: 1, count: 12))
        XCTAssertEqual(try XCTUnwrap(model.stateDict().dropFirst().first).tensor.toArray(Float.self), [2, 2, 2])

        let text = dir.appendingPathComponent("notes.txt").path
        try "plain text".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try loadInitialWeights(into: model, from: text, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("not a safetensors file, a Flint checkpoint or an HDF5 weights file"), "\(error)")
        }
    }

    /// Tests/Fixtures/train/init_weights.py writes, with torch, weights that
    /// only partly fit this model and what `load_state_dict(strict=False)` makes of them.
    func testNonStrictLoadOfTorchWeightsIsLoadStateDicts() throws {
        let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/train")
        let path = fixtures.appendingPathComponent("init_partial.safetensors").path
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("init_partial.json"))) as? [String: Any])
        func model() throws -> Sequential {
            Sequential([try Linear(inFeatures: 4, outFeatures: 3), try BatchNorm1d(numFeatures: 3), ReLU(), try Linear(inFeatures: 3, outFeatures: 2)])
        }
        let mismatches = try XCTUnwrap(expected["size_mismatch"] as? [String: [[Int]]])

        // Strict: nothing is loaded and the error names every key.
        let strict = try model()
        let before = strict.stateDict().map { $0.tensor.toArray(Double.self) }
        XCTAssertThrowsError(try loadInitialWeights(into: strict, from: path, strict: true)) { error in
            for key in ["missing keys: 0.bias", "unexpected keys: head.bias, head.weight", "size mismatch for 3.weight", "size mismatch for 3.bias"] {
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
        XCTAssertEqual(strict.stateDict().map { $0.tensor.toArray(Double.self) }, before)

        let lenient = try model()
        let initial = Dictionary(uniqueKeysWithValues: lenient.stateDict().map { ($0.name, $0.tensor.toArray(Double.self)) })
        let report = try loadInitialWeights(into: lenient, from: path, strict: false)
        XCTAssertEqual(report.missing, expected["missing_keys"] as? [String])
        XCTAssertEqual(report.unexpected, expected["unexpected_keys"] as? [String])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: report.mismatched.map { ($0.name, [$0.file, $0.model]) }), mismatches)
        let loaded = try XCTUnwrap(expected["loaded"] as? [String: [String: Any]])
        XCTAssertEqual(report.loaded, loaded.count)
        for (name, tensor) in lenient.stateDict() {
            if let want = loaded[name] {
                XCTAssertEqual(tensor.shape, want["shape"] as? [Int], name)
                let values = try XCTUnwrap(want["values"] as? [Double], name)
                for (a, b) in zip(tensor.toArray(Double.self), values) { XCTAssertEqual(a, b, accuracy: 1e-7, name) }
            } else {
                XCTAssertEqual(tensor.toArray(Double.self), initial[name], "\(name) is skipped and keeps its initial value")
            }
        }
    }

    /// `init_from: FILE` is short for `{path: FILE}`; `strict: false` loads
    /// what fits and the report says what was skipped; strict refuses, at the line.
    func testSpecInitFromLongFormAndStrictness() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 16)
        let weights = dir.appendingPathComponent("partial.safetensors").path
        try SafeTensors.encode([("1.weight", Tensor.full([64, 784], 0.5)), ("3.weight", Tensor.ones([5, 64])), ("extra", Tensor.ones([2]))])
            .write(to: URL(fileURLWithPath: weights))
        func spec(_ initFrom: String) throws -> Spec {
            let yaml = TestSupport.mlpSpec(data: data).replacingOccurrences(of: "  input: [1, 28, 28]", with: "  input: [1, 28, 28]\n  init_from: \(initFrom)")
            return try Spec.parse(yaml: yaml, file: dir.appendingPathComponent("init.yaml").path)
        }
        let short = try spec("partial.safetensors")
        XCTAssertEqual(short.model.initFrom?.path, weights)
        XCTAssertEqual(short.model.initFrom?.strict, true)
        XCTAssertEqual(short.model.initFrom?.location?.line, 15)
        XCTAssertTrue(short.node.yaml().contains("init_from: \(weights)"), short.node.yaml())
        XCTAssertThrowsError(try RunPlan(spec: short)) { error in
            XCTAssertTrue("\(error)".contains("init.yaml:15:"), "\(error)")
            XCTAssertTrue("\(error)".contains("missing keys: 1.bias, 3.bias"), "\(error)")
            XCTAssertTrue("\(error)".contains("unexpected keys: extra"), "\(error)")
            XCTAssertTrue("\(error)".contains("size mismatch for 3.weight: [5, 64] in the file, [10, 64] in the model"), "\(error)")
        }

        let long = try spec("{path: partial.safetensors, strict: false}")
        XCTAssertEqual(long.model.initFrom?.path, weights)
        XCTAssertEqual(long.model.initFrom?.strict, false)
        let plan = try RunPlan(spec: long)
        let report = try XCTUnwrap(plan.initialWeightsReport)
        XCTAssertEqual(report.loaded, 1)
        XCTAssertEqual(report.missing, ["1.bias", "3.bias"])
        XCTAssertEqual(report.unexpected, ["extra"])
        XCTAssertEqual(report.mismatched.map(\.name), ["3.weight"])
        XCTAssertEqual(try XCTUnwrap(plan.model.stateDict().first { $0.name == "1.weight" }).tensor.toArray(Float.self),
                       [Float](repeating: 0.5, count: 64 * 784))

        for (bad, message) in [("{strict: false}", "missing required key 'path'"), ("{path: partial.safetensors, strict: maybe}", "expected true or false"),
                               ("{path: partial.safetensors, strickt: false}", "did you mean 'strict'")] {
            XCTAssertThrowsError(try spec(bad), bad) { error in XCTAssertTrue("\(error)".contains(message), "\(bad): \(error)") }
        }
    }

    /// `flint train --init FILE` is strict; `--init-non-strict` loads what fits and says what it skipped.
    func testTrainInitNonStrictReportsWhatItSkipped() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let trained = try Checkpoint.readModel(from: checkpoint).model
        let partial = dir.appendingPathComponent("partial.safetensors").path
        try SafeTensors.encode(trained.filter { $0.name != "3.bias" } + [("extra.weight", try Tensor.ones([2]))]).write(to: URL(fileURLWithPath: partial))
        let spec = dir.appendingPathComponent("again.yaml").path
        try TestSupport.mlpSpec(data: data).write(toFile: spec, atomically: true, encoding: .utf8)

        let strict = try TestSupport.runFlint(["train", spec, "--init", partial, "--run-dir", dir.appendingPathComponent("strict").path])
        XCTAssertEqual(strict.status, 2, strict.err)
        XCTAssertTrue(strict.err.contains("missing keys: 3.bias; unexpected keys: extra.weight"), strict.err)

        let run = dir.appendingPathComponent("lenient").path
        let lenient = try TestSupport.runFlint(["train", spec, "--init", partial, "--init-non-strict", "--set", "optimizer.lr=0", "--run-dir", run])
        XCTAssertEqual(lenient.status, 0, lenient.err)
        XCTAssertTrue(lenient.err.contains("init from \(partial) (strict: false) loaded 3 of 4 tensors; "
                                           + "missing keys: 3.bias; unexpected keys: extra.weight"), lenient.err)
        let after = Dictionary(uniqueKeysWithValues: try Checkpoint.readModel(from: run + "/checkpoints/last.h5").model.map { ($0.name, $0.tensor) })
        for (name, tensor) in trained where name != "3.bias" {
            XCTAssertEqual(try XCTUnwrap(after[name]).toArray(Float.self), tensor.toArray(Float.self), name)
        }

        let alone = try TestSupport.runFlint(["train", spec, "--init-non-strict"])
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.err.contains("--init-non-strict needs --init FILE"), alone.err)
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
