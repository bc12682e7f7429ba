import XCTest
@testable import Flint

/// Autograd behaviour beyond single ops: grad mode, graph lifetime,
/// accumulation, and PyTorch's errors for misuse.
final class AutogradTests: XCTestCase {
    func testGradientsAccumulateAcrossBackwardCalls() throws {
        // d/dx Σ 3x = 3, twice
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        try (x * 3).sum().backward()
        try (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.toArray(Float.self), [6, 6])
    }

    func testNoGradAndDetachStopRecording() throws {
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        let y = try noGrad { try x * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(try (x.detach() * 2).requiresGrad)
        XCTAssertTrue(try (x * 2).requiresGrad)
    }

    func testSecondBackwardThroughFreedGraphThrows() throws {
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        let y = try (x.exp()).sum()
        try y.backward()
        XCTAssertThrowsError(try y.backward()) { error in
            XCTAssertTrue("\(error)".contains("backward through the graph a second time"), "\(error)")
        }
    }

    func testRetainGraphAllowsASecondBackward() throws {
        // d/dx Σ x² = 2x, accumulated twice
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        let y = try (x * x).sum()
        try y.backward(retainGraph: true)
        try y.backward()
        XCTAssertEqual(x.grad?.toArray(Float.self), [4, 8])
    }

    func testBackwardWithExplicitGradient() throws {
        let x = try Tensor([1, 2, 3] as [Float]).requiringGrad()
        let y = try x * 2
        try y.backward(gradient: Tensor([1, 0, -1] as [Float]))
        XCTAssertEqual(x.grad?.toArray(Float.self), [2, 0, -2])
        XCTAssertThrowsError(try (x * 2).backward()) { error in
            XCTAssertTrue("\(error)".contains("scalar outputs"), "\(error)")
        }
    }

    func testBackwardThroughANonDifferentiableResultThrows() throws {
        let x = try Tensor([1, 2, 3] as [Float]).requiringGrad()
        let index = try x.argmax()
        XCTAssertFalse(index.requiresGrad)
        XCTAssertThrowsError(try index.casted(to: .float32).sum().backward()) { error in
            XCTAssertTrue("\(error)".contains("does not require grad"), "\(error)")
        }
    }

    func testInPlaceOnALeafThatRequiresGradThrows() throws {
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        XCTAssertThrowsError(try x.add_(Tensor([1, 1] as [Float]))) { error in
            XCTAssertTrue("\(error)".contains("add_") && "\(error)".contains("leaf"), "\(error)")
        }
        // Under noGrad, as an optimizer step does, it is allowed.
        try noGrad { try x.add_(Tensor([1, 1] as [Float])) }
        XCTAssertEqual(x.toArray(Float.self), [2, 3])
    }

    func testInPlaceWriteToASavedTensorIsCaughtByTheVersionCounter() throws {
        // exp saves its output; overwriting it would silently corrupt d/dx eˣ = eˣ.
        let x = try Tensor([0, 1] as [Float]).requiringGrad()
        let y = try x.exp()
        let loss = try (y * 2).sum()
        try y.mul_(Tensor([3, 3] as [Float]))
        XCTAssertThrowsError(try loss.backward()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("modified by an inplace operation") && message.contains("exp") && message.contains("[2]"), message)
        }
    }

    func testInPlaceOnANonLeafRebasesHistory() throws {
        // y = 2x, then y += x: d/dx Σy = 3
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        let y = try x * 2
        try y.add_(x)
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toArray(Float.self), [3, 3])
        XCTAssertEqual(y.toArray(Float.self), [3, 6])
    }

    func testRequiresGradPropagatesOnlyThroughFloatingOps() throws {
        let x = try Tensor([1, 2] as [Float]).requiringGrad()
        XCTAssertTrue(try x.sum().requiresGrad)
        XCTAssertFalse(try x.gt(1).requiresGrad)
        XCTAssertFalse(x.casted(to: .int64).requiresGrad)
        XCTAssertTrue(x.casted(to: .float64).requiresGrad)
    }

    func testSliceViewSharesStorageAndRoutesGradients() throws {
        // x[::2] picks elements 0, 2, 4; their gradient is 1, the rest 0.
        let x = try Tensor([0, 1, 2, 3, 4] as [Float]).requiringGrad()
        let s = try x.slice(0, step: 2)
        XCTAssertTrue(s.storage === x.storage)
        XCTAssertEqual(s.toArray(Float.self), [0, 2, 4])
        try s.sum().backward()
        XCTAssertEqual(x.grad?.toArray(Float.self), [1, 0, 1, 0, 1])
        XCTAssertEqual(try x.slice(0, start: -2).toArray(Float.self), [3, 4])
        XCTAssertEqual(try x.slice(0, start: 1, end: 100, step: 3).toArray(Float.self), [1, 4])
    }
}
