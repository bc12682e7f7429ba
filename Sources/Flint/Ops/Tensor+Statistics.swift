/// Reductions beyond sum and mean: `prod`, `amax`/`amin`, `var`/`std`,
/// `norm`, `logsumexp`, `all`/`any`, `count_nonzero`, NaN-ignoring forms.

extension Tensor {
    /// `all(dim, keepdim)`: true where every element is nonzero; all dims when `dims` is empty.
    public func all(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        let out = try noGrad { try eq(0).sum(dims: dims, keepdim: keepdim).eq(0) }
        return dtype == .uint8 ? out.casted(to: .uint8) : out
    }

    /// `any(dim, keepdim)`: true where some element is nonzero.
    public func any(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        let out = try noGrad { try ne(0).sum(dims: dims, keepdim: keepdim).gt(0) }
        return dtype == .uint8 ? out.casted(to: .uint8) : out
    }

    /// `count_nonzero(dim)`.
    public func countNonzero(dims: [Int] = []) throws -> Tensor { try noGrad { try ne(0).sum(dims: dims) } }

    /// `amax(dim, keepdim)` / `amin(dim, keepdim)`: the gradient is shared evenly among ties, as in PyTorch.
    public func amax(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try extreme(dims: dims, keepdim: keepdim, max: true) }
    public func amin(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try extreme(dims: dims, keepdim: keepdim, max: false) }

    /// `max()`: the largest element, as a 0-dim tensor.
    public func max() throws -> Tensor { try extreme(dims: [], keepdim: false, max: true) }
    /// `min()`: the smallest element, as a 0-dim tensor.
    public func min() throws -> Tensor { try extreme(dims: [], keepdim: false, max: false) }

    /// `aminmax(dim, keepdim)`.
    public func aminmax(dims: [Int] = [], keepdim: Bool = false) throws -> (min: Tensor, max: Tensor) {
        (try amin(dims: dims, keepdim: keepdim), try amax(dims: dims, keepdim: keepdim))
    }

    private func extreme(dims: [Int], keepdim: Bool, max: Bool) throws -> Tensor {
        let op = max ? "amax" : "amin"
        let d = try reductionDims(dims, op: op)
        guard d.allSatisfy({ rank == 0 || shape[$0] > 0 }) else {
            throw TensorError.invalidArgument(op: op, message: "expected reduction dims \(dims) to have non-zero size, got shape \(shape)")
        }
        let kept = try noGrad { () -> Tensor in
            var r = self.detach()
            for dim in d { r = max ? try r.max(dim: dim, keepdim: true).values : try r.min(dim: dim, keepdim: true).values }
            return r
        }
        let out = rank == 0 ? kept : try kept.reshape(reducedShape(d, keepdim: keepdim))
        guard dtype.isFloatingPoint, Autograd.isEnabled, requiresGrad else { return out.detach() }
        let weights = try noGrad { () -> Tensor in
            let hits = try eq(kept).casted(to: dtype)
            return try hits / hits.sum(dims: d, keepdim: true)
        }
        return Autograd.record(out.detach(), .spread(op, dims: d, keepdim: keepdim, weights: weights), inputs: [self])
    }

