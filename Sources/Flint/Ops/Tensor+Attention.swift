import CFlintKernels

/// Scaled dot-product attention: `F.scaled_dot_product_attention`, and the fused float32 kernel
/// (FlintAttention.h) behind it and behind `nn.MultiheadAttention`, which computes each (batch, head)
/// pair's scores, softmax and weighted sum in one pass over L1-resident rows, splits the pairs over the
/// worker pool, reads and writes the heads in place (no split or merge copy) and is one node of the graph.
/// Float64, attention weights requested, masks that need a gradient and dropout of 1 take the composite
/// path: the same ops as `torch.nn.functional`'s math reference.

/// How the fused kernel finds each (batch, head) pair's rows in its operands.
package enum AttentionLayout {
    /// `[batch, L, E]`: one head per batch entry (the flattened leading dims of `F.scaled_dot_product_attention`).
    case batched
    /// `[L, N, heads·E]`: `nn.MultiheadAttention`'s time-major projections, head h in columns h·E ..< (h+1)·E.
    case timeMajor(heads: Int)
}

/// What the fused attention keeps for its backward rule.
struct AttentionSaved {
    /// The contiguous operands as the forward read them.
    let query: Tensor, key: Tensor, value: Tensor
    /// softmax(scores) before dropout, `[batch·heads, L, S]`.
    let probabilities: Tensor
    /// The dropout multipliers (0 or 1/(1 − p)), `[batch·heads, L, S]`.
    let dropout: Tensor?
    let layout: AttentionLayout
    let scale: Float
    let causal: Bool
}

extension AttentionLayout {
    /// The kernel's geometry (mask pointers not yet set) for `q` `[*, L, E]`, `k` `[*, S, E]`, `v` `[*, S, Ev]`, all contiguous.
    func geometry(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float, causal: Bool) -> flint_attention {
        var a = flint_attention()
        switch self {
        case .batched:
            a.batch = q.shape[0]; a.heads = 1; a.l = q.shape[1]; a.s = k.shape[1]; a.e = q.shape[2]; a.ev = v.shape[2]
            (a.q_batch, a.q_head, a.q_row) = (a.l * a.e, 0, a.e)
            (a.k_batch, a.k_head, a.k_row) = (a.s * a.e, 0, a.e)
            (a.v_batch, a.v_head, a.v_row) = (a.s * a.ev, 0, a.ev)
            (a.o_batch, a.o_head, a.o_row) = (a.l * a.ev, 0, a.ev)
        case let .timeMajor(heads):
            a.batch = q.shape[1]; a.heads = heads; a.l = q.shape[0]; a.s = k.shape[0]
            a.e = q.shape[2] / heads; a.ev = v.shape[2] / heads
            (a.q_batch, a.q_head, a.q_row) = (heads * a.e, a.e, a.batch * heads * a.e)
            (a.k_batch, a.k_head, a.k_row) = (heads * a.e, a.e, a.batch * heads * a.e)
            (a.v_batch, a.v_head, a.v_row) = (heads * a.ev, a.ev, a.batch * heads * a.ev)
            (a.o_batch, a.o_head, a.o_row) = (heads * a.ev, a.ev, a.batch * heads * a.ev)
        }
        a.scale = scale
        a.causal = causal ? 1 : 0
        return a
    }
}

/// Runs `body` over the (batch, head) pairs split across the worker pool, with `floats` of scratch per chunk.
/// A pair costs about L·S·(E + Ev) multiply-adds; chunks of at least 2¹⁸ of them outweigh waking a worker.
private func forEachPairChunk(_ a: flint_attention, scratch floats: Int, _ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void) {
    let pairs = a.batch * a.heads, work = Swift.max(1, a.l * a.s * (a.e + a.ev))
    parallelFor(count: pairs, minChunk: Swift.max(1, (1 << 18) / work)) { range in
        withScratch(Float.self, count: floats) { scratch in body(scratch, range.lowerBound, range.upperBound) }
    }
}

extension Tensor {
    /// `F.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)`.
    ///
    /// - Parameters:
    ///   - self: query `[*, L, E]`; `key` `[*, S, E]`; `value` `[*, S, Ev]`.
    ///   - attnMask: bool (true = attend) or float (added to the scores), broadcastable to `[*, L, S]`.
    /// - Returns: `[*, L, Ev]`.
    public func scaledDotProductAttention(_ key: Tensor, _ value: Tensor, attnMask: Tensor? = nil, dropoutP: Double = 0,
                                          isCausal: Bool = false, scale: Double? = nil, generator: Generator = .default) throws -> Tensor {
        guard rank >= 2, key.rank >= 2, value.rank >= 2, shape[rank - 1] == key.shape[key.rank - 1],
              key.shape[key.rank - 2] == value.shape[value.rank - 2] else {
            throw TensorError.shapeMismatch(op: "scaled_dot_product_attention", shapes: [shape, key.shape, value.shape])
        }
        let factor = scale ?? 1 / Double(shape[rank - 1]).squareRoot()
        if let fused = try fusedScaledDotProductAttention(key, value, attnMask: attnMask, dropoutP: dropoutP, isCausal: isCausal,
                                                          scale: factor, generator: generator) {
            return fused
        }
        return try compositeScaledDotProductAttention(key, value, attnMask: attnMask, dropoutP: dropoutP, isCausal: isCausal,
                                                      scale: factor, generator: generator)
    }

