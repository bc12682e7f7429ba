import XCTest
import Foundation
import Flint
import FlintNN
import FlintHDF5
import ONNXProto
@testable import FlintExport
@testable import FlintTrain

/// A model of several outputs (`model.outputs: [logits, recon]`) through
/// `flint predict`, `export --format onnx`, `eval` and `check`; and `check`'s
/// report of a non-strict `model.init_from`.
final class MultiOutputTests: XCTestCase {
    /// The docs' classifier with a reconstruction head: cross-entropy on
    /// `logits`, 0.1 · MSE of `recon` against the inputs.
    static func spec(data: String, outputs: String = "[logits, recon]") -> String {
        """
        name: two-heads
        seed: 0
        data:
          source: \(data)
          train: {x: train/images, y: train/labels}
          test: {x: test/images, y: test/labels}
          batch_size: 32
          transforms:
            - {type: to_tensor}
            - {type: normalize, mean: [0.1307], std: [0.3081]}
        model:
          input: [1, 28, 28]
          outputs: \(outputs)
          layers:
            - {type: flatten, name: flat}
            - {type: linear, out_features: 16, name: code}
            - {type: relu, name: act}
            - {type: linear, out_features: 10, name: logits, inputs: act}
            - {type: linear, out_features: 784, name: dec, inputs: act}
            - {type: unflatten, dim: 1, unflattened_size: [1, 28, 28], name: recon}
        loss:
          - {type: cross_entropy_loss, output: logits}
          - {type: mse_loss, output: recon, target: x, loss_weight: 0.1}
        optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
        train:
          epochs: 1

        """
    }

    /// The spec trained for one epoch (7 steps) on 200 MNIST rows; returns the checkpoint, the data and the result.
    private func trained(_ dir: URL, outputs: String = "[logits, recon]") throws -> (checkpoint: String, data: String, result: TrainResult) {
        let data = try TestSupport.mnistSlice(in: dir, train: 200, test: 50)
        let spec = try TestSupport.write(Self.spec(data: data, outputs: outputs), dir, "two-heads.yaml")
        let result = try FlintCommands.train(specPath: spec, overrides: [], runDir: dir.appendingPathComponent("run").path,
                                             resume: nil, quiet: true)
        return (result.checkpoint, data, result)
    }

    /// The test images after to_tensor and normalize: what the model sees.
    private func testInputs(_ data: String) throws -> Tensor {
        let images = try HDF5File.open(data).dataset("test/images").readTensor()
        return try (images.casted(to: .float32) / 255 - 0.1307) / 0.3081
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        for (x, y) in zip(a.toArray(Float.self), b.toArray(Float.self)) { XCTAssertEqual(x, y, accuracy: 1e-5, what, file: file, line: line) }
    }

