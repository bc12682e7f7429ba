/// Cumulative ops along a dimension: `cumsum`, `cumprod`, `cummax`,
/// `cummin`, `logcumsumexp`.

enum ScanKind { case sum, prod }

extension Tensor {
    /// Inclusive scan along `d` of a floating or int64 contiguous copy;
    /// `reverse` scans from the end (used by the gradient of cumsum).
    func scan(_ d: Int, _ kind: ScanKind, reverse: Bool = false) -> Tensor {
        let src = rank == 0 ? (try? reshape([1])) ?? self : self
        let dtype: DType = self.dtype.isFloatingPoint ? self.dtype : .int64
        let x = src.casted(to: dtype).contiguous()
        let rs = ReduceShape(src.shape, dim: d)
        let out = Tensor(empty: src.shape, dtype: dtype)
        @inline(__always)
        func run<T: NumericElement>(_: T.Type, _ combine: (T, T) -> T, _ start: T) {
            let px = x.pointer(T.self), po = out.pointer(T.self)
            for o in 0..<rs.outer {
                let base = o * rs.reduced * rs.inner
                var acc = [T](repeating: start, count: rs.inner)
                for step in 0..<rs.reduced {
                    let k = reverse ? rs.reduced - 1 - step : step
                    let row = base + k * rs.inner
                    for i in 0..<rs.inner {
                        acc[i] = combine(acc[i], px[row + i])
                        po[row + i] = acc[i]
                    }
                }
            }
        }
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            switch (dtype, kind) {
            case (.float32, .sum): run(Float.self, +, 0)
            case (.float32, .prod): run(Float.self, *, 1)
            case (.float64, .sum): run(Double.self, +, 0)
            case (.float64, .prod): run(Double.self, *, 1)
            case (_, .sum): run(Int64.self, &+, 0)
            case (_, .prod): run(Int64.self, &*, 1)
            }
        }
        return rank == 0 ? (try? out.reshape([])) ?? out : out
    }

    /// `cumsum(dim)`: integers accumulate in int64, as in PyTorch.
    public func cumsum(dim: Int) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "cumsum", shape: shape)
        let out = scan(d, .sum)
        return out.dtype.isFloatingPoint ? Autograd.record(out, .cumsum(dim: d), inputs: [self]) : out
    }

    /// `cumprod(dim)`.
    public func cumprod(dim: Int) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "cumprod", shape: shape)
        let out = scan(d, .prod)
        guard out.dtype.isFloatingPoint else { return out }
        return Autograd.record(out, .cumprod(dim: d, input: casted(to: out.dtype).contiguous().detach()), inputs: [self])
    }

    /// `cummax(dim)` / `cummin(dim)`: running extremum and the index where it was
    /// reached (the last such index on ties, as in PyTorch; NaN propagates).
    public func cummax(dim: Int) throws -> (values: Tensor, indices: Tensor) { try cumulativeExtreme(dim, max: true) }
    public func cummin(dim: Int) throws -> (values: Tensor, indices: Tensor) { try cumulativeExtreme(dim, max: false) }

    private func cumulativeExtreme(_ dim: Int, max: Bool) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizeDim(dim, rank: rank, op: max ? "cummax" : "cummin")
        let indices = lineIndices(d, .runningExtreme(max: max))
        return (try gather(d, indices), indices)
    }

    /// `logcumsumexp(dim)`: `log Σ_{j≤i} exp(x_j)`. Composite, shifted by the line's maximum.
    public func logcumsumexp(dim: Int) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "logcumsumexp", shape: shape)
        let x = dtype.isFloatingPoint ? self : casted(to: .float32)
        let shift = try noGrad { () -> Tensor in
            let m = try x.detach().amax(dims: rank == 0 ? [] : [d], keepdim: true)
            return try Tensor.whereMask(m.isfinite(), m, Tensor.zeros([], dtype: x.dtype))
        }
        return try (x - shift).exp().cumsum(dim: d).log() + shift
    }
}

extension Backward {
    /// d/dx of cumprod: Σ_{j≥i} g_j·out_j / x_i, computed as sums of products
    /// of the other elements, so that zeros in x are exact.
    static func cumprodGradient(_ g: Tensor, dim: Int, input: Tensor) -> Tensor {
        let rs = ReduceShape(input.shape.isEmpty ? [1] : input.shape, dim: dim)
        let gc = g.contiguous()
        let result = Tensor(empty: input.shape, dtype: input.dtype)
        func run<T: FloatElement>(_: T.Type) {
            let x = input.pointer(T.self), gp = gc.pointer(T.self), r = result.pointer(T.self)
            let n = rs.reduced
            for o in 0..<rs.outer {
                for i in 0..<rs.inner {
                    let at = { (k: Int) in (o * n + k) * rs.inner + i }
                    // out_j / x_k = Π_{m≤j, m≠k} x_m, accumulated without dividing.
                    var prefix: T = 1
                    for k in 0..<n {
                        var total: T = 0
                        var partial = prefix
                        prefix *= x[at(k)]
                        for j in k..<n {
                            if j > k { partial *= x[at(j)] }
                            total += gp[at(j)] * partial
                        }
                        r[at(k)] = total
                    }
                }
            }
        }
        withExtendedLifetime(gc) {
            if input.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        }
        return result
    }
}
