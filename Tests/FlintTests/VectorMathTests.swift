import Foundation
import XCTest
@testable import Flint

/// Flint's float32 `exp`, `log`, `tanh` and `sigmoid` are polynomials that
/// vectorise (C kernels for contiguous memory, the same code inlined into the
/// strided loops). The oracle here is glibc's libm: within 2 ulp everywhere,
/// and the same special values.
final class VectorMathTests: XCTestCase {
    /// Distance between `a` and the reference `b` in units of `b`'s last place; 0 when both are NaN.
    private func ulps(_ a: Float, _ b: Float) -> Float {
        if a.isNaN && b.isNaN { return 0 }
        if a == b { return 0 }
        if !a.isFinite || !b.isFinite { return .infinity }
        return Swift.abs(a - b) / Swift.max(b.ulp, .leastNonzeroMagnitude)
    }

    /// Inputs over `lo...hi`, evenly spaced, plus the special values.
    private func inputs(_ lo: Float, _ hi: Float, count: Int = 20_001) -> [Float] {
        let sweep = (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
        return sweep + [.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude,
                        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 88.72, 88.73, -87.3, -103.9, -104]
    }

    /// Checks `op` on a contiguous tensor (the C kernel) and on a strided view
    /// of the same values (the inlined Swift loop) against `reference`.
    private func check(_ name: String, _ values: [Float], _ op: (Tensor) throws -> Tensor,
                       _ reference: (Float) -> Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let contiguous = try Tensor(values)
        // Every value twice, read through a stride-2 view: not dense, so the strided path runs.
        let strided = try Tensor(values.flatMap { [$0, $0] }).reshape([values.count, 2]).select(1, 0)
        XCTAssertFalse(strided.isContiguous)
        for (path, x) in [("contiguous", contiguous), ("strided", strided)] {
            let got = try op(x).toArray(Float.self)
            var worst: Float = 0, at: Float = 0
            for (v, y) in zip(values, got) {
                let d = ulps(y, reference(v))
                if d > worst { worst = d; at = v }
            }
            XCTAssertLessThanOrEqual(worst, 2, "\(name) (\(path)) is \(worst) ulp from libm at \(at)", file: file, line: line)
        }
    }

    func testExpMatchesLibm() throws {
        try check("exp", inputs(-110, 90), { try $0.exp() }, expf)
        try check("exp", inputs(-1, 1), { try $0.exp() }, expf)
    }

    func testLogMatchesLibm() throws {
        try check("log", inputs(-1, 10), { try $0.log() }, logf)
        try check("log", inputs(0, 1e-37), { try $0.log() }, logf)
        try check("log", inputs(1, 3e38), { try $0.log() }, logf)
    }

    func testTanhMatchesLibm() throws {
        try check("tanh", inputs(-12, 12), { try $0.tanh() }, tanhf)
        XCTAssertEqual(try Tensor([Float(-0.0)]).tanh().toArray(Float.self)[0].sign, .minus)
    }

    /// The vectorised erf (FlintKernels.h, `flint_erff`) against erf in double rounded to float:
    /// within 1.2 ulp of the exact value, so within 2 of its rounding; densest where its two branches meet.
    func testErfMatchesDoublePrecision() throws {
        let reference: (Float) -> Float = { Float(Foundation.erf(Double($0))) }
        try check("erf", inputs(-10, 10, count: 200_001), { try $0.erf() }, reference)
        try check("erf", inputs(0.85, 1.0), { try $0.erf() }, reference)
        try check("erf", inputs(-1e-3, 1e-3), { try $0.erf() }, reference)
        let special = try Tensor([Float.infinity, -.infinity, -0.0, .nan]).erf().toArray(Float.self)
        XCTAssertEqual(Array(special[0..<2]), [1, -1])
        XCTAssertEqual(special[2].sign, .minus)
        XCTAssertTrue(special[3].isNaN)
    }

    /// Exact GELU in float32 (one C pass forward, one backward) against x·Φ(x) and Φ(x) + x·φ(x) in double.
    /// Φ = ½(1 + erf(x/√2)) carries erf's absolute error (≤ 7e-8) and one rounding of 1 + erf, so the
    /// output may be off by about 1e-7·|x| besides its own rounding, the gradient by a few 1e-7.
    func testExactGELUAndItsGradientMatchDoublePrecision() throws {
        let values = (0..<40_001).map { Float(-10 + 20 * Double($0) / 40_000) }
        let x = try Tensor(values).requiringGrad()
        let y = try x.gelu()
        try y.sum().backward()
        let out = y.toArray(Float.self), grad = try XCTUnwrap(x.grad).toArray(Float.self)
        for (i, v) in values.enumerated() {
            let d = Double(v), cdf = 0.5 * (1 + Foundation.erf(d / 2.0.squareRoot()))
            let pdf = Foundation.exp(-0.5 * d * d) / (2 * Double.pi).squareRoot()
            let expected = d * cdf, slope = cdf + d * pdf
            XCTAssertLessThanOrEqual(Swift.abs(Double(out[i]) - expected), 1e-7 * Swift.abs(d) + Double(Float(expected).ulp),
                                     "gelu(\(v))")
            XCTAssertLessThanOrEqual(Swift.abs(Double(grad[i]) - slope), 3e-7, "gelu'(\(v))")
        }
    }

    func testSigmoidMatchesItsDefinition() throws {
        // σ(x) = 1 / (1 + e^−x), evaluated in double; checked above −87, where e^−x is finite in float32.
        try check("sigmoid", inputs(-87, 100), { try $0.sigmoid() }) { Float(1 / (1 + Foundation.exp(-Double($0)))) }
    }

    func testSoftmaxRowsMatchDoubleAndKeepSpecialValues() throws {
        let g = Generator(seed: 3)
        let x = try Tensor.randn([37, 1000], generator: g) * 8
        let values = x.toArray(Float.self)
        for log in [false, true] {
            let got = try (log ? x.logSoftmax(dim: 1) : x.softmax(dim: 1)).toArray(Float.self)
            for r in 0..<37 {
                let row = values[(r * 1000)..<((r + 1) * 1000)].map(Double.init)
                let m = row.max() ?? 0
                let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
                for c in 0..<1000 {
                    let want = log ? row[c] - lse : Foundation.exp(row[c] - lse)
                    XCTAssertEqual(Double(got[r * 1000 + c]), want, accuracy: 1e-5 * Swift.max(1, Swift.abs(want)))
                }
            }
        }
        // As in PyTorch: −∞ entries get probability 0, a row of −∞ or with a NaN is NaN throughout.
        let special = try Tensor([0, -Float.infinity, -.infinity, -.infinity, 1, .nan], shape: [3, 2])
        let p = try special.softmax(dim: 1).toArray(Float.self)
        XCTAssertEqual(Array(p[0..<2]), [1, 0])
        XCTAssertTrue(p[2...].allSatisfy(\.isNaN))
    }
}
