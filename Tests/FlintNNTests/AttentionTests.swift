import Foundation
import XCTest
@testable import Flint
@testable import FlintNN
import FlintTestSupport

/// The fused attention kernel (`Tensor.fusedAttention`, FlintAttention.h) behind
/// `scaledDotProductAttention` and `MultiheadAttention`.
///
/// Tolerances: float32 rounds each operation to within u = 2⁻²⁴ ≈ 6e-8 relatively; an output or
/// gradient here is a sum over at most E + S + Ev ≈ 100 products of values of order 1–10, whose
/// rounding error is bounded by about n·u·Σ|terms| ≈ 100 · 6e-8 · 10 ≈ 6e-5, so 1e-4 absolute plus
/// 1e-4 relative holds for either side's summation order (PyTorch's and the kernel's differ).
final class AttentionTests: XCTestCase {
    /// Against `Tests/Fixtures/nn/attention.py`: `F.scaled_dot_product_attention`'s output and the
    /// gradients of q, k and v of loss = Σ out·w, through the fused kernel (one graph node).
    func testScaledDotProductAttentionMatchesPyTorch() throws {
        let cases = try NNFixture.cases("attention")
        XCTAssertEqual(cases.count, 10)
        for (index, c) in cases.enumerated() {
            let label = "case \(index)"
            let q = try NNFixture.tensor(c["q"]), k = try NNFixture.tensor(c["k"]), v = try NNFixture.tensor(c["v"])
            for t in [q, k, v] { t.requiresGrad = true }
            let mask = try c["mask"].map { try NNFixture.tensor($0) }
            let out = try q.scaledDotProductAttention(k, v, attnMask: mask, isCausal: c["is_causal"] as? Bool ?? false,
                                                      scale: FixtureArgs(c).optDouble("scale"))
            XCTAssertTrue(producedByFusedKernel(out), "\(label): the fused kernel ran")
            assertClose(out, try NNFixture.tensor(c["out"]), "\(label): output")
            try (out * NNFixture.tensor(c["w"])).sum().backward()
            for (name, t) in [("q", q), ("k", k), ("v", v)] {
                assertClose(try XCTUnwrap(t.grad), try NNFixture.tensor(c["\(name)_grad"]), "\(label): gradient of \(name)")
            }
        }
    }