    /// `scaledDotProductAttention` from primitives (matmul, where, softmax, dropout), for what the fused kernel does not cover.
    func compositeScaledDotProductAttention(_ key: Tensor, _ value: Tensor, attnMask: Tensor?, dropoutP: Double, isCausal: Bool,
                                            scale factor: Double, generator: Generator) throws -> Tensor {
        let l = shape[rank - 2], s = key.shape[key.rank - 2]
        var scores = try matmul(key.transpose(-2, -1)) * factor
        let negInf = Tensor.scalar(-.infinity, dtype: scores.dtype)
        if isCausal {
            // Query i attends to keys j ≤ i (PyTorch's lower-triangular mask).
            let rows = try Tensor.arange(0, Double(l)).unsqueeze(1), cols = try Tensor.arange(0, Double(s)).unsqueeze(0)
            let causal = try cols.le(rows)
            scores = try Tensor.whereMask(causal, scores, negInf)
        }
        if let attnMask {
            scores = attnMask.dtype == .bool ? try Tensor.whereMask(attnMask, scores, negInf) : try scores + attnMask
        }
        // Rows with every key masked attend to nothing (zeros, as PyTorch's safe softmax gives);
        // they are softmaxed over zeros first so that no NaN reaches the gradient.
        let blocked = try noGrad { try scores.isneginf().all(dims: [-1], keepdim: true) }
        let zero = Tensor.scalar(0, dtype: scores.dtype)
        let probabilities = try Tensor.whereMask(blocked, zero, Tensor.whereMask(blocked, zero, scores).softmax(dim: -1))
        let weights = try probabilities.dropout(p: dropoutP, training: dropoutP > 0, generator: generator)
        return try weights.matmul(value)
    }

    /// The fused kernel for `scaledDotProductAttention` when it covers the call (float32, equal batch shapes,
    /// a mask that needs no gradient and broadcasts to `[*, L, S]`, dropout below 1), else nil.
    private func fusedScaledDotProductAttention(_ key: Tensor, _ value: Tensor, attnMask: Tensor?, dropoutP: Double, isCausal: Bool,
                                                scale: Double, generator: Generator) throws -> Tensor? {
        let batchShape = Array(shape.dropLast(2))
        guard dtype == .float32, key.dtype == .float32, value.dtype == .float32, dropoutP >= 0, dropoutP < 1, count > 0, key.count > 0,
              Array(key.shape.dropLast(2)) == batchShape, Array(value.shape.dropLast(2)) == batchShape else { return nil }
        let l = shape[rank - 2], s = key.shape[key.rank - 2], batch = batchShape.reduce(1, *)
        var mask: Tensor?
        if let attnMask {
            guard attnMask.dtype == .bool || attnMask.dtype == .float32, !attnMask.requiresGrad,
                  broadcastShapes(attnMask.shape, batchShape + [l, s]) == batchShape + [l, s] else { return nil }
            let additive = attnMask.dtype == .bool
                ? try Tensor.whereMask(attnMask, Tensor.scalar(0, dtype: .float32), Tensor.scalar(-.infinity, dtype: .float32)) : attnMask
            // One [L, S] mask serves every pair when it does not vary over the batch dims.
            let shared = additive.shape.dropLast(2).allSatisfy { $0 == 1 }
            mask = shared ? try additive.reshape(Array(additive.shape.suffix(2))).expand([l, s]).contiguous()
                : try additive.expand(batchShape + [l, s]).contiguous().reshape([batch, l, s])
        }
        let q = try contiguous().reshape([batch, l, shape[rank - 1]])
        let k = try key.contiguous().reshape([batch, s, key.shape[key.rank - 1]])
        let v = try value.contiguous().reshape([batch, s, value.shape[value.rank - 1]])
        let out = try Tensor.fusedAttention(q, k, v, layout: .batched, mask: mask, keyMask: nil, causal: isCausal, scale: scale,
                                            dropoutP: dropoutP, generator: generator)
        return try out.reshape(batchShape + [l, value.shape[value.rank - 1]])
    }

