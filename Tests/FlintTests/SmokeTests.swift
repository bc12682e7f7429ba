import XCTest
@testable import Flint

final class SmokeTests: XCTestCase {
    func testLinearBackwardMatchesHandDerivation() throws {
        // y = sum(x @ w + b); dy/dw = xᵀ·1, dy/db = N, dy/dx = 1·wᵀ
        let x = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3]).requiringGrad()
        let w = try Tensor([1, 0, 0, 1, 1, 1] as [Float], shape: [3, 2]).requiringGrad()
        let b = try Tensor([0.5, -0.5] as [Float]).requiringGrad()
        let y = try Tensor.addmm(b, x, w).sum()
        try y.backward()
        // x @ w = [[4, 5], [10, 11]]; plus the bias each row sums to 9 and 21.
        XCTAssertEqual(try y.item(), 30, accuracy: 1e-5)
        XCTAssertEqual(w.grad?.toArray(Float.self), [5, 5, 7, 7, 9, 9])
        XCTAssertEqual(b.grad?.toArray(Float.self), [2, 2])
        XCTAssertEqual(x.grad?.toArray(Float.self), [1, 1, 2, 1, 1, 2])
    }

    func testCrossEntropyGradientSumsToZeroPerRow() throws {
        let logits = try Tensor.randn([4, 5]).requiringGrad()
        let target = try Tensor([0, 1, 2, 3] as [Int64])
        let loss = try logits.crossEntropy(target)
        try loss.backward()
        let g = try XCTUnwrap(logits.grad)
        let rowSums = try g.sum(dim: 1).toArray(Float.self)
        for s in rowSums { XCTAssertEqual(s, 0, accuracy: 1e-6) }
        let manual = try -(logits.detach().logSoftmax(dim: 1).gather(1, target.unsqueeze(1))).mean()
        XCTAssertEqual(try loss.item(), try manual.item(), accuracy: 1e-5)
    }

    func testTransposedMatmulAndReshape() throws {
        let a = try Tensor.arange(0, 6, dtype: .float32).reshape([2, 3])
        let p = try a.t().matmul(a)
        XCTAssertEqual(p.shape, [3, 3])
        XCTAssertEqual(p.toArray(Float.self), [9, 12, 15, 12, 17, 22, 15, 22, 29])
        XCTAssertEqual(try a.t().reshape([6]).toArray(Float.self), [0, 3, 1, 4, 2, 5])
    }
}
