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
}
