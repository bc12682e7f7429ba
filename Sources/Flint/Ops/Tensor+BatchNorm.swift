import CFlintKernels

/// Batch norm with the batch's statistics as one differentiable primitive: a pass for the mean, one for the
/// variance, one for normalise + affine; the backward is one pass of per-channel sums and one for the input
/// gradient (FlintNorm.h). Composed from mean, sub, mul, rsqrt and friends it took about ten passes forward
/// and twenty backward, each with its own temporary.

/// What `batchNormBatchStatistics` keeps for its backward rule.
struct BatchNormSaved {
    /// The input `[N, C, *]`, contiguous; the weight `[C]` if any.
    let input: Tensor
    let weight: Tensor?
    let hasBias: Bool
    /// Per channel: the batch mean and 1/√(var + eps).
    let mean: [Double]
    let invstd: [Double]
}

extension Tensor {
    /// Channels per task, so that each of the pool's tasks has about 32K elements to do.
    static func channelChunk(_ perChannel: Int) -> Int { Swift.max(1, (1 << 15) / Swift.max(perChannel, 1)) }

    /// `F.batch_norm(input, None, None, weight, bias, training=True, eps=eps)`: normalises each channel of
    /// `[N, C, *]` with its mean and biased variance over the batch and the positions, then scales by `weight`
    /// and shifts by `bias` (`[C]` each). Also returns the mean and biased variance per channel, for the
    /// running statistics.
    func batchNormBatchStatistics(weight: Tensor?, bias: Tensor?, eps: Double) throws -> (Tensor, mean: [Double], variance: [Double]) {
        let c = shape[1], n = shape[0], s = count / Swift.max(n * c, 1)
        let x = contiguous().detach()
        let out = Tensor(empty: shape, dtype: dtype)
        let stats = Tensor(empty: [2, c], dtype: .float64), affine = Tensor(empty: [2, c], dtype: dtype)
        let w = weight?.contiguous(), b = bias?.contiguous()
        func run<T: FloatElement>(_: T.Type) {
            let xp = x.pointer(T.self), yp = out.pointer(T.self), mp = stats.pointer(Double.self), vp = mp + c
            parallelFor(count: c, minChunk: Tensor.channelChunk(n * s)) { r in normStats(xp, n, c, s, r, mp, vp) }
            // y = scale·x + shift with scale = w/√(var + eps), shift = b − mean·scale.
            let scale = affine.pointer(T.self), shift = scale + c
            for ch in 0..<c {
                let sc = (w.map { $0.pointer(T.self)[ch].flintDouble } ?? 1) / (vp[ch] + eps).squareRoot()
                scale[ch] = T(flintDouble: sc)
                shift[ch] = T(flintDouble: (b.map { $0.pointer(T.self)[ch].flintDouble } ?? 0) - mp[ch] * sc)
            }
            parallelFor(count: c, minChunk: Tensor.channelChunk(n * s)) { r in normAffine(xp, nil, yp, n, c, s, r, scale, nil, shift) }
        }
        withExtendedLifetime((w, b)) { dtype == .float64 ? run(Double.self) : run(Float.self) }
        let values = stats.toArray(Double.self)
        let mean = Array(values[..<c]), variance = Array(values[c...])
        let saved = BatchNormSaved(input: x, weight: w?.detach(), hasBias: bias != nil, mean: mean,
                                   invstd: variance.map { 1 / ($0 + eps).squareRoot() })
        let inputs = [self] + [weight, bias].compactMap { $0 }
        return (Autograd.record(out, .batchNorm(saved), inputs: inputs), mean, variance)
    }
}

