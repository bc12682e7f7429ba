import CBLAS

/// A matrix operand as BLAS wants it: a base pointer, a transpose flag and a
/// leading dimension, taken from the strides without copying when possible.
struct GemmOperand {
    let tensor: Tensor
    let trans: Bool
    let ld: Int

    /// `m` is 2-D `[rows, cols]`.
    init(_ m: Tensor) {
        let r = m.shape[0], c = m.shape[1]
        let s0 = m.strides[0], s1 = m.strides[1]
        if (s1 == 1 || c == 1) && s0 >= Swift.max(c, 1) {
            tensor = m; trans = false; ld = Swift.max(s0, 1)
        } else if (s0 == 1 || r == 1) && s1 >= Swift.max(r, 1) {
            tensor = m; trans = true; ld = Swift.max(s1, 1)
        } else {
            tensor = m.contiguous().detach(); trans = false; ld = Swift.max(c, 1)
        }
    }
}

/// C[m, n] = alpha · A[m, k] · B[k, n] + beta · C, with C contiguous.
/// `setThreads: false` when the caller already runs GEMMs on several threads
/// and has put OpenBLAS on one (see `blasGemm`).
func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, beta: Double = 0, setThreads: Bool = true) {
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.fillZero() }
        return
    }
    let A = GemmOperand(a), B = GemmOperand(b)
    // The operands may be fresh contiguous copies: keep them alive through the call.
    withExtendedLifetime((A, B)) {
        switch c.dtype {
        case .float64:
            blasGemm(transA: A.trans, transB: B.trans, m: m, n: n, k: k, A.tensor.pointer(Double.self), lda: A.ld,
                     B.tensor.pointer(Double.self), ldb: B.ld, beta: beta, c.pointer(Double.self), ldc: n, setThreads: setThreads)
        default:
            blasGemm(transA: A.trans, transB: B.trans, m: m, n: n, k: k, A.tensor.pointer(Float.self), lda: A.ld,
                     B.tensor.pointer(Float.self), ldb: B.ld, beta: Float(beta), c.pointer(Float.self), ldc: n, setThreads: setThreads)
        }
    }
}

/// Integer matrix product (BLAS has none), plain loops.
func integerGemm<T: NumericElement & FixedWidthInteger>(_ a: Tensor, _ b: Tensor, into c: Tensor, _: T.Type) {
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    let x = a.contiguous(), y = b.contiguous()
    // The operands may be fresh copies: keep them alive while their memory is read.
    withExtendedLifetime((x, y)) {
        let px = x.pointer(T.self), py = y.pointer(T.self), pc = c.pointer(T.self)
        for i in 0..<m {
            for j in 0..<n { pc[i * n + j] = 0 }
            for p in 0..<k {
                let v = px[i * k + p]
                for j in 0..<n { pc[i * n + j] &+= v &* py[p * n + j] }
            }
        }
    }
}

extension Tensor {
    /// Sets every element of this contiguous tensor to zero.
    func fillZero() {
        storage.data.advanced(by: layout.offset * dtype.itemSize).initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.itemSize)
    }
}
