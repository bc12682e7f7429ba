import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C` on raw row-major buffers, for
/// kernels (convolution, linear algebra) that lay out their own matrices.
///
/// Mid-sized products (a training step's linear layers: a few to ~100 MFLOP)
/// are split over Flint's worker pool, one single-threaded OpenBLAS call per
/// core on a slice of C's rows or columns: the pool's workers are still
/// spinning between the ops of a step, so the second core starts at once,
/// where OpenBLAS's own threads would sleep between calls and cost ~70 µs each
/// to wake. Larger products go to OpenBLAS's threads; smaller ones run on one.
@inline(__always)
func blasGemm<T: FloatElement>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T = 1,
                               _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                               beta: T = 0, _ c: UnsafeMutablePointer<T>, ldc: Int, setThreads: Bool = true) {
    if m == 0 || n == 0 { return }
    // Callers running several GEMMs at once from their own threads pass
    // `setThreads: false` after putting OpenBLAS on one thread themselves.
    if setThreads {
        let split = GemmSplit(m: m, n: n, k: k)
        if split.parts > 1 {
            useBlasThreads(m: 1, n: 1, k: 1)
            parallelTasks(split.parts) { p in
                let slice = split.slice(p)
                if slice.isEmpty { return }
                if split.overRows {
                    blasCall(transA: transA, transB: transB, m: slice.count, n: n, k: k, alpha: alpha,
                             transA ? a + slice.lowerBound : a + slice.lowerBound * lda, lda: lda, b, ldb: ldb,
                             beta: beta, c + slice.lowerBound * ldc, ldc: ldc)
                } else {
                    blasCall(transA: transA, transB: transB, m: m, n: slice.count, k: k, alpha: alpha, a, lda: lda,
                             transB ? b + slice.lowerBound * ldb : b + slice.lowerBound, ldb: ldb,
                             beta: beta, c + slice.lowerBound, ldc: ldc)
                }
            }
            return
        }
        useBlasThreads(m: m, n: n, k: k)
    }
    blasCall(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb,
             beta: beta, c, ldc: ldc)
}

/// One OpenBLAS call, on whatever thread count OpenBLAS is set to.
@inline(__always)
private func blasCall<T: FloatElement>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                       _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                                       beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int) {
    let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
    if T.self == Float.self {
        cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha.flintDouble),
                    UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(Swift.max(lda, 1)),
                    UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(Swift.max(ldb, 1)),
                    Float(beta.flintDouble), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(Swift.max(ldc, 1)))
    } else {
        cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha.flintDouble,
                    UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(Swift.max(lda, 1)),
                    UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(Swift.max(ldb, 1)),
                    beta.flintDouble, UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(Swift.max(ldc, 1)))
    }
}

/// How `blasGemm` shares a product between the pool's threads: over C's rows
/// or columns, whichever is longer, in slices that are multiples of 16 (one
/// AVX-512 register of floats) so each slice keeps OpenBLAS's full-width kernels.
/// The split depends only on the shape and the thread count, never on timing.
struct GemmSplit {
    /// Threads used (1: do not split).
    let parts: Int
    /// True: slices of rows of C (and of op(A)); false: slices of columns.
    let overRows: Bool
    let length: Int, step: Int

    /// Below ~4 MFLOP a slice would take under ~20 µs, about what handing it
    /// over costs; from 2^27 flops on OpenBLAS's own threading does as well.
    init(m: Int, n: Int, k: Int, threads: Int = Parallelism.threads) {
        overRows = m > n
        length = overRows ? m : n
        let flops = 2 &* m &* n &* k
        if threads <= 1 || flops < (1 << 22) || flops >= (1 << 27) || length < 32 {
            parts = 1; step = length
            return
        }
        let p = Swift.min(threads, length / 16)
        step = ((length + p - 1) / p + 15) / 16 * 16
        parts = (length + step - 1) / step
    }

    func slice(_ p: Int) -> Range<Int> {
        let lo = Swift.min(length, p * step)
        return lo ..< Swift.min(length, lo + step)
    }
}

/// OpenBLAS's thread count for a product of `2·m·n·k` flops. Small products run
/// on one thread: waking the second costs about 70 µs here, more than it saves
/// below ~100 MFLOP (an MLP step on MNIST ran 1.6× faster this way).
@inline(__always)
func useBlasThreads(m: Int, n: Int, k: Int) {
    let flops = 2 * m * n * k
    let want = flops < (1 << 27) ? 1 : Swift.max(1, Parallelism.threads)
    if want != BlasThreads.current {
        openblas_set_num_threads(Int32(want))
        BlasThreads.current = want
    }
}

enum BlasThreads {
    /// The count last given to OpenBLAS (0: not set yet).
    nonisolated(unsafe) static var current = 0
}
