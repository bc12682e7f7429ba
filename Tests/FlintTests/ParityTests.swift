import XCTest
@testable import Flint

/// Every op against PyTorch: forward values and dtypes, and the gradients of
/// sum(out · w), from the fixtures that Tests/Fixtures/generate.py writes.
final class ParityTests: XCTestCase {
    func testArithmetic() throws { try check("arithmetic") }
    func testPromotion() throws { try check("promotion") }
    func testCompare() throws { try check("compare") }
    func testPointwise() throws { try check("pointwise") }
    func testLogic() throws { try check("logic") }
    func testActivation() throws { try check("activation") }
    func testReduction() throws { try check("reduction") }
    func testShape() throws { try check("shape") }
    func testIndexing() throws { try check("indexing") }
    func testLinalg() throws { try check("linalg") }
    func testNN() throws { try check("nn") }
    func testInplace() throws { try check("inplace") }
    func testCreation() throws { try check("creation") }

    /// Runs every case of a family.
    func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let cases = try Fixtures.load(family)
        XCTAssertFalse(cases.isEmpty, "no cases in \(family).json", file: file, line: line)
        for c in cases { check(c, file: file, line: line) }
    }

    func check(_ c: FixtureCase, file: StaticString, line: UInt) {
        do {
            let wantsGrad = c.grads.map { $0 != nil }
            let bases = try c.inputs.enumerated().map { i, spec in
                try spec.base().requiringGrad(i < wantsGrad.count && wantsGrad[i])
            }
            let views = try zip(c.inputs, bases).map { try $0.view(of: $1) }
            if let expectedError = c.error {
                XCTAssertThrowsError(try OpTable.run(c.op, views, c.args), "\(c.label): PyTorch raised \(expectedError)", file: file, line: line)
                return
            }
            let outputs = try OpTable.run(c.op, views, c.args)
            guard outputs.count == c.outputs.count else {
                XCTFail("\(c.label): \(outputs.count) outputs, expected \(c.outputs.count)", file: file, line: line)
                return
            }
            for (k, (out, expected)) in zip(outputs, c.outputs).enumerated() {
                let f64 = expected.dtype == .float64
                assertMatches(out, expected, rtol: c.rtol ?? (f64 ? 1e-9 : 1e-5), atol: c.atol ?? (f64 ? 1e-9 : 1e-5),
                              "\(c.label) output \(k)", file: file, line: line)
            }
            guard !c.weights.isEmpty else { return }
            var loss: Tensor?
            for (out, w) in zip(outputs, c.weights) {
                guard let w else { continue }
                let term = try (out * w.base()).sum()
                loss = try loss.map { try $0 + term } ?? term
            }
            guard let loss else { return }
            try loss.backward()
            for (i, (base, expected)) in zip(bases, c.grads).enumerated() {
                guard let expected else { continue }
                let grad = base.grad ?? Tensor.zerosLike(base)
                assertMatches(grad, expected, rtol: 1e-4, atol: 1e-4, "\(c.label) grad of input \(i)", file: file, line: line)
            }
        } catch {
            XCTFail("\(c.label): threw \(error)", file: file, line: line)
        }
    }
}
