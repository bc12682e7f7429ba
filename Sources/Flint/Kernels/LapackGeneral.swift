import CBLAS

/// LAPACK on general (non-square or non-symmetric) matrices: least squares
/// and the non-symmetric eigenproblem. Same conventions as `Lapack`: float64,
/// row-major in and out, nil when LAPACK reports failure.
extension Lapack {
    /// A least-squares solution `X` (`n × k`) of `A X ≈ B` for row-major `A`
    /// (`m × n`) and `B` (`m × k`) by one of LAPACK's drivers, with what the
    /// driver reports: the effective rank (`gelsy`, `gelsd`, `gelss`; singular
    /// values below `rcond · max(s)` count as zero) and the singular values of
    /// `A` (`gelsd`, `gelss`). Nil when LAPACK reports failure (for `gels`, a
    /// rank-deficient `A`).
    static func lstsq(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, rcond: Double, driver: LstsqDriver)
        -> (x: [Double], rank: Int, singularValues: [Double])? {
        // gelsd and gelss reject an empty right-hand side; one zero column gives the same rank and singular values.
        let nrhs = k == 0 && (driver == .gelsd || driver == .gelss) ? 1 : k
        // B's column-major buffer has max(m, n) rows: LAPACK writes the n rows of X over it.
        let ldb = Swift.max(m, n, 1)
        var ac = transposed(a, rows: m, cols: n)
        var bc = [Double](repeating: 0, count: ldb * nrhs)
        for i in 0..<m { for j in 0..<k { bc[j * ldb + i] = b[i * k + j] } }
        var mm = Int32(m), nn = Int32(n), kk = Int32(nrhs), lda = Int32(Swift.max(m, 1)), ldbb = Int32(ldb)
        var rank: Int32 = 0, info: Int32 = 0, rc = rcond
        var s = [Double](repeating: 0, count: Swift.min(m, n))
        var lwork: Int32 = -1, query = 0.0
        switch driver {
        case .gelsy:
            var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
            dgelsy_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &pivots, &rc, &rank, &query, &lwork, &info)
            lwork = Int32(query) + 1
            var work = [Double](repeating: 0, count: Int(lwork))
            dgelsy_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &pivots, &rc, &rank, &work, &lwork, &info)
        case .gelsd:
            var iquery: Int32 = 0
            dgelsd_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &s, &rc, &rank, &query, &lwork, &iquery, &info)
            lwork = Int32(query) + 1
            var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Swift.max(Int(iquery), 1))
            dgelsd_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &s, &rc, &rank, &work, &lwork, &iwork, &info)
        case .gelss:
            dgelss_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &s, &rc, &rank, &query, &lwork, &info)
            lwork = Int32(query) + 1
            var work = [Double](repeating: 0, count: Int(lwork))
            dgelss_(&mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &s, &rc, &rank, &work, &lwork, &info)
        case .gels:
            var trans = CChar(UInt8(ascii: "N"))
            dgels_(&trans, &mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &query, &lwork, &info, 1)
            lwork = Int32(query) + 1
            var work = [Double](repeating: 0, count: Int(lwork))
            dgels_(&trans, &mm, &nn, &kk, &ac, &lda, &bc, &ldbb, &work, &lwork, &info, 1)
        }
        if info != 0 { return nil }
        var x = [Double](repeating: 0, count: n * k)
        for i in 0..<n { for j in 0..<k { x[i * k + j] = bc[j * ldb + i] } }
        return (x, Int(rank), s)
    }

    /// Eigenvalues of a general row-major `n × n` matrix as real and imaginary
    /// parts (LAPACK's order: a complex conjugate pair is adjacent, positive
    /// imaginary part first) and, when `vectors`, the right eigenvectors as the
    /// columns of two row-major `n × n` matrices (real and imaginary parts),
    /// each of unit norm with its largest component real (`dgeev`).
    static func eig(_ a: [Double], n: Int, vectors: Bool) -> (re: [Double], im: [Double], vectorsRe: [Double], vectorsIm: [Double])? {
        if n == 0 { return ([], [], [], []) }
        var ac = transposed(a, rows: n, cols: n)
        var nn = Int32(n), lda = Int32(n), ldvl: Int32 = 1, ldvr = Int32(vectors ? n : 1), info: Int32 = 0
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var vl = [Double](repeating: 0, count: 1), vr = [Double](repeating: 0, count: vectors ? n * n : 1)
        var jobvl = CChar(UInt8(ascii: "N")), jobvr = CChar(UInt8(ascii: vectors ? "V" : "N"))
        var lwork: Int32 = -1, query = 0.0
        dgeev_(&jobvl, &jobvr, &nn, &ac, &lda, &wr, &wi, &vl, &ldvl, &vr, &ldvr, &query, &lwork, &info, 1, 1)
        lwork = Int32(query) + 1
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeev_(&jobvl, &jobvr, &nn, &ac, &lda, &wr, &wi, &vl, &ldvl, &vr, &ldvr, &work, &lwork, &info, 1, 1)
        if info != 0 { return nil }
        guard vectors else { return (wr, wi, [], []) }
        // Column j of VR (column-major) is eigenvector j when λ_j is real; a pair
        // λ_j, λ_j+1 = conj(λ_j) stores v_j = VR[:, j] + i·VR[:, j+1] and v_j+1 = conj(v_j).
        var re = [Double](repeating: 0, count: n * n), im = [Double](repeating: 0, count: n * n)
        var j = 0
        while j < n {
            if wi[j] != 0 && j + 1 < n {
                for i in 0..<n {
                    let x = vr[j * n + i], y = vr[(j + 1) * n + i]
                    re[i * n + j] = x; im[i * n + j] = y
                    re[i * n + j + 1] = x; im[i * n + j + 1] = -y
                }
                j += 2
            } else {
                for i in 0..<n { re[i * n + j] = vr[j * n + i] }
                j += 1
            }
        }
        return (wr, wi, re, im)
    }
}
