import Foundation

/// `torch.linalg`: decompositions and solvers through LAPACK (computed in
/// float64, returned in the input's dtype), over any leading batch dims,
/// and the norms. Names follow PyTorch: `Linalg.inv(a)` is `torch.linalg.inv(a)`.
public enum Linalg {
    /// Row-major float64 matrices of the last two dims, and the batch shape.
    static func matrices(_ a: Tensor, op: String, square: Bool) throws -> (batch: [Int], rows: Int, cols: Int, mats: [[Double]]) {
        guard a.rank >= 2 else { throw TensorError.invalidArgument(op: op, message: "expected a tensor with 2 or more dimensions, got shape \(a.shape)") }
        guard a.dtype.isFloatingPoint else { throw TensorError.badDType(op: op, dtype: a.dtype, detail: "floating point input expected, shape \(a.shape)") }
        let rows = a.shape[a.rank - 2], cols = a.shape[a.rank - 1]
        if square && rows != cols {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape], detail: "a batch of square matrices is expected")
        }
        let values = a.toArray(Double.self)
        let per = rows * cols
        let batch = Array(a.shape.dropLast(2))
        let n = batch.reduce(1, *)
        return (batch, rows, cols, (0..<n).map { Array(values[($0 * per)..<(($0 + 1) * per)]) })
    }

    static func pack(_ mats: [[Double]], shape: [Int], dtype: DType) throws -> Tensor {
        try Tensor.fromDoubles(mats.flatMap { $0 }, dtype: dtype).reshape(shape)
    }

    /// `linalg.inv(A)`.
    public static func inv(_ a: Tensor) throws -> Tensor {
        let (batch, n, _, mats) = try matrices(a, op: "linalg.inv", square: true)
        let out = try mats.map { m -> [Double] in
            guard let r = Lapack.inv(m, n: n) else {
                throw TensorError.invalidArgument(op: "linalg.inv", message: "the matrix is singular (input shape \(a.shape))")
            }
            return r
        }
        let result = try pack(out, shape: batch + [n, n], dtype: a.dtype)
        return Autograd.record(result, .linalgInv(out: result), inputs: [a])
    }

    /// `linalg.det(A)`.
    public static func det(_ a: Tensor) throws -> Tensor {
        let (batch, n, _, mats) = try matrices(a, op: "linalg.det", square: true)
        let result = try pack(mats.map { [Lapack.det($0, n: n)] }, shape: batch, dtype: a.dtype)
        return Autograd.record(result, .linalgDet(a.detach(), out: result), inputs: [a])
    }

    /// `linalg.slogdet(A)`: the sign and the log of the absolute value of the determinant.
    public static func slogdet(_ a: Tensor) throws -> (sign: Tensor, logabsdet: Tensor) {
        let (batch, n, _, mats) = try matrices(a, op: "linalg.slogdet", square: true)
        let dets = mats.map { Lapack.det($0, n: n) }
        let sign = try pack(dets.map { [$0 > 0 ? 1 : ($0 < 0 ? -1 : 0)] }, shape: batch, dtype: a.dtype)
        let logabs = try pack(dets.map { [Foundation.log(Swift.abs($0))] }, shape: batch, dtype: a.dtype)
        return (sign, Autograd.record(logabs, .linalgLogAbsDet(a.detach()), inputs: [a]))
    }

    /// `linalg.solve(A, B)`: `X` with `A X = B`; `B` is `[*, n, k]` or a vector `[*, n]`.
    public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 2, a.shape[a.rank - 1] == a.shape[a.rank - 2] else {
            throw TensorError.shapeMismatch(op: "linalg.solve", shapes: [a.shape, b.shape], detail: "A must be a batch of square matrices")
        }
        let n = a.shape[a.rank - 1]
        let vector = b.rank == 1 || (b.rank == a.rank - 1 && Array(b.shape.dropLast()) == Array(a.shape.dropLast(2)))
        let system = try broadcastSystem(a, vector ? b.unsqueeze(-1) : b, given: b.shape, op: "linalg.solve")
        let xs = try zip(system.am, system.bm).map { m, rhs -> [Double] in
            guard let x = Lapack.solve(m, rhs, n: n, k: system.k) else {
                throw TensorError.invalidArgument(op: "linalg.solve", message: "the solver failed because the input matrix is singular (shapes \(a.shape) and \(b.shape))")
            }
            return x
        }
        let x = try pack(xs, shape: system.batch + [n, system.k], dtype: system.a.dtype)
        let recorded = Autograd.record(x, .linalgSolve(system.a.detach(), x: x), inputs: [system.a, system.b])
        return vector ? try recorded.squeeze(-1) : recorded
    }

    /// The system `A X = B` for `A` `[*, m, n]` and `B` `[*, m, k]` (`given` is
    /// B's shape as the caller received it, for errors): both broadcast to the
    /// common batch dims in their promoted dtype (the tensors autograd sees),
    /// and as float64 matrices.
    static func broadcastSystem(_ a: Tensor, _ b: Tensor, given: [Int], op: String) throws
        -> (batch: [Int], k: Int, a: Tensor, b: Tensor, am: [[Double]], bm: [[Double]]) {
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        guard b.rank >= 2, b.shape[b.rank - 2] == m else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, given], detail: "B must have \(m) rows")
        }
        let k = b.shape[b.rank - 1]
        guard let batch = broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, given], detail: "batch dims do not broadcast")
        }
        let dtype = DType.promote(a.dtype, b.dtype)
        let aB = try a.casted(to: dtype).expand(batch + [m, n]).contiguous(), bB = try b.casted(to: dtype).expand(batch + [m, k]).contiguous()
        let am = try matrices(aB.detach(), op: op, square: false).mats, bm = try matrices(bB.detach(), op: op, square: false).mats
        return (batch, k, aB, bB, am, bm)
    }

    /// `linalg.cholesky(A)`: lower-triangular `L` with `A = L Lᵀ`, from A's lower triangle.
    public static func cholesky(_ a: Tensor) throws -> Tensor {
        let (batch, n, _, mats) = try matrices(a, op: "linalg.cholesky", square: true)
        let out = try mats.map { m -> [Double] in
            guard let l = Lapack.cholesky(m, n: n) else {
                throw TensorError.invalidArgument(op: "linalg.cholesky", message: "the input is not positive-definite (shape \(a.shape))")
            }
            return l
        }
        let l = try pack(out, shape: batch + [n, n], dtype: a.dtype)
        return Autograd.record(l, .linalgCholesky(l: l), inputs: [a])
    }

    /// `linalg.qr(A)` (mode `reduced`): `Q` `[*, m, k]` with orthonormal columns and upper-triangular `R` `[*, k, n]`.
    public static func qr(_ a: Tensor) throws -> (q: Tensor, r: Tensor) {
        let (batch, m, n, mats) = try matrices(a, op: "linalg.qr", square: false)
        let k = Swift.min(m, n)
        var qs: [[Double]] = [], rs: [[Double]] = []
        for mat in mats {
            guard let (q, r) = Lapack.qr(mat, m: m, n: n) else {
                throw TensorError.invalidArgument(op: "linalg.qr", message: "LAPACK failed on input of shape \(a.shape)")
            }
            qs.append(q); rs.append(r)
        }
        let q = try pack(qs, shape: batch + [m, k], dtype: a.dtype), r = try pack(rs, shape: batch + [k, n], dtype: a.dtype)
        guard m >= n || !a.requiresGrad else {
            throw TensorError.invalidArgument(op: "linalg.qr", message: "the derivative of reduced QR is not defined when m < n (shape \(a.shape))")
        }
        // The rules are linear in the outputs' gradients, so each output's node adds its own share.
        return (Autograd.record(q, .linalgQR(q: q, r: r, part: 0), inputs: [a]),
                Autograd.record(r, .linalgQR(q: q, r: r, part: 1), inputs: [a]))
    }

    /// `linalg.svd(A, full_matrices=False)`: `U` `[*, m, k]`, `S` `[*, k]` descending, `Vh` `[*, k, n]`.
    public static func svd(_ a: Tensor) throws -> (u: Tensor, s: Tensor, vh: Tensor) {
        let (batch, m, n, mats) = try matrices(a, op: "linalg.svd", square: false)
        let k = Swift.min(m, n)
        var us: [[Double]] = [], ss: [[Double]] = [], vs: [[Double]] = []
        for mat in mats {
            guard let (u, s, vh) = Lapack.svd(mat, m: m, n: n) else {
                throw TensorError.invalidArgument(op: "linalg.svd", message: "the algorithm failed to converge (shape \(a.shape))")
            }
            us.append(u); ss.append(s); vs.append(vh)
        }
        let u = try pack(us, shape: batch + [m, k], dtype: a.dtype), s = try pack(ss, shape: batch + [k], dtype: a.dtype)
        let vh = try pack(vs, shape: batch + [k, n], dtype: a.dtype)
        return (Autograd.record(u, .linalgSVD(u: u, s: s, vh: vh, part: 0), inputs: [a]),
                Autograd.record(s, .linalgSVD(u: u, s: s, vh: vh, part: 1), inputs: [a]),
                Autograd.record(vh, .linalgSVD(u: u, s: s, vh: vh, part: 2), inputs: [a]))
    }

    /// `linalg.eigh(A)`: eigenvalues ascending `[*, n]` and eigenvectors as columns `[*, n, n]`, from A's lower triangle.
    public static func eigh(_ a: Tensor) throws -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let (batch, n, _, mats) = try matrices(a, op: "linalg.eigh", square: true)
        var ls: [[Double]] = [], vs: [[Double]] = []
        for mat in mats {
            guard let (l, v) = Lapack.eigh(mat, n: n) else {
                throw TensorError.invalidArgument(op: "linalg.eigh", message: "the algorithm failed to converge (shape \(a.shape))")
            }
            ls.append(l); vs.append(v)
        }
        let l = try pack(ls, shape: batch + [n], dtype: a.dtype), v = try pack(vs, shape: batch + [n, n], dtype: a.dtype)
        return (Autograd.record(l, .linalgEigh(l: l, v: v, part: 0), inputs: [a]),
                Autograd.record(v, .linalgEigh(l: l, v: v, part: 1), inputs: [a]))
    }

    /// `linalg.eigvalsh(A)`.
    public static func eigvalsh(_ a: Tensor) throws -> Tensor { try eigh(a).eigenvalues }
    /// `linalg.svdvals(A)`.
    public static func svdvals(_ a: Tensor) throws -> Tensor { try svd(a).s }

    /// `linalg.pinv(A)`: `V diag(1/s) Uᵀ`, dropping singular values below `rtol · max(s)`. Composite.
    public static func pinv(_ a: Tensor, rtol: Double? = nil) throws -> Tensor {
        let (u, s, vh) = try svd(a)
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        let tol = try s.amax(dims: [-1], keepdim: true).detach() * (rtol ?? (Double(Swift.max(m, n)) * (a.dtype == .float64 ? 2.220446049250313e-16 : 1.1920928955078125e-07)))
        let keep = try s.gt(tol)
        let inverse = try Tensor.whereMask(keep, s.reciprocal(), Tensor.zeros([], dtype: s.dtype))
        return try (vh.transpose(-2, -1) * inverse.unsqueeze(-2)).matmul(u.transpose(-2, -1))
    }

    /// `linalg.matrix_power(A, n)`: repeated squaring; negative `n` inverts first. Composite.
    public static func matrixPower(_ a: Tensor, _ n: Int) throws -> Tensor {
        guard a.rank >= 2, a.shape[a.rank - 1] == a.shape[a.rank - 2] else {
            throw TensorError.shapeMismatch(op: "linalg.matrix_power", shapes: [a.shape], detail: "a batch of square matrices is expected")
        }
        if n == 0 {
            // The identity, with a (zero) gradient path to A as in PyTorch.
            let eye = try Tensor.eye(a.shape[a.rank - 1], dtype: a.dtype).expand(a.shape)
            return try Tensor.whereMask(Tensor.ones([], dtype: .bool), eye, a)
        }
        var base = n < 0 ? try inv(a) : a
        var k = Swift.abs(n)
        var result: Tensor?
        while k > 0 {
            if k & 1 == 1 { result = try result.map { try $0.matmul(base) } ?? base }
            k >>= 1
            if k > 0 { base = try base.matmul(base) }
        }
        return result ?? a
    }

    /// `linalg.matrix_rank(A)`: the number of singular values above `tol`.
    public static func matrixRank(_ a: Tensor) throws -> Tensor {
        let s = try noGrad { try svdvals(a.detach()) }
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        let eps = a.dtype == .float64 ? 2.220446049250313e-16 : 1.1920928955078125e-07
        let tol = try s.amax(dims: [-1], keepdim: true) * (Double(Swift.max(m, n)) * eps)
        return try s.gt(tol).sum(dims: [-1])
    }

    /// `linalg.vector_norm(x, ord, dim, keepdim)`.
    public static func vectorNorm(_ x: Tensor, ord: Double = 2, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        try x.norm(p: ord, dims: dims, keepdim: keepdim)
    }

    /// `linalg.matrix_norm(A, ord, dim=(-2, -1), keepdim)`: `"fro"`, `"nuc"`, or ±1, ±2, ±∞.
    public static func matrixNorm(_ a: Tensor, ord: String = "fro", keepdim: Bool = false) throws -> Tensor {
        guard a.rank >= 2 else { throw TensorError.invalidArgument(op: "linalg.matrix_norm", message: "expected at least 2-D input, got shape \(a.shape)") }
        let r: Tensor
        switch ord {
        case "fro": r = try a.norm(p: 2, dims: [-2, -1], keepdim: true)
        case "nuc": r = try svdvals(a).sum(dims: [-1]).unsqueeze(-1).unsqueeze(-1)
        case "2": r = try svdvals(a).amax(dims: [-1]).unsqueeze(-1).unsqueeze(-1)
        case "-2": r = try svdvals(a).amin(dims: [-1]).unsqueeze(-1).unsqueeze(-1)
        case "1": r = try a.abs().sum(dims: [-2], keepdim: true).amax(dims: [-1], keepdim: true)
        case "-1": r = try a.abs().sum(dims: [-2], keepdim: true).amin(dims: [-1], keepdim: true)
        case "inf": r = try a.abs().sum(dims: [-1], keepdim: true).amax(dims: [-2], keepdim: true)
        case "-inf": r = try a.abs().sum(dims: [-1], keepdim: true).amin(dims: [-2], keepdim: true)
        default: throw TensorError.invalidArgument(op: "linalg.matrix_norm", message: "order '\(ord)' not supported")
        }
        return keepdim ? r : try r.squeeze(-1).squeeze(-1)
    }

    /// `linalg.norm(x, ord=None)`: the 2-norm of the flattened tensor (Frobenius for matrices). Composite.
    public static func norm(_ x: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        try x.norm(p: 2, dims: dims, keepdim: keepdim)
    }
}

