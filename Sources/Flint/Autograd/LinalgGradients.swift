/// The longer backward rules of `torch.linalg`'s decompositions, written with
/// tensor ops so that they work over batches. Each follows PyTorch's
/// `FunctionsManual.cpp` (and, for QR, the equivalent TensorFlow rule).
enum LinalgGradients {
    /// A = L Lᵀ: gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹ with Φ taking the lower triangle and halving the diagonal.
    static func cholesky(_ gL: Tensor, l: Tensor) throws -> Tensor {
        var ga = try l.mT().matmul(gL).tril()
        ga = try (ga + ga.tril(-1).mT()) * 0.5
        let linv = try Linalg.inv(l)
        return try linv.mT().matmul(ga).matmul(linv)
    }

    /// A = QR (m ≥ n): gA = Q(gR + tril(skew(QᵀgQ) + skew(R gRᵀ)) R⁻ᵀ) + (gQ − Q QᵀgQ) R⁻ᵀ.
    static func qr(gQ: Tensor?, gR: Tensor?, q: Tensor, r: Tensor) throws -> Tensor {
        let gq = gQ ?? Tensor.zerosLike(q), gr = gR ?? Tensor.zerosLike(r)
        let qdq = try q.mT().matmul(gq), rdr = try r.matmul(gr.mT())
        let lower = try (qdq - qdq.mT() + rdr - rdr.mT()).tril()
        let rinvT = try Linalg.inv(r).mT()
        let first = try q.matmul(gr + lower.matmul(rinvT))
        let second = try (gq - q.matmul(qdq)).matmul(rinvT)
        return try first + second
    }

    /// A = U diag(S) Vh (reduced): the rule of PyTorch's `svd_backward` for real inputs.
    static func svd(gU: Tensor?, gS: Tensor?, gVh: Tensor?, u: Tensor, s: Tensor, vh: Tensor) throws -> Tensor {
        let m = u.shape[u.rank - 2], n = vh.shape[vh.rank - 1], k = s.shape[s.rank - 1]
        if gU == nil && gVh == nil, let gS { return try (u * gS.unsqueeze(-2)).matmul(vh) }
        let v = try vh.mT()
        let gu = gU ?? Tensor.zerosLike(u)
        let gv = try gVh.map { try $0.mT() } ?? Tensor.zeros(v.shape, dtype: v.dtype)
        let uhgu = try u.mT().matmul(gu), vhgv = try v.mT().matmul(gv)
        let s2 = try s * s
        let eye = try Tensor.eye(k, dtype: s.dtype).casted(to: .bool)
        // E_ij = S_j² − S_i², with 1 on the diagonal (overwritten below).
        let e = try Tensor.whereMask(eye, Tensor.ones([], dtype: s.dtype), s2.unsqueeze(-2) - s2.unsqueeze(-1))
        var inner = try ((uhgu - uhgu.mT()) * s.unsqueeze(-2) + s.unsqueeze(-1) * (vhgv - vhgv.mT())) / e
        let diag = try gS.map { try $0.diagEmbed() } ?? Tensor.zeros(inner.shape, dtype: inner.dtype)
        inner = try Tensor.whereMask(eye, diag, inner)
        var ga = try u.matmul(inner).matmul(vh)
        if m > k { ga = try ga + ((gu - u.matmul(uhgu)) / s.unsqueeze(-2)).matmul(vh) }
        if n > k { ga = try ga + (u / s.unsqueeze(-2)).matmul((gv - v.matmul(vhgv)).mT()) }
        return ga
    }

    /// A = V diag(L) Vᵀ: gA = V (skew(VᵀgV)/2 ⊘ E + diag(gL)) Vᵀ with E_ij = L_j − L_i.
    static func eigh(gL: Tensor?, gV: Tensor?, l: Tensor, v: Tensor) throws -> Tensor {
        let n = l.shape[l.rank - 1]
        let eye = try Tensor.eye(n, dtype: l.dtype).casted(to: .bool)
        var inner: Tensor
        if let gV {
            let vhgv = try v.mT().matmul(gV)
            let skew = try (vhgv - vhgv.mT()) * 0.5
            let e = try Tensor.whereMask(eye, Tensor.ones([], dtype: l.dtype), l.unsqueeze(-2) - l.unsqueeze(-1))
            inner = try skew / e
        } else {
            inner = Tensor.zerosLike(v)
        }
        let diag = try gL.map { try $0.diagEmbed() } ?? Tensor.zeros(inner.shape, dtype: inner.dtype)
        inner = try Tensor.whereMask(eye, diag, inner)
        return try v.matmul(inner).matmul(v.mT())
    }

    /// X = lstsq(A, B), differentiated as PyTorch does, as X = A⁺B:
    /// gA = pinv's rule applied to gX Bᵀ, gB = A⁺ᵀ gX.
    static func lstsq(_ gX: Tensor, a: Tensor, b: Tensor, needed: [Bool]) throws -> [Tensor?] {
        // An empty A has the empty pseudo-inverse: X does not depend on A or B.
        if a.count == 0 { return [needed[0] ? Tensor.zerosLike(a) : nil, needed[1] ? Tensor.zerosLike(b) : nil] }
        let pinvA = try Linalg.pinv(a)
        return [needed[0] ? try pinv(gX.matmul(b.mT()), pinvA: pinvA, a: a) : nil,
                needed[1] ? try pinvA.mT().matmul(gX) : nil]
    }

    /// The gradient through A⁺ = pinv(A) of `A` `[*, m, n]` (PyTorch's
    /// `pinv_backward` for real inputs), ordered so that the products stay min(m, n) wide.
    static func pinv(_ g: Tensor, pinvA: Tensor, a: Tensor) throws -> Tensor {
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        let pinvAT = try pinvA.mT(), gT = try g.mT()
        if m <= n {
            let k = try gT.matmul(pinvA)
            let kPinvAT = try k.matmul(pinvAT)
            let first = try kPinvAT - pinvA.matmul(k).mT()
            let second = try a.matmul(pinvA).matmul(kPinvAT)
            return try first - second + pinvAT.matmul(pinvA).matmul(gT - k.matmul(a))
        }
        let k = try pinvA.matmul(gT)
        let pinvATk = try pinvAT.matmul(k)
        let first = try (gT - a.matmul(k)).matmul(pinvA).matmul(pinvAT) - k.matmul(pinvA).mT()
        return try first + pinvATk - pinvATk.matmul(pinvA).matmul(a)
    }
}

extension Tensor {
    /// `mT`: the transpose of the last two dims (a view).
    public func mT() throws -> Tensor { try transpose(-2, -1) }
}