extension BatchNormSaved {
    /// Gradients for (input, weight?, bias?) given `g` `[N, C, *]`: with M values per channel and
    /// x̂ = (x − mean)·invstd, dbias = Σ dy, dweight = Σ dy·x̂ and
    /// dx = w·invstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M).
    func gradients(_ g: Tensor, needed: [Bool]) -> [Tensor?] {
        let n = input.shape[0], c = input.shape[1], s = input.count / Swift.max(n * c, 1)
        let m = Double(n * s)
        let gy = g.contiguous()
        let sums = Tensor(empty: [2, c], dtype: .float64), coefficients = Tensor(empty: [3, c], dtype: g.dtype)
        let dx = needed[0] ? Tensor(empty: input.shape, dtype: g.dtype) : nil
        func run<T: FloatElement>(_: T.Type) {
            let xp = input.pointer(T.self), gp = gy.pointer(T.self), sumDy = sums.pointer(Double.self), sumDyXmu = sumDy + c
            parallelFor(count: c, minChunk: Tensor.channelChunk(n * s)) { r in normBackwardSums(xp, gp, n, c, s, r, mean, sumDy, sumDyXmu) }
            guard let dx else { return }
            // dx = a·dy + b·x + k: a = w·invstd, b = −a·invstd²·Σ(dy·(x − mean))/M, k = −a·Σdy/M − b·mean.
            let a = coefficients.pointer(T.self), b = a + c, k = b + c
            for ch in 0..<c {
                let inv = invstd[ch], ac = (weight.map { $0.pointer(T.self)[ch].flintDouble } ?? 1) * inv
                let bc = -ac * inv * inv * sumDyXmu[ch] / m
                a[ch] = T(flintDouble: ac)
                b[ch] = T(flintDouble: bc)
                k[ch] = T(flintDouble: -ac * sumDy[ch] / m - bc * mean[ch])
            }
            let dp = dx.pointer(T.self)
            parallelFor(count: c, minChunk: Tensor.channelChunk(n * s)) { r in normAffine(gp, xp, dp, n, c, s, r, a, b, k) }
        }
        withExtendedLifetime(gy) { g.dtype == .float64 ? run(Double.self) : run(Float.self) }
        let values = sums.toArray(Double.self)
        let sumDy = Array(values[..<c]), sumDyXmu = Array(values[c...])
        var grads: [Tensor?] = [dx]
        if weight != nil {
            grads.append(needed[1] ? Tensor.fromDoubles(zip(sumDyXmu, invstd).map { $0 * $1 }, dtype: g.dtype) : nil)
        }
        if hasBias { grads.append(needed[grads.count] ? Tensor.fromDoubles(sumDy, dtype: g.dtype) : nil) }
        return grads
    }
}

// The C kernels of FlintNorm.h for float32 or float64, over the channels in `r`.

@inline(__always)
private func normStats<T: FloatElement>(_ x: UnsafePointer<T>, _ n: Int, _ c: Int, _ s: Int, _ r: Range<Int>,
                                        _ mean: UnsafeMutablePointer<Double>, _ variance: UnsafeMutablePointer<Double>) {
    if T.self == Double.self {
        flint_batch_norm_stats_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), n, c, s, r.lowerBound, r.upperBound, mean, variance)
    } else {
        flint_batch_norm_stats_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), n, c, s, r.lowerBound, r.upperBound, mean, variance)
    }
}

@inline(__always)
private func normBackwardSums<T: FloatElement>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ n: Int, _ c: Int, _ s: Int, _ r: Range<Int>,
                                               _ mean: [Double], _ sumDy: UnsafeMutablePointer<Double>, _ sumDyXmu: UnsafeMutablePointer<Double>) {
    if T.self == Double.self {
        flint_batch_norm_backward_sums_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), UnsafeRawPointer(dy).assumingMemoryBound(to: Double.self),
                                           n, c, s, r.lowerBound, r.upperBound, mean, sumDy, sumDyXmu)
    } else {
        flint_batch_norm_backward_sums_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self),
                                           n, c, s, r.lowerBound, r.upperBound, mean, sumDy, sumDyXmu)
    }
}

/// out = a·u + b·v + k per channel (v nil: out = a·u + k).
@inline(__always)
private func normAffine<T: FloatElement>(_ u: UnsafePointer<T>, _ v: UnsafePointer<T>?, _ out: UnsafeMutablePointer<T>, _ n: Int, _ c: Int,
                                         _ s: Int, _ r: Range<Int>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>?, _ k: UnsafePointer<T>) {
    func typed<U>(_ p: UnsafePointer<T>) -> UnsafePointer<U> { UnsafeRawPointer(p).assumingMemoryBound(to: U.self) }
    if T.self == Double.self {
        flint_batch_norm_affine_f64(typed(u), v.map(typed), UnsafeMutableRawPointer(out).assumingMemoryBound(to: Double.self),
                                    n, c, s, r.lowerBound, r.upperBound, typed(a), b.map(typed), typed(k))
    } else {
        flint_batch_norm_affine_f32(typed(u), v.map(typed), UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                    n, c, s, r.lowerBound, r.upperBound, typed(a), b.map(typed), typed(k))
    }
}
