import Foundation

/// Elementwise math beyond arithmetic: trigonometric and hyperbolic functions
/// and their inverses, exponentials and logarithms, the error function and its
/// inverse, rounding, `clamp` and `nan_to_num`.

enum MathKind: String {
    case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
    case expm1, log1p, log2, log10, exp2, rsqrt, reciprocal
    case erf, erfc, erfinv
    case floor, ceil, round, trunc

    var isRounding: Bool { self == .floor || self == .ceil || self == .round || self == .trunc }
}

extension Tensor {
    static func math(_ a: Tensor, _ kind: MathKind) throws -> Tensor {
        // Rounding an integer tensor is the identity, as in PyTorch.
        if kind.isRounding && (a.dtype.isIntegral || a.dtype == .bool) {
            if a.dtype == .bool { throw TensorError.badDType(op: kind.rawValue, dtype: .bool, detail: "shape \(a.shape)") }
            return a.clone()
        }
        // Other functions of integers compute in the default float type.
        let dtype: DType = a.dtype.isFloatingPoint ? a.dtype : .float32
        let x = a.casted(to: dtype)
        let out = Tensor(emptyLike: x.layout, dtype: dtype)
        if dtype == .float64 { mathKernel(x, out, Double.self, kind) } else { mathKernel(x, out, Float.self, kind) }
        let backward: Backward
        switch kind {
        case .sin: backward = .sin(x)
        case .cos: backward = .cos(x)
        case .tan: backward = .tan(out: out)
        case .asin: backward = .asin(x)
        case .acos: backward = .acos(x)
        case .atan: backward = .atan(x)
        case .sinh: backward = .sinh(x)
        case .cosh: backward = .cosh(x)
        case .asinh: backward = .asinh(x)
        case .acosh: backward = .acosh(x)
        case .atanh: backward = .atanh(x)
        case .expm1: backward = .expm1(out: out)
        case .log1p: backward = .log1p(x)
        case .log2: backward = .log2(x)
        case .log10: backward = .log10(x)
        case .exp2: backward = .exp2(out: out)
        case .rsqrt: backward = .rsqrt(out: out)
        case .reciprocal: backward = .reciprocal(out: out)
        case .erf: backward = .erf(x)
        case .erfc: backward = .erfc(x)
        case .erfinv: backward = .erfinv(out: out)
        case .floor, .ceil, .round, .trunc: backward = .zeroGradient(kind.rawValue)
        }
        return Autograd.record(out, backward, inputs: [a])
    }

    private static func mathKernel<T: FloatElement>(_ x: Tensor, _ out: Tensor, _: T.Type, _ kind: MathKind) {
        switch kind {
        case .sin: unaryApply(x, out, T.self, T.self) { T.fsin($0) }
        case .cos: unaryApply(x, out, T.self, T.self) { T.fcos($0) }
        case .tan: unaryApply(x, out, T.self, T.self) { T.ftan($0) }
        case .asin: unaryApply(x, out, T.self, T.self) { T.fasin($0) }
        case .acos: unaryApply(x, out, T.self, T.self) { T.facos($0) }
        case .atan: unaryApply(x, out, T.self, T.self) { T.fatan($0) }
        case .sinh: unaryApply(x, out, T.self, T.self) { T.fsinh($0) }
        case .cosh: unaryApply(x, out, T.self, T.self) { T.fcosh($0) }
        case .asinh: unaryApply(x, out, T.self, T.self) { T.fasinh($0) }
        case .acosh: unaryApply(x, out, T.self, T.self) { T.facosh($0) }
        case .atanh: unaryApply(x, out, T.self, T.self) { T.fatanh($0) }
        case .expm1: unaryApply(x, out, T.self, T.self) { T.fexpm1($0) }
        case .log1p: unaryApply(x, out, T.self, T.self) { T.flog1p($0) }
        case .log2: unaryApply(x, out, T.self, T.self) { T.flog2($0) }
        case .log10: unaryApply(x, out, T.self, T.self) { T.flog10($0) }
        case .exp2: unaryApply(x, out, T.self, T.self) { T.fexp2($0) }
        case .rsqrt: unaryApply(x, out, T.self, T.self) { 1 / T.fsqrt($0) }
        case .reciprocal: unaryApply(x, out, T.self, T.self) { 1 / $0 }
        case .erf: unaryApply(x, out, Erf<T>())
        case .erfc: unaryApply(x, out, T.self, T.self) { T.ferfc($0) }
        case .erfinv: unaryApply(x, out, T.self, T.self) { T(flintDouble: inverseErf($0.flintDouble)) }
        case .floor: unaryApply(x, out, T.self, T.self) { $0.rounded(.down) }
        case .ceil: unaryApply(x, out, T.self, T.self) { $0.rounded(.up) }
        // torch.round rounds half to even.
        case .round: unaryApply(x, out, T.self, T.self) { $0.rounded(.toNearestOrEven) }
        case .trunc: unaryApply(x, out, T.self, T.self) { $0.rounded(.towardZero) }
        }
    }

