/// Vector and matrix products beyond `mm`/`bmm`/`matmul`: `mv`, `dot`,
/// `outer`, `inner`, `addmv`, `addr`, `baddbmm`, `addbmm`, `kron`, `cross`,
/// `tensordot`, `einsum`. All composites.

extension Tensor {
    /// `mv(vec)`: `[n, m] @ [m] -> [n]`.
    public func mv(_ vec: Tensor) throws -> Tensor {
        guard rank == 2, vec.rank == 1, shape[1] == vec.shape[0] else {
            throw TensorError.shapeMismatch(op: "mv", shapes: [shape, vec.shape])
        }
        return try mm(vec.unsqueeze(1)).squeeze(1)
    }

    /// `dot(other)`: inner product of two 1-D tensors of the same size.
    public func dot(_ other: Tensor) throws -> Tensor {
        guard rank == 1, other.rank == 1, shape == other.shape else {
            throw TensorError.shapeMismatch(op: "dot", shapes: [shape, other.shape], detail: "1D tensors expected with the same number of elements")
        }
        return try (self * other).sum()
    }

    /// `vdot(other)`: `dot` (the same for real tensors).
    public func vdot(_ other: Tensor) throws -> Tensor { try dot(other) }

    /// `outer(vec2)`: `[n] ⊗ [m] -> [n, m]`.
    public func outer(_ other: Tensor) throws -> Tensor {
        guard rank == 1, other.rank == 1 else { throw TensorError.shapeMismatch(op: "outer", shapes: [shape, other.shape], detail: "1D tensors expected") }
        return try unsqueeze(1) * other.unsqueeze(0)
    }

    /// `inner(other)`: sum over the last dims of both.
    public func inner(_ other: Tensor) throws -> Tensor {
        if rank == 0 || other.rank == 0 { return try self * other }
        guard shape[rank - 1] == other.shape[other.rank - 1] else {
            throw TensorError.shapeMismatch(op: "inner", shapes: [shape, other.shape], detail: "last dimensions must match")
        }
        let k = shape[rank - 1]
        let out = try reshape([-1, k]).mm(other.reshape([-1, k]).t())
        return try out.reshape(Array(shape.dropLast()) + Array(other.shape.dropLast()))
    }

    /// `addmv(mat, vec, beta, alpha)`: `beta·self + alpha·(mat @ vec)`.
    public func addmv(_ mat: Tensor, _ vec: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try self * beta + mat.mv(vec) * alpha
    }

    /// `addr(vec1, vec2, beta, alpha)`: `beta·self + alpha·outer(vec1, vec2)`.
    public func addr(_ vec1: Tensor, _ vec2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try self * beta + vec1.outer(vec2) * alpha
    }

