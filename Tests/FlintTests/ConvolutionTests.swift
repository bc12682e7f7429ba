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

    /// float32 convolutions with stride 1 or 2, dilation 1 and one group run the
    /// direct kernels; float64 runs im2col + GEMM. The two must agree on odd
    /// sizes, paddings 0–2, batches of 1 and 3, and channel counts that are not
    /// multiples of the kernels' 16-channel tiles; output rows narrower than the
    /// wide pixel tile take the half-width and one-pixel tiles. Stride 2 includes
    /// planes whose padded size leaves a last row and column unread.
    func testDirectFloat32KernelsMatchTheGEMMPathInFloat64() throws {
        let g = Generator(seed: 11)
        let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, ph: Int, pw: Int, s: Int)] = [
            (1, 1, 28, 28, 16, 5, 5, 2, 2, 1), (3, 16, 14, 14, 32, 5, 5, 2, 2, 1), (3, 3, 7, 9, 5, 3, 3, 1, 1, 1),
            (1, 17, 11, 13, 33, 5, 5, 2, 2, 1), (3, 2, 5, 31, 18, 1, 3, 0, 1, 1), (1, 5, 6, 6, 7, 2, 2, 1, 0, 1),
            (3, 4, 3, 3, 9, 3, 3, 2, 2, 1), (3, 6, 9, 4, 3, 3, 3, 0, 0, 1), (1, 3, 4, 4, 2, 5, 5, 2, 2, 1),
            (2, 16, 7, 7, 32, 3, 3, 1, 1, 1), (2, 8, 11, 10, 20, 3, 3, 1, 1, 1),
            (2, 16, 14, 14, 32, 3, 3, 1, 1, 2), (3, 3, 9, 8, 5, 3, 3, 1, 1, 2), (1, 5, 11, 13, 18, 5, 5, 2, 2, 2),
            (2, 4, 7, 7, 20, 3, 3, 0, 0, 2), (3, 2, 8, 8, 3, 1, 1, 0, 0, 2), (1, 3, 40, 33, 17, 3, 3, 1, 1, 2),
        ]
        for t in cases {
            let x = try Tensor.randn([t.n, t.c, t.h, t.w], generator: g), w = try Tensor.randn([t.o, t.c, t.kh, t.kw], generator: g)
            let b = try Tensor.randn([t.o], generator: g)
            let oh = (t.h + 2 * t.ph - t.kh) / t.s + 1, ow = (t.w + 2 * t.pw - t.kw) / t.s + 1
            let upstream = try Tensor.randn([t.n, t.o, oh, ow], generator: g)
            var results: [[Tensor]] = []
            for dtype in [DType.float32, .float64] {
                let xi = x.casted(to: dtype).detach().requiringGrad(), wi = w.casted(to: dtype).detach().requiringGrad()
                let bi = b.casted(to: dtype).detach().requiringGrad()
                let y = try xi.conv2d(wi, bias: bi, stride: [t.s], padding: [t.ph, t.pw])
                try y.backward(gradient: upstream.casted(to: dtype))
                results.append(try [y, XCTUnwrap(xi.grad), XCTUnwrap(wi.grad), XCTUnwrap(bi.grad)].map { $0.casted(to: .float64) })
            }
            for (name, (fast, reference)) in zip(["y", "dx", "dw", "db"], zip(results[0], results[1])) {
                XCTAssertTrue(try fast.allclose(reference, rtol: 1e-4, atol: 1e-3), "\(name) of \(t)")
            }
        }
    }

    /// conv_transpose2d with stride 1 runs the direct kernels in its forward
    /// (the input gradient of a convolution) and in both of its gradients; with
    /// stride 2, in its input gradient (a stride-2 convolution) and weight gradient.
    func testDirectFloat32TransposedConvolutionMatchesFloat64() throws {
        let g = Generator(seed: 12)
        let x = try Tensor.randn([3, 5, 6, 7], generator: g), w = try Tensor.randn([5, 18, 3, 3], generator: g)
        for stride in [1, 2] {
            var results: [[Tensor]] = []
            for dtype in [DType.float32, .float64] {
                let xi = x.casted(to: dtype).detach().requiringGrad(), wi = w.casted(to: dtype).detach().requiringGrad()
                let y = try xi.convTranspose2d(wi, stride: [stride], padding: [1])
                try (y * y).sum().backward()
                results.append(try [y, XCTUnwrap(xi.grad), XCTUnwrap(wi.grad)].map { $0.casted(to: .float64) })
            }
            for (fast, reference) in zip(results[0], results[1]) {
                XCTAssertTrue(try fast.allclose(reference, rtol: 1e-4, atol: 1e-2), "stride \(stride)")
            }
        }
    }

    /// The batch split over threads depends only on sizes and the thread count,
    /// and no sum changes its order with it: one thread and two give the same bits.
    func testDirectKernelsGiveTheSameBitsOnOneThreadAndTwo() throws {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        let g = Generator(seed: 13)
        let x = try Tensor.randn([9, 16, 14, 14], generator: g), w = try Tensor.randn([32, 16, 5, 5], generator: g)
        let upstream = try Tensor.randn([9, 32, 14, 14], generator: g)
        var results: [[[Float]]] = []
        for threads in [1, 2] {
            Parallelism.threads = threads
            let xi = x.detach().requiringGrad(), wi = w.detach().requiringGrad()
            let y = try xi.conv2d(wi, padding: [2])
            try y.backward(gradient: upstream)
            results.append(try [y, XCTUnwrap(xi.grad), XCTUnwrap(wi.grad)].map { $0.toArray(Float.self) })
        }
        XCTAssertEqual(results[0], results[1])
    }
}
