import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C` on raw row-major buffers, for
/// kernels (convolution, linear algebra) that lay out their own matrices.
@inline(__always)
func blasGemm<T: FloatElement>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T = 1,
                               _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                               beta: T = 0, _ c: UnsafeMutablePointer<T>, ldc: Int, setThreads: Bool = true) {
    if m == 0 || n == 0 { return }
    // Callers running several GEMMs at once from their own threads pass
    // `setThreads: false` after putting OpenBLAS on one thread themselves.
    if setThreads { useBlasThreads(m: m, n: n, k: k) }
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
