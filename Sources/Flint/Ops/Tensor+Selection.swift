/// `where`, `sign`, in-place copy and `index_add`.

extension Tensor {
    /// `torch.where(condition, a, b)`: elements of `a` where `condition`, else of `b`.
    public static func whereMask(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard condition.dtype == .bool else {
            throw TensorError.badDType(op: "where", dtype: condition.dtype, detail: "condition must be bool")
        }
        guard let ab = broadcastShapes(a.shape, b.shape), let shape = broadcastShapes(condition.shape, ab) else {
            throw TensorError.shapeMismatch(op: "where", shapes: [condition.shape, a.shape, b.shape])
        }
        let dtype = resultType(a, b, .add)
        let x = try a.casted(to: dtype).expand(shape), y = try b.casted(to: dtype).expand(shape)
        let c = try condition.expand(shape).contiguous()
        let out = Tensor(empty: shape, dtype: dtype)
        let xs = x.contiguous(), ys = y.contiguous()
        func pick<T>(_: T.Type) {
            let pc = c.pointer(Bool.self), px = xs.pointer(T.self), py = ys.pointer(T.self), po = out.pointer(T.self)
            for i in 0..<out.count { po[i] = pc[i] ? px[i] : py[i] }
        }
        // The operands may be fresh copies: keep them alive while their memory is read.
        withExtendedLifetime((c, xs, ys)) {
            switch dtype.itemSize {
            case 1: pick(UInt8.self)
            case 4: pick(UInt32.self)
            default: pick(UInt64.self)
            }
        }
        return dtype.isFloatingPoint ? Autograd.record(out, .whereMask(condition), inputs: [condition, a, b]) : out
    }

    /// `sign()`: -1, 0 or 1 (NaN stays NaN, as in PyTorch). Its gradient is zero.
    public func sign() throws -> Tensor {
        guard dtype != .bool else { return clone() }
        let out = try noGrad { () -> Tensor in
            let pos = try gt(0).casted(to: dtype), negative = try lt(0).casted(to: dtype)
            let s = try pos - negative
            return dtype.isFloatingPoint ? try Tensor.whereMask(isnan(), self, s) : s
        }
        return dtype.isFloatingPoint ? Autograd.record(out.detach(), .zeroGradient("sign"), inputs: [self]) : out
    }

    /// `copy_(src)`: writes `src` (broadcast, converted) into this tensor's
    /// elements in place. Not recorded by autograd.
    public func copyFrom(_ src: Tensor) throws {
        guard let b = broadcastShapes(shape, src.shape), b == shape else {
            throw TensorError.shapeMismatch(op: "copy_", shapes: [shape, src.shape], detail: "source does not broadcast to destination")
        }
        let s = src.casted(to: dtype)
        let expanded = s.view(Layout(shape: shape, strides: s.layout.broadcastStrides(to: shape), offset: s.layout.offset))
        let tmp = Tensor(empty: shape, dtype: dtype)
        expanded.copyRaw(into: tmp)
        // Scatter the contiguous temporary into this (possibly strided) view.
        func write<T>(_: T.Type) {
            let src = tmp.pointer(T.self), base = storage.typed(T.self)
            var i = 0
            forEachRun(shape: shape, strides: [strides], offsets: [layout.offset]) { offs, n, inner in
                let d = base + offs[0]
                for k in 0..<n { d[k * inner[0]] = src[i + k] }
                i += n
            }
        }
        withExtendedLifetime(tmp) {
            switch dtype.itemSize {
            case 1: write(UInt8.self)
            case 4: write(UInt32.self)
            default: write(UInt64.self)
            }
        }
        storage.version += 1
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
