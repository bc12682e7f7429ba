/// Writing by index and selecting by mask: `scatter`, `index_fill`,
/// `masked_fill`, `masked_select`, `take`, `take_along_dim`, `nonzero`,
/// `one_hot`, and the triangular and diagonal views.

extension Tensor {
    /// `scatter(dim, index, src)`: a copy of self with `src[i][j]` written at
    /// `index[i][j]` along `dim`. With repeated indices the last write wins.
    public func scatter(_ dim: Int, _ index: Tensor, _ src: Tensor) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "scatter", shape: shape)
        guard index.rank == rank, src.rank == rank || src.rank == 0,
              (0..<rank).allSatisfy({ (src.rank == 0 || index.shape[$0] <= src.shape[$0]) && ($0 == d || index.shape[$0] <= shape[$0]) }) else {
            throw TensorError.shapeMismatch(op: "scatter", shapes: [shape, index.shape, src.shape], detail: "index must not be larger than src, nor than self outside dim \(d)")
        }
        let idx = try index.indexValues(op: "scatter", bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        let out = contiguous().clone().detach()
        let values = src.rank == 0 ? try src.casted(to: dtype).expand(index.shape).contiguous() : try src.casted(to: dtype).narrowTo(index.shape).contiguous()
        let offsets = out.gatherOffsets(dim: d, shape: index.shape, indices: idx)
        func write<T>(_: T.Type) {
            let s = values.pointer(T.self), o = out.storage.typed(T.self)
            for (i, off) in offsets.enumerated() { o[off] = s[i] }
        }
        // `values` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(values) {
            switch dtype.itemSize {
            case 1: write(UInt8.self)
            case 4: write(UInt32.self)
            default: write(UInt64.self)
            }
        }
        guard dtype.isFloatingPoint else { return out }
        return Autograd.record(out, .scatter(dim: d, index: index), inputs: src.rank == 0 ? [self] : [self, src])
    }

    /// `scatter(dim, index, value)`.
    public func scatter(_ dim: Int, _ index: Tensor, value: Double) throws -> Tensor {
        try scatter(dim, index, Tensor.scalar(value, dtype: dtype))
    }

    /// `index_fill(dim, index, value)`: whole slices along `dim` set to `value`. Composite.
    public func indexFill(_ dim: Int, _ index: Tensor, value: Double) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "index_fill", shape: shape)
        let idx = try index.indexValues(op: "index_fill", bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        var hit = [Double](repeating: 0, count: rank == 0 ? 1 : shape[d])
        for i in idx { hit[i] = 1 }
        var maskShape = [Int](repeating: 1, count: rank)
        if rank > 0 { maskShape[d] = shape[d] }
        let mask = try Tensor.fromDoubles(hit, dtype: .bool).reshape(maskShape)
        return try maskedFill(mask, value: value)
    }

    /// `masked_fill(mask, value)`: `value` where the (broadcast) bool mask holds. Composite.
    public func maskedFill(_ mask: Tensor, value: Double) throws -> Tensor {
        guard mask.dtype == .bool else { throw TensorError.badDType(op: "masked_fill", dtype: mask.dtype, detail: "mask must be bool, shapes \(shape) and \(mask.shape)") }
        guard let b = broadcastShapes(shape, mask.shape), b == shape else {
            throw TensorError.shapeMismatch(op: "masked_fill", shapes: [shape, mask.shape], detail: "mask must broadcast to the input")
        }
        return try Tensor.whereMask(mask, Tensor.scalar(value, dtype: dtype), self)
    }

    /// `masked_fill(mask, value)` with a 0-dim tensor value (differentiable in it).
    public func maskedFill(_ mask: Tensor, _ value: Tensor) throws -> Tensor {
        guard value.rank == 0 else {
            throw TensorError.invalidArgument(op: "masked_fill", message: "only supports a 0-dimensional value tensor, got shape \(value.shape)")
        }
        guard let b = broadcastShapes(shape, mask.shape), b == shape, mask.dtype == .bool else {
            throw TensorError.shapeMismatch(op: "masked_fill", shapes: [shape, mask.shape], detail: "mask must be bool and broadcast to the input")
        }
        return try Tensor.whereMask(mask, value.casted(to: dtype), self)
    }

    /// `masked_select(mask)`: the 1-D tensor of elements where the mask holds. Composite.
    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        guard mask.dtype == .bool else { throw TensorError.badDType(op: "masked_select", dtype: mask.dtype, detail: "mask must be bool, shapes \(shape) and \(mask.shape)") }
        guard let s = broadcastShapes(shape, mask.shape) else {
            throw TensorError.shapeMismatch(op: "masked_select", shapes: [shape, mask.shape], detail: "cannot broadcast")
        }
        let flatMask = try mask.expand(s).contiguous().reshape([-1])
        let positions = try flatMask.nonzero().reshape([-1])
        return try expand(s).reshape([-1]).indexSelect(0, positions)
    }

    /// `take(index)`: elements of the flattened tensor at `index`, shaped like `index`. Composite.
    public func take(_ index: Tensor) throws -> Tensor {
        try reshape([-1]).indexSelect(0, index.reshape([-1])).reshape(index.shape)
    }

    /// `take_along_dim(indices, dim)`: `gather` with the index broadcast against the input.
    public func takeAlongDim(_ indices: Tensor, dim: Int) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "take_along_dim", shape: shape)
        guard indices.rank == rank else {
            throw TensorError.shapeMismatch(op: "take_along_dim", shapes: [shape, indices.shape], detail: "input and indices should have the same number of dimensions")
        }
        var selfShape = shape, indexShape = indices.shape
        selfShape[d] = 1; indexShape[d] = 1
        guard let b = broadcastShapes(selfShape, indexShape) else {
            throw TensorError.shapeMismatch(op: "take_along_dim", shapes: [shape, indices.shape], detail: "cannot broadcast")
        }
        var xs = b, is_ = b
        xs[d] = shape[d]; is_[d] = indices.shape[d]
        return try expand(xs).gather(d, indices.expand(is_))
    }

    /// `nonzero()`: int64 `[count, rank]` coordinates of the nonzero elements, in row-major order.
    public func nonzero() throws -> Tensor {
        let values = toArray(Double.self)
        var coords: [Double] = []
        let st = Layout.contiguousStrides(shape)
        for (i, v) in values.enumerated() where v != 0 {
            for d in 0..<rank { coords.append(Double((i / st[d]) % Swift.max(shape[d], 1))) }
        }
        let n = rank == 0 ? (values.first.map { $0 != 0 ? 1 : 0 } ?? 0) : coords.count / Swift.max(rank, 1)
        return try Tensor.fromDoubles(coords, dtype: .int64).reshape([n, rank])
    }

    /// `argwhere()`: the same as `nonzero()`.
    public func argwhere() throws -> Tensor { try nonzero() }

    /// `F.one_hot(tensor, num_classes)`: int64 `shape + [num_classes]`
    /// (`num_classes` −1 means the largest value + 1).
    public func oneHot(numClasses: Int = -1) throws -> Tensor {
        guard dtype == .int64 else { throw TensorError.badDType(op: "one_hot", dtype: dtype, detail: "one_hot is only applicable to index tensor (int64), shape \(shape)") }
        let values = toArray(Int64.self)
        let classes = numClasses == -1 ? Int(values.max() ?? -1) + 1 : numClasses
        guard classes >= 0 else { throw TensorError.invalidArgument(op: "one_hot", message: "num_classes should be positive, got \(numClasses)") }
        for v in values where v < 0 || Int(v) >= classes {
            throw TensorError.indexOutOfRange(op: "one_hot", index: Int(v), size: classes)
        }
        let out = try Tensor.zeros(shape + [classes], dtype: .int64)
        out.withMutableElements(Int64.self) { b in
            for (i, v) in values.enumerated() { b[i * classes + Int(v)] = 1 }
        }
        return out
    }

    /// The bool mask `col − row ≥ diagonal` (upper) or `≤` (lower) over the last two dims.
    private func triangleMask(_ diagonal: Int, upper: Bool, op: String) throws -> Tensor {
        guard rank >= 2 else { throw TensorError.invalidArgument(op: op, message: "input tensor must have at least 2 dimensions, got shape \(shape)") }
        let rows = try Tensor.arange(0, Double(shape[rank - 2])).unsqueeze(1)
        let cols = try Tensor.arange(0, Double(shape[rank - 1])).unsqueeze(0)
        let offset = try cols - rows
        return upper ? try offset.ge(Double(diagonal)) : try offset.le(Double(diagonal))
    }

    /// `tril(diagonal)`: zeroes above the `diagonal`-th diagonal of the last two dims. Composite.
    public func tril(_ diagonal: Int = 0) throws -> Tensor {
        try Tensor.whereMask(triangleMask(diagonal, upper: false, op: "tril"), self, Tensor.zeros([], dtype: dtype))
    }

    /// `triu(diagonal)`: zeroes below the `diagonal`-th diagonal. Composite.
    public func triu(_ diagonal: Int = 0) throws -> Tensor {
        try Tensor.whereMask(triangleMask(diagonal, upper: true, op: "triu"), self, Tensor.zeros([], dtype: dtype))
    }

    /// `diagonal(offset, dim1, dim2)`: the diagonal as a view, appended as the last dim.
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) throws -> Tensor {
        let a = try normalizeDim(dim1, rank: rank, op: "diagonal", shape: shape), b = try normalizeDim(dim2, rank: rank, op: "diagonal", shape: shape)
        guard a != b else { throw TensorError.invalidArgument(op: "diagonal", message: "diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let length = offset >= 0 ? Swift.max(0, Swift.min(shape[a], shape[b] - offset)) : Swift.max(0, Swift.min(shape[a] + offset, shape[b]))
        var l = layout
        if length > 0 { l.offset += offset >= 0 ? offset * strides[b] : -offset * strides[a] }
        let keep = (0..<rank).filter { $0 != a && $0 != b }
        l.shape = keep.map { shape[$0] } + [length]
        l.strides = keep.map { strides[$0] } + [strides[a] + strides[b]]
        return Autograd.record(view(l), .diagonal(offset: offset, dim1: a, dim2: b, from: shape), inputs: [self])
    }

    /// `diag(diagonal)`: a 1-D input becomes a square matrix with it on the
    /// `diagonal`-th diagonal; a 2-D input gives that diagonal.
    public func diag(_ diagonal: Int = 0) throws -> Tensor {
        if rank == 2 { return try self.diagonal(offset: diagonal).contiguous() }
        guard rank == 1 else { throw TensorError.invalidArgument(op: "diag", message: "expected a 1-D or 2-D tensor, got shape \(shape)") }
        let n = shape[0] + Swift.abs(diagonal)
        let positions = (0..<shape[0]).map { i in Double(diagonal >= 0 ? i * n + i + diagonal : (i - diagonal) * n + i) }
        return try Tensor.zeros([n * n], dtype: dtype).scatter(0, Tensor.fromDoubles(positions, dtype: .int64), self).reshape([n, n])
    }

    /// `diag_embed()`: the last dim of the input becomes the diagonal of new last two dims. Composite.
    public func diagEmbed() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument(op: "diag_embed", message: "expected at least 1-D input") }
        let n = shape[rank - 1]
        return try unsqueeze(-1) * Tensor.eye(n, dtype: dtype)
    }

    /// `trace()`: sum of the main diagonal of a 2-D tensor. Composite.
    public func trace() throws -> Tensor {
        guard rank == 2 else { throw TensorError.invalidArgument(op: "trace", message: "expected a matrix, got shape \(shape)") }
        return try diagonal().sum()
    }

    /// `bincount(weights, minlength)`: counts of each value of a 1-D non-negative integer tensor.
    public func bincount(weights: Tensor? = nil, minlength: Int = 0) throws -> Tensor {
        guard rank == 1, dtype.isIntegral else { throw TensorError.invalidArgument(op: "bincount", message: "expects a 1-D integer tensor, got \(dtype) of shape \(shape)") }
        let values = toArray(Int64.self)
        if let v = values.first(where: { $0 < 0 }) { throw TensorError.indexOutOfRange(op: "bincount", index: Int(v), size: 0) }
        let bins = Swift.max(minlength, Int(values.max() ?? -1) + 1)
        let idx = try reshape([-1]).casted(to: .int64)
        if let weights {
            guard weights.shape == shape else { throw TensorError.shapeMismatch(op: "bincount", shapes: [shape, weights.shape]) }
            let w = weights.dtype.isFloatingPoint ? weights : weights.casted(to: .float64)
            return try Tensor.zeros([bins], dtype: w.dtype == .float32 ? .float32 : .float64).indexAdd(0, idx, w.casted(to: w.dtype == .float32 ? .float32 : .float64))
        }
        let out = try Tensor.zeros([bins], dtype: .int64)
        out.withMutableElements(Int64.self) { b in for v in values { b[Int(v)] += 1 } }
        return out
    }

    /// `searchsorted(sorted_sequence, values, right)`: insertion points into the last dim of a sorted 1-D sequence.
    public func searchsorted(_ values: Tensor, right: Bool = false) throws -> Tensor {
        guard rank == 1 else { throw TensorError.invalidArgument(op: "searchsorted", message: "only a 1-D sorted sequence is supported, got shape \(shape)") }
        let seq = toArray(Double.self), v = values.toArray(Double.self)
        let out = v.map { x -> Double in
            var lo = 0, hi = seq.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if right ? seq[mid] <= x : seq[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return Double(lo)
        }
        return try Tensor.fromDoubles(out, dtype: .int64).reshape(values.shape)
    }

    /// `bucketize(boundaries, right)`: `searchsorted` with the arguments swapped.
    public func bucketize(_ boundaries: Tensor, right: Bool = false) throws -> Tensor {
        try boundaries.searchsorted(self, right: right)
    }

    /// `index_add(dim, index, source)`: a copy of self with the slices of
    /// `source` added at `index` along `dim`.
    public func indexAdd(_ dim: Int, _ index: Tensor, _ source: Tensor) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "index_add")
        let idx = try index.indexValues(op: "index_add", bound: shape[d], sourceShape: shape)
        var expected = shape
        expected[d] = idx.count
        guard source.shape == expected else {
            throw TensorError.shapeMismatch(op: "index_add", shapes: [shape, source.shape], detail: "source must have shape \(expected)")
        }
        let dtype = self.dtype
        let out = self.detach().clone()
        let src = source.detach().casted(to: dtype).contiguous()
        let rs = ReduceShape(shape, dim: d)
        // out[o, idx[j], i] += src[o, j, i] over the [outer, dim, inner] view.
        @inline(__always)
        func run<T>(_: T.Type, _ add: (T, T) -> T) {
            let po = out.pointer(T.self), ps = src.pointer(T.self)
            for o in 0..<rs.outer {
                for (j, target) in idx.enumerated() {
                    let dst = po + (o * rs.reduced + target) * rs.inner, from = ps + (o * idx.count + j) * rs.inner
                    for i in 0..<rs.inner { dst[i] = add(dst[i], from[i]) }
                }
            }
        }
        withExtendedLifetime(src) {
            switch dtype {
            case .float32: run(Float.self, +)
            case .float64: run(Double.self, +)
            case .int64: run(Int64.self, &+)
            case .int32: run(Int32.self, &+)
            case .uint8: run(UInt8.self, &+)
            case .bool: run(Bool.self) { $0 || $1 }
            }
        }
        return Autograd.record(out, .indexAdd(dim: d, index: index), inputs: [self, source])
    }
}
