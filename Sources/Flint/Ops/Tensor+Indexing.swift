/// Index-based selection: `gather`, `scatter_add`, `index_select`.

extension Tensor {
    /// Checks an index tensor for `op` and returns its values as Int.
    func indexValues(op: String, bound: Int, sourceShape: [Int]) throws -> [Int] {
        guard dtype == .int64 || dtype == .int32 else {
            throw TensorError.badDType(op: op, dtype: dtype, detail: "index must be int64 (index shape \(shape), input shape \(sourceShape))")
        }
        let values = toArray(Int64.self)
        var out = [Int](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let j = Int(v) < 0 ? Int(v) + bound : Int(v)
            guard j >= 0 && j < bound else { throw TensorError.indexOutOfRange(op: op, index: Int(v), size: bound, shape: sourceShape) }
            out[i] = j
        }
        return out
    }

    /// Offsets into `self` for each element of an index tensor of `shape`
    /// with `dim` replaced by `indices`.
    func gatherOffsets(dim: Int, shape: [Int], indices: [Int]) -> [Int] {
        var offsets = [Int](repeating: 0, count: indices.count)
        var counter = [Int](repeating: 0, count: shape.count)
        for n in 0..<indices.count {
            var off = layout.offset
            for d in 0..<shape.count { off += (d == dim ? indices[n] : counter[d]) * strides[d] }
            offsets[n] = off
            var d = shape.count - 1
            while d >= 0 {
                counter[d] += 1
                if counter[d] < shape[d] { break }
                counter[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    /// `gather(dim, index)`: `out[i][j] = self[i][index[i][j]]` for dim 1.
    public func gather(_ dim: Int, _ index: Tensor) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "gather", shape: shape)
        guard index.rank == rank,
              (0..<rank).allSatisfy({ $0 == d || index.shape[$0] <= shape[$0] }) else {
            throw TensorError.shapeMismatch(op: "gather", shapes: [shape, index.shape], detail: "index must have the input's rank and no larger sizes outside dim \(d)")
        }
        let idx = try index.indexValues(op: "gather", bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        let offsets = gatherOffsets(dim: d, shape: index.shape, indices: idx)
        let out = Tensor(empty: index.shape, dtype: dtype)
        switch dtype.itemSize {
        case 1: gatherCopy(UInt8.self, offsets, out)
        case 4: gatherCopy(UInt32.self, offsets, out)
        default: gatherCopy(UInt64.self, offsets, out)
        }
        return Autograd.record(out, .gather(dim: d, index: index, from: shape), inputs: [self])
    }

    private func gatherCopy<T>(_: T.Type, _ offsets: [Int], _ out: Tensor) {
        let src = storage.typed(T.self), dst = out.pointer(T.self)
        for (i, o) in offsets.enumerated() { dst[i] = src[o] }
    }

    /// `scatter_add(dim, index, src)`: a copy of self with `src` added at `index` along `dim`.
    public func scatterAdd(_ dim: Int, _ index: Tensor, _ src: Tensor) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank, op: "scatter_add", shape: shape)
        guard index.rank == rank, src.rank == rank,
              (0..<rank).allSatisfy({ index.shape[$0] <= src.shape[$0] && ($0 == d || index.shape[$0] <= shape[$0]) }) else {
            throw TensorError.shapeMismatch(op: "scatter_add", shapes: [shape, index.shape, src.shape])
        }
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: "scatter_add", dtype: dtype, detail: "floating point only") }
        let idx = try index.indexValues(op: "scatter_add", bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        let out = contiguous().clone().detach()
        let offsets = out.gatherOffsets(dim: d, shape: index.shape, indices: idx)
        let source = try src.narrowTo(index.shape).casted(to: dtype).contiguous()
        // `source` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(source) {
            switch dtype {
            case .float64:
                let s = source.pointer(Double.self), o = out.storage.typed(Double.self)
                for (i, off) in offsets.enumerated() { o[off] += s[i] }
            default:
                let s = source.pointer(Float.self), o = out.storage.typed(Float.self)
                for (i, off) in offsets.enumerated() { o[off] += s[i] }
            }
        }
        return Autograd.record(out, .scatterAdd(dim: d, index: index), inputs: [self, src])
    }

    /// The leading `shape` block of self (for src tensors larger than their index).
    func narrowTo(_ target: [Int]) throws -> Tensor {
        var t = self
        for d in 0..<rank where shape[d] != target[d] { t = try t.narrow(d, start: 0, length: target[d]) }
        return t
    }

    /// `index_select(dim, index)`: whole slices along `dim` picked by a 1-D index.
    public func indexSelect(_ dim: Int, _ index: Tensor) throws -> Tensor {
        if rank == 0 {
            // A 0-dim tensor indexes like a one-element vector.
            _ = try normalizeDim(dim, rank: rank, op: "index_select", shape: shape)
            return try reshape([1]).indexSelect(0, index).reshape(index.rank == 0 ? [] : [index.count])
        }
        let d = try normalizeDim(dim, rank: rank, op: "index_select", shape: shape)
        guard index.rank <= 1 else {
            throw TensorError.invalidArgument(op: "index_select", message: "index must be 1-D, got shape \(index.shape)")
        }
        let idx = try index.indexValues(op: "index_select", bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        var outShape = shape
        outShape[d] = idx.count
        let src = contiguous()
        let out = Tensor(empty: outShape, dtype: dtype)
        let rs = ReduceShape(shape, dim: d)
        let bytes = rs.inner * dtype.itemSize
        withExtendedLifetime(src) {
            let sp = src.storage.data + src.layout.offset * dtype.itemSize
            let op = out.storage.data
            for o in 0..<rs.outer {
                for (j, i) in idx.enumerated() {
                    (op + ((o * idx.count + j) * bytes)).copyMemory(from: sp + ((o * rs.reduced + i) * bytes), byteCount: bytes)
                }
            }
        }
        return Autograd.record(out, .indexSelect(dim: d, index: index, from: shape), inputs: [self])
    }
}
