/// Reductions with `dim` and `keepdim`, as in PyTorch.

extension Tensor {
    /// Normalised, sorted, de-duplicated reduction dims (all dims when empty).
    func reductionDims(_ dims: [Int], op: String) throws -> [Int] {
        if dims.isEmpty { return Array(0..<rank) }
        let d = try dims.map { try normalizeDim($0, rank: rank, op: op, shape: shape) }
        guard Set(d).count == d.count else { throw TensorError.invalidArgument(op: op, message: "dim \(dims) appears multiple times") }
        return d.sorted()
    }

    /// Shape after reducing `dims`.
    func reducedShape(_ dims: [Int], keepdim: Bool) -> [Int] {
        var s: [Int] = []
        for i in 0..<rank {
            if dims.contains(i) { if keepdim { s.append(1) } } else { s.append(shape[i]) }
        }
        return s
    }

    /// Sum over one dim with keepdim, no autograd.
    private func sumOneDim(_ d: Int) throws -> Tensor {
        // Bools sum as uint8. A fresh contiguous copy must outlive the kernel that reads its memory.
        let x = dtype == .bool ? casted(to: .uint8).contiguous() : contiguous()
        var outShape = shape
        outShape[d] = 1
        let rs = ReduceShape(shape, dim: d)
        // Integer and bool sums accumulate in int64, as in PyTorch.
        let out = Tensor(empty: outShape, dtype: dtype.isFloatingPoint ? dtype : .int64)
        withExtendedLifetime(x) {
            switch x.dtype {
            case .float32: sumKernel(x.pointer(Float.self), out.pointer(Float.self), rs)
            case .float64: sumKernel(x.pointer(Double.self), out.pointer(Double.self), rs)
            case .int64: intSumKernel(x.pointer(Int64.self), out.pointer(Int64.self), rs)
            case .int32: intSumKernel(x.pointer(Int32.self), out.pointer(Int64.self), rs)
            default: intSumKernel(x.pointer(UInt8.self), out.pointer(Int64.self), rs)
            }
        }
        return out
    }

    /// `sum(dim=dims, keepdim=keepdim)`; all dims when `dims` is empty.
    public func sum(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        let d = try reductionDims(dims, op: "sum")
        var r: Tensor = self.detach()
        if rank == 0 {
            r = try noGrad { try self.reshape([1]).sumOneDim(0) }
        } else if d.count == rank && isContiguous {
            r = try noGrad { try self.reshape([count]).sumOneDim(0) }
        } else {
            for dim in d.reversed() { r = try r.sumOneDim(dim) }
        }
        let out = r.detach().view(Layout(contiguous: reducedShape(d, keepdim: keepdim)))
        return Autograd.record(out, .sum(dims: d, keepdim: keepdim, from: shape), inputs: [self])
    }

    /// `sum(dim, keepdim)`.
    public func sum(dim: Int, keepdim: Bool = false) throws -> Tensor { try sum(dims: [dim], keepdim: keepdim) }

    /// `mean(dim=dims, keepdim=keepdim)`; all dims when `dims` is empty. Composite.
    public func mean(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        guard dtype.isFloatingPoint else {
            throw TensorError.badDType(op: "mean", dtype: dtype, detail: "could not infer output dtype; input dtype must be floating point")
        }
        let d = try reductionDims(dims, op: "mean")
        let n = d.reduce(1) { $0 * (rank == 0 ? 1 : shape[$1]) }
        return try sum(dims: dims, keepdim: keepdim) / Double(n)
    }

    public func mean(dim: Int, keepdim: Bool = false) throws -> Tensor { try mean(dims: [dim], keepdim: keepdim) }

    /// `max(dim, keepdim)`: values and first indices of the maxima.
    public func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremum(dim: dim, keepdim: keepdim, max: true)
    }

    /// `min(dim, keepdim)`: values and first indices of the minima.
    public func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremum(dim: dim, keepdim: keepdim, max: false)
    }

    /// `argmax(dim, keepdim)`; over the flattened tensor when `dim` is nil.
    public func argmax(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        guard let dim else { return try reshape([-1]).extremum(dim: 0, keepdim: false, max: true).indices }
        return try extremum(dim: dim, keepdim: keepdim, max: true).indices
    }

    /// `argmin(dim, keepdim)`; over the flattened tensor when `dim` is nil.
    public func argmin(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        guard let dim else { return try reshape([-1]).extremum(dim: 0, keepdim: false, max: false).indices }
        return try extremum(dim: dim, keepdim: keepdim, max: false).indices
    }

    private func extremum(dim: Int, keepdim: Bool, max: Bool) throws -> (values: Tensor, indices: Tensor) {
        let op = max ? "max" : "min"
        let d = try normalizeDim(dim, rank: rank, op: op, shape: shape)
        let src = rank == 0 ? try reshape([1]) : self
        guard src.shape[d] > 0 else {
            throw TensorError.invalidArgument(op: op, message: "cannot reduce over a zero-size dimension")
        }
        let x = dtype == .bool ? src.casted(to: .uint8).contiguous() : src.contiguous()
        let rs = ReduceShape(src.shape, dim: d)
        let outShape = rank == 0 ? [] : reducedShape([d], keepdim: keepdim)
        let values = Tensor(empty: outShape, dtype: dtype == .bool ? .uint8 : dtype)
        let indices = Tensor(empty: outShape, dtype: .int64)
        let ip = indices.pointer(Int64.self)
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            switch dtype {
            case .float32: extremumKernel(x.pointer(Float.self), values.pointer(Float.self), ip, rs, max: max)
            case .float64: extremumKernel(x.pointer(Double.self), values.pointer(Double.self), ip, rs, max: max)
            case .int64: extremumKernel(x.pointer(Int64.self), values.pointer(Int64.self), ip, rs, max: max)
            case .int32: extremumKernel(x.pointer(Int32.self), values.pointer(Int32.self), ip, rs, max: max)
            case .uint8, .bool: extremumKernel(x.pointer(UInt8.self), values.pointer(UInt8.self), ip, rs, max: max)
            }
        }
        let v = dtype == .bool ? values.casted(to: .bool) : values
        let recorded = Autograd.record(v, .indexReduce(dim: d, keepdim: keepdim, indices: indices, from: shape), inputs: [self])
        return (recorded, indices)
    }
}
