import Foundation
import Synchronization

/// Splits `0..<count` into at most `Parallelism.threads` equal chunks of at
/// least `minChunk` and runs `body` on each, on the caller and the worker pool,
/// or inline when the work is too small to share.
///
/// The split depends only on `count`, `minChunk` and `Parallelism.threads`, never
/// on timing, so results are the same whether the pool was free or not. Safe to
/// call from several threads at once and from inside `body`: a call that finds
/// the pool busy runs its chunks inline, one after the other.
@inline(__always)
func parallelFor(count: Int, minChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = Parallelism.threads
    if threads <= 1 || count < 2 * minChunk {
        body(0..<count)
        return
    }
    let chunks = min(threads, count / minChunk, 0xFFFF)
    if #available(macOS 15, *) {
        WorkerPool.shared.run(count: count, chunks: chunks, threads: threads, body)
    } else {
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = c * per ..< min(count, (c + 1) * per)
            if !range.isEmpty { body(range) }
        }
    }
}

/// Runs `body(i)` for each of `count` independent tasks (one per worker, say)
/// on the pool: task `i` always gets the same work, so results do not depend
/// on which thread runs it.
func parallelTasks(_ count: Int, _ body: (Int) -> Void) {
    parallelFor(count: count, minChunk: 1) { range in
        for i in range { body(i) }
    }
}

/// How many threads Flint's own kernels and OpenBLAS use: `FLINT_NUM_THREADS` when it is
/// a positive integer (as `OMP_NUM_THREADS` sets PyTorch's), else the core count.
public enum Parallelism {
    nonisolated(unsafe) public static var threads: Int = fromEnvironment ?? ProcessInfo.processInfo.activeProcessorCount

    /// `FLINT_NUM_THREADS`, when it is a positive integer.
    public static var fromEnvironment: Int? {
        ProcessInfo.processInfo.environment["FLINT_NUM_THREADS"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil }
    }
}

/// Worker threads that stay alive between kernels, as OpenMP's do: waking a
/// sleeping thread costs ~70 µs here, more than an elementwise op on a million
/// floats takes, while a worker that is still spinning starts in well under one.
///
/// The caller publishes a job (the body and the split) in `job`, then a
/// ticket saying which job it is, how many chunks it has and the next one to
/// take; the caller and the workers take chunks by bumping the ticket, so a
/// worker that is slow to wake (the machine is shared) just leaves its chunk to
/// the caller. Workers spin for `spinNanoseconds` after their last chunk, then
/// sleep on a condition, so an idle process uses no CPU.
@available(macOS 15, *)
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    private static let spinNanoseconds: UInt64 = 50_000

    private struct Job {
        var body: ((Range<Int>) -> Void)?
        var count = 0, per = 0
    }

    /// `generation << 32 | chunks << 16 | next`: the job's number makes a stale
    /// ticket fail its compare-and-swap, and `chunks` travels with `next` so a
    /// chunk is only ever taken from the job it belongs to.
    private let ticket = Atomic<UInt64>(0)
    /// Chunks of the current job not yet finished; the caller waits for zero.
    private let unfinished = Atomic<Int>(0)
    /// Set while a caller owns the pool; nested and concurrent calls run inline.
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()
    /// Written by the owning caller before it publishes a ticket, read by whoever takes a chunk of it.
    private let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
    private var generation: UInt64 = 0
    private var workers = 0

    private init() { job.initialize(to: Job()) }

    func run(count: Int, chunks: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let per = (count + chunks - 1) / chunks
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks {
                let range = c * per ..< min(count, (c + 1) * per)
                if !range.isEmpty { body(range) }
            }
            return
        }
        while workers < threads - 1 { startWorker() }
        withoutActuallyEscaping(body) { body in
            job.pointee = Job(body: body, count: count, per: per)
            unfinished.store(chunks, ordering: .relaxed)
            generation = (generation + 1) & 0xFFFF_FFFF
            ticket.store(generation << 32 | UInt64(chunks) << 16 | 1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                for _ in 1..<chunks { wake.signal() }
                wake.unlock()
            }
            runChunk(0)
            while let c = takeChunk() { runChunk(c) }
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 63 == 0 { sched_yield() }
            }
            // The closure must not outlive `withoutActuallyEscaping`.
            job.pointee.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private static func hasChunk(_ t: UInt64) -> Bool { t & 0xFFFF < (t >> 16) & 0xFFFF }

    /// Takes the next chunk of the published job, if one is left.
    private func takeChunk() -> Int? {
        var t = ticket.load(ordering: .acquiring)
        while Self.hasChunk(t) {
            let (taken, seen) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
            if taken { return Int(t & 0xFFFF) }
            t = seen
        }
        return nil
    }

    /// Runs chunk `c`, then counts it done. Not inlined, so that this thread's
    /// copy of the body is released before the caller can see the count reach zero.
    @inline(never)
    private func runChunk(_ c: Int) {
        do {
            let job = self.job.pointee
            let range = c * job.per ..< min(job.count, (c + 1) * job.per)
            if !range.isEmpty, let body = job.body { body(range) }
        }
        unfinished.subtract(1, ordering: .releasing)
    }

    private func startWorker() {
        workers += 1
        let thread = Thread { [self] in workerLoop() }
        thread.name = "flint.worker.\(workers)"
        thread.start()
    }

    private func workerLoop() {
        while true {
            while let c = takeChunk() { runChunk(c) }
            if spinForChunk() { continue }
            wake.lock()
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while !Self.hasChunk(ticket.load(ordering: .sequentiallyConsistent)) { wake.wait() }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            wake.unlock()
        }
    }

    /// Watches the ticket for up to `spinNanoseconds`; true when a chunk is up for taking.
    private func spinForChunk() -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        while true {
            for _ in 0..<256 {
                if Self.hasChunk(ticket.load(ordering: .relaxed)) { return true }
            }
            if DispatchTime.now().uptimeNanoseconds > deadline { return false }
            sched_yield()
        }
    }
}