    public func sin() throws -> Tensor { try Tensor.math(self, .sin) }
    public func cos() throws -> Tensor { try Tensor.math(self, .cos) }
    public func tan() throws -> Tensor { try Tensor.math(self, .tan) }
    public func asin() throws -> Tensor { try Tensor.math(self, .asin) }
    public func acos() throws -> Tensor { try Tensor.math(self, .acos) }
    public func atan() throws -> Tensor { try Tensor.math(self, .atan) }
    public func sinh() throws -> Tensor { try Tensor.math(self, .sinh) }
    public func cosh() throws -> Tensor { try Tensor.math(self, .cosh) }
    public func asinh() throws -> Tensor { try Tensor.math(self, .asinh) }
    public func acosh() throws -> Tensor { try Tensor.math(self, .acosh) }
    public func atanh() throws -> Tensor { try Tensor.math(self, .atanh) }
    public func expm1() throws -> Tensor { try Tensor.math(self, .expm1) }
    public func log1p() throws -> Tensor { try Tensor.math(self, .log1p) }
    public func log2() throws -> Tensor { try Tensor.math(self, .log2) }
    public func log10() throws -> Tensor { try Tensor.math(self, .log10) }
    public func exp2() throws -> Tensor { try Tensor.math(self, .exp2) }
    public func rsqrt() throws -> Tensor { try Tensor.math(self, .rsqrt) }
    public func reciprocal() throws -> Tensor { try Tensor.math(self, .reciprocal) }
    public func erf() throws -> Tensor { try Tensor.math(self, .erf) }
    public func erfc() throws -> Tensor { try Tensor.math(self, .erfc) }
    public func erfinv() throws -> Tensor { try Tensor.math(self, .erfinv) }
    public func floor() throws -> Tensor { try Tensor.math(self, .floor) }
    public func ceil() throws -> Tensor { try Tensor.math(self, .ceil) }
    public func trunc() throws -> Tensor { try Tensor.math(self, .trunc) }
    /// `round(decimals=0)`, half to even; with decimals, `round(x · 10^d) / 10^d`.
    public func round(decimals: Int = 0) throws -> Tensor {
        if decimals == 0 { return try Tensor.math(self, .round) }
        let scale = Foundation.pow(10, Double(decimals))
        return try Tensor.math(self * scale, .round) / scale
    }

    /// `square()`: `x · x`. Composite.
    public func square() throws -> Tensor { try self * self }
    /// `frac()`: `x − trunc(x)`. Composite.
    public func frac() throws -> Tensor { try self - trunc() }
    /// `deg2rad()`. Composite.
    public func deg2rad() throws -> Tensor { (dtype.isFloatingPoint ? self : casted(to: .float32)) * 0.017453292519943295 }
    /// `rad2deg()`. Composite.
    public func rad2deg() throws -> Tensor { (dtype.isFloatingPoint ? self : casted(to: .float32)) * 57.29577951308232 }
    /// `logit(eps)`: `log(p / (1 − p))`, with p clamped to `[eps, 1 − eps]` when eps is given. Composite.
    public func logit(eps: Double? = nil) throws -> Tensor {
        let p = try eps.map { try clamp(min: $0, max: 1 - $0) } ?? (dtype.isFloatingPoint ? self : casted(to: .float32))
        return try p.log() - p.neg().log1p()
    }
    /// `sgn()`: the sign for real tensors. Composite.
    public func sgn() throws -> Tensor { try sign() }
    /// `positive()`: the tensor itself.
    public func positive() throws -> Tensor {
        guard dtype != .bool else { throw TensorError.badDType(op: "positive", dtype: .bool, detail: "shape \(shape)") }
        return self
    }

