@testable import Flint

extension OpTable {
    /// `A + shift·I` (I the m×n identity when A is not square), as the generator builds
    /// invertible and well-conditioned matrices.
    static func shifted(_ a: Tensor, _ shift: Double) throws -> Tensor {
        try a + Tensor.eye(a.shape[a.rank - 2], a.shape[a.rank - 1], dtype: a.dtype) * shift
    }

    /// `A·Aᵀ + n·I`, as the generator builds positive-definite matrices.
    static func spd(_ a: Tensor) throws -> Tensor {
        let n = a.shape[a.rank - 1]
        return try a.matmul(a.mT()) + Tensor.eye(n, dtype: a.dtype) * Double(n)
    }

    /// `A` with the last column of its first matrix zeroed, as the generator
    /// makes rank-deficient least-squares problems.
    static func lastColumnZeroedInFirstMatrix(_ a: Tensor) throws -> Tensor {
        var mask = [Double](repeating: 1, count: a.count)
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        for i in 0..<m where n > 0 { mask[i * n + n - 1] = 0 }
        return try a * Tensor(mask, shape: a.shape).casted(to: a.dtype)
    }

    /// The sign of each column's first entry (+1 for zero), to fix the sign of singular and eigen vectors.
    static func columnSigns(_ v: Tensor) throws -> Tensor {
        let first = try v.narrow(-2, start: 0, length: 1)
        return try Tensor.whereMask(first.lt(0), Tensor.scalar(-1, dtype: v.dtype), Tensor.scalar(1, dtype: v.dtype))
    }

    /// The generator's `eig_canonical`: eigenvalues `[*, n, 2]` sorted by
    /// (real, imaginary) part, and eigenvectors `[*, n, n, 2]` in that order,
    /// each rotated so that its largest component is real and positive.
    static func canonicalEig(_ values: Tensor, _ vectors: Tensor?) throws -> [Tensor] {
        let n = values.shape[values.rank - 2], batches = values.count / Swift.max(2 * n, 1)
        let v = values.toArray(Double.self), w = vectors?.toArray(Double.self) ?? []
        var outValues: [Double] = [], outVectors = [Double](repeating: 0, count: w.count)
        for b in 0..<batches {
            let order = (0..<n).sorted { i, j in
                let (ri, ii, rj, ij) = (v[(b * n + i) * 2], v[(b * n + i) * 2 + 1], v[(b * n + j) * 2], v[(b * n + j) * 2 + 1])
                return ri != rj ? ri < rj : ii < ij
            }
            for i in order { outValues += [v[(b * n + i) * 2], v[(b * n + i) * 2 + 1]] }
            guard vectors != nil else { continue }
            // Component k of eigenvector j sits at ((b·n + k)·n + j)·2.
            func at(_ k: Int, _ j: Int) -> Int { ((b * n + k) * n + j) * 2 }
            for (column, j) in order.enumerated() {
                func squaredModulus(_ k: Int) -> Double { w[at(k, j)] * w[at(k, j)] + w[at(k, j) + 1] * w[at(k, j) + 1] }
                let top = (0..<n).max { squaredModulus($0) < squaredModulus($1) } ?? 0
                let (pr, pi) = (w[at(top, j)], w[at(top, j) + 1])
                let modulus = (pr * pr + pi * pi).squareRoot()
                // Multiplying by conj(top) / |top| makes the top component real and positive.
                let (cr, ci) = (pr / modulus, -pi / modulus)
                for k in 0..<n {
                    let (xr, xi) = (w[at(k, j)], w[at(k, j) + 1])
                    outVectors[at(k, column)] = xr * cr - xi * ci
                    outVectors[at(k, column) + 1] = xr * ci + xi * cr
                }
            }
        }
        let canonicalValues = try Tensor(outValues, shape: values.shape).casted(to: values.dtype)
        guard let vectors else { return [canonicalValues] }
        return [canonicalValues, try Tensor(outVectors, shape: vectors.shape).casted(to: vectors.dtype)]
    }

    /// `ord` given as a number or a name.
    static func order(_ a: Args) -> String {
        switch a.raw["ord"] {
        case let s as String: return s
        case let i as Int: return String(i)
        default: return "fro"
        }
    }

