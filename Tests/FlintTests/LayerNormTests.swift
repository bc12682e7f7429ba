import XCTest
@testable import Flint
import FlintTestSupport

/// Layer norm runs the fused primitive (Tensor+LayerNorm.swift): its float64 gradients against central
/// finite differences, and its forward and gradients against the formula written with primitives (each
/// checked against PyTorch by the op fixtures). `nn.LayerNorm` and the transformer layers are compared with
/// PyTorch in FlintNNTests.LayerParityTests.
final class LayerNormTests: XCTestCase {
    /// (input shape, normalized shape, with weight, with bias)
    private let cases: [([Int], [Int], Bool, Bool)] = [([3, 4], [4], true, true), ([2, 3, 5], [3, 5], true, false),
                                                       ([4, 6], [6], false, true), ([2, 2, 3], [3], false, false)]

    private func inputs(_ c: ([Int], [Int], Bool, Bool), seed: UInt64, dtype: DType = .float64) throws -> [Tensor] {
        let g = Generator(seed: seed)
        return [try Tensor.randn(c.0, mean: 1, std: 2, dtype: dtype, generator: g)]
            + (c.2 ? [try Tensor.randn(c.1, dtype: dtype, generator: g)] : [])
            + (c.3 ? [try Tensor.randn(c.1, dtype: dtype, generator: g)] : [])
    }

    private func run(_ c: ([Int], [Int], Bool, Bool), _ v: [Tensor], fused: Bool) throws -> Tensor {
        let w = c.2 ? v[1] : nil, b = c.3 ? v[c.2 ? 2 : 1] : nil
        if fused { return try v[0].layerNorm(c.1, weight: w, bias: b, eps: 1e-3) }
        let dims = Array((c.0.count - c.1.count)..<c.0.count)
        let mean = try v[0].mean(dims: dims, keepdim: true)
        let variance = try ((v[0] - mean) * (v[0] - mean)).mean(dims: dims, keepdim: true)
        var y = try (v[0] - mean) * (variance + 1e-3).rsqrt()
        if let w { y = try y * w }
        if let b { y = try y + b }
        return y
    }

    func testFloat64GradientsMatchFiniteDifferences() throws {
        for (k, c) in cases.enumerated() {
            let xs = try inputs(c, seed: UInt64(50 + k))
            let upstream = try Tensor.randn(c.0, dtype: .float64, generator: Generator(seed: UInt64(60 + k)))
            func loss(_ v: [Tensor]) throws -> Tensor { try (run(c, v, fused: true) * upstream).sum() }
            try assertGradientsMatchFiniteDifferences(loss, at: xs, "case \(k)")
        }
    }

    func testMatchesTheFormulaComposedFromPrimitives() throws {
        for (k, c) in cases.enumerated() {
            let xs = try inputs(c, seed: UInt64(70 + k))
            let upstream = try Tensor.randn(c.0, dtype: .float64, generator: Generator(seed: UInt64(80 + k)))
            var results: [[Tensor]] = []
            for fused in [true, false] {
                let leaves = xs.map { $0.detach().requiringGrad() }
                let y = try run(c, leaves, fused: fused)
                try y.backward(gradient: upstream)
                results.append([y] + (try leaves.map { try XCTUnwrap($0.grad) }))
            }
            for (a, b) in zip(results[0], results[1]) {
                XCTAssertTrue(try a.allclose(b, rtol: 1e-10, atol: 1e-10), "case \(k)")
            }
        }
    }

    /// float32 rows of 64 (the transformer's width): a few roundings of terms of order 1 per element; the
    /// weight and bias gradients sum 512 rows (magnitude ~√512), so float32's epsilon times that many terms.
    func testFloat32MatchesFloat64() throws {
        let c = ([8, 64, 64], [64], true, true)
        let xs = try inputs(c, seed: 90)
        let upstream = try Tensor.randn(c.0, dtype: .float64, generator: Generator(seed: 91))
        var results: [[Tensor]] = []
        for dtype in [DType.float32, .float64] {
            let leaves = xs.map { $0.casted(to: dtype).detach().requiringGrad() }
            let y = try run(c, leaves, fused: true)
            try y.backward(gradient: upstream.casted(to: dtype))
            results.append(([y] + (try leaves.map { try XCTUnwrap($0.grad) })).map { $0.casted(to: .float64) })
        }
        let eps = Double(Float.ulpOfOne)
        for i in 0...1 { XCTAssertTrue(try results[0][i].allclose(results[1][i], rtol: 64 * eps, atol: 64 * eps), "output/input gradient \(i)") }
        for i in 2...3 { XCTAssertTrue(try results[0][i].allclose(results[1][i], rtol: 512 * eps, atol: 512 * 23 * eps), "gradient \(i)") }
    }
}