    func testPredictWritesEveryOutputByName() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data, _) = try trained(dir)
        let out = dir.appendingPathComponent("pred.h5").path
        // 7 rows a batch: the last batch is partial.
        let result = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out, batchSize: 7)
        XCTAssertEqual(result.samples, 50)
        XCTAssertEqual(result.outputs.map(\.name), ["logits", "recon"])
        XCTAssertEqual(result.outputs.map(\.shape), [[10], [1, 28, 28]])
        XCTAssertEqual(result.outputs.map(\.classifier), [true, false])

        // The oracle: every output of the restored graph on the whole split at once.
        let restored = try RestoredModel.load(checkpoint: checkpoint)
        let graph = try XCTUnwrap(restored.module as? Graph)
        let expected = try noGrad { try graph.forwardOutputs(try testInputs(data)) }
        XCTAssertEqual(expected.count, 2)

        let file = try HDF5File.open(out)
        XCTAssertEqual(try file.stringArrayAttribute("outputs"), ["logits", "recon"])
        XCTAssertEqual(Set(try file.children().map(\.name)), ["outputs", "predictions", "probabilities"])
        XCTAssertEqual(Set(try file.group("outputs").children().map(\.name)), ["logits", "recon"])
        // Only the output a cross-entropy reads is classified.
        XCTAssertEqual(try file.group("predictions").children().map(\.name), ["logits"])
        XCTAssertEqual(try file.group("probabilities").children().map(\.name), ["logits"])

        let logits = try file.dataset("outputs/logits").readTensor()
        let recon = try file.dataset("outputs/recon").readTensor()
        XCTAssertEqual(recon.shape, [50, 1, 28, 28])
        assertClose(logits, expected[0], "outputs/logits")
        assertClose(recon, expected[1], "outputs/recon")
        XCTAssertEqual(try file.dataset("predictions/logits").readTensor().toArray(Int64.self),
                       try expected[0].argmax(dim: 1).toArray(Int64.self))
        assertClose(try file.dataset("probabilities/logits").readTensor(), try expected[0].softmax(dim: 1), "probabilities/logits")

        let cli = try TestSupport.runFlint(["predict", checkpoint, "--input", data + ":test/images", "--output", out, "--force"])
        XCTAssertEqual(cli.status, 0, cli.err)
        XCTAssertTrue(cli.out.contains("outputs/logits [10] with predictions and probabilities, outputs/recon [1, 28, 28]"), cli.out)
        let json = try TestSupport.runFlint(["predict", checkpoint, "--input", data + ":test/images", "--output", out, "--force", "--json"])
        let outputs = try XCTUnwrap(try TestSupport.lastJSONLine(json.out)["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.compactMap { $0["name"] as? String }, ["logits", "recon"])
        XCTAssertEqual(outputs.compactMap { $0["shape"] as? [Int] }, [[10], [1, 28, 28]])
    }

    /// `model.outputs` in another order than the layers, with an output that
    /// other layers read (`act`): each dataset still holds its own output.
    func testOutputsInDeclaredOrderIncludingAnInnerLayer() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data, _) = try trained(dir, outputs: "[recon, act, logits]")
        let out = dir.appendingPathComponent("pred.h5").path
        let result = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out, batchSize: 13)
        XCTAssertEqual(result.outputs.map(\.name), ["recon", "act", "logits"])
        XCTAssertEqual(result.outputs.map(\.classifier), [false, false, true])
        let expected = try noGrad { try RestoredModel.load(checkpoint: checkpoint)(try testInputs(data)) }
        let file = try HDF5File.open(out)
        XCTAssertEqual(try file.stringArrayAttribute("outputs"), ["recon", "act", "logits"])
        for (name, tensor) in zip(["recon", "act", "logits"], expected) {
            assertClose(try file.dataset("outputs/" + name).readTensor(), tensor, name)
        }
        XCTAssertEqual(try file.dataset("outputs/act").shape, [50, 16])
    }

    /// One output keeps the flat layout: `outputs`, `predictions`, `probabilities`, no groups, no `outputs` attribute.
    func testSingleOutputLayoutIsUnchanged() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let out = dir.appendingPathComponent("pred.h5").path
        let result = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out)
        XCTAssertEqual(result.outputs.count, 1)
        XCTAssertFalse(result.json.contains("\"outputs\""), result.json)
        XCTAssertEqual(result.summary, "wrote \(out): 50 samples from 'test/images', outputs [10] with predictions and probabilities")
        let file = try HDF5File.open(out)
        XCTAssertEqual(try file.children().map(\.name).sorted(), ["outputs", "predictions", "probabilities"])
        XCTAssertTrue(try file.children().allSatisfy { $0.kind == .dataset })
        XCTAssertEqual(try file.attributeNames().sorted(), ["checkpoint", "flint_version", "input"])
        XCTAssertEqual(try file.dataset("outputs").shape, [50, 10])

        // And its ONNX graph keeps its one output named `output`.
        let model = try Onnx_ModelProto(serializedBytes: try ONNXExporter().encode(try RestoredModel.load(checkpoint: checkpoint)))
        XCTAssertEqual(model.graph.output.map(\.name), ["output"])
    }

    /// One ONNX graph output per declared output, named and ordered by `model.outputs`, each with a dynamic batch.
    /// (Tests/Interop/test_onnx.py runs the graph in ONNX Runtime against `flint predict`.)
    func testONNXHasOneNamedOutputPerModelOutput() throws {
        let dir = try TestSupport.tempDir(self)
        for outputs in ["[logits, recon]", "[recon, act, logits]"] {
            let sub = dir.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let (checkpoint, _, _) = try trained(sub, outputs: outputs)
            let restored = try RestoredModel.load(checkpoint: checkpoint)
            let model = try Onnx_ModelProto(serializedBytes: try ONNXExporter().encode(restored))
            XCTAssertEqual(model.graph.output.map(\.name), restored.outputs.map(\.name), outputs)
            for (info, output) in zip(model.graph.output, restored.outputs) {
                let dims = info.type.tensorType.shape.dim
                XCTAssertEqual(dims.first?.dimParam, "batch", outputs)
                XCTAssertEqual(dims.dropFirst().map { Int($0.dimValue) }, output.shape, outputs)
            }
            // Every output is made by exactly one node, and every value read is made before it is read.
            let made = model.graph.node.flatMap(\.output)
            for name in restored.outputs.map(\.name) { XCTAssertEqual(made.filter { $0 == name }.count, 1, "\(outputs): \(name)") }
            var known = Set(["input"] + model.graph.initializer.map(\.name))
            for node in model.graph.node {
                for input in node.input { XCTAssertTrue(known.contains(input), "\(outputs): \(node.name) reads \(input) before it is made") }
                known.formUnion(node.output)
            }
        }
    }

    /// `flint eval` of the checkpoint reports the weighted sum of both losses:
    /// mean cross-entropy of the logits + 0.1 · mean squared error of the
    /// reconstruction, computed here in Double from what predict wrote.
    func testEvalSumsEveryLoss() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data, trainResult) = try trained(dir)
        let out = dir.appendingPathComponent("pred.h5").path
        _ = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out)
        let file = try HDF5File.open(out)
        let logits = try file.dataset("outputs/logits").readTensor().toArray(Float.self).map(Double.init)
        let recon = try file.dataset("outputs/recon").readTensor().toArray(Float.self).map(Double.init)
        let x = try testInputs(data).toArray(Float.self).map(Double.init)
        let labels = try HDF5File.open(data).dataset("test/labels").readTensor().toArray(Int64.self).map { Int($0) }

        // CE of a row = log Σ_c exp(z_c) − z_y.
        var crossEntropy = 0.0, correct = 0
        for (row, label) in labels.enumerated() {
            let z = Array(logits[row * 10..<(row + 1) * 10])
            let top = z.max() ?? 0
            crossEntropy += top + log(z.map { exp($0 - top) }.reduce(0, +)) - z[label]
            if z.firstIndex(of: top) == label { correct += 1 }
        }
        crossEntropy /= Double(labels.count)
        let mse = zip(recon, x).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(x.count)

        let report = try FlintCommands.evaluate(checkpoint: checkpoint, split: "test", data: nil)
        XCTAssertEqual(report.samples, 50)
        XCTAssertEqual(try XCTUnwrap(report.metrics["loss"]), crossEntropy + 0.1 * mse, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(report.metrics["accuracy"]), Double(correct) / 50, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.metrics["loss"]), try XCTUnwrap(trainResult.metrics["test/loss"]), accuracy: 1e-6)
    }

    /// `flint check` names every output's shape.
    func testCheckNamesEveryOutput() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 16)
        let spec = try TestSupport.write(Self.spec(data: data), dir, "two-heads.yaml")
        let r = try TestSupport.runFlint(["check", spec])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("batch [32, 1, 28, 28] -> outputs logits [32, 10], recon [32, 1, 28, 28]; loss "), r.out)
    }

    /// `flint check` loads `model.init_from` as `flint train` does: strict refuses
    /// with every disagreement; `strict: false` (or `--init F --init-non-strict`)
    /// prints on stderr the very line `flint train` prints.
    func testCheckReportsANonStrictInitLikeTrain() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let trained = try Checkpoint.readModel(from: checkpoint).model
        let partial = dir.appendingPathComponent("partial.safetensors").path
        try SafeTensors.encode(trained.filter { $0.name != "3.bias" } + [("extra.weight", try Tensor.ones([2]))])
            .write(to: URL(fileURLWithPath: partial))
        let report = "warning: init from \(partial) (strict: false) loaded 3 of 4 tensors; missing keys: 3.bias; unexpected keys: extra.weight"
        func spec(_ initFrom: String?) throws -> String {
            let yaml = TestSupport.mlpSpec(data: data).replacingOccurrences(
                of: "  input: [1, 28, 28]", with: "  input: [1, 28, 28]" + (initFrom.map { "\n  init_from: \($0)" } ?? ""))
            return try TestSupport.write(yaml, dir, "init-\(UUID().uuidString).yaml")
        }

        let lenientSpec = try spec("{path: \(partial), strict: false}")
        let lenient = try TestSupport.runFlint(["check", lenientSpec])
        XCTAssertEqual(lenient.status, 0, lenient.err)
        XCTAssertTrue(lenient.err.contains(report), lenient.err)
        XCTAssertTrue(lenient.out.contains("; 3 of 4 tensors loaded from \(partial)"), lenient.out)
        let trainRun = try TestSupport.runFlint(["train", lenientSpec, "--run-dir", dir.appendingPathComponent("t").path])
        XCTAssertTrue(trainRun.err.contains(report), "train and check print the same line: \(trainRun.err)")

        let strict = try TestSupport.runFlint(["check", try spec(partial)])
        XCTAssertEqual(strict.status, 2, strict.err)
        XCTAssertTrue(strict.err.contains("model.init_from"), strict.err)
        XCTAssertTrue(strict.err.contains("missing keys: 3.bias; unexpected keys: extra.weight"), strict.err)

        let plain = try spec(nil)
        let flag = try TestSupport.runFlint(["check", plain, "--init", partial, "--init-non-strict"])
        XCTAssertEqual(flag.status, 0, flag.err)
        XCTAssertTrue(flag.err.contains(report), flag.err)
        let strictFlag = try TestSupport.runFlint(["check", plain, "--init", partial])
        XCTAssertEqual(strictFlag.status, 2, strictFlag.err)
        XCTAssertTrue(strictFlag.err.contains("missing keys: 3.bias; unexpected keys: extra.weight"), strictFlag.err)

        // Weights that fit load silently, and the summary says so.
        let full = dir.appendingPathComponent("full.safetensors").path
        _ = try FlintCommands.export(checkpoint: checkpoint, format: .safetensors, output: full)
        let fits = try TestSupport.runFlint(["check", try spec(full)])
        XCTAssertEqual(fits.status, 0, fits.err)
        XCTAssertFalse(fits.err.contains("warning: init"), fits.err)
        XCTAssertTrue(fits.out.contains("; 4 of 4 tensors loaded from \(full)"), fits.out)

        let alone = try TestSupport.runFlint(["check", plain, "--init-non-strict"])
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.err.contains("--init-non-strict needs --init FILE"), alone.err)
    }
}
