import XCTest
@testable import Flint

/// Max pooling over windows that tile the plane (kernel == stride, no padding)
/// has a fast path; it must give what the kernel for any windows gives, values
/// and indices, including PyTorch's choices among ties and NaNs.
final class PoolingFastPathTests: XCTestCase {
    /// Inputs with many ties (a few distinct values), NaN and ±inf.
    private func awkward(_ shape: [Int], dtype: DType, seed: UInt64) throws -> Tensor {
        let g = Generator(seed: seed)
        let choices: [Double] = [0, 1, 1, 2, 2, -1, .nan, .infinity, -.infinity, 3]
        let picks = try Tensor.randint(0, choices.count, shape, generator: g).toArray(Int64.self)
        let values = picks.map { choices[Int($0)] }
        return try Tensor(values, shape: shape).casted(to: dtype)
    }

    /// Values and indices from the kernel for any windows.
    private func windowsReference(_ x: Tensor, kernel: [Int], stride: [Int]) throws -> (values: [Double], indices: [Int64]) {
        let xc = x.contiguous()
        let n = xc.shape[0], c = xc.shape[1], h = xc.shape[2], w = xc.shape[3]
        let rows = try PoolWindows.strided(size: h, kernel: kernel[0], stride: stride[0], padding: 0, dilation: 1, ceilMode: false,
                                           countIncludePad: true, op: "test", shape: xc.shape)
        let cols = try PoolWindows.strided(size: w, kernel: kernel[1], stride: stride[1], padding: 0, dilation: 1, ceilMode: false,
                                           countIncludePad: true, op: "test", shape: xc.shape)
        let count = n * c * rows.count * cols.count
        var indices = [Int64](repeating: -1, count: count)
        return withExtendedLifetime(xc) {
            if xc.dtype == .float64 {
                var values = [Double](repeating: 0, count: count)
                maxPoolWindows(xc.pointer(Double.self), planes: n * c, h: h, w: w, rows, cols, &values, &indices)
                return (values, indices)
            }
            var values = [Float](repeating: 0, count: count)
            maxPoolWindows(xc.pointer(Float.self), planes: n * c, h: h, w: w, rows, cols, &values, &indices)
            return (values.map(Double.init), indices)
        }
    }

    private func assertSameBits(_ a: [Double], _ b: [Double], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where !(x == y || (x.isNaN && y.isNaN)) {
            XCTFail("\(message): element \(i) is \(x), expected \(y)", file: file, line: line)
            return
        }
    }

    func testTiledWindowsMatchTheGeneralKernel() throws {
        // Odd sizes leave the last row or column out; non-square kernels; a kernel of 1.
        let cases: [(shape: [Int], kernel: [Int])] = [
            ([2, 3, 7, 9], [2, 2]), ([3, 2, 11, 10], [3, 3]), ([1, 4, 9, 13], [2, 3]), ([2, 2, 5, 5], [1, 1]),
            ([1, 1, 2, 2], [2, 2]), ([4, 16, 28, 28], [2, 2]), ([2, 5, 8, 6], [4, 3]),
        ]
        for dtype in [DType.float32, .float64] {
            for (i, (shape, kernel)) in cases.enumerated() {
                let x = try awkward(shape, dtype: dtype, seed: UInt64(10 + i))
                let (values, indices) = try x.maxPool2dWithIndices(kernelSize: kernel)
                let reference = try windowsReference(x, kernel: kernel, stride: kernel)
                let label = "\(dtype) \(shape) kernel \(kernel)"
                assertSameBits(values.casted(to: .float64).toArray(Double.self), reference.values, label)
                XCTAssertEqual(indices.toArray(Int64.self), reference.indices, label)
            }
        }
    }

    func testNonContiguousInputMatchesItsCopy() throws {
        // [N, H, W, C] memory viewed as [N, C, H, W], as a channels-last tensor is.
        let stored = try awkward([2, 9, 7, 3], dtype: .float32, seed: 3)
        let x = try stored.permute([0, 3, 1, 2])
        XCTAssertFalse(x.isContiguous)
        let (values, indices) = try x.maxPool2dWithIndices(kernelSize: [2])
        let reference = try windowsReference(x, kernel: [2, 2], stride: [2, 2])
        assertSameBits(values.casted(to: .float64).toArray(Double.self), reference.values, "permuted")
        XCTAssertEqual(indices.toArray(Int64.self), reference.indices)
    }