    /// Attention through the fused float32 kernel, one autograd node for `q`, `k` and `v`.
    ///
    /// - Parameters:
    ///   - q: `[batch, L, E]` (`.batched`) or `[L, N, heads·E]` (`.timeMajor`); `k` likewise with S rows, `v` with Ev.
    ///   - mask: float32, added to the scores: `[L, S]` for every pair, or `[batch·heads, L, S]`; no gradient.
    ///   - keyMask: float32 `[N, S]`, added to every score row of batch entry n (`.timeMajor` only); no gradient.
    ///   - dropoutP: in [0, 1): the probabilities are multiplied by `dropout_mask([batch·heads, L, S])` drawn from
    ///     `generator`, the same draws in the same order as `F.dropout` of the attention weights.
    /// - Returns: `[batch, L, Ev]` or `[L, N, heads·Ev]`.
    package static func fusedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, layout: AttentionLayout, mask: Tensor?, keyMask: Tensor?,
                                       causal: Bool, scale: Double, dropoutP: Double, generator: Generator) throws -> Tensor {
        let q = q.contiguous(), k = k.contiguous(), v = v.contiguous()
        let qd = q.detach(), kd = k.detach(), vd = v.detach()
        var a = layout.geometry(qd, kd, vd, scale: Float(scale), causal: causal)
        let pairs = a.batch * a.heads
        if let mask {
            guard mask.shape == [a.l, a.s] || mask.shape == [pairs, a.l, a.s] else {
                throw TensorError.shapeMismatch(op: "scaled_dot_product_attention", shapes: [mask.shape, [a.l, a.s]],
                                                detail: "attn_mask must be [L, S] or [batch·heads, L, S]")
            }
        }
        if let keyMask, keyMask.shape != [a.batch, a.s] {
            throw TensorError.shapeMismatch(op: "scaled_dot_product_attention", shapes: [keyMask.shape, [a.batch, a.s]],
                                            detail: "key_padding_mask must be [N, S]")
        }
        // The mask of `F.dropout(weights, p)` (the same draws); the masked zeros it also returns are not needed.
        let dropout = dropoutP > 0
            ? Tensor.dropoutMasked(Tensor(shape: [pairs, a.l, a.s], filledWith: 0, dtype: .float32), p: dropoutP, generator: generator).mask : nil
        // [batch, L, Ev] or [L, N, heads·Ev]: the query's first two dims and the value's last.
        let out = Tensor(empty: [q.shape[0], q.shape[1], v.shape[2]], dtype: .float32)
        let recording = Autograd.isEnabled && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
        let probabilities = recording ? Tensor(empty: [pairs, a.l, a.s], dtype: .float32) : nil
        let maskData = mask.map { $0.dtype == .float32 ? $0.contiguous() : $0.casted(to: .float32).contiguous() }
        let keyMaskData = keyMask.map { $0.dtype == .float32 ? $0.contiguous() : $0.casted(to: .float32).contiguous() }
        withExtendedLifetime((maskData, keyMaskData, dropout)) {
            if let maskData {
                a.mask = UnsafePointer(maskData.pointer(Float.self))
                (a.mask_batch, a.mask_head) = maskData.rank == 3 ? (a.heads * a.l * a.s, a.l * a.s) : (0, 0)
            }
            a.key_mask = keyMaskData.map { UnsafePointer($0.pointer(Float.self)) }
            a.dropout = dropout.map { UnsafePointer($0.pointer(Float.self)) }
            let qp = qd.pointer(Float.self), kp = kd.pointer(Float.self), vp = vd.pointer(Float.self)
            let op = out.pointer(Float.self), pp = probabilities?.pointer(Float.self)
            let geometry = a
            forEachPairChunk(geometry, scratch: withUnsafePointer(to: geometry) { flint_attention_forward_scratch($0) }) { scratch, first, end in
                withUnsafePointer(to: geometry) { flint_attention_forward_f32($0, qp, kp, vp, op, pp, scratch, first, end) }
            }
        }
        guard let probabilities else { return out }
        let saved = AttentionSaved(query: qd, key: kd, value: vd, probabilities: probabilities, dropout: dropout, layout: layout,
                                   scale: Float(scale), causal: causal)
        return Autograd.record(out, .attention(saved), inputs: [q, k, v])
    }
}

extension AttentionSaved {
    /// Gradients for (query, key, value) given `g` shaped like the output.
    func gradients(_ g: Tensor, needed: [Bool]) -> [Tensor?] {
        let gy = g.dtype == .float32 ? g.contiguous() : g.casted(to: .float32).contiguous()
        var a = layout.geometry(query, key, value, scale: scale, causal: causal)
        let dq = needed[0] ? Tensor(empty: query.shape, dtype: .float32) : nil
        let dk = needed[1] ? Tensor(empty: key.shape, dtype: .float32) : nil
        let dv = needed[2] ? Tensor(empty: value.shape, dtype: .float32) : nil
        withExtendedLifetime((gy, dropout)) {
            a.dropout = dropout.map { UnsafePointer($0.pointer(Float.self)) }
            let qp = query.pointer(Float.self), kp = key.pointer(Float.self), vp = value.pointer(Float.self)
            let pp = probabilities.pointer(Float.self), gp = gy.pointer(Float.self)
            let dqp = dq?.pointer(Float.self), dkp = dk?.pointer(Float.self), dvp = dv?.pointer(Float.self)
            let geometry = a
            forEachPairChunk(geometry, scratch: withUnsafePointer(to: geometry) { flint_attention_backward_scratch($0) }) { scratch, first, end in
                withUnsafePointer(to: geometry) { flint_attention_backward_f32($0, qp, kp, vp, pp, gp, dqp, dkp, dvp, scratch, first, end) }
            }
        }
        return [dq, dk, dv]
    }
}
