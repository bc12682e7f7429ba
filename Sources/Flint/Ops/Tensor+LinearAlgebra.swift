/// Matrix products through OpenBLAS.

extension Tensor {
    /// `mm(self, other)`: `[n, m] @ [m, p] -> [n, p]`.
    public func mm(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2, shape[1] == other.shape[0] else {
            throw TensorError.shapeMismatch(op: "mm", shapes: [shape, other.shape])
        }
        let dtype = DType.promote(self.dtype, other.dtype)
        guard dtype != .bool else { throw TensorError.badDType(op: "mm", dtype: .bool) }
        let a = casted(to: dtype), b = other.casted(to: dtype)
        let out = Tensor(empty: [shape[0], other.shape[1]], dtype: dtype)
        switch dtype {
        case .float32, .float64: gemm(a, b, into: out)
        case .int64: integerGemm(a, b, into: out, Int64.self)
        case .int32: integerGemm(a, b, into: out, Int32.self)
        default: integerGemm(a, b, into: out, UInt8.self)
        }
        return dtype.isFloatingPoint ? Autograd.record(out, .mm(a, b), inputs: [self, other]) : out
    }

    /// `addmm(bias, a, b)`: `bias + a @ b` with the bias written into the GEMM
    /// output first (the fusion `torch.nn.Linear` uses).
    public static func addmm(_ bias: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank == 2, b.rank == 2, a.shape[1] == b.shape[0] else {
            throw TensorError.shapeMismatch(op: "addmm", shapes: [a.shape, b.shape])
        }
        let outShape = [a.shape[0], b.shape[1]]
        guard broadcastShapes(bias.shape, outShape) == outShape else {
            throw TensorError.shapeMismatch(op: "addmm", shapes: [bias.shape, outShape], detail: "bias does not broadcast to the product")
        }
        let dtype = DType.promote(DType.promote(a.dtype, b.dtype), bias.dtype)
        guard dtype.isFloatingPoint else { return try a.mm(b) + bias }
        let x = a.casted(to: dtype), y = b.casted(to: dtype), c = bias.casted(to: dtype)
        let out = Tensor(empty: outShape, dtype: dtype)
        noGrad { c.detach().broadcastCopy(into: out) }
        gemm(x, y, into: out, beta: 1)
        return Autograd.record(out, .addmm(x, y), inputs: [bias, a, b])
    }

    /// Copies this tensor, broadcast, into the contiguous `out`.
    func broadcastCopy(into out: Tensor) {
        if isContiguous, let n = shape.last, n > 0, n == out.shape.last, shape.dropLast().allSatisfy({ $0 == 1 }) {
            // A row (a bias) repeated down every row of `out`: one block copy per row.
            let bytes = n * dtype.itemSize
            let src = UnsafeRawPointer(storage.data + layout.offset * dtype.itemSize)
            let dst = out.storage.data + out.layout.offset * dtype.itemSize
            for row in 0..<(out.count / n) { (dst + row * bytes).copyMemory(from: src, byteCount: bytes) }
            return
        }
        let strides = layout.broadcastStrides(to: out.shape)
        let v = view(Layout(shape: out.shape, strides: strides, offset: layout.offset))
        v.copyRaw(into: out)
    }

