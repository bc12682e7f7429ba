import Foundation
import XCTest
@testable import Flint

/// `parallelFor` on the worker pool: every index once, the same split whoever
/// runs it, and no deadlock when called from its own body or from many threads.
final class ParallelTests: XCTestCase {
    private var savedThreads = 0

    override func setUp() { savedThreads = Parallelism.threads }
    override func tearDown() { Parallelism.threads = savedThreads }

    /// The ranges `parallelFor` hands out, in order of their starts.
    private func ranges(count: Int, minChunk: Int) -> [Range<Int>] {
        let lock = NSLock()
        var seen: [Range<Int>] = []
        parallelFor(count: count, minChunk: minChunk) { r in
            lock.lock()
            seen.append(r)
            lock.unlock()
        }
        return seen.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The split documented for `parallelFor`: `min(threads, count / minChunk)`
    /// chunks of `ceil(count / chunks)`, or one range when the work is small.
    private func expectedRanges(count: Int, minChunk: Int, threads: Int) -> [Range<Int>] {
        if threads <= 1 || count < 2 * minChunk { return [0..<count] }
        let chunks = min(threads, count / minChunk), per = (count + chunks - 1) / chunks
        return (0..<chunks).map { $0 * per ..< min(count, ($0 + 1) * per) }.filter { !$0.isEmpty }
    }

    func testEveryIndexOnceWithTheDocumentedSplit() {
        for threads in [1, 2, 3, 4, 8] {
            Parallelism.threads = threads
            for (count, minChunk) in [(0, 1), (1, 1), (2, 1), (7, 1), (1000, 1), (1000, 300), (1000, 1000), (1 << 20, 1 << 17), (12_345, 17)] {
                let got = ranges(count: count, minChunk: minChunk)
                XCTAssertEqual(got, expectedRanges(count: count, minChunk: minChunk, threads: threads), "threads \(threads) count \(count) minChunk \(minChunk)")
                // Counted element by element as well, from the threads that ran them.
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0, count: max(count, 1))
                parallelFor(count: count, minChunk: minChunk) { r in for i in r { hits[i] += 1 } }
                XCTAssertTrue(UnsafeBufferPointer(start: hits, count: count).allSatisfy { $0 == 1 }, "threads \(threads) count \(count)")
                hits.deallocate()
            }
        }
    }

    func testHugeCountsAreSplitNotWalked() {
        Parallelism.threads = 4
        let count = Int(Int32.max) * 4
        XCTAssertEqual(ranges(count: count, minChunk: 1), expectedRanges(count: count, minChunk: 1, threads: 4))
    }

    func testNestedCallsRunInline() {
        Parallelism.threads = 4
        let outer = 64, inner = 1000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        hits.initialize(repeating: 0, count: outer * inner)
        defer { hits.deallocate() }
        parallelFor(count: outer, minChunk: 1) { rows in
            for row in rows {
                parallelFor(count: inner, minChunk: 10) { cols in
                    for col in cols { hits[row * inner + col] += 1 }
                }
            }
        }
        XCTAssertTrue(UnsafeBufferPointer(start: hits, count: outer * inner).allSatisfy { $0 == 1 })
    }

