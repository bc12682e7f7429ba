/// Sorting and order statistics: `sort`, `argsort`, `topk`, `kthvalue`,
/// `median`, `msort`. The kernels find indices; the values are a `gather`
/// of them, so gradients flow through gather's rule.

/// What `lineIndices` finds in each line along a dim.
enum LineIndices {
    /// The order that sorts the line (NaN after every number, as in PyTorch;
    /// equal elements keep their order).
    case sorting(descending: Bool)
    /// At each position, where the running maximum (or minimum) so far was
    /// reached: the last such index on ties, as in PyTorch; NaN propagates.
    case runningExtreme(max: Bool)
}

extension Tensor {
    /// Indices that sort each line along `d`.
    func sortIndices(_ d: Int, descending: Bool) -> Tensor { lineIndices(d, .sorting(descending: descending)) }

    /// Int64 indices into each line along `d` (a 0-dim tensor is one line of
    /// one element), of self's shape.
    func lineIndices(_ d: Int, _ what: LineIndices) -> Tensor {
        let src = rank == 0 ? (try? reshape([1])) ?? self : self
        let x = src.contiguous()
        let rs = ReduceShape(src.shape, dim: d)
        let out = Tensor(empty: src.shape, dtype: .int64)
        func run<T: NumericElement>(_: T.Type) {
            let px = x.pointer(T.self), po = out.pointer(Int64.self)
            var order = [Int](repeating: 0, count: rs.reduced)
            for o in 0..<rs.outer {
                for i in 0..<rs.inner {
                    let base = o * rs.reduced * rs.inner + i
                    switch what {
                    case .sorting(let descending):
                        for k in 0..<rs.reduced { order[k] = k }
                        order.sort { a, b in
                            let va = px[base + a * rs.inner], vb = px[base + b * rs.inner]
                            let naA = va != va, naB = vb != vb
                            // NaN counts as the largest value.
                            if naA || naB { return naA == naB ? a < b : (descending ? naA : naB) }
                            if va == vb { return a < b }
                            return descending ? va > vb : va < vb
                        }
                        for k in 0..<rs.reduced { po[base + k * rs.inner] = Int64(order[k]) }
                    case .runningExtreme(let max):
                        var best = 0
                        for k in 0..<rs.reduced {
                            let v = px[base + k * rs.inner], b = px[base + best * rs.inner]
                            if b == b && (v != v || (max ? v >= b : v <= b)) { best = k }
                            po[base + k * rs.inner] = Int64(best)
                        }
                    }
                }
            }
        }
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            switch x.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64: run(Int64.self)
            case .int32: run(Int32.self)
            case .uint8, .bool: run(UInt8.self)
            }
        }
        return rank == 0 ? (try? out.reshape([])) ?? out : out
    }

    /// `sort(dim, descending, stable)`: sorted values and their original indices.
    public func sort(dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizeDim(dim, rank: rank, op: "sort", shape: shape)
        let idx = sortIndices(d, descending: descending)
        return (try gather(d, idx), idx)
    }

    /// `argsort(dim, descending, stable)`.
    public func argsort(dim: Int = -1, descending: Bool = false) throws -> Tensor {
        try sort(dim: dim, descending: descending).indices
    }

    /// `msort()`: sorted along dim 0.
    public func msort() throws -> Tensor { try sort(dim: 0).values }

    /// `topk(k, dim, largest, sorted)`: the k largest (or smallest) elements
    /// along `dim`, in sorted order, and their indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizeDim(dim, rank: rank, op: "topk", shape: shape)
        let n = rank == 0 ? 1 : shape[d]
        guard k >= 0 && k <= n else {
            throw TensorError.invalidArgument(op: "topk", message: "selected index k=\(k) out of range for dimension \(d) of size \(n) (shape \(shape))")
        }
        let all = sortIndices(d, descending: largest)
        let idx = rank == 0 ? all : try all.narrow(d, start: 0, length: k).contiguous()
        return (try gather(d, idx), idx)
    }

    /// `kthvalue(k, dim, keepdim)`: the k-th smallest element (1-based) along `dim`.
    public func kthvalue(_ k: Int, dim: Int = -1, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizeDim(dim, rank: rank, op: "kthvalue", shape: shape)
        let n = rank == 0 ? 1 : shape[d]
        guard k >= 1 && k <= n else {
            throw TensorError.invalidArgument(op: "kthvalue", message: "k=\(k) is out of range for dimension \(d) of size \(n) (shape \(shape))")
        }
        return try pickSorted(d, position: k - 1, keepdim: keepdim)
    }

    /// `median(dim, keepdim)`: the lower median along `dim` (for an even count,
    /// the smaller of the two middle values, as in PyTorch) and its index.
    public func median(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let d = try normalizeDim(dim, rank: rank, op: "median", shape: shape)
        let n = rank == 0 ? 1 : shape[d]
        guard n > 0 else { throw TensorError.invalidArgument(op: "median", message: "cannot compute the median of an empty dimension (shape \(shape))") }
        // NaN sorts last; PyTorch's median returns NaN when a line holds one.
        let hasNaN = try noGrad { try isnan().any(dims: rank == 0 ? [] : [d], keepdim: true) }
        let (v, i) = try pickSorted(d, position: (n - 1) / 2, keepdim: true)
        var values = v, indices = i
        if try hasNaN.any().item() != 0 {
            let nanIndex = try isnan().casted(to: .int64).argmax(dim: rank == 0 ? 0 : d, keepdim: true)
            indices = try Tensor.whereMask(hasNaN, rank == 0 ? nanIndex.reshape([]) : nanIndex, indices)
            values = try gather(d, rank == 0 ? indices : indices)
        }
        if !keepdim && rank > 0 { return (try values.squeeze(d), try indices.squeeze(d)) }
        return (values, indices)
    }

    /// `median()`: the lower median of all elements, as a 0-dim tensor.
    public func median() throws -> Tensor {
        guard count > 0 else { throw TensorError.invalidArgument(op: "median", message: "median() input tensor cannot be empty") }
        return try reshape([-1]).median(dim: 0).values
    }

    /// The element at `position` of each sorted line along `d`, kept as a size-1 dim when `keepdim`.
    private func pickSorted(_ d: Int, position: Int, keepdim: Bool) throws -> (values: Tensor, indices: Tensor) {
        let order = sortIndices(d, descending: false)
        let idx = rank == 0 ? order : try order.narrow(d, start: position, length: 1).contiguous()
        let values = try gather(d, idx)
        if !keepdim && rank > 0 { return (try values.squeeze(d), try idx.squeeze(d)) }
        return (values, idx)
    }
}
