import XCTest
@testable import Flint
import FlintTestSupport

/// Finite-difference gradient checks in float64 for every differentiable op,
/// on the inputs of the PyTorch fixtures: for L(x) = Σ out(x) · w,
/// ∂L/∂xᵢ ≈ (L(x + ε eᵢ) − L(x − ε eᵢ)) / 2ε must match autograd's answer.
final class GradCheckTests: XCTestCase {
    func testArithmetic() throws { try check("arithmetic") }
    func testPointwise() throws { try check("pointwise") }
    func testActivation() throws { try check("activation") }
    func testReduction() throws { try check("reduction") }
    func testShape() throws { try check("shape") }
    func testIndexing() throws { try check("indexing") }
    func testLinalg() throws { try check("linalg") }
    func testNN() throws { try check("nn") }
    func testInplace() throws { try check("inplace") }

    /// Largest number of perturbed elements per case, to keep debug runs short.
    static let maxElements = 400

    func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var checked = 0
        // Finite differences mean nothing at non-finite inputs or across jumps.
        for c in try Fixtures.load(family) where c.error == nil && !c.weights.isEmpty && c.finiteDifferences
            && c.inputs.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) {
            let count = c.inputs.filter { $0.dtype.isFloatingPoint }.reduce(0) { $0 + $1.values.count }
            guard count <= Self.maxElements else { continue }
            do {
                try gradCheck(c, file: file, line: line)
                checked += 1
            } catch {
                XCTFail("\(c.label): threw \(error)", file: file, line: line)
            }
        }
        XCTAssertGreaterThan(checked, 0, "no differentiable cases in \(family)", file: file, line: line)
    }

    func gradCheck(_ c: FixtureCase, file: StaticString, line: UInt) throws {
        let differentiable = c.grads.map { $0 != nil }
        // Float inputs become float64 leaves; integer and bool inputs stay as they are.
        func bases() throws -> [Tensor] {
            try c.inputs.map { try $0.base(as: $0.dtype.isFloatingPoint ? .float64 : $0.dtype) }
        }
        let weights = try c.weights.map { try $0?.base(as: .float64) }
        func loss(_ xs: [Tensor]) throws -> Tensor {
            let outs = try OpTable.run(c.op, try zip(c.inputs, xs).map { try $0.view(of: $1) }, c.args)
            var total = try Tensor.zeros([], dtype: .float64)
            for (o, w) in zip(outs, weights) {
                guard let w else { continue }
                total = try total + (o.casted(to: .float64) * w).sum()
            }
            return total
        }
        try compareWithFiniteDifferences(loss, at: try bases(), differentiable: differentiable) { i, k, a, numeric in
            if a.isNaN && numeric.isNaN { return true }
            guard Swift.abs(numeric - a) <= 1e-5 + 1e-4 * Swift.abs(numeric) else {
                XCTFail("\(c.label): d/dx\(i)[\(k)] autograd \(a), finite difference \(numeric)", file: file, line: line)
                return false
            }
            return true
        }
    }
}
