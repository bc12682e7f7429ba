import Foundation

/// Splits `0..<count` over the cores when the work is large enough to pay
/// for waking a thread (about 70 µs here), else runs it inline.
@inline(__always)
func parallelFor(count: Int, minChunk: Int = 1 << 17, _ body: (Range<Int>) -> Void) {
    let cores = Parallelism.threads
    if cores <= 1 || count < 2 * minChunk {
        body(0..<count)
        return
    }
    let chunks = min(cores, count / minChunk)
    let per = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = c * per
        let hi = min(count, lo + per)
        if lo < hi { body(lo..<hi) }
    }
}

/// How many threads Flint's own kernels use (defaults to the core count).
public enum Parallelism {
    nonisolated(unsafe) public static var threads: Int = ProcessInfo.processInfo.activeProcessorCount
}
