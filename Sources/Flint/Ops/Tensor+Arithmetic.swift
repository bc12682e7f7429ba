/// Binary arithmetic with PyTorch's broadcasting and type promotion.

enum BinaryKind: String {
    case add, sub, mul, div, maximum, minimum, pow
    case fmod, remainder, atan2
    case floorDivide = "floor_divide"
}

extension Tensor {
    /// Result dtype of `a op b` under PyTorch's promotion, with true division.
    static func resultType(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) -> DType {
        // A 0-dim operand is a "wrapped number" only within its category, as in PyTorch.
        var t: DType
        if a.rank == 0 && b.rank > 0 && a.dtype.category <= b.dtype.category {
            t = b.dtype
        } else if b.rank == 0 && a.rank > 0 && b.dtype.category <= a.dtype.category {
            t = a.dtype
        } else {
            t = DType.promote(a.dtype, b.dtype)
        }
        if (kind == .div || kind == .atan2) && !t.isFloatingPoint { t = .float32 }
        if t == .bool && (kind == .sub || kind == .div) { t = .float32 }
        return t
    }

    static func binary(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) throws -> Tensor {
        guard let shape = broadcastShapes(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: kind.rawValue, shapes: [a.shape, b.shape], detail: "cannot broadcast")
        }
        if kind == .sub && (a.dtype == .bool || b.dtype == .bool) {
            throw TensorError.badDType(op: "sub", dtype: .bool, detail: "subtraction with a bool tensor is not supported; use logical_xor or logical_not (shapes \(a.shape) and \(b.shape))")
        }
        let dtype = resultType(a, b, kind)
        let x = a.casted(to: dtype), y = b.casted(to: dtype)
        let sameLayout = x.shape == shape && y.shape == shape && x.strides == y.strides
        let out = sameLayout ? Tensor(emptyLike: x.layout, dtype: dtype) : Tensor(empty: shape, dtype: dtype)
        switch dtype {
        case .float32: floatBinary(x, y, out, Float.self, kind)
        case .float64: floatBinary(x, y, out, Double.self, kind)
        case .int64: try intBinary(x, y, out, Int64.self, kind)
        case .int32: try intBinary(x, y, out, Int32.self, kind)
        case .uint8: try intBinary(x, y, out, UInt8.self, kind)
        case .bool:
            switch kind {
            case .floorDivide, .fmod, .remainder: try intBinary(x.casted(to: .uint8), y.casted(to: .uint8), out, UInt8.self, kind)
            case .add, .maximum: binaryApply(x, y, out, Bool.self, Bool.self) { $0 || $1 }
            case .mul, .minimum: binaryApply(x, y, out, Bool.self, Bool.self) { $0 && $1 }
            default: throw TensorError.badDType(op: kind.rawValue, dtype: .bool)
            }
        }
        let backward: Backward
        switch kind {
        case .add: backward = .add
        case .sub: backward = .sub
        case .mul: backward = .mul(x, y)
        case .div: backward = .div(x, y)
        case .maximum: backward = .maximum(x, y)
        case .minimum: backward = .minimum(x, y)
        case .pow: backward = .pow(x, y, out)
        case .fmod: backward = .fmod(x, y)
        case .remainder: backward = .remainder(x, y)
        case .atan2: backward = .atan2(x, y)
        case .floorDivide: backward = .zeroGradient("floor_divide")
        }
        return dtype.isFloatingPoint ? Autograd.record(out, backward, inputs: [a, b]) : out
    }

    private static func floatBinary<T: FloatElement>(_ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type, _ kind: BinaryKind) {
        switch kind {
        case .add: binaryApply(x, y, out, Add<T>())
        case .sub: binaryApply(x, y, out, Sub<T>())
        case .mul: binaryApply(x, y, out, Mul<T>())
        case .div: binaryApply(x, y, out, Div<T>())
        case .maximum: binaryApply(x, y, out, T.self, T.self) { $0.isNaN || $1.isNaN ? .nan : ($0 > $1 ? $0 : $1) }
        case .minimum: binaryApply(x, y, out, T.self, T.self) { $0.isNaN || $1.isNaN ? .nan : ($0 < $1 ? $0 : $1) }
        case .pow: binaryApply(x, y, out, T.self, T.self) { T.fpow($0, $1) }
        case .fmod: binaryApply(x, y, out, T.self, T.self) { T.ffmod($0, $1) }
        // Python's modulo: the result takes the divisor's sign.
        case .remainder:
            binaryApply(x, y, out, T.self, T.self) { a, b in
                let r = T.ffmod(a, b)
                return r != 0 && ((b < 0) != (r < 0)) ? r + b : r
            }
        case .atan2: binaryApply(x, y, out, T.self, T.self) { T.fatan2($0, $1) }
        case .floorDivide: binaryApply(x, y, out, T.self, T.self) { ($0 / $1).rounded(.down) }
        }
    }

    private static func intBinary<T: NumericElement & FixedWidthInteger>(_ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type, _ kind: BinaryKind) throws {
        switch kind {
        case .add: binaryApply(x, y, out, T.self, T.self) { $0 &+ $1 }
        case .sub: binaryApply(x, y, out, T.self, T.self) { $0 &- $1 }
        case .mul: binaryApply(x, y, out, T.self, T.self) { $0 &* $1 }
        case .maximum: binaryApply(x, y, out, T.self, T.self) { Swift.max($0, $1) }
        case .minimum: binaryApply(x, y, out, T.self, T.self) { Swift.min($0, $1) }
        case .pow:
            binaryApply(x, y, out, T.self, T.self) { base, e in
                if e < 0 { return base == 1 ? 1 : 0 }
                var r: T = 1, b = base, k = e
                while k > 0 { if k & 1 == 1 { r = r &* b }; b = b &* b; k >>= 1 }
                return r
            }
        case .fmod, .remainder, .floorDivide:
            if try noGrad({ try y.eq(0).any().item() }) != 0 {
                throw TensorError.invalidArgument(op: kind.rawValue, message: "ZeroDivisionError: integer division by zero (shapes \(x.shape) and \(y.shape))")
            }
            switch kind {
            case .fmod: binaryApply(x, y, out, T.self, T.self) { $0 % $1 }
            case .remainder:
                binaryApply(x, y, out, T.self, T.self) { a, b in
                    let r = a % b
                    return r != 0 && ((b < 0) != (r < 0)) ? r &+ b : r
                }
            default:
                binaryApply(x, y, out, T.self, T.self) { a, b in
                    let q = a / b
                    return (a % b != 0) && ((a < 0) != (b < 0)) ? q &- 1 : q
                }
            }
        case .div, .atan2: throw TensorError.badDType(op: kind.rawValue, dtype: T.dtype, detail: "integer inputs are promoted to float before reaching here")
        }
    }

    /// A 0-dim tensor for a Swift number combined with this tensor, typed as
    /// PyTorch types a Python number next to a tensor.
    func wrap(_ value: Double) -> Tensor {
        if dtype.isFloatingPoint { return .scalar(value, dtype: dtype) }
        if value.rounded() == value && dtype != .bool { return .scalar(value, dtype: dtype) }
        if value.rounded() == value { return .scalar(value, dtype: .int64) }
        return .scalar(value, dtype: .float32)
    }

    /// `torch.add(self, other, alpha=alpha)`.
    public func add(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        try Tensor.binary(self, alpha == 1 ? other : other * alpha, .add)
    }
    /// `torch.sub(self, other, alpha=alpha)`.
    public func sub(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        try Tensor.binary(self, alpha == 1 ? other : other * alpha, .sub)
    }
    public func mul(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .mul) }
    public func div(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .div) }
    public func maximum(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .maximum) }
    public func minimum(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .minimum) }
    public func pow(_ exponent: Tensor) throws -> Tensor { try Tensor.binary(self, exponent, .pow) }
    public func pow(_ exponent: Double) throws -> Tensor { try Tensor.binary(self, wrap(exponent), .pow) }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .add) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .sub) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .mul) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .div) }

    public static func + (a: Tensor, b: Double) -> Tensor { scalarOp(a, a.wrap(b), .add) }
    public static func - (a: Tensor, b: Double) -> Tensor { scalarOp(a, a.wrap(b), .sub) }
    public static func * (a: Tensor, b: Double) -> Tensor { scalarOp(a, a.wrap(b), .mul) }
    public static func / (a: Tensor, b: Double) -> Tensor { scalarOp(a, a.wrap(b), .div) }
    public static func + (a: Double, b: Tensor) -> Tensor { scalarOp(b.wrap(a), b, .add) }
    public static func - (a: Double, b: Tensor) -> Tensor { scalarOp(b.wrap(a), b, .sub) }
    public static func * (a: Double, b: Tensor) -> Tensor { scalarOp(b.wrap(a), b, .mul) }
    public static func / (a: Double, b: Tensor) -> Tensor { scalarOp(b.wrap(a), b, .div) }

    /// Tensor with a 0-dim scalar always broadcasts, so these cannot fail
    /// except on bool subtraction, which promotes instead.
    private static func scalarOp(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) -> Tensor {
        do { return try binary(a, b, kind) } catch {
            return (try? binary(a.casted(to: .float32), b.casted(to: .float32), kind)) ?? a
        }
    }

    public static prefix func - (a: Tensor) -> Tensor { a.neg() }
}