    func testConcurrentCallersEachGetTheirWholeRange() {
        Parallelism.threads = 2
        let callers = 8, count = 50_000
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: callers)
        sums.initialize(repeating: 0, count: callers)
        defer { sums.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            let lock = NSLock()
            for _ in 0..<50 {
                var total = 0
                parallelFor(count: count, minChunk: 1000) { r in
                    let part = r.reduce(0, +)
                    lock.lock()
                    total += part
                    lock.unlock()
                }
                sums[caller] += total
            }
        }
        let expected = 50 * (count * (count - 1) / 2)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: sums, count: callers)), Array(repeating: expected, count: callers))
    }

    func testThreadCountChangesBetweenCalls() {
        for threads in [2, 6, 1, 3, 2] {
            Parallelism.threads = threads
            let got = ranges(count: 600, minChunk: 50)
            XCTAssertEqual(got, expectedRanges(count: 600, minChunk: 50, threads: threads), "threads \(threads)")
        }
    }

    /// An idle pool sleeps: after its workers' short spin, the process uses no CPU.
    func testIdlePoolUsesNoCPU() {
        Parallelism.threads = 2
        parallelFor(count: 1 << 20, minChunk: 1 << 10) { r in _ = r.count }
        Thread.sleep(forTimeInterval: 0.01)
        let before = processCPUSeconds()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertLessThan(processCPUSeconds() - before, 0.05)
    }

    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// `GemmSplit` hands out slices of C's longer side that cover it once, in
    /// multiples of 16 (the last one excepted), one per thread at most, and
    /// does not split small or huge products.
    func testGemmSplitCoversTheLongerSideOnce() {
        for threads in [1, 2, 3, 4, 8] {
            for (m, n, k) in [(64, 256, 784), (256, 784, 64), (64, 784, 256), (1000, 33, 300), (16, 16, 1 << 14),
                              (4, 100_000, 8), (31, 31, 5000), (2048, 2048, 2048), (64, 128, 128)] {
                let split = GemmSplit(m: m, n: n, k: k, threads: threads)
                let flops = 2 * m * n * k, length = max(m, n)
                XCTAssertEqual(split.overRows, m > n)
                if threads == 1 || flops < (1 << 22) || flops >= (1 << 27) || length < 32 {
                    XCTAssertEqual(split.parts, 1, "\(m)x\(n)x\(k) threads \(threads)")
                } else {
                    XCTAssertGreaterThan(split.parts, 1, "\(m)x\(n)x\(k) threads \(threads)")
                }
                XCTAssertLessThanOrEqual(split.parts, threads)
                let slices = (0..<split.parts).map(split.slice)
                XCTAssertEqual(slices.first?.lowerBound, 0)
                XCTAssertEqual(slices.last?.upperBound, length)
                for (a, b) in zip(slices, slices.dropFirst()) {
                    XCTAssertEqual(a.upperBound, b.lowerBound)
                    XCTAssertEqual(a.count % 16, 0, "\(m)x\(n)x\(k) threads \(threads)")
                }
                XCTAssertTrue(slices.allSatisfy { !$0.isEmpty })
            }
        }
    }

    /// Matrix products split over the pool (by rows, by columns, with either
    /// operand transposed, and bmm's whole products per thread) give what one
    /// thread gives, and both agree with a float64 product within float32 rounding.
    func testSplitProductsMatchOneThread() throws {
        let g = Generator(seed: 7)
        for (m, k, n) in [(64, 784, 256), (256, 64, 784), (300, 200, 40), (40, 500, 300)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a0 = try Tensor.randn(ta ? [k, m] : [m, k], generator: g), b0 = try Tensor.randn(tb ? [n, k] : [k, n], generator: g)
                let a = ta ? try a0.t() : a0, b = tb ? try b0.t() : b0
                Parallelism.threads = 1
                let one = try a.matmul(b)
                Parallelism.threads = 2
                XCTAssertGreaterThan(GemmSplit(m: m, n: n, k: k).parts, 1)
                let two = try a.matmul(b)
                let exact = try a.casted(to: .float64).matmul(b.casted(to: .float64))
                // Each output is a k-term float32 dot product of unit normals: rounding error grows like k·eps·|a||b|.
                let tolerance = Double(k) * Double(Float.ulpOfOne) * Double(k).squareRoot()
                XCTAssertLessThanOrEqual(try (one.casted(to: .float64) - exact).abs().max().item(), tolerance)
                XCTAssertLessThanOrEqual(try (two.casted(to: .float64) - exact).abs().max().item(), tolerance)
            }
        }
        let x = try Tensor.randn([48, 64, 32], generator: g), y = try Tensor.randn([48, 32, 64], generator: g)
        Parallelism.threads = 1
        let one = try x.bmm(y)
        Parallelism.threads = 2
        let two = try x.bmm(y)
        XCTAssertEqual(try (one - two).abs().max().item(), 0, "bmm runs whole products per thread: same arithmetic")
    }
}