    /// Against the same fixture: `nn.MultiheadAttention` without weights (self- and cross-attention,
    /// key padding, bool and float masks, causal, batch_first, unbatched), output and every gradient.
    func testMultiheadAttentionMatchesPyTorch() throws {
        let data = try JSONSerialization.jsonObject(with: Data(contentsOf: NNFixture.directory.appendingPathComponent("attention.json")))
        let cases = try XCTUnwrap((data as? [String: Any])?["mha"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 6)
        for (index, c) in cases.enumerated() {
            let args = FixtureArgs(c["args"]), label = "mha case \(index) \(c["args"] ?? "")"
            let mha = try MultiheadAttention(embedDim: args.int("embed_dim", 0), numHeads: args.int("num_heads", 0),
                                             bias: args.bool("bias"), batchFirst: args.bool("batch_first"))
            var state: [String: Tensor] = [:]
            for (k, v) in c["state"] as? [String: Any] ?? [:] { state[k] = try NNFixture.tensor(v) }
            _ = try mha.loadStateDict(state)
            let query = try NNFixture.tensor(c["query"])
            query.requiresGrad = true
            let selfAttention = args.bool("self_attention")
            let key = selfAttention ? query : try NNFixture.tensor(c["key"]), value = selfAttention ? query : try NNFixture.tensor(c["value"])
            if !selfAttention { for t in [key, value] { t.requiresGrad = true } }
            let padding = try c["key_padding_mask"].map { try NNFixture.tensor($0) }
            let attnMask = try c["attn_mask"].map { try NNFixture.tensor($0) }
            let out = try mha.attention(query: query, key: key, value: value, keyPaddingMask: padding, needWeights: false,
                                        attnMask: attnMask, isCausal: args.bool("causal")).output
            assertClose(out, try NNFixture.tensor(c["out"]), "\(label): output")
            try (out * NNFixture.tensor(c["w"])).sum().backward()
            assertClose(try XCTUnwrap(query.grad), try NNFixture.tensor(c["query_grad"]), "\(label): gradient of query")
            if !selfAttention {
                assertClose(try XCTUnwrap(key.grad), try NNFixture.tensor(c["key_grad"]), "\(label): gradient of key")
                assertClose(try XCTUnwrap(value.grad), try NNFixture.tensor(c["value_grad"]), "\(label): gradient of value")
            }
            let grads = c["param_grads"] as? [String: Any] ?? [:]
            XCTAssertEqual(Set(grads.keys), Set(mha.namedParameters().map(\.name)), label)
            for (name, parameter) in mha.namedParameters() {
                guard let grad = parameter.grad else { XCTFail("\(label): no gradient for \(name)"); continue }
                assertClose(grad, try NNFixture.tensor(grads[name]), "\(label): gradient of \(name)")
            }
        }
    }

    /// The fused kernel beside the composite float32 path (matmul, where, softmax) on random inputs of
    /// the workloads' sizes and longer: L = S = 64 with head dim 32 (the char LM), 28 with 16 (the
    /// transformer), 256 causal, and odd sizes with masks; outputs and all three gradients.
    func testFusedMatchesCompositeOnRandomInputs() throws {
        let generator = Generator(seed: 3)
        let sizes: [(batch: [Int], l: Int, s: Int, e: Int, ev: Int, causal: Bool, mask: String?)] = [
            ([4, 4], 64, 64, 32, 32, true, nil), ([8, 4], 28, 28, 16, 16, false, nil), ([1, 2], 256, 256, 32, 32, true, nil),
            ([2, 3], 17, 33, 8, 12, false, "float"), ([3], 31, 19, 20, 5, true, "bool"), ([2, 2], 40, 40, 16, 16, false, "per-pair"),
        ]
        for size in sizes {
            let label = "\(size)"
            let q = try Tensor.randn(size.batch + [size.l, size.e], generator: generator)
            let k = try Tensor.randn(size.batch + [size.s, size.e], generator: generator)
            let v = try Tensor.randn(size.batch + [size.s, size.ev], generator: generator)
            let w = try Tensor.randn(size.batch + [size.l, size.ev], generator: generator)
            var mask: Tensor?
            switch size.mask {
            case "float": mask = try Tensor.randn([size.l, size.s], generator: generator)
            case "bool": mask = try Tensor.rand([size.l, size.s], generator: generator).lt(0.7)
            case "per-pair":
                let scores = try Tensor.randn(size.batch + [size.l, size.s], generator: generator)
                mask = try Tensor.whereMask(scores.lt(-1), Tensor.scalar(-.infinity, dtype: .float32), scores)
            default: mask = nil
            }
            func run(fused: Bool) throws -> [Tensor] {
                let leaves = [q, k, v].map { $0.detach().clone().requiringGrad() }
                let out = fused
                    ? try leaves[0].scaledDotProductAttention(leaves[1], leaves[2], attnMask: mask, isCausal: size.causal)
                    : try leaves[0].compositeScaledDotProductAttention(leaves[1], leaves[2], attnMask: mask, dropoutP: 0, isCausal: size.causal,
                                                                       scale: 1 / Double(size.e).squareRoot(), generator: generator)
                XCTAssertEqual(producedByFusedKernel(out), fused, label)
                try (out * w).sum().backward()
                return [out] + (try leaves.map { try XCTUnwrap($0.grad) })
            }
            let fused = try run(fused: true), composite = try run(fused: false)
            for (name, (a, b)) in zip(["output", "dq", "dk", "dv"], zip(fused, composite)) {
                assertClose(a, b, "\(label): \(name)")
            }
        }
    }

    /// In training with dropout, the fused path (no weights) draws the same dropout mask in the same order
    /// as the composite path (weights requested): two modules built from one seed agree on the output and
    /// on every gradient, over two steps.
    func testMultiheadAttentionDropoutDrawsLikeTheCompositePath() throws {
        func build() throws -> MultiheadAttention {
            try MultiheadAttention(embedDim: 16, numHeads: 4, dropout: 0.25, generator: Generator(seed: 21))
        }
        let fusedModule = try build(), compositeModule = try build()
        let x = try Tensor.randn([12, 3, 16], generator: Generator(seed: 5))
        for step in 0..<2 {
            let xf = x.detach().clone().requiringGrad(), xc = x.detach().clone().requiringGrad()
            let fused = try fusedModule.attention(query: xf, key: xf, value: xf, needWeights: false).output
            let composite = try compositeModule.attention(query: xc, key: xc, value: xc, needWeights: true).output
            assertClose(fused, composite, rtol: 1e-5, atol: 1e-5, "step \(step): output")
            try fused.sum().backward()
            try composite.sum().backward()
            assertClose(try XCTUnwrap(xf.grad), try XCTUnwrap(xc.grad), rtol: 1e-5, atol: 1e-5, "step \(step): gradient of x")
            for ((name, a), (_, b)) in zip(fusedModule.namedParameters(), compositeModule.namedParameters()) {
                assertClose(try XCTUnwrap(a.grad), try XCTUnwrap(b.grad), rtol: 1e-5, atol: 1e-5, "step \(step): gradient of \(name)")
            }
        }
        // Dropout did act: without it (eval) the output differs.
        fusedModule.eval()
        let fused = try fusedModule.attention(query: x, key: x, value: x, needWeights: false).output.toArray(Float.self)
        compositeModule.train()
        let dropped = try compositeModule.attention(query: x, key: x, value: x, needWeights: true).output.toArray(Float.self)
        XCTAssertNotEqual(fused, dropped)
    }

    /// Float64 (the composite path) by central differences: causal with a float mask, and a bool mask
    /// with L != S; d/dq, d/dk, d/dv of Σ out·w.
    func testGradientsByFiniteDifferences() throws {
        let generator = Generator(seed: 9)
        let w = try Tensor.randn([2, 4, 3], generator: generator).casted(to: .float64)
        let floatMask = try Tensor.randn([4, 5], generator: generator).casted(to: .float64)
        let boolMask = try Tensor.rand([4, 5], generator: generator).lt(0.6)
        for (mask, causal) in [(floatMask, true), (boolMask, false)] {
            let inputs = try [[2, 4, 3], [2, 5, 3], [2, 5, 3]].map { try Tensor.randn($0, generator: generator).casted(to: .float64) }
            try assertGradientsMatchFiniteDifferences({ x in
                try (x[0].scaledDotProductAttention(x[1], x[2], attnMask: mask, isCausal: causal) * w).sum()
            }, at: inputs, "causal \(causal)")
        }
    }

    /// Whether the fused kernel's graph node made `t` (possibly through reshapes back to the caller's shape).
    private func producedByFusedKernel(_ t: Tensor) -> Bool {
        var node = t.gradFn
        while let n = node, n.name == "reshape" { node = n.inputs.first?.gradFn }
        return node?.name == "scaled_dot_product_attention"
    }
}
