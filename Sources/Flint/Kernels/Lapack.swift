import CBLAS

/// LAPACK (from OpenBLAS) on single matrices, in float64 and column-major as
/// Fortran wants; callers convert from and to row-major. Each returns nil
/// when LAPACK reports failure (singular or not positive-definite input).
enum Lapack {
    /// Column-major copy of a row-major `rows × cols` matrix (and back: the same transpose).
    static func transposed(_ a: [Double], rows: Int, cols: Int) -> [Double] {
        var out = [Double](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<cols { out[j * rows + i] = a[i * cols + j] } }
        return out
    }

    /// LU factorisation in place; returns pivots and info.
    static func lu(_ a: inout [Double], n: Int) -> (pivots: [Int32], info: Int32) {
        var m = Int32(n), nn = Int32(n), lda = Int32(Swift.max(n, 1)), info: Int32 = 0
        var ipiv = [Int32](repeating: 0, count: Swift.max(n, 1))
        dgetrf_(&m, &nn, &a, &lda, &ipiv, &info)
        return (ipiv, info)
    }

    /// Determinant of a row-major `n × n` matrix (the transpose has the same determinant).
    static func det(_ a: [Double], n: Int) -> Double {
        if n == 0 { return 1 }
        var m = a
        let (ipiv, info) = lu(&m, n: n)
        if info > 0 { return 0 }
        var d = 1.0
        for i in 0..<n {
            d *= m[i * n + i]
            if ipiv[i] != Int32(i + 1) { d = -d }
        }
        return d
    }

    /// Inverse of a row-major matrix (inverting the transpose gives the transposed inverse, so no copy is needed).
    static func inv(_ a: [Double], n: Int) -> [Double]? {
        if n == 0 { return [] }
        var m = a
        var (ipiv, info) = lu(&m, n: n)
        if info != 0 { return nil }
        var nn = Int32(n), lda = Int32(n), lwork = Int32(64 * n)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgetri_(&nn, &m, &lda, &ipiv, &work, &lwork, &info)
        return info == 0 ? m : nil
    }

    /// Solves `A X = B` for row-major `A` (`n × n`) and `B` (`n × k`).
    static func solve(_ a: [Double], _ b: [Double], n: Int, k: Int) -> [Double]? {
        if n == 0 || k == 0 { return b }
        var ac = transposed(a, rows: n, cols: n), bc = transposed(b, rows: n, cols: k)
        var nn = Int32(n), nrhs = Int32(k), lda = Int32(n), ldb = Int32(n), info: Int32 = 0
        var ipiv = [Int32](repeating: 0, count: n)
        dgesv_(&nn, &nrhs, &ac, &lda, &ipiv, &bc, &ldb, &info)
        return info == 0 ? transposed(bc, rows: k, cols: n) : nil
    }

    /// Lower Cholesky factor `L` (row-major) of a symmetric positive-definite matrix, read from its lower triangle.
    static func cholesky(_ a: [Double], n: Int) -> [Double]? {
        if n == 0 { return [] }
        // The row-major lower triangle is the column-major upper one: factor A = UᵀU, and U read row-major is L.
        var m = a
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "U"))
        dpotrf_(&uplo, &nn, &m, &lda, &info, 1)
        if info != 0 { return nil }
        for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { m[i * n + j] = 0 } }
        return m
    }

    /// Reduced QR of a row-major `m × n` matrix: `Q` (`m × k`) and `R` (`k × n`), `k = min(m, n)`.
    static func qr(_ a: [Double], m: Int, n: Int) -> (q: [Double], r: [Double])? {
        let k = Swift.min(m, n)
        if k == 0 { return ([Double](repeating: 0, count: m * k), [Double](repeating: 0, count: k * n)) }
        var ac = transposed(a, rows: m, cols: n)
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), info: Int32 = 0
        var tau = [Double](repeating: 0, count: k)
        var lwork = Int32(64 * Swift.max(m, n))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&mm, &nn, &ac, &lda, &tau, &work, &lwork, &info)
        if info != 0 { return nil }
        var r = [Double](repeating: 0, count: k * n)
        for i in 0..<k { for j in i..<n { r[i * n + j] = ac[j * m + i] } }
        var kk = Int32(k)
        dorgqr_(&mm, &kk, &kk, &ac, &lda, &tau, &work, &lwork, &info)
        if info != 0 { return nil }
        var q = [Double](repeating: 0, count: m * k)
        for i in 0..<m { for j in 0..<k { q[i * k + j] = ac[j * m + i] } }
        return (q, r)
    }

    /// Reduced SVD of a row-major `m × n` matrix: `U` (`m × k`), `S` (`k`, descending), `Vh` (`k × n`).
    static func svd(_ a: [Double], m: Int, n: Int) -> (u: [Double], s: [Double], vh: [Double])? {
        let k = Swift.min(m, n)
        if k == 0 { return ([Double](repeating: 0, count: m * k), [], [Double](repeating: 0, count: k * n)) }
        var ac = transposed(a, rows: m, cols: n)
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), ldu = Int32(m), ldvt = Int32(k), info: Int32 = 0
        var s = [Double](repeating: 0, count: k), u = [Double](repeating: 0, count: m * k), vt = [Double](repeating: 0, count: k * n)
        var jobz = CChar(UInt8(ascii: "S"))
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var lwork: Int32 = -1, query = 0.0
        dgesdd_(&jobz, &mm, &nn, &ac, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &iwork, &info, 1)
        lwork = Int32(query) + 1
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_(&jobz, &mm, &nn, &ac, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &iwork, &info, 1)
        if info != 0 { return nil }
        return (transposed(u, rows: k, cols: m), s, transposed(vt, rows: n, cols: k))
    }

    /// Eigen-decomposition of a symmetric row-major matrix, read from its lower
    /// triangle: eigenvalues ascending and eigenvectors as columns (row-major).
    static func eigh(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        if n == 0 { return ([], []) }
        var m = a
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var lwork: Int32 = -1, liwork: Int32 = -1, query = 0.0, iquery: Int32 = 0
        dsyevd_(&jobz, &uplo, &nn, &m, &lda, &w, &query, &lwork, &iquery, &liwork, &info, 1, 1)
        lwork = Int32(query) + 1
        liwork = iquery + 1
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &nn, &m, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        if info != 0 { return nil }
        // Column j of the column-major result is eigenvector j: read row-major, that is Vᵀ.
        return (w, transposed(m, rows: n, cols: n))
    }
}
