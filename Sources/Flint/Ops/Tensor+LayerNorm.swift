import CFlintKernels

/// Layer norm as one differentiable primitive: per row one pass for the mean, one for the variance and one for
/// normalise + affine; the backward one pass per row for the input gradient and one over all rows for the weight
/// and bias (FlintNorm.h). Composed from mean, sub, mul and rsqrt it took seven passes forward and about
/// fifteen backward, each with its own temporary.

/// What `layerNormRows` keeps for its backward rule.
struct LayerNormSaved {
    /// The input, contiguous, as rows of `width` values; the weight (`width` values) if any.
    let input: Tensor
    let weight: Tensor?
    let hasBias: Bool
    let width: Int
    /// The normalized shape: that of the weight and bias and their gradients.
    let paramShape: [Int]
    /// `[2, rows]` float64: each row's mean, then its 1/√(var + eps).
    let stats: Tensor
}

extension Tensor {
    /// `F.layer_norm` over the last dims, `normalizedShape`, with optional `weight` and `bias` of that shape
    /// (checked by the caller).
    func layerNormRows(_ normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double) -> Tensor {
        let width = normalizedShape.reduce(1, *)
        let rows = count / Swift.max(width, 1)
        let x = contiguous().detach(), w = weight?.contiguous().detach(), b = bias?.contiguous()
        let out = Tensor(empty: shape, dtype: dtype), stats = Tensor(empty: [2, rows], dtype: .float64)
        func run<T: FloatElement>(_: T.Type) {
            let xp = UnsafePointer(x.pointer(T.self)), yp = out.pointer(T.self)
            let wp = w.map { UnsafePointer($0.pointer(T.self)) }, bp = b.map { UnsafePointer($0.pointer(T.self)) }
            let mp = stats.pointer(Double.self), ip = mp + rows
            parallelFor(count: rows, minChunk: Tensor.channelChunk(width)) { r in
                if T.self == Double.self {
                    flint_layer_norm_f64(cast(xp), wp.map(cast), bp.map(cast), cast(yp), width, r.lowerBound, r.upperBound, eps, mp, ip)
                } else {
                    flint_layer_norm_f32(cast(xp), wp.map(cast), bp.map(cast), cast(yp), width, r.lowerBound, r.upperBound, eps, mp, ip)
                }
            }
        }
        withExtendedLifetime(b) { dtype == .float64 ? run(Double.self) : run(Float.self) }
        let saved = LayerNormSaved(input: x, weight: w, hasBias: bias != nil, width: width, paramShape: normalizedShape, stats: stats)
        return Autograd.record(out, .layerNorm(saved), inputs: [self] + [weight, bias].compactMap { $0 })
    }
}

extension LayerNormSaved {
    /// Gradients for (input, weight?, bias?) given `g` shaped like the input.
    func gradients(_ g: Tensor, needed: [Bool]) -> [Tensor?] {
        let rows = input.count / Swift.max(width, 1)
        let gy = g.contiguous()
        let dx = needed[0] ? Tensor(empty: input.shape, dtype: g.dtype) : nil
        let wantW = weight != nil && needed[1], wantB = hasBias && needed[weight != nil ? 2 : 1]
        let dw = wantW ? Tensor(empty: paramShape, dtype: g.dtype) : nil, db = wantB ? Tensor(empty: paramShape, dtype: g.dtype) : nil
        func run<T: FloatElement>(_: T.Type) {
            let xp = UnsafePointer(input.pointer(T.self)), gp = UnsafePointer(gy.pointer(T.self))
            let wp = weight.map { UnsafePointer($0.pointer(T.self)) }
            let mp = stats.pointer(Double.self), ip = mp + rows
            if let dx {
                let dp = dx.pointer(T.self)
                parallelFor(count: rows, minChunk: Tensor.channelChunk(width)) { r in
                    if T.self == Double.self {
                        flint_layer_norm_backward_f64(cast(xp), cast(gp), wp.map(cast), mp, ip, cast(dp), width, r.lowerBound, r.upperBound)
                    } else {
                        flint_layer_norm_backward_f32(cast(xp), cast(gp), wp.map(cast), mp, ip, cast(dp), width, r.lowerBound, r.upperBound)
                    }
                }
            }
            guard wantW || wantB else { return }
            let dwp = dw?.pointer(T.self), dbp = db?.pointer(T.self)
            if T.self == Double.self {
                flint_layer_norm_param_grads_f64(cast(xp), cast(gp), mp, ip, dwp.map(cast), dbp.map(cast), width, rows)
            } else {
                flint_layer_norm_param_grads_f32(cast(xp), cast(gp), mp, ip, dwp.map(cast), dbp.map(cast), width, rows)
            }
        }
        withExtendedLifetime(gy) { g.dtype == .float64 ? run(Double.self) : run(Float.self) }
        return [dx] + (weight != nil ? [dw] : []) + (hasBias ? [db] : [])
    }
}
