import XCTest
@testable import Flint

/// Random ops cannot match PyTorch's stream, so these check what a user
/// relies on: shapes, ranges, moments, determinism under a seed, and
/// that dropout's gradient follows its mask.
final class RandomTests: XCTestCase {
    func testUniformAndNormalMoments() throws {
        let g = Generator(seed: 1)
        let u = try Tensor.rand([20000], generator: g)
        XCTAssertEqual(try u.mean().item(), 0.5, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(try u.min().item(), 0)
        XCTAssertLessThan(try u.max().item(), 1)
        let n = try Tensor.randn([20000], generator: g)
        XCTAssertEqual(try n.mean().item(), 0, accuracy: 0.03)
        XCTAssertEqual(try n.std().item(), 1, accuracy: 0.03)
        let m = try Tensor.normal(mean: 3, std: 0.5, [20000], generator: g)
        XCTAssertEqual(try m.mean().item(), 3, accuracy: 0.02)
        XCTAssertThrowsError(try Tensor.normal(mean: 0, std: -1, [2]))
    }

    func testSameSeedSameNumbers() {
        XCTAssertEqual(try Tensor.randn([5], generator: Generator(seed: 7)).toArray(Float.self),
                       try Tensor.randn([5], generator: Generator(seed: 7)).toArray(Float.self))
    }

    func testIntegerSamplers() throws {
        let g = Generator(seed: 2)
        let r = try Tensor.randint(-3, 4, [1000], generator: g)
        XCTAssertEqual(r.dtype, .int64)
        XCTAssertEqual(try r.min().item(), -3)
        XCTAssertEqual(try r.max().item(), 3)
        XCTAssertThrowsError(try Tensor.randint(3, 3, [2]))
        let p = try Tensor.randperm(10, generator: g).toArray(Int64.self)
        XCTAssertEqual(p.sorted(), Array(0..<10))
        let like = try Tensor.randintLike(Tensor.zeros([2, 3], dtype: .int32), 0, 5, generator: g)
        XCTAssertEqual(like.shape, [2, 3])
        XCTAssertEqual(like.dtype, .int32)
    }

    func testLikeFactoriesKeepShapeAndDType() throws {
        let t = try Tensor.zeros([2, 3], dtype: .float64)
        for r in [Tensor.randLike(t), Tensor.randnLike(t)] {
            XCTAssertEqual(r.shape, [2, 3])
            XCTAssertEqual(r.dtype, .float64)
        }
    }

    func testBernoulliAndMultinomial() throws {
        let g = Generator(seed: 3)
        let b = try Tensor.full([10000], 0.3).bernoulli(generator: g)
        XCTAssertEqual(try b.mean().item(), 0.3, accuracy: 0.02)
        XCTAssertThrowsError(try Tensor.full([2], 1.5).bernoulli())
        let w = try Tensor([0, 1, 3] as [Float])
        let draws = try w.multinomial(4000, replacement: true, generator: g).toArray(Int64.self)
        XCTAssertFalse(draws.contains(0))
        XCTAssertEqual(Double(draws.filter { $0 == 2 }.count) / 4000, 0.75, accuracy: 0.03)
        let distinct = try Tensor([1, 1, 1, 1] as [Float]).multinomial(4, generator: g).toArray(Int64.self)
        XCTAssertEqual(distinct.sorted(), [0, 1, 2, 3])
    }

    func testDropoutScalesKeptElementsAndItsGradientFollowsTheMask() throws {
        let x = try Tensor.ones([10000]).requiringGrad()
        let y = try x.dropout(p: 0.25, generator: Generator(seed: 4))
        let values = y.toArray(Float.self)
        // Kept elements are scaled by 1 / (1 − p); about 3/4 are kept.
        XCTAssertTrue(values.allSatisfy { $0 == 0 || Swift.abs($0 - 4.0 / 3.0) < 1e-6 })
        XCTAssertEqual(Double(values.filter { $0 != 0 }.count) / 10000, 0.75, accuracy: 0.02)
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toArray(Float.self), values)
        XCTAssertTrue(try x.dropout(p: 0.5, training: false) === x)
        XCTAssertThrowsError(try x.dropout(p: 1.5))
    }

    /// The one-pass mask draws, compares and scales as `(rand(shape) < 1 − p) / (1 − p)` does, value for value.
    func testDropoutMaskIsTheComposedRandComparisonAndScale() throws {
        for dtype in [DType.float32, .float64] {
            for p in [0.1, 0.3, 0.5, 0.9] {
                let y = try Tensor.ones([3001], dtype: dtype).dropout(p: p, generator: Generator(seed: 7))
                let keep = try Tensor.rand([3001], dtype: dtype, generator: Generator(seed: 7)).lt(1 - p)
                let expected = try keep.casted(to: dtype) / (1 - p)
                XCTAssertEqual(y.dtype, dtype)
                XCTAssertEqual(y.toArray(Double.self), expected.toArray(Double.self), "\(dtype) p=\(p)")
            }
        }
    }

    /// Dropout's output comes from the mask's own pass: `x * mask` value for value, contiguous or not,
    /// and the input's gradient is the mask.
    func testDropoutOutputIsTheInputTimesTheComposedMask() throws {
        for dtype in [DType.float32, .float64] {
            let base = try Tensor.randn([13, 7], dtype: dtype, generator: Generator(seed: 3))
            for x in [base, try base.transpose(0, 1)] {
                let input = x.detach().requiringGrad()
                let y = try input.dropout(p: 0.4, generator: Generator(seed: 11))
                let mask = try Tensor.rand(x.shape, dtype: dtype, generator: Generator(seed: 11)).lt(0.6).casted(to: dtype) / 0.6
                XCTAssertEqual(y.toArray(Double.self), try (x * mask).toArray(Double.self), "\(dtype)")
                try y.sum().backward()
                XCTAssertEqual(try XCTUnwrap(input.grad).toArray(Double.self), mask.toArray(Double.self), "\(dtype)")
            }
        }
    }

    func testDropout2dDropsWholeChannels() throws {
        let x = try Tensor.ones([4, 8, 3, 3])
        let y = try x.dropout2d(p: 0.5, generator: Generator(seed: 5))
        let perChannel = try y.sum(dims: [2, 3]).toArray(Float.self)
        XCTAssertTrue(perChannel.allSatisfy { $0 == 0 || $0 == 18 })
    }
}