    /// Windows whose answers PyTorch 2.13 gives (`F.max_pool2d(x, 2, return_indices=True)`):
    /// the first of tied maxima, the last NaN, the first position when all are -inf.
    func testTiesAndNaNFollowPyTorch() throws {
        let windows: [([Double], Double, Int64)] = [
            ([1, .nan, .nan, 2], .nan, 2),
            ([3, 3, 3, 3], 3, 0),
            ([-.infinity, -.infinity, -.infinity, -.infinity], -.infinity, 0),
            ([-.infinity, .nan, -.infinity, -.infinity], .nan, 1),
            ([1, 5, 5, 2], 5, 1),
            ([.nan, 7, 1, 2], .nan, 0),
            ([0, -0.0, 0, 0], 0, 0),
        ]
        for dtype in [DType.float32, .float64] {
            for (window, value, index) in windows {
                let x = try Tensor(window, shape: [1, 1, 2, 2]).casted(to: dtype)
                let (v, i) = try x.maxPool2dWithIndices(kernelSize: [2])
                let got = try v.item()
                XCTAssertTrue(got == value || (got.isNaN && value.isNaN), "\(window): \(got)")
                XCTAssertEqual(i.toArray(Int64.self), [index], "\(window)")
            }
        }
    }

    /// d/dx of max pooling: each output's gradient lands on its maximum, so the
    /// gradient is the upstream gradient scattered by the indices.
    func testGradientScattersThroughTheIndices() throws {
        let cases: [(shape: [Int], kernel: [Int], stride: [Int])] = [
            ([2, 3, 7, 9], [2, 2], [2, 2]), ([1, 2, 8, 11], [3, 2], [3, 2]),
            ([2, 2, 7, 7], [3, 3], [1, 1]), ([1, 3, 9, 9], [3, 3], [2, 2]),
        ]
        for dtype in [DType.float32, .float64] {
            for (i, (shape, kernel, stride)) in cases.enumerated() {
                let x = try awkward(shape, dtype: dtype, seed: UInt64(40 + i)).requiringGrad()
                let (values, indices) = try x.maxPool2dWithIndices(kernelSize: kernel, stride: stride)
                let upstream = try Tensor.randn(values.shape, dtype: dtype, generator: Generator(seed: UInt64(i)))
                try values.backward(gradient: upstream)
                let grad = try XCTUnwrap(x.grad).casted(to: .float64).toArray(Double.self)

                let hw = shape[2] * shape[3], per = values.shape[2] * values.shape[3]
                let up = try upstream.casted(to: .float64).toArray(Double.self), at = indices.toArray(Int64.self)
                // Summed in the dtype's precision, as overlapping windows add up in the kernel.
                let rounded: (Double) -> Double = dtype == .float32 ? { Double(Float($0)) } : { $0 }
                var expected = [Double](repeating: 0, count: x.count)
                for k in 0..<up.count { expected[k / per * hw + Int(at[k])] = rounded(expected[k / per * hw + Int(at[k])] + up[k]) }
                XCTAssertEqual(grad, expected, "\(dtype) \(shape) kernel \(kernel) stride \(stride)")
            }
        }
    }

    func testTileSizeRecognisesOnlyTilingWindows() throws {
        func windows(_ size: Int, kernel: Int, stride: Int, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) throws -> [PoolWindow] {
            try PoolWindows.strided(size: size, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode,
                                    countIncludePad: true, op: "test", shape: [size])
        }
        XCTAssertEqual(PoolWindows.tileSize(try windows(28, kernel: 2, stride: 2), size: 28), 2)
        XCTAssertEqual(PoolWindows.tileSize(try windows(7, kernel: 2, stride: 2), size: 7), 2)
        XCTAssertEqual(PoolWindows.tileSize(try windows(9, kernel: 3, stride: 3), size: 9), 3)
        XCTAssertEqual(PoolWindows.tileSize(PoolWindows.adaptive(size: 12, out: 4), size: 12), 3)
        XCTAssertNil(PoolWindows.tileSize(try windows(8, kernel: 2, stride: 1), size: 8))
        XCTAssertNil(PoolWindows.tileSize(try windows(8, kernel: 2, stride: 2, padding: 1), size: 8))
        XCTAssertNil(PoolWindows.tileSize(try windows(8, kernel: 2, stride: 2, dilation: 2), size: 8))
        // ceil_mode adds a last window that hangs over the edge.
        XCTAssertNil(PoolWindows.tileSize(try windows(7, kernel: 2, stride: 2, ceilMode: true), size: 7))
        XCTAssertNil(PoolWindows.tileSize(PoolWindows.adaptive(size: 10, out: 4), size: 10))
    }
}
