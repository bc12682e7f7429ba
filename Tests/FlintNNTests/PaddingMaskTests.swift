import Foundation
import XCTest
@testable import Flint
@testable import FlintNN

/// Padded sequences: `padding_mask`, the key-padding mask of `transformer_encoder_layer`
/// (PyTorch's `src_key_padding_mask`) and the length-aware `mean_pool` and `last_token`.
final class PaddingMaskTests: XCTestCase {
    /// Against `Tests/Fixtures/nn/padding_mask.py` (torch): the mask, the encoder's output,
    /// both poolings, and the gradients of x and of every parameter, within 1e-4 (float32
    /// rounding accumulated over sums of 8 to 16 terms, softmax and layer norm).
    func testMaskedEncoderAndPoolingMatchPyTorch() throws {
        let cases = try NNFixture.cases("padding_mask")
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let args = FixtureArgs(c["args"])
            let label = "\(c["args"] ?? "")"
            let layer = try TransformerEncoderLayer(dModel: args.int("d_model", 0), nhead: args.int("nhead", 0),
                                                    dimFeedforward: args.int("dim_feedforward", 0), dropout: 0,
                                                    activation: args.string("activation", ""), batchFirst: true,
                                                    normFirst: args.bool("norm_first"))
            var state: [String: Tensor] = [:]
            for (k, v) in c["state"] as? [String: Any] ?? [:] { state[k] = try NNFixture.tensor(v) }
            _ = try layer.loadStateDict(state)
            let tokens = try NNFixture.tensor(c["tokens"]), x = try NNFixture.tensor(c["x"])
            x.requiresGrad = true
            let mask = try PaddingMask(paddingIdx: 1)(tokens)
            XCTAssertEqual(mask.dtype, .bool)
            XCTAssertEqual(mask.toArray(Int64.self), try NNFixture.tensor(c["mask"]).toArray(Int64.self), label)
            let h = try layer.forward([x, mask])
            assertClose(h, try NNFixture.tensor(c["h"]), "\(label): encoder output")
            let mean = try MeanPool().forward([h, mask]), last = try LastToken().forward([h, mask])
            assertClose(mean, try NNFixture.tensor(c["mean"]), "\(label): mean_pool")
            assertClose(last, try NNFixture.tensor(c["last"]), "\(label): last_token")
            let loss = try (mean * NNFixture.tensor(c["w1"])).sum() + (last * NNFixture.tensor(c["w2"])).sum()
            try loss.backward()
            assertClose(try XCTUnwrap(x.grad), try NNFixture.tensor(c["x_grad"]), "\(label): gradient of x")
            let grads = c["param_grads"] as? [String: Any] ?? [:]
            XCTAssertEqual(Set(grads.keys), Set(layer.namedParameters().map(\.name)), label)
            for (name, parameter) in layer.namedParameters() {
                guard let grad = parameter.grad else { XCTFail("\(label): no gradient for \(name)"); continue }
                assertClose(grad, try NNFixture.tensor(grads[name]), "\(label): gradient of \(name)")
            }
            let plain = try NNFixture.tensor(c["x"])
            assertClose(try MeanPool()(plain), try NNFixture.tensor(c["x_mean"]), "\(label): mean_pool without a mask")
            assertClose(try LastToken()(plain), try NNFixture.tensor(c["x_last"]), "\(label): last_token without a mask")
        }
    }

    /// A small encoder in float64 (its parameters cast) with both poolings:
    /// d loss / d x and d loss / d in_proj_weight by central differences.
    func testGradientsByFiniteDifferences() throws {
        let generator = Generator(seed: 11)
        let layer = try TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 6, dropout: 0, batchFirst: true,
                                                generator: generator)
        castParameters(layer, to: .float64)
        let tokens = try Tensor([Int64(5), 6, 7, 8, 9, 4, 1, 1, 3, 1, 1, 1], shape: [3, 4])
        let mask = try PaddingMask(paddingIdx: 1)(tokens)
        let xValues = try Tensor.randn([3, 4, 4], generator: generator).toArray(Double.self)
        let w = try Tensor.randn([2, 3, 4], generator: generator).casted(to: .float64)
        let w1 = try w.narrow(0, start: 0, length: 1).squeeze(0), w2 = try w.narrow(0, start: 1, length: 1).squeeze(0)
        func loss(_ x: Tensor) throws -> Tensor {
            let h = try layer.forward([x, mask])
            return try (MeanPool().forward([h, mask]) * w1).sum() + (LastToken().forward([h, mask]) * w2).sum()
        }
        let x = try Tensor(xValues, shape: [3, 4, 4])
        x.requiresGrad = true
        try loss(x).backward()
        let analytic = try XCTUnwrap(x.grad).toArray(Double.self)
        let eps = 1e-6
        for i in xValues.indices {
            var plus = xValues, minus = xValues
            plus[i] += eps
            minus[i] -= eps
            let numeric = (try loss(try Tensor(plus, shape: [3, 4, 4])).item() - (try loss(try Tensor(minus, shape: [3, 4, 4])).item())) / (2 * eps)
            XCTAssertEqual(analytic[i], numeric, accuracy: 1e-6, "x element \(i)")
        }
        // Padding is never read: its inputs get no gradient at all.
        let padded = mask.toArray(Int64.self)
        for (position, isPad) in padded.enumerated() where isPad != 0 {
            XCTAssertEqual(Array(analytic[(position * 4)..<(position * 4 + 4)]), [0, 0, 0, 0], "padded position \(position)")
        }
        let weight = try XCTUnwrap(layer.selfAttn.parameter("in_proj_weight"))
        let weightGrad = try XCTUnwrap(weight.grad).toArray(Double.self)
        let constant = try Tensor(xValues, shape: [3, 4, 4])
        for i in stride(from: 0, to: weight.count, by: 5) {
            let flat = try weight.view([-1])
            let original: Double = try flat.narrow(0, start: i, length: 1).item()
            func at(_ value: Double) throws -> Double {
                try noGrad { try flat.narrow(0, start: i, length: 1).copyFrom(try Tensor([value])) }
                return try noGrad { try loss(constant).item() }
            }
            let numeric = (try at(original + eps) - (try at(original - eps))) / (2 * eps)
            _ = try at(original)
            XCTAssertEqual(weightGrad[i], numeric, accuracy: 1e-6, "in_proj_weight element \(i)")
        }
    }

    /// What sits at padded positions never reaches a pooled result: changing it leaves
    /// both poolings bit for bit the same; without the mask it does not.
    func testPaddingNeverReachesTheResult() throws {
        let generator = Generator(seed: 3)
        let layer = try TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true,
                                                normFirst: true, generator: generator)
        let tokens = try Tensor([Int64(4), 5, 6, 1, 1, 7, 8, 9, 10, 1], shape: [2, 5])
        let mask = try PaddingMask(paddingIdx: 1)(tokens)
        let x = try Tensor.randn([2, 5, 8], generator: generator)
        let changed = try x.clone()
        try changed.narrow(1, start: 3, length: 2).narrow(0, start: 0, length: 1).copyFrom(try Tensor.randn([1, 2, 8], generator: generator))
        try changed.narrow(1, start: 4, length: 1).narrow(0, start: 1, length: 1).copyFrom(try Tensor.randn([1, 1, 8], generator: generator))
        for pool in [MeanPool() as Module, LastToken()] {
            let before = try pool.forward([try layer.forward([x, mask]), mask]).toArray(Float.self)
            let after = try pool.forward([try layer.forward([changed, mask]), mask]).toArray(Float.self)
            XCTAssertEqual(before, after, pool.typeName)
            XCTAssertNotEqual(try pool.forward([layer(x), mask]).toArray(Float.self),
                              try pool.forward([layer(changed), mask]).toArray(Float.self), "\(pool.typeName) without the encoder's mask")
        }
        // last_token picks position lengths − 1: 2 and 3 here.
        let last = try LastToken().forward([x, mask]).toArray(Float.self), xs = x.toArray(Float.self)
        XCTAssertEqual(last, Array(xs[(2 * 8)..<(3 * 8)] + xs[(5 * 8 + 3 * 8)..<(5 * 8 + 4 * 8)]))
    }

    /// Casts every parameter of `module` and its children, for float64 gradient checks.
    private func castParameters(_ module: Module, to dtype: DType) {
        for (name, parameter) in module.parameterSlots {
            module.registerParameter(name, parameter.detach().casted(to: dtype))
        }
        for (_, child) in module.childSlots { castParameters(child, to: dtype) }
    }
}
