/// `torch.linalg` on general matrices: least squares (`lstsq`) and the
/// non-symmetric eigenproblem (`eig`, `eigvals`).

extension Linalg {
    /// `linalg.lstsq(A, B).solution`: the `X` that minimises ‖A X − B‖, the one
    /// of least norm when `A` is rank-deficient (LAPACK's SVD-based `gelsd`;
    /// singular values below `rcond · max(s)` count as zero, by default the
    /// dtype's epsilon times max(m, n) as in PyTorch).
    ///
    /// PyTorch's other fields (residuals, rank, singular values) are not
    /// returned; for a full-rank `A` its drivers all give this solution.
    /// Differentiable in `A` and `B` by PyTorch's rule, that of `pinv(A) B`.
    ///
    /// - Parameters:
    ///   - a: `[*, m, n]`.
    ///   - b: `[*, m, k]`, or `[*, m]` (one dim fewer than `a`) for a single right-hand side.
    /// - Returns: `[*, n, k]` (`[*, n]` for a single right-hand side), batch dims broadcast.
    public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil) throws -> Tensor {
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
        let xs = try zip(system.am, system.bm).map { am, bm -> [Double] in
            guard let x = Lapack.lstsq(am, bm, m: m, n: n, k: system.k, rcond: threshold) else {
                throw TensorError.invalidArgument(op: op, message: "the least-squares solver failed to converge (shapes \(a.shape) and \(b.shape))")
            }
            return x
        }
        let x = try pack(xs, shape: system.batch + [n, system.k], dtype: system.a.dtype)
        let recorded = Autograd.record(x, .linalgLstsq(a: system.a.detach(), b: system.b.detach()), inputs: [system.a, system.b])
        return vector ? try recorded.squeeze(-1) : recorded
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
