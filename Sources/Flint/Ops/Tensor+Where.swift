/// `where`: choosing elements by a mask.

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
}
