/// Comparisons with numbers, floating-point classification, logical and
/// bitwise ops, and `allclose` / `isclose` / `equal`. None is differentiable.

extension Tensor {
    public func ne(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .ne) }
    public func le(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .le) }
    public func ge(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .ge) }

    /// Runs a float predicate elementwise; integer and bool tensors give `integral` everywhere.
    private func classify(integral: Bool, _ f32: (Float) -> Bool, _ f64: (Double) -> Bool) -> Tensor {
        let out = Tensor(emptyLike: layout, dtype: .bool)
        switch dtype {
        case .float32: unaryApply(self, out, Float.self, Bool.self, f32)
        case .float64: unaryApply(self, out, Double.self, Bool.self, f64)
        default: out.fill(integral ? 1 : 0)
        }
        return out
    }

    public func isnan() -> Tensor { classify(integral: false, { $0.isNaN }, { $0.isNaN }) }
    public func isinf() -> Tensor { classify(integral: false, { $0.isInfinite }, { $0.isInfinite }) }
    public func isposinf() -> Tensor { classify(integral: false, { $0 == .infinity }, { $0 == .infinity }) }
    public func isneginf() -> Tensor { classify(integral: false, { $0 == -.infinity }, { $0 == -.infinity }) }
    public func isfinite() -> Tensor { classify(integral: true, { $0.isFinite }, { $0.isFinite }) }
    /// `signbit()`: true where the sign bit is set (including −0.0).
    public func signbit() throws -> Tensor {
        if !dtype.isFloatingPoint { return try lt(0) }
        return classify(integral: false, { $0.sign == .minus }, { $0.sign == .minus })
    }

    private static func logical(_ a: Tensor, _ b: Tensor, _ op: String, _ f: (Bool, Bool) -> Bool) throws -> Tensor {
        guard let shape = broadcastShapes(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape], detail: "cannot broadcast")
        }
        let x = try a.ne(0), y = try b.ne(0)
        let out = Tensor(empty: shape, dtype: .bool)
        binaryApply(x, y, out, Bool.self, Bool.self, f)
        return out
    }

    public func logicalAnd(_ other: Tensor) throws -> Tensor { try Tensor.logical(self, other, "logical_and") { $0 && $1 } }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try Tensor.logical(self, other, "logical_or") { $0 || $1 } }
    public func logicalXor(_ other: Tensor) throws -> Tensor { try Tensor.logical(self, other, "logical_xor") { $0 != $1 } }
    public func logicalNot() throws -> Tensor { try eq(0) }

    private static func bitwise(_ a: Tensor, _ b: Tensor, _ op: String, _ kind: Int) throws -> Tensor {
        guard let shape = broadcastShapes(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape], detail: "cannot broadcast")
        }
        let dtype = resultType(a, b, .add)
        guard !dtype.isFloatingPoint else {
            throw TensorError.badDType(op: op, dtype: dtype, detail: "bitwise ops need integer or bool tensors, got shapes \(a.shape) and \(b.shape)")
        }
        let x = a.casted(to: dtype), y = b.casted(to: dtype)
        let out = Tensor(empty: shape, dtype: dtype)
        func run<T: FixedWidthInteger>(_: T.Type) {
            switch kind {
            case 0: binaryApply(x, y, out, T.self, T.self) { $0 & $1 }
            case 1: binaryApply(x, y, out, T.self, T.self) { $0 | $1 }
            default: binaryApply(x, y, out, T.self, T.self) { $0 ^ $1 }
            }
        }
        switch dtype {
        case .bool:
            switch kind {
            case 0: binaryApply(x, y, out, Bool.self, Bool.self) { $0 && $1 }
            case 1: binaryApply(x, y, out, Bool.self, Bool.self) { $0 || $1 }
            default: binaryApply(x, y, out, Bool.self, Bool.self) { $0 != $1 }
            }
        case .uint8: run(UInt8.self)
        case .int32: run(Int32.self)
        default: run(Int64.self)
        }
        return out
    }

    public func bitwiseAnd(_ other: Tensor) throws -> Tensor { try Tensor.bitwise(self, other, "bitwise_and", 0) }
    public func bitwiseOr(_ other: Tensor) throws -> Tensor { try Tensor.bitwise(self, other, "bitwise_or", 1) }
    public func bitwiseXor(_ other: Tensor) throws -> Tensor { try Tensor.bitwise(self, other, "bitwise_xor", 2) }
    /// `bitwise_not()`: `~x` (logical not for bool).
    public func bitwiseNot() throws -> Tensor {
        let out = Tensor(empty: shape, dtype: dtype)
        switch dtype {
        case .bool: unaryApply(self, out, Bool.self, Bool.self) { !$0 }
        case .uint8: unaryApply(self, out, UInt8.self, UInt8.self) { ~$0 }
        case .int32: unaryApply(self, out, Int32.self, Int32.self) { ~$0 }
        case .int64: unaryApply(self, out, Int64.self, Int64.self) { ~$0 }
        default: throw TensorError.badDType(op: "bitwise_not", dtype: dtype, detail: "integer or bool tensors only, shape \(shape)")
        }
        return out
    }

    /// `isclose(other, rtol, atol, equal_nan)`: `|a − b| ≤ atol + rtol·|b|`.
    public func isclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) throws -> Tensor {
        guard dtype == other.dtype else {
            throw TensorError.badDType(op: "isclose", dtype: other.dtype, detail: "\(dtype) and \(other.dtype) must match (shapes \(shape) and \(other.shape))")
        }
        return try noGrad {
            if !dtype.isFloatingPoint { return try eq(other) }
            let a = casted(to: .float64), b = other.casted(to: .float64)
            let diff = try (a - b).abs()
            let close = try diff.le(b.abs() * rtol + atol).logicalOr(a.eq(b))
            return equalNan ? try close.logicalOr(a.isnan().logicalAnd(b.isnan())) : close
        }
    }

    /// `allclose(other, rtol, atol, equal_nan)`.
    public func allclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) throws -> Bool {
        try isclose(other, rtol: rtol, atol: atol, equalNan: equalNan).all().item() != 0
    }

    /// `equal(other)`: same shape and the same values.
    public func equal(_ other: Tensor) throws -> Bool {
        guard shape == other.shape else { return false }
        return try eq(other).all().item() != 0
    }
}