    /// `baddbmm(batch1, batch2, beta, alpha)`: `beta·self + alpha·(batch1 @ batch2)`.
    public func baddbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try self * beta + batch1.bmm(batch2) * alpha
    }

    /// `addbmm(batch1, batch2, beta, alpha)`: `beta·self + alpha·Σ_b batch1[b] @ batch2[b]`.
    public func addbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try self * beta + batch1.bmm(batch2).sum(dim: 0) * alpha
    }

    /// `kron(other)`: the Kronecker product.
    public func kron(_ other: Tensor) throws -> Tensor {
        let r = Swift.max(rank, other.rank)
        let a = try reshape([Int](repeating: 1, count: r - rank) + shape)
        let b = try other.reshape([Int](repeating: 1, count: r - other.rank) + other.shape)
        var sa: [Int] = [], sb: [Int] = []
        for i in 0..<r { sa += [a.shape[i], 1]; sb += [1, b.shape[i]] }
        return try (a.reshape(sa) * b.reshape(sb)).reshape((0..<r).map { a.shape[$0] * b.shape[$0] })
    }

    /// `linalg.cross(other, dim)`: the cross product of 3-vectors along `dim`.
    public func cross(_ other: Tensor, dim: Int = -1) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "cross", shape: shape)
        guard rank > 0, shape[d] == 3, other.rank == rank, other.shape[d] == 3 else {
            throw TensorError.shapeMismatch(op: "cross", shapes: [shape, other.shape], detail: "inputs must have size 3 in dim \(dim)")
        }
        let a = try unbind(dim: d), b = try other.unbind(dim: d)
        return try Tensor.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], dim: d)
    }

    /// `tensordot(other, dims)`: contracts the last `dims` dims of self with the first `dims` of other.
    public func tensordot(_ other: Tensor, dims: Int) throws -> Tensor {
        guard dims >= 0, dims <= rank, dims <= other.rank, Array(shape.suffix(dims)) == Array(other.shape.prefix(dims)) else {
            throw TensorError.shapeMismatch(op: "tensordot", shapes: [shape, other.shape], detail: "contracted dims must match")
        }
        let k = shape.suffix(dims).reduce(1, *)
        let left = Array(shape.dropLast(dims)), right = Array(other.shape.dropFirst(dims))
        return try reshape([-1, k]).mm(other.reshape([k, -1])).reshape(left + right)
    }

    /// `linalg.multi_dot(tensors)`: a chain of matrix products.
    public static func multiDot(_ tensors: [Tensor]) throws -> Tensor {
        guard var r = tensors.first else { throw TensorError.invalidArgument(op: "linalg.multi_dot", message: "expected at least 2 tensors, got 0") }
        for t in tensors.dropFirst() { r = try r.matmul(t) }
        return r
    }

    /// `torch.einsum(equation, *operands)`: subscripts `a`–`z`, `A`–`Z`, and
    /// `...` for the dims no subscript names (right-aligned across operands;
    /// first in an implicit output, summed when an explicit output omits it).
    /// Dims of size 1 broadcast, as in PyTorch. A subscript repeated within one
    /// operand takes a diagonal ('ii->i', 'bii->bi'; implicit 'ii' is the trace),
    /// its dims' sizes must be equal. Contracts pairwise, each pair as one bmm.
    public static func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor {
        let op = "einsum"
        let eq = equation.filter { $0 != " " }
        let parts = eq.components(separatedBy: "->")
        let terms = parts[0].components(separatedBy: ",")
        guard terms.count == operands.count, parts.count <= 2 else {
            throw TensorError.invalidArgument(op: op, message: "equation '\(equation)' names \(terms.count) operands, \(operands.count) given")
        }
        // Each term as the subscripts before and after its ellipsis (nil: no ellipsis).
        func split(_ term: String) throws -> (head: [Character], tail: [Character]?) {
            let pieces = term.components(separatedBy: "...")
            guard pieces.count <= 2, pieces.joined().allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw TensorError.invalidArgument(op: op, message: "invalid subscripts '\(term)' in equation '\(equation)': expected letters and at most one '...'")
            }
            return (Array(pieces[0]), pieces.count == 2 ? Array(pieces[1]) : nil)
        }
        let termParts = try terms.map(split)
        var ellipsisRank = 0
        for ((head, tail), t) in zip(termParts, operands) {
            let named = head.count + (tail?.count ?? 0)
            guard tail == nil ? named == t.rank : named <= t.rank else {
                throw TensorError.invalidArgument(op: op, message: "subscripts '\(String(head))\(tail.map { "..." + String($0) } ?? "")' do not fit an operand of shape \(t.shape)")
            }
            if tail != nil { ellipsisRank = Swift.max(ellipsisRank, t.rank - named) }
        }
        // The dims under `...` get labels no equation can spell.
        let broadcastLabels = (0..<ellipsisRank).compactMap { Unicode.Scalar(0xE000 + $0).map(Character.init) }
        let labelled = zip(termParts, operands).map { part, t in
            part.head + (part.tail.map { Array(broadcastLabels.suffix(t.rank - part.head.count - $0.count)) + $0 } ?? [])
        }
        var inputs: [[Character]] = [], tensors: [Tensor] = []
        for (i, (letters, t)) in zip(labelled, operands).enumerated() {
            let diagonal = try diagonals(letters, t, operand: i)
            inputs.append(diagonal.letters)
            tensors.append(diagonal.tensor)
        }
        var sizes: [Character: Int] = [:]
        for (letters, t) in zip(inputs, tensors) {
            for (c, n) in zip(letters, t.shape) {
                let m = sizes[c] ?? 1
                guard m == n || m == 1 || n == 1 else {
                    throw TensorError.shapeMismatch(op: op, shapes: operands.map(\.shape), detail: "subscript \(broadcastLabels.contains(c) ? "..." : String(c)) has sizes \(m) and \(n)")
                }
                sizes[c] = m == 1 ? n : m
            }
        }
        let expanded = try zip(inputs, tensors).map { letters, t in
            let target = letters.map { sizes[$0] ?? 1 }
            return target == t.shape ? t : try t.expand(target)
        }
        let output: [Character]
        if parts.count == 2 {
            let (head, tail) = try split(parts[1])
            output = head + (tail.map { broadcastLabels + $0 } ?? [])
            guard output.allSatisfy({ sizes[$0] != nil }), Set(output).count == output.count else {
                throw TensorError.invalidArgument(op: op, message: "output subscripts '\(parts[1])' must appear in the inputs, once")
            }
        } else {
            // A subscript repeated within one operand counts twice: 'ii' is the trace.
            let all = labelled.flatMap { $0 }.filter { !broadcastLabels.contains($0) }
            output = broadcastLabels + Set(all).filter { c in all.filter { $0 == c }.count == 1 }.sorted()
        }
        var current = (letters: inputs[0], tensor: expanded[0])
        for i in 1..<Swift.max(inputs.count, 1) where inputs.count > 1 {
            let later = Set(inputs[(i + 1)...].flatMap { $0 } + output)
            current = try contract(current, (inputs[i], expanded[i]), keep: later)
        }
        // Sum letters absent from the output, then order as the output asks.
        let drop = current.letters.indices.filter { !output.contains(current.letters[$0]) }
        var t = drop.isEmpty ? current.tensor : try current.tensor.sum(dims: drop)
        let remaining = current.letters.filter { output.contains($0) }
        if !remaining.isEmpty { t = try t.permute(output.map { c in remaining.firstIndex(of: c) ?? 0 }) }
        return t
    }

    /// Takes the diagonal for each subscript repeated within one operand
    /// ('ii' → 'i'), so that each remaining subscript names one dim. The
    /// diagonal is a view, differentiated by diagonal's rule.
    private static func diagonals(_ letters: [Character], _ t: Tensor, operand: Int) throws -> (letters: [Character], tensor: Tensor) {
        var letters = letters, t = t
        while let q = letters.indices.first(where: { letters[..<$0].contains(letters[$0]) }) {
            let c = letters[q]
            guard let p = letters.firstIndex(of: c), t.shape[p] == t.shape[q] else {
                throw TensorError.invalidArgument(op: "einsum", message: "subscript \(c) is repeated for operand \(operand) but the sizes don't match (shape \(t.shape))")
            }
            // diagonal() moves the two dims' common diagonal to the end.
            t = try t.diagonal(dim1: p, dim2: q)
            letters = letters.enumerated().filter { $0.offset != p && $0.offset != q }.map(\.element) + [c]
        }
        return (letters, t)
    }

    /// One pairwise contraction: letters in both and still needed are batch
    /// dims, letters in both and not needed are summed by the bmm.
    private static func contract(_ a: (letters: [Character], tensor: Tensor), _ b: (letters: [Character], tensor: Tensor),
                                 keep: Set<Character>) throws -> (letters: [Character], tensor: Tensor) {
        // Letters only in one operand and not needed later are summed first.
        func reduceAlone(_ x: (letters: [Character], tensor: Tensor), other: [Character]) throws -> (letters: [Character], tensor: Tensor) {
            let drop = x.letters.indices.filter { !keep.contains(x.letters[$0]) && !other.contains(x.letters[$0]) }
            if drop.isEmpty { return x }
            return (x.letters.enumerated().filter { !drop.contains($0.offset) }.map(\.element), try x.tensor.sum(dims: drop))
        }
        let ra = try reduceAlone(a, other: b.letters), rb = try reduceAlone(b, other: a.letters)
        let batch = ra.letters.filter { rb.letters.contains($0) && keep.contains($0) }
        let summed = ra.letters.filter { rb.letters.contains($0) && !keep.contains($0) }
        let aOnly = ra.letters.filter { !rb.letters.contains($0) }, bOnly = rb.letters.filter { !ra.letters.contains($0) }
        func size(_ letters: [Character], _ t: (letters: [Character], tensor: Tensor)) -> [Int] {
            letters.map { c in t.tensor.shape[t.letters.firstIndex(of: c) ?? 0] }
        }
        let bs = size(batch, ra), ks = size(summed, ra), ms = size(aOnly, ra), ns = size(bOnly, rb)
        let pa = try ra.tensor.permute((batch + aOnly + summed).map { c in ra.letters.firstIndex(of: c) ?? 0 })
            .reshape([bs.reduce(1, *), ms.reduce(1, *), ks.reduce(1, *)])
        let pb = try rb.tensor.permute((batch + summed + bOnly).map { c in rb.letters.firstIndex(of: c) ?? 0 })
            .reshape([bs.reduce(1, *), ks.reduce(1, *), ns.reduce(1, *)])
        let product = try pa.bmm(pb).reshape(bs + ms + ns)
        return (batch + aOnly + bOnly, product)
    }
}
