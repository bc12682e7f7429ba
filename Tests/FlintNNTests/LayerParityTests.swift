import XCTest
import FlintNN

/// Every layer, loaded with PyTorch's state dict (which checks the names and
/// shapes of parameters and buffers), gives PyTorch's outputs, input and
/// parameter gradients, and updated buffers within 1e-4, in train and eval mode.
final class LayerParityTests: XCTestCase {
    func testLayersMatchPyTorchInTrainAndEvalMode() throws {
        var checked = Set<String>()
        for c in try NNFixture.cases("layers") where c["init"] == nil {
            let type = c["type"] as? String ?? ""
            let label = "\(type) \(c["args"] ?? "")"
            var state: [String: Tensor] = [:]
            for (k, v) in c["state"] as? [String: Any] ?? [:] { state[k] = try NNFixture.tensor(v) }
            for (mode, expectedJSON) in c["modes"] as? [String: Any] ?? [:] {
                let module = try LayerFactory.make(type, FixtureArgs(c["args"]))
                XCTAssertEqual(module.typeName, type, label)
                _ = try module.loadStateDict(state)
                module.train(mode == "train")
                let expected = expectedJSON as? [String: Any] ?? [:]
                let inputs = try NNFixture.tensors(c["inputs"])
                for x in inputs where x.dtype.isFloatingPoint { x.requiresGrad = true }
                let outs = try LayerFactory.outputs(type, module, inputs)
                let wants = try NNFixture.tensors(expected["outputs"])
                XCTAssertEqual(outs.count, wants.count, "\(label) [\(mode)]: number of outputs")
                var loss: Tensor?
                for (i, (out, (want, w))) in zip(outs, zip(wants, try NNFixture.tensors(expected["weights"]))).enumerated() {
                    assertClose(out, want, "\(label) [\(mode)]: output \(i)")
                    let term = try (out * w).sum()
                    loss = try loss.map { try $0 + term } ?? term
                }
                if let loss, loss.requiresGrad { try loss.backward() }
                for (i, g) in (expected["input_grads"] as? [Any] ?? []).enumerated() where !(g is NSNull) {
                    guard let grad = inputs[i].grad else { XCTFail("\(label) [\(mode)]: no gradient for input \(i)"); continue }
                    assertClose(grad, try NNFixture.tensor(g), "\(label) [\(mode)]: gradient of input \(i)")
                }
                let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
                for (name, g) in expected["param_grads"] as? [String: Any] ?? [:] {
                    guard let grad = params[name]?.grad else { XCTFail("\(label) [\(mode)]: no gradient for \(name)"); continue }
                    assertClose(grad, try NNFixture.tensor(g), "\(label) [\(mode)]: gradient of \(name)")
                }
                let buffers = Dictionary(uniqueKeysWithValues: module.namedBuffers().map { ($0.name, $0.tensor) })
                for (name, b) in expected["buffers"] as? [String: Any] ?? [:] {
                    guard let mine = buffers[name] else { XCTFail("\(label) [\(mode)]: no buffer \(name)"); continue }
                    assertClose(mine, try NNFixture.tensor(b), "\(label) [\(mode)]: buffer \(name) after forward")
                }
                // The per-sample shape function agrees with the forward pass (sequence
                // layers take one sequence per sample only when batch-first).
                let sequenceMajor = (module is RecurrentBase || module is MultiheadAttention || module is TransformerEncoderLayer)
                    && !FixtureArgs(c["args"]).bool("batch_first")
                if let x = inputs.first, x.rank >= 2, !sequenceMajor {
                    XCTAssertEqual(try module.outputShape(input: Array(x.shape.dropFirst())), Array(outs[0].shape.dropFirst()),
                                   "\(label): outputShape(input:)")
                }
            }
            checked.insert(type)
        }
        XCTAssertGreaterThanOrEqual(checked.count, 50)
    }
}
