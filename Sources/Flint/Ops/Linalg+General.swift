/// `torch.linalg` on general matrices: least squares (`lstsq`) and the
/// non-symmetric eigenproblem (`eig`, `eigvals`).

/// The LAPACK routine behind `linalg.lstsq`, PyTorch's `driver` argument
/// (PyTorch's CPU default is `gelsy`).
public enum LstsqDriver: String, CaseIterable, Sendable {
    /// QR (or LQ) of a full-rank `A`.
    case gels
    /// QR with column pivoting; reports the rank.
    case gelsy
    /// SVD by divide and conquer; reports the rank and the singular values.
    case gelsd
    /// Full SVD; reports the rank and the singular values.
    case gelss
}

extension Linalg {
    /// `linalg.lstsq(A, B, rcond, driver=)`: the `X` that minimises ‖A X − B‖
    /// (the one of least norm when `A` is rank-deficient, except with `gels`,
    /// which assumes full rank), with PyTorch's extra fields filled by PyTorch's rules:
    /// - `residuals` `[*, k]`: ‖A X − B‖² per column, when `m > n` and the
    ///   driver is not `gelsy` (for `gelsd` and `gelss` only when every matrix
    ///   of the batch has rank `n`); else empty.
    /// - `rank` int64 `[*A]` (A's own batch dims): with `gelsy`, `gelsd`, `gelss`; else empty.
    /// - `singularValues` `[*A, min(m, n)]`: with `gelsd` and `gelss`; else empty.
    ///
    /// Singular values at or below `rcond · max(s)` count as zero; by default
    /// `rcond` is the dtype's epsilon times max(m, n), as in PyTorch. The
    /// solution is differentiable in `A` and `B` by PyTorch's rule (that of
    /// `pinv(A) B`), and so are the residuals, which are ‖A X − B‖² composed from it.
    ///
    /// - Parameters:
    ///   - a: `[*, m, n]`.
    ///   - b: `[*, m, k]`, or `[*, m]` (one dim fewer than `a`) for a single right-hand side.
    /// - Returns: `solution` `[*, n, k]` (`[*, n]` for a single right-hand side), batch dims broadcast.
    public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil, driver: LstsqDriver = .gelsy) throws
        -> (solution: Tensor, residuals: Tensor, rank: Tensor, singularValues: Tensor) {
        let op = "linalg.lstsq"
        guard a.rank >= 2 else { throw TensorError.invalidArgument(op: op, message: "input must have at least 2 dimensions, got shape \(a.shape)") }
        guard b.rank == a.rank || b.rank == a.rank - 1 else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape], detail: "B must have as many dims as A, or one fewer")
        }
        let vector = b.rank == a.rank - 1
        let system = try broadcastSystem(a, vector ? b.unsqueeze(-1) : b, given: b.shape, op: op)
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        let eps = system.a.dtype == .float64 ? 2.220446049250313e-16 : 1.1920928955078125e-07
        let threshold = rcond ?? eps * Double(Swift.max(m, n))
        let solved = try zip(system.am, system.bm).map { am, bm in
            guard let r = Lapack.lstsq(am, bm, m: m, n: n, k: system.k, rcond: threshold, driver: driver) else {
                let reason = driver == .gels ? "A is not full rank (the gels driver needs full rank)" : "the least-squares solver failed to converge"
                throw TensorError.invalidArgument(op: op, message: "\(reason) (shapes \(a.shape) and \(b.shape))")
            }
            return r
        }
        let dtype = system.a.dtype
        let x = try pack(solved.map(\.x), shape: system.batch + [n, system.k], dtype: dtype)
        let solution = Autograd.record(x, .linalgLstsq(a: system.a.detach(), b: system.b.detach()), inputs: [system.a, system.b])

        // Rank and singular values belong to A's own matrices: read each from a system that used it.
        let aBatch = Array(a.shape.dropLast(2))
        let aCount = aBatch.reduce(1, *)
        var whichA = [Int](repeating: -1, count: aCount)
        let aIndices = try Tensor.arange(0, Double(aCount), dtype: .int64).reshape(aBatch).expand(system.batch).toArray(Int64.self)
        for (position, index) in aIndices.enumerated() where whichA[Int(index)] < 0 { whichA[Int(index)] = position }
        let fromA = whichA.map { $0 < 0 ? nil : solved[$0] }
        let none = try Tensor.empty([0], dtype: dtype)
        let rank = driver == .gels ? try Tensor.empty([0], dtype: .int64)
            : try Tensor.fromDoubles(fromA.map { Double($0?.rank ?? 0) }, dtype: .int64).reshape(aBatch)
        let sizeS = Swift.min(m, n)
        let singularValues = driver == .gelsd || driver == .gelss
            ? try pack(fromA.map { $0?.singularValues ?? [Double](repeating: 0, count: sizeS) }, shape: aBatch + [sizeS], dtype: dtype) : none

        let everyRankIsN = fromA.allSatisfy { ($0?.rank ?? n) == n }
        var residuals = none
        if m > n && (driver == .gels || (driver != .gelsy && everyRankIsN)) {
            // gels zeroes B when A has no columns, so PyTorch reports 0 there (Flint with no gradient).
            residuals = driver == .gels && n == 0
                ? try Tensor.zeros(system.batch + [system.k], dtype: dtype)
                : try (system.a.matmul(solution) - system.b).square().sum(dims: [-2])
        }
        return (vector ? try solution.squeeze(-1) : solution, residuals, rank, singularValues)
    }

    /// `torch.view_as_real` of `linalg.eig(A)`: the eigenvalues and right
    /// eigenvectors of a general square matrix. Flint has no complex dtype, so
    /// each complex number is its real and imaginary part along a last dim of
    /// size 2, exactly the layout `torch.view_as_real` gives PyTorch's complex
    /// result. Order and normalisation are LAPACK's (`geev`), as in PyTorch:
    /// conjugate pairs adjacent, each eigenvector of unit norm with its largest
    /// component real.
    ///
    /// Not differentiable: an input that requires grad (with grad mode on) is an error.
    ///
    /// - Parameter a: `[*, n, n]`, floating point.
    /// - Returns: eigenvalues `[*, n, 2]` and eigenvectors `[*, n, n, 2]`, whose
    ///   column `j` (`[..., :, j, :]`) belongs to eigenvalue `j`.
    public static func eig(_ a: Tensor) throws -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let r = try eigen(a, vectors: true, op: "linalg.eig")
        return (try Tensor.fromDoubles(r.values, dtype: a.dtype).reshape(r.batch + [r.n, 2]),
                try Tensor.fromDoubles(r.vectors, dtype: a.dtype).reshape(r.batch + [r.n, r.n, 2]))
    }

    /// `torch.view_as_real(linalg.eigvals(A))`: the eigenvalues of `eig`, `[*, n, 2]`, without the vectors.
    public static func eigvals(_ a: Tensor) throws -> Tensor {
        let r = try eigen(a, vectors: false, op: "linalg.eigvals")
        return try Tensor.fromDoubles(r.values, dtype: a.dtype).reshape(r.batch + [r.n, 2])
    }

    /// Runs `geev` over the batch: eigenvalues and (when asked) eigenvectors as
    /// interleaved real and imaginary parts, row-major.
    private static func eigen(_ a: Tensor, vectors: Bool, op: String) throws -> (batch: [Int], n: Int, values: [Double], vectors: [Double]) {
        guard !(a.requiresGrad && Autograd.isEnabled) else {
            throw TensorError.invalidArgument(op: op, message: "autograd is not supported (Flint returns the complex result as real pairs); detach the input or run under noGrad (shape \(a.shape))")
        }
        let (batch, n, _, mats) = try matrices(a, op: op, square: true)
        var values: [Double] = [], vecs: [Double] = []
        for m in mats {
            guard let r = Lapack.eig(m, n: n, vectors: vectors) else {
                throw TensorError.invalidArgument(op: op, message: "the algorithm failed to converge (shape \(a.shape))")
            }
            for i in 0..<n { values += [r.re[i], r.im[i]] }
            for i in 0..<(vectors ? n * n : 0) { vecs += [r.vectorsRe[i], r.vectorsIm[i]] }
        }
        return (batch, n, values, vecs)
    }
}