    /// `prod(dim, keepdim)`; over all elements when `dim` is nil. Integers multiply in int64.
    public func prod(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        guard let dim else {
            let flat = try reshape([-1])
            let p = try flat.prod(dim: 0)
            return keepdim ? try p.reshape([Int](repeating: 1, count: rank)) : p
        }
        let d = try normalizeDim(dim, rank: rank, op: "prod", shape: shape)
        let src = rank == 0 ? try reshape([1]) : self
        let dtype: DType = self.dtype.isFloatingPoint ? self.dtype : .int64
        let x = src.casted(to: dtype).contiguous()
        let rs = ReduceShape(src.shape, dim: d)
        let outShape = rank == 0 ? [] : reducedShape([d], keepdim: keepdim)
        let out = Tensor(empty: outShape, dtype: dtype)
        @inline(__always)
        func run<T: NumericElement>(_: T.Type, _ multiply: (T, T) -> T) {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            for o in 0..<rs.outer {
                for i in 0..<rs.inner {
                    var acc = T.oneValue
                    for k in 0..<rs.reduced { acc = multiply(acc, px[(o * rs.reduced + k) * rs.inner + i]) }
                    po[o * rs.inner + i] = acc
                }
            }
        }
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            switch dtype {
            case .float32: run(Float.self, *)
            case .float64: run(Double.self, *)
            // Integer products wrap on overflow, as in PyTorch.
            default: run(Int64.self, &*)
            }
        }
        guard dtype.isFloatingPoint else { return out }
        return Autograd.record(out, .prod(dim: d, keepdim: keepdim, input: x), inputs: [self])
    }

    /// `var(dim, correction, keepdim)`: `Σ(x − mean)² / (N − correction)`. Composite.
    public func variance(dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: "var", dtype: dtype, detail: "floating point input expected, shape \(shape)") }
        let d = try reductionDims(dims, op: "var")
        let n = d.reduce(1) { $0 * (rank == 0 ? 1 : shape[$1]) }
        let centered = try self - mean(dims: dims, keepdim: true)
        return try (centered * centered).sum(dims: dims, keepdim: keepdim) / Swift.max(Double(n) - correction, 0)
    }

    /// `std(dim, correction, keepdim)`. Composite.
    public func std(dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        try variance(dims: dims, correction: correction, keepdim: keepdim).sqrt()
    }

    /// `var_mean(dim, correction, keepdim)`.
    public func varMean(dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> (variance: Tensor, mean: Tensor) {
        (try variance(dims: dims, correction: correction, keepdim: keepdim), try mean(dims: dims, keepdim: keepdim))
    }

    /// `std_mean(dim, correction, keepdim)`.
    public func stdMean(dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> (std: Tensor, mean: Tensor) {
        (try std(dims: dims, correction: correction, keepdim: keepdim), try mean(dims: dims, keepdim: keepdim))
    }

    /// `logsumexp(dim, keepdim)`: `log Σ exp(x)`, computed stably. Composite.
    public func logsumexp(dims: [Int], keepdim: Bool = false) throws -> Tensor {
        let x = dtype.isFloatingPoint ? self : casted(to: .float32)
        let d = try x.reductionDims(dims, op: "logsumexp")
        // Shift by the (finite) maximum so that exp cannot overflow.
        let shift = try noGrad { () -> Tensor in
            let m = try x.detach().amax(dims: d, keepdim: true)
            return try Tensor.whereMask(m.isfinite(), m, Tensor.zeros([], dtype: x.dtype))
        }
        let s = try (x - shift).exp().sum(dims: d, keepdim: true).log() + shift
        return keepdim ? s : try s.reshape(x.reducedShape(d, keepdim: false))
    }

    /// `norm(p, dim, keepdim)` / `linalg.vector_norm(x, ord, dim, keepdim)`:
    /// `(Σ|x|^p)^(1/p)`, with p = ∞ (max |x|), −∞ (min |x|) and 0 (count of nonzeros). Composite.
    public func norm(p: Double = 2, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: "norm", dtype: dtype, detail: "floating point input expected, shape \(shape)") }
        let a = try abs()
        switch p {
        case .infinity: return try a.amax(dims: dims, keepdim: keepdim)
        case -.infinity: return try a.amin(dims: dims, keepdim: keepdim)
        case 0: return try a.ne(0).casted(to: dtype).sum(dims: dims, keepdim: keepdim)
        case 1: return try a.sum(dims: dims, keepdim: keepdim)
        case 2: return try (self * self).sum(dims: dims, keepdim: keepdim).sqrt()
        default: return try a.pow(p).sum(dims: dims, keepdim: keepdim).pow(1 / p)
        }
    }

    /// `nansum(dim, keepdim)`: the sum with NaN counted as zero. Composite.
    public func nansum(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else { return try sum(dims: dims, keepdim: keepdim) }
        return try Tensor.whereMask(isnan(), Tensor.zeros([], dtype: dtype), self).sum(dims: dims, keepdim: keepdim)
    }

    /// `nanmean(dim, keepdim)`: the mean of the non-NaN elements. Composite.
    public func nanmean(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: "nanmean", dtype: dtype, detail: "floating point input expected, shape \(shape)") }
        let n = try isnan().logicalNot().casted(to: dtype).sum(dims: dims, keepdim: keepdim)
        return try nansum(dims: dims, keepdim: keepdim) / n
    }
}

extension Backward {
    /// d/dx of prod along `dim`: the product of the other elements of each
    /// line, computed with prefix and suffix products so that zeros are exact.
    static func prodGradient(_ g: Tensor, dim: Int, keepdim: Bool, input: Tensor) throws -> Tensor {
        let shape = input.shape
        let gk = keepdim || input.rank == 0 ? g : try g.unsqueeze(dim)
        let rs = ReduceShape(shape.isEmpty ? [1] : shape, dim: dim)
        let others = Tensor(empty: shape, dtype: input.dtype)
        func run<T: FloatElement>(_: T.Type) {
            let x = input.pointer(T.self), o = others.pointer(T.self)
            for a in 0..<rs.outer {
                for i in 0..<rs.inner {
                    var prefix: T = 1
                    for k in 0..<rs.reduced {
                        let at = (a * rs.reduced + k) * rs.inner + i
                        o[at] = prefix
                        prefix *= x[at]
                    }
                    var suffix: T = 1
                    for k in stride(from: rs.reduced - 1, through: 0, by: -1) {
                        let at = (a * rs.reduced + k) * rs.inner + i
                        o[at] *= suffix
                        suffix *= x[at]
                    }
                }
            }
        }
        if input.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        return try gk * others
    }
}
