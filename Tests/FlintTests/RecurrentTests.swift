import XCTest
@testable import Flint
import FlintTestSupport

/// The fused LSTM recurrence (`lstmRecurrence`): its float64 gradients against
/// central finite differences, its forward and gradients against the same
/// recurrence composed from primitives (each checked against PyTorch by the op
/// fixtures), and its float32 kernels against its float64 ones. PyTorch's
/// `nn.LSTM` itself is compared in FlintNNTests.LayerParityTests.
final class RecurrentTests: XCTestCase {
    /// Random pre-activations [L, N, 4H], W_hh [4H, H] and states [N, H].
    private func inputs(steps: Int, batch: Int, hidden: Int, dtype: DType, seed: UInt64) throws -> [Tensor] {
        let g = Generator(seed: seed)
        return try [[steps, batch, 4 * hidden], [4 * hidden, hidden], [batch, hidden], [batch, hidden]].map {
            try Tensor.randn($0, dtype: dtype, generator: g)
        }
    }

    /// The recurrence written with elementwise primitives, as RNN and GRU still are.
    private func composed(_ pre: Tensor, _ w: Tensor, _ h0: Tensor, _ c0: Tensor, reverse: Bool) throws -> Tensor {
        let steps = pre.shape[0]
        var h = h0, c = c0
        var hs = [Tensor?](repeating: nil, count: steps), cs = hs
        for t in reverse ? Array((0..<steps).reversed()) : Array(0..<steps) {
            let z = try (pre.select(0, t) + h.matmul(w.t())).chunk(4, dim: 1)
            c = try z[1].sigmoid() * c + z[0].sigmoid() * z[2].tanh()
            h = try z[3].sigmoid() * c.tanh()
            hs[t] = h
            cs[t] = c
        }
        return try Tensor.stack([Tensor.stack(hs.compactMap { $0 }, dim: 0), Tensor.stack(cs.compactMap { $0 }, dim: 0)], dim: 0)
    }

    func testFloat64GradientsMatchFiniteDifferences() throws {
        for (reverse, seed) in [(false, UInt64(1)), (true, 2)] {
            let xs = try inputs(steps: 3, batch: 2, hidden: 3, dtype: .float64, seed: seed)
            let weight = try Tensor.randn([2, 3, 2, 3], dtype: .float64, generator: Generator(seed: seed + 10))
            func loss(_ v: [Tensor]) throws -> Tensor {
                try (v[0].lstmRecurrence(weightHH: v[1], h0: v[2], c0: v[3], reverse: reverse) * weight).sum()
            }
            try assertGradientsMatchFiniteDifferences(loss, at: xs, absolute: 1e-7, "reverse \(reverse)")
        }
    }

    func testMatchesTheRecurrenceComposedFromPrimitives() throws {
        for (reverse, seed) in [(false, UInt64(3)), (true, 4)] {
            let xs = try inputs(steps: 5, batch: 3, hidden: 4, dtype: .float64, seed: seed)
            let upstream = try Tensor.randn([2, 5, 3, 4], dtype: .float64, generator: Generator(seed: seed + 10))
            var results: [[Tensor]] = []
            for fused in [true, false] {
                let leaves = xs.map { $0.detach().requiringGrad() }
                let out = fused ? try leaves[0].lstmRecurrence(weightHH: leaves[1], h0: leaves[2], c0: leaves[3], reverse: reverse)
                                : try composed(leaves[0], leaves[1], leaves[2], leaves[3], reverse: reverse)
                try out.backward(gradient: upstream)
                results.append([out] + (try leaves.map { try XCTUnwrap($0.grad) }))
            }
            for (a, b) in zip(results[0], results[1]) {
                XCTAssertTrue(try a.allclose(b, rtol: 1e-12, atol: 1e-12), "reverse \(reverse)")
            }
        }
    }

    /// float32 runs the vectorised kernels (polynomial exp and tanh); float64 libm. A step's
    /// rounding errors grow through the recurrence by at most the gate derivatives (< 1), so
    /// float32 stays within a few ulp of 1 per step.
    func testFloat32KernelsMatchFloat64() throws {
        let steps = 28, hidden = 20
        let xs = try inputs(steps: steps, batch: 5, hidden: hidden, dtype: .float64, seed: 5)
        let upstream = try Tensor.randn([2, steps, 5, hidden], dtype: .float64, generator: Generator(seed: 6))
        var results: [[Tensor]] = []
        for dtype in [DType.float32, .float64] {
            let leaves = xs.map { $0.casted(to: dtype).detach().requiringGrad() }
            let out = try leaves[0].lstmRecurrence(weightHH: leaves[1] * 0.2, h0: leaves[2], c0: leaves[3])
            try out.backward(gradient: upstream.casted(to: dtype))
            results.append(([out] + (try leaves.map { try XCTUnwrap($0.grad) })).map { $0.casted(to: .float64) })
        }
        for (i, (a, b)) in zip(results[0], results[1]).enumerated() {
            // Gradients sum over 28 steps and 80 gates: allow float32's epsilon times that many terms.
            let tolerance = Double(Float.ulpOfOne) * Double(steps * 4 * hidden)
            XCTAssertTrue(try a.allclose(b, rtol: tolerance, atol: tolerance), "output/gradient \(i)")
        }
    }

    func testShapeErrorsNameTheOp() throws {
        let xs = try inputs(steps: 2, batch: 2, hidden: 3, dtype: .float32, seed: 7)
        XCTAssertThrowsError(try xs[0].lstmRecurrence(weightHH: xs[1].t(), h0: xs[2], c0: xs[3])) {
            XCTAssertTrue("\($0)".contains("lstm"), "\($0)")
        }
        XCTAssertThrowsError(try xs[0].lstmRecurrence(weightHH: xs[1], h0: xs[2].t(), c0: xs[3]))
        XCTAssertThrowsError(try xs[0].narrow(0, start: 0, length: 0).lstmRecurrence(weightHH: xs[1], h0: xs[2], c0: xs[3]))
    }
}
