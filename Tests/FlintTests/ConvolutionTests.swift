import XCTest
@testable import Flint

/// Large batches are convolved in chunks (the fixtures' small batches fit in
/// one); a batch must give what its samples give one at a time.
final class ConvolutionTests: XCTestCase {
    func testChunkedBatchMatchesSampleBySample() throws {
        let g = Generator(seed: 9)
        // 16 channels · 5·5 taps · 28·28 positions per sample: chunks of 3 samples.
        let x = try Tensor.randn([7, 16, 28, 28], dtype: .float64, generator: g).requiringGrad()
        let w = try Tensor.randn([4, 16, 5, 5], dtype: .float64, generator: g).requiringGrad()
        let upstream = try Tensor.randn([7, 4, 28, 28], dtype: .float64, generator: g)
        let batch = try x.conv2d(w, padding: [2])
        try batch.backward(gradient: upstream)
        let xGrad = try XCTUnwrap(x.grad), wGrad = try XCTUnwrap(w.grad)
        var weightGrad = try Tensor.zeros(w.shape, dtype: .float64)
        for i in 0..<7 {
            let xi = try x.detach().narrow(0, start: i, length: 1).requiringGrad(), wi = w.detach().requiringGrad()
            let yi = try xi.conv2d(wi, padding: [2])
            XCTAssertTrue(try yi.allclose(batch.narrow(0, start: i, length: 1), rtol: 1e-12, atol: 1e-12))
            try yi.backward(gradient: upstream.narrow(0, start: i, length: 1))
            XCTAssertTrue(try XCTUnwrap(xi.grad).allclose(xGrad.narrow(0, start: i, length: 1), rtol: 1e-12, atol: 1e-12))
            weightGrad = try weightGrad + XCTUnwrap(wi.grad)
        }
        XCTAssertTrue(try weightGrad.allclose(wGrad, rtol: 1e-10, atol: 1e-10))
    }

    func testInputsWithoutGradSkipTheirGradientButNotTheOthers() throws {
        let g = Generator(seed: 10)
        let x = try Tensor.randn([2, 3, 6, 6], generator: g), w = try Tensor.randn([4, 3, 3, 3], generator: g)
        let w1 = w.detach().requiringGrad(), w2 = w.detach().requiringGrad(), x2 = x.detach().requiringGrad()
        try x.conv2d(w1, padding: [1]).sum().backward()
        try x2.conv2d(w2, padding: [1]).sum().backward()
        XCTAssertNil(x.grad)
        XCTAssertNotNil(x2.grad)
        XCTAssertEqual(w1.grad?.toArray(Float.self), w2.grad?.toArray(Float.self))
        let a = try Tensor.randn([3, 4], generator: g), b = try Tensor.randn([4, 2], generator: g).requiringGrad()
        try a.mm(b).sum().backward()
        XCTAssertNil(a.grad)
        XCTAssertEqual(b.grad?.shape, [4, 2])
    }
}