    /// `bmm(self, other)`: `[b, n, m] @ [b, m, p] -> [b, n, p]`.
    public func bmm(_ other: Tensor) throws -> Tensor {
        guard rank == 3, other.rank == 3, shape[0] == other.shape[0], shape[2] == other.shape[1] else {
            throw TensorError.shapeMismatch(op: "bmm", shapes: [shape, other.shape])
        }
        let dtype = DType.promote(self.dtype, other.dtype)
        guard dtype != .bool else { throw TensorError.badDType(op: "bmm", dtype: dtype, detail: "shapes \(shape) and \(other.shape)") }
        let a = casted(to: dtype), b = other.casted(to: dtype)
        let batch = shape[0], n = shape[1], p = other.shape[2]
        let out = Tensor(empty: [batch, n, p], dtype: dtype)
        func product(_ i: Int, setThreads: Bool) {
            let ai = a.view(Layout(shape: [n, shape[2]], strides: [a.strides[1], a.strides[2]], offset: a.layout.offset + i * a.strides[0]))
            let bi = b.view(Layout(shape: [other.shape[1], p], strides: [b.strides[1], b.strides[2]], offset: b.layout.offset + i * b.strides[0]))
            let oi = out.view(Layout(shape: [n, p], strides: [p, 1], offset: i * n * p))
            switch dtype {
            case .float32, .float64: gemm(ai, bi, into: oi, setThreads: setThreads)
            case .int64: integerGemm(ai, bi, into: oi, Int64.self)
            case .int32: integerGemm(ai, bi, into: oi, Int32.self)
            default: integerGemm(ai, bi, into: oi, UInt8.self)
            }
        }
        // Many small products (attention's per-head scores): whole products per
        // core, each on one OpenBLAS thread, in runs of at least ~1 MFLOP.
        let flops = Swift.max(1, 2 &* n &* shape[2] &* p)
        if dtype.isFloatingPoint && Parallelism.threads > 1 && batch > 1 && batch &* flops >= (1 << 21) {
            useBlasThreads(m: 1, n: 1, k: 1)
            parallelFor(count: batch, minChunk: Swift.max(1, (1 << 20) / flops)) { range in
                for i in range { product(i, setThreads: false) }
            }
        } else {
            for i in 0..<batch { product(i, setThreads: true) }
        }
        return dtype.isFloatingPoint ? Autograd.record(out, .bmm(a, b), inputs: [self, other]) : out
    }

    /// `matmul(self, other)` with PyTorch's rules for 1-D operands and
    /// broadcast batch dimensions. Composite over `mm` and `bmm`.
    public func matmul(_ other: Tensor) throws -> Tensor {
        let ra = rank, rb = other.rank
        guard ra >= 1, rb >= 1 else {
            throw TensorError.invalidArgument(op: "matmul", message: "both arguments need at least 1 dimension, got \(shape) and \(other.shape)")
        }
        let k = shape[ra - 1]
        let kb = rb == 1 ? other.shape[0] : other.shape[rb - 2]
        guard k == kb else { throw TensorError.shapeMismatch(op: "matmul", shapes: [shape, other.shape]) }
        if ra == 1 && rb == 1 { return try (self * other).sum() }
        if ra == 2 && rb == 2 { return try mm(other) }
        if ra == 1 && rb == 2 { return try unsqueeze(0).mm(other).squeeze(0) }
        if ra == 2 && rb == 1 { return try mm(other.unsqueeze(1)).squeeze(1) }
        if rb <= 2 {
            // Fold the batch of `self` into rows: one GEMM.
            let rows = try reshape([-1, k])
            let right = rb == 1 ? try other.unsqueeze(1) : other
            let prod = try rows.mm(right)
            let outShape = Array(shape.dropLast()) + (rb == 1 ? [] : [other.shape[1]])
            return try prod.reshape(outShape)
        }
        let left = ra == 1 ? try unsqueeze(0) : self
        let batchA = Array(left.shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        guard let batch = broadcastShapes(batchA, batchB) else {
            throw TensorError.shapeMismatch(op: "matmul", shapes: [shape, other.shape], detail: "batch dimensions do not broadcast")
        }
        let n = left.shape[left.rank - 2], p = other.shape[rb - 1]
        let b = batch.reduce(1, *)
        let a3 = try left.expand(batch + [n, k]).reshape([b, n, k])
        let b3 = try other.expand(batch + [k, p]).reshape([b, k, p])
        var out = try a3.bmm(b3).reshape(batch + [n, p])
        if ra == 1 { out = try out.squeeze(-2) }
        return out
    }
}
