/// Copies and dtype conversions.
extension Tensor {
    /// This tensor if it is contiguous, else a contiguous copy. Differentiable.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(empty: shape, dtype: dtype)
        copyRaw(into: out)
        return Autograd.record(out, .identity, inputs: [self])
    }

    /// Strided copy of the same dtype, by element size (the bits move unchanged).
    func copyRaw(into out: Tensor) {
        let src = storage.data
        switch dtype.itemSize {
        case 1: stridedConvert(src.assumingMemoryBound(to: UInt8.self), layout: layout, out.pointer(UInt8.self)) { $0 }
        case 4: stridedConvert(src.assumingMemoryBound(to: UInt32.self), layout: layout, out.pointer(UInt32.self)) { $0 }
        default: stridedConvert(src.assumingMemoryBound(to: UInt64.self), layout: layout, out.pointer(UInt64.self)) { $0 }
        }
    }

    /// `tensor.to(dtype)`: a converted copy (self when the dtype already matches).
    /// Float to integer truncates toward zero as in PyTorch. Differentiable
    /// between floating dtypes.
    public func casted(to target: DType) -> Tensor {
        if target == dtype { return self }
        let out = Tensor(empty: shape, dtype: target)
        switch dtype {
        case .bool: castKernel(Bool.self, out)
        case .uint8: castKernel(UInt8.self, out)
        case .int32: castKernel(Int32.self, out)
        case .int64: castKernel(Int64.self, out)
        case .float32: castKernel(Float.self, out)
        case .float64: castKernel(Double.self, out)
        }
        if dtype.isFloatingPoint && target.isFloatingPoint {
            return Autograd.record(out, .cast(from: dtype), inputs: [self])
        }
        return out
    }

    private func castKernel<S: TensorElement>(_: S.Type, _ out: Tensor) {
        let src = storage.typed(S.self)
        switch out.dtype {
        case .bool: stridedConvert(src, layout: layout, out.pointer(Bool.self)) { $0.flintDouble != 0 }
        case .uint8: stridedConvert(src, layout: layout, out.pointer(UInt8.self)) { UInt8(flintDouble: $0.flintDouble) }
        case .int32: stridedConvert(src, layout: layout, out.pointer(Int32.self)) { Int32(flintDouble: $0.flintDouble) }
        case .int64: stridedConvert(src, layout: layout, out.pointer(Int64.self)) { Int64(flintDouble: $0.flintDouble) }
        case .float32: stridedConvert(src, layout: layout, out.pointer(Float.self)) { Float($0.flintDouble) }
        case .float64: stridedConvert(src, layout: layout, out.pointer(Double.self)) { $0.flintDouble }
        }
    }

    /// A contiguous copy that never aliases this tensor (`clone()`). Differentiable.
    public func clone() -> Tensor {
        let out = Tensor(empty: shape, dtype: dtype)
        copyRaw(into: out)
        return Autograd.record(out, .identity, inputs: [self])
    }
}