    static let linalg: [String: OpFunction] = [
        "mm": { x, _ in [try x[0].mm(x[1])] },
        "bmm": { x, _ in [try x[0].bmm(x[1])] },
        "matmul": { x, _ in [try x[0].matmul(x[1])] },
        "mv": { x, _ in [try x[0].mv(x[1])] },
        "dot": { x, _ in [try x[0].dot(x[1])] },
        "vdot": { x, _ in [try x[0].vdot(x[1])] },
        "outer": { x, _ in [try x[0].outer(x[1])] },
        "inner": { x, _ in [try x[0].inner(x[1])] },
        "addmm": { x, _ in [try Tensor.addmm(x[0], x[1], x[2])] },
        "addmv": { x, a in [try x[0].addmv(x[1], x[2], beta: a.double("beta", default: 1), alpha: a.double("alpha", default: 1))] },
        "addr": { x, a in [try x[0].addr(x[1], x[2], beta: a.double("beta", default: 1), alpha: a.double("alpha", default: 1))] },
        "baddbmm": { x, a in [try x[0].baddbmm(x[1], x[2], beta: a.double("beta", default: 1), alpha: a.double("alpha", default: 1))] },
        "addbmm": { x, a in [try x[0].addbmm(x[1], x[2], beta: a.double("beta", default: 1), alpha: a.double("alpha", default: 1))] },
        "einsum": { x, a in [try Tensor.einsum(a.string("equation"), x)] },
        "kron": { x, _ in [try x[0].kron(x[1])] },
        "cross": { x, a in [try x[0].cross(x[1], dim: a.int("dim", default: -1))] },
        "tensordot": { x, a in [try x[0].tensordot(x[1], dims: a.int("dims"))] },
        "linalg.multi_dot": { x, _ in [try Tensor.multiDot(x)] },
        "linalg.inv": { x, a in [try Linalg.inv(shifted(x[0], a.double("shift")))] },
        "linalg.det": { x, a in [try Linalg.det(shifted(x[0], a.double("shift")))] },
        "linalg.slogdet": { x, a in let r = try Linalg.slogdet(shifted(x[0], a.double("shift"))); return [r.sign, r.logabsdet] },
        "linalg.solve": { x, a in [try Linalg.solve(shifted(x[0], a.double("shift")), x[1])] },
        "linalg.cholesky": { x, _ in [try Linalg.cholesky(spd(x[0]))] },
        "linalg.qr": { x, _ in let r = try Linalg.qr(x[0]); return [r.q, r.r] },
        "linalg.svd": { x, _ in
            let r = try Linalg.svd(x[0])
            let sign = try columnSigns(r.u)
            return [try r.u * sign, r.s, try r.vh * sign.mT()]
        },
        "linalg.eigh": { x, _ in
            let r = try Linalg.eigh(spd(x[0]))
            return [r.eigenvalues, try r.eigenvectors * columnSigns(r.eigenvectors)]
        },
        "linalg.eigvalsh": { x, _ in [try Linalg.eigvalsh(spd(x[0]))] },
        "linalg.svdvals": { x, _ in [try Linalg.svdvals(x[0])] },
        "linalg.pinv": { x, _ in [try Linalg.pinv(x[0])] },
        "linalg.matrix_power": { x, a in [try Linalg.matrixPower(shifted(x[0], a.double("shift")), a.int("n"))] },
        "linalg.lstsq": { x, a in
            let name = try a.string("driver")
            guard let driver = LstsqDriver(rawValue: name) else { throw FixtureError.malformed("unknown lstsq driver \(name)") }
            let shiftedA = try shifted(x[0], a.double("shift", default: 0))
            let r = try Linalg.lstsq(a.bool("deficient") ? lastColumnZeroedInFirstMatrix(shiftedA) : shiftedA, x[1],
                                     rcond: a.has("rcond") ? try a.double("rcond") : nil, driver: driver)
            return [r.solution, r.residuals, r.rank, r.singularValues]
        },
        "linalg.eig": { x, _ in let r = try Linalg.eig(x[0]); return try canonicalEig(r.eigenvalues, r.eigenvectors) },
        "linalg.eigvals": { x, _ in try canonicalEig(Linalg.eigvals(x[0]), nil) },
        "linalg.matrix_rank": { x, _ in [try Linalg.matrixRank(x[0].matmul(x[1]))] },
        "linalg.vector_norm": { x, a in [try Linalg.vectorNorm(x[0], ord: a.double("ord", default: 2), dims: a.ints("dim", default: []))] },
        "linalg.matrix_norm": { x, a in [try Linalg.matrixNorm(x[0], ord: order(a))] },
        "linalg.norm": { x, _ in [try Linalg.norm(x[0])] },
    ]
}