    /// `clamp(min, max)` with scalar bounds; NaN stays NaN. Gradient flows where `min ≤ x ≤ max`.
    public func clamp(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        guard lo != nil || hi != nil else {
            throw TensorError.invalidArgument(op: "clamp", message: "at least one of 'min' or 'max' must not be None (shape \(shape))")
        }
        guard dtype != .bool else { throw TensorError.badDType(op: "clamp", dtype: .bool, detail: "shape \(shape)") }
        // A float bound on an integer tensor promotes, as a Python float would.
        let fractional = [lo, hi].contains { $0.map { $0.rounded() != $0 } ?? false }
        let dtype: DType = self.dtype.isFloatingPoint || !fractional ? self.dtype : .float32
        let x = casted(to: dtype)
        let out = Tensor(emptyLike: x.layout, dtype: dtype)
        func run<T: NumericElement>(_: T.Type) {
            let l = T(flintDouble: lo ?? -Double.infinity), h = T(flintDouble: hi ?? Double.infinity)
            let hasLo = lo != nil, hasHi = hi != nil
            // PyTorch applies min, then max: when min > max every element becomes max.
            unaryApply(x, out, T.self, T.self) { v in
                if v != v { return v }
                var r = v
                if hasLo && r < l { r = l }
                if hasHi && r > h { r = h }
                return r
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .int32: run(Int32.self)
        default: run(UInt8.self)
        }
        guard dtype.isFloatingPoint, Autograd.isEnabled, requiresGrad else { return out }
        let inside = try noGrad {
            var m = try x.eq(x)
            if let lo { m = try m.logicalAnd(x.ge(lo)) }
            if let hi { m = try m.logicalAnd(x.le(hi)) }
            return m
        }
        return Autograd.record(out, .mask("clamp", inside), inputs: [self])
    }

    /// `clamp(min, max)` with tensor bounds (broadcast). Composite over `maximum` and `minimum`.
    public func clamp(min lo: Tensor?, max hi: Tensor?) throws -> Tensor {
        guard lo != nil || hi != nil else {
            throw TensorError.invalidArgument(op: "clamp", message: "at least one of 'min' or 'max' must not be None (shape \(shape))")
        }
        var r = self
        if let lo { r = try r.maximum(lo) }
        if let hi { r = try r.minimum(hi) }
        return r
    }

    /// `clamp_min(min)`.
    public func clampMin(_ lo: Double) throws -> Tensor { try clamp(min: lo) }
    /// `clamp_max(max)`.
    public func clampMax(_ hi: Double) throws -> Tensor { try clamp(max: hi) }

    /// `nan_to_num(nan, posinf, neginf)`: replaces NaN and infinities
    /// (defaults: 0 and the dtype's largest finite values).
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) throws -> Tensor {
        guard dtype.isFloatingPoint else { return clone() }
        let out = Tensor(emptyLike: layout, dtype: dtype)
        func run<T: FloatElement>(_: T.Type) {
            let n = T(flintDouble: nan), p = posinf.map { T(flintDouble: $0) } ?? T.greatestFiniteMagnitude
            let m = neginf.map { T(flintDouble: $0) } ?? -T.greatestFiniteMagnitude
            unaryApply(self, out, T.self, T.self) { v in v.isNaN ? n : (v == .infinity ? p : (v == -.infinity ? m : v)) }
        }
        if dtype == .float64 { run(Double.self) } else { run(Float.self) }
        guard Autograd.isEnabled, requiresGrad else { return out }
        return Autograd.record(out, .mask("nan_to_num", isfinite()), inputs: [self])
    }
}

/// The inverse error function: Giles' single-precision approximation refined
/// by two Newton steps on erf, accurate to double rounding in (−1, 1).
func inverseErf(_ y: Double) -> Double {
    if y.isNaN || y < -1 || y > 1 { return .nan }
    if y == 1 { return .infinity }
    if y == -1 { return -.infinity }
    var w = -Foundation.log((1 - y) * (1 + y))
    var p: Double
    if w < 5 {
        w -= 2.5
        p = 2.81022636e-08
        for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941] { p = c + p * w }
    } else {
        w = w.squareRoot() - 3
        p = -0.000200214257
        for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682] { p = c + p * w }
    }
    var x = p * y
    for _ in 0..<2 {
        let err = Foundation.erf(x) - y
        x -= err / (2 / Double.pi.squareRoot() * Foundation.exp(-x * x))
    }
    return x
}

extension Tensor {
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
}
