import XCTest
@testable import Flint
import FlintTestSupport

/// Batch norm with batch statistics runs the fused primitive (Tensor+BatchNorm.swift): its float64
/// gradients against central finite differences, and its forward, gradients and running statistics
/// against the same formula written with primitives (each checked against PyTorch by the op fixtures).
/// PyTorch's `nn.BatchNorm1d/2d` themselves are compared in FlintNNTests.LayerParityTests.
final class BatchNormTests: XCTestCase {
    private let shapes = [[5, 3], [3, 4, 5], [2, 3, 4, 5]]

    func testFloat64GradientsMatchFiniteDifferences() throws {
        for (k, shape) in shapes.enumerated() {
            let g = Generator(seed: UInt64(20 + k))
            let c = shape[1]
            let xs = [try Tensor.randn(shape, dtype: .float64, generator: g), try Tensor.randn([c], dtype: .float64, generator: g),
                      try Tensor.randn([c], dtype: .float64, generator: g)]
            let upstream = try Tensor.randn(shape, dtype: .float64, generator: g)
            func loss(_ v: [Tensor]) throws -> Tensor {
                try (v[0].batchNorm(runningMean: nil, runningVar: nil, weight: v[1], bias: v[2], training: true) * upstream).sum()
            }
            try assertGradientsMatchFiniteDifferences(loss, at: xs, "shape \(shape)")
        }
    }

    func testMatchesTheFormulaComposedFromPrimitives() throws {
        for (k, shape) in shapes.enumerated() {
            let g = Generator(seed: UInt64(30 + k))
            let c = shape[1], dims = [0] + Array(2..<shape.count)
            var cs = [Int](repeating: 1, count: shape.count)
            cs[1] = c
            let xs = [try Tensor.randn(shape, mean: 3, std: 2, dtype: .float64, generator: g),
                      try Tensor.randn([c], dtype: .float64, generator: g), try Tensor.randn([c], dtype: .float64, generator: g)]
            let upstream = try Tensor.randn(shape, dtype: .float64, generator: g)
            let initial = [try Tensor.randn([c], dtype: .float64, generator: g), try Tensor.rand([c], dtype: .float64, generator: g) + 0.5]
            let running = initial.map { $0.clone() }  // updated in place by the fused call
            var results: [[Tensor]] = []
            for fused in [true, false] {
                let leaves = xs.map { $0.detach().requiringGrad() }
                let y: Tensor
                if fused {
                    y = try leaves[0].batchNorm(runningMean: running[0], runningVar: running[1], weight: leaves[1], bias: leaves[2],
                                                training: true, momentum: 0.3, eps: 1e-3)
                } else {
                    let mean = try leaves[0].mean(dims: dims, keepdim: true)
                    let variance = try ((leaves[0] - mean) * (leaves[0] - mean)).mean(dims: dims, keepdim: true)
                    y = try (leaves[0] - mean) * (variance + 1e-3).rsqrt() * leaves[1].reshape(cs) + leaves[2].reshape(cs)
                    // torch: running = (1 − momentum)·running + momentum·batch, with the unbiased variance.
                    let n = Double(xs[0].count / c)
                    let expectedMean = try initial[0] * 0.7 + mean.detach().reshape([c]) * 0.3
                    let expectedVar = try initial[1] * 0.7 + variance.detach().reshape([c]) * (0.3 * n / (n - 1))
                    let fusedRunning = results[0].suffix(2)
                    XCTAssertTrue(try XCTUnwrap(fusedRunning.first).allclose(expectedMean, rtol: 1e-12, atol: 1e-12), "shape \(shape)")
                    XCTAssertTrue(try XCTUnwrap(fusedRunning.last).allclose(expectedVar, rtol: 1e-12, atol: 1e-12), "shape \(shape)")
                }
                try y.backward(gradient: upstream)
                results.append([y] + (try leaves.map { try XCTUnwrap($0.grad) }) + (fused ? running.map { $0.clone() } : []))
            }
            for (a, b) in zip(results[0].prefix(4), results[1]) {
                XCTAssertTrue(try a.allclose(b, rtol: 1e-10, atol: 1e-10), "shape \(shape)")
            }
        }
    }

    /// float32 sums run in 16 lanes of float per row and in double across rows; the float64 kernel is the reference.
    func testFloat32MatchesFloat64() throws {
        let g = Generator(seed: 40)
        let shape = [64, 16, 14, 14]
        let xs = [try Tensor.randn(shape, mean: 1, std: 3, dtype: .float64, generator: g),
                  try Tensor.randn([16], dtype: .float64, generator: g), try Tensor.randn([16], dtype: .float64, generator: g)]
        let upstream = try Tensor.randn(shape, dtype: .float64, generator: g)
        var results: [[Tensor]] = []
        for dtype in [DType.float32, .float64] {
            let leaves = xs.map { $0.casted(to: dtype).detach().requiringGrad() }
            let y = try leaves[0].batchNorm(runningMean: nil, runningVar: nil, weight: leaves[1], bias: leaves[2], training: true)
            try y.backward(gradient: upstream.casted(to: dtype))
            results.append(([y] + (try leaves.map { try XCTUnwrap($0.grad) })).map { $0.casted(to: .float64) })
        }
        // The output and input gradient: a few float32 roundings of terms of order 1. The weight and
        // bias gradients sum 12544 terms per channel (magnitude ~√12544 = 112): float32's epsilon
        // times that many terms' magnitude.
        let eps = Double(Float.ulpOfOne)
        XCTAssertTrue(try results[0][0].allclose(results[1][0], rtol: 64 * eps, atol: 64 * eps), "output")
        XCTAssertTrue(try results[0][1].allclose(results[1][1], rtol: 64 * eps, atol: 64 * eps), "input gradient")
        for i in 2...3 {
            XCTAssertTrue(try results[0][i].allclose(results[1][i], rtol: 112 * eps, atol: 112 * 112 * eps), "gradient \(i)")
        }
    }
}
