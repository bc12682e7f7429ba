/// In-place forms (`add_`, `mul_`, `zero_`, `clamp_`, ...). Each computes
/// the out-of-place result, writes it into this tensor's storage, bumps the
/// storage's version and moves this tensor's place in the graph to the new
/// op, as PyTorch rebases history. A saved tensor that is overwritten this
/// way makes a later backward fail with PyTorch's version-counter error.

extension Tensor {
    /// Runs `compute` on a stand-in for this tensor's current value and
    /// history, then writes the result into this tensor.
    @discardableResult
    func inPlace(_ op: String, _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
        if isLeaf && requiresGrad && Autograd.isEnabled {
            throw TensorError.autograd("\(op): a leaf Variable that requires grad is being used in an in-place operation (shape \(shape))")
        }
        let before = Tensor(storage: storage, layout: layout, dtype: dtype)
        before.gradFn = gradFn
        before.requiresGrad = requiresGrad
        let result = try compute(before)
        guard result.shape == shape else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, result.shape], detail: "the in-place result must keep the tensor's shape")
        }
        if result.dtype != dtype && !(result.dtype.category <= dtype.category) {
            throw TensorError.badDType(op: op, dtype: result.dtype, detail: "result type \(result.dtype) can't be cast to the desired output type \(dtype)")
        }
        try noGrad { try copyFrom(result.detach()) }
        if result.requiresGrad, Autograd.isEnabled, result.dtype == dtype {
            gradFn = result.gradFn
            requiresGrad = true
        }
        return self
    }

    /// `add_(other, alpha)`.
    @discardableResult public func add_(_ other: Tensor, alpha: Double = 1) throws -> Tensor { try inPlace("add_") { try $0.add(other, alpha: alpha) } }
    @discardableResult public func add_(_ value: Double) throws -> Tensor { try inPlace("add_") { $0 + value } }
    /// `sub_(other, alpha)`.
    @discardableResult public func sub_(_ other: Tensor, alpha: Double = 1) throws -> Tensor { try inPlace("sub_") { try $0.sub(other, alpha: alpha) } }
    /// `mul_(other)`: the product rule needs the old value, so it multiplies a copy.
    @discardableResult public func mul_(_ other: Tensor) throws -> Tensor { try inPlace("mul_") { try $0.clone() * other } }
    @discardableResult public func mul_(_ value: Double) throws -> Tensor { try inPlace("mul_") { $0 * value } }
    /// `div_(other)`.
    @discardableResult public func div_(_ other: Tensor) throws -> Tensor { try inPlace("div_") { try $0.clone() / other } }
    @discardableResult public func div_(_ value: Double) throws -> Tensor { try inPlace("div_") { $0 / value } }
    /// `where(True, new, old)`: the new values, with no gradient to the old ones (even where they are NaN).
    private static func overwrite(_ old: Tensor, with new: Tensor) throws -> Tensor {
        try Tensor.whereMask(Tensor.ones([], dtype: .bool), new.casted(to: old.dtype), old)
    }

    /// `zero_()`.
    @discardableResult public func zero_() throws -> Tensor { try inPlace("zero_") { try Tensor.overwrite($0, with: Tensor.zeros([], dtype: dtype)) } }
    /// `fill_(value)`.
    @discardableResult public func fill_(_ value: Double) throws -> Tensor {
        try inPlace("fill_") { try Tensor.overwrite($0, with: Tensor.scalar(value, dtype: dtype)) }
    }
    /// `copy_(src)`: this tensor's elements become `src`'s (broadcast and converted); differentiable in `src`.
    @discardableResult public func copy_(_ src: Tensor) throws -> Tensor {
        try inPlace("copy_") { old in
            guard let b = broadcastShapes(old.shape, src.shape), b == old.shape else {
                throw TensorError.shapeMismatch(op: "copy_", shapes: [old.shape, src.shape], detail: "source does not broadcast to destination")
            }
            return try Tensor.overwrite(old, with: src)
        }
    }
    /// `clamp_(min, max)`.
    @discardableResult public func clamp_(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        try inPlace("clamp_") { try $0.clamp(min: lo, max: hi) }
    }
    /// `relu_()`.
    @discardableResult public func relu_() throws -> Tensor { try inPlace("relu_") { try $0.relu() } }
    /// `masked_fill_(mask, value)`.
    @discardableResult public func maskedFill_(_ mask: Tensor, value: Double) throws -> Tensor {
        try inPlace("masked_fill_") { try $0.maskedFill(mask, value: value) }
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
}
