import Foundation

/// A Swift type that can be a tensor element.
public protocol TensorElement: Sendable {
    static var dtype: DType { get }
    /// Conversion through Double, used by casts and scalar reads.
    init(flintDouble: Double)
    var flintDouble: Double { get }
}

/// Element types that arithmetic kernels run on.
public protocol NumericElement: TensorElement, Numeric, Comparable {
    static var zeroValue: Self { get }
    static var oneValue: Self { get }
}

/// Floating-point element types, with the libm functions the kernels need.
public protocol FloatElement: NumericElement, BinaryFloatingPoint {
    static func fexp(_ x: Self) -> Self
    static func flog(_ x: Self) -> Self
    static func fsqrt(_ x: Self) -> Self
    static func ftanh(_ x: Self) -> Self
    static func fpow(_ x: Self, _ y: Self) -> Self
    static func fsin(_ x: Self) -> Self
    static func fcos(_ x: Self) -> Self
    static func ftan(_ x: Self) -> Self
    static func fasin(_ x: Self) -> Self
    static func facos(_ x: Self) -> Self
    static func fatan(_ x: Self) -> Self
    static func fsinh(_ x: Self) -> Self
    static func fcosh(_ x: Self) -> Self
    static func fasinh(_ x: Self) -> Self
    static func facosh(_ x: Self) -> Self
    static func fatanh(_ x: Self) -> Self
    static func fexpm1(_ x: Self) -> Self
    static func flog1p(_ x: Self) -> Self
    static func flog2(_ x: Self) -> Self
    static func flog10(_ x: Self) -> Self
    static func fexp2(_ x: Self) -> Self
    static func ferf(_ x: Self) -> Self
    static func ferfc(_ x: Self) -> Self
    static func fatan2(_ y: Self, _ x: Self) -> Self
    static func ffmod(_ x: Self, _ y: Self) -> Self
}

extension Bool: TensorElement {
    public static var dtype: DType { .bool }
    public init(flintDouble: Double) { self = flintDouble != 0 }
    public var flintDouble: Double { self ? 1 : 0 }
}

extension UInt8: NumericElement {
    public static var dtype: DType { .uint8 }
    public init(flintDouble: Double) { self = UInt8(truncatingIfNeeded: Int64(flintDouble.isFinite ? flintDouble : 0)) }
    public var flintDouble: Double { Double(self) }
    public static var zeroValue: UInt8 { 0 }
    public static var oneValue: UInt8 { 1 }
}

extension Int32: NumericElement {
    public static var dtype: DType { .int32 }
    public init(flintDouble: Double) { self = Int32(truncatingIfNeeded: Int64(flintDouble.isFinite ? flintDouble : 0)) }
    public var flintDouble: Double { Double(self) }
    public static var zeroValue: Int32 { 0 }
    public static var oneValue: Int32 { 1 }
}

extension Int64: NumericElement {
    public static var dtype: DType { .int64 }
    public init(flintDouble: Double) {
        self = flintDouble.isFinite && abs(flintDouble) < 9.2e18 ? Int64(flintDouble) : Int64.min
    }
    public var flintDouble: Double { Double(self) }
    public static var zeroValue: Int64 { 0 }
    public static var oneValue: Int64 { 1 }
}

extension Float: FloatElement {
    public static var dtype: DType { .float32 }
    public init(flintDouble: Double) { self = Float(flintDouble) }
    public var flintDouble: Double { Double(self) }
    public static var zeroValue: Float { 0 }
    public static var oneValue: Float { 1 }
    @inline(__always) public static func fexp(_ x: Float) -> Float { vectorExp(x) }
    @inline(__always) public static func flog(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func fsqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func ftanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) public static func fpow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inline(__always) public static func fsin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) public static func fcos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) public static func ftan(_ x: Float) -> Float { tanf(x) }
    @inline(__always) public static func fasin(_ x: Float) -> Float { asinf(x) }
    @inline(__always) public static func facos(_ x: Float) -> Float { acosf(x) }
    @inline(__always) public static func fatan(_ x: Float) -> Float { atanf(x) }
    @inline(__always) public static func fsinh(_ x: Float) -> Float { sinhf(x) }
    @inline(__always) public static func fcosh(_ x: Float) -> Float { coshf(x) }
    @inline(__always) public static func fasinh(_ x: Float) -> Float { asinhf(x) }
    @inline(__always) public static func facosh(_ x: Float) -> Float { acoshf(x) }
    @inline(__always) public static func fatanh(_ x: Float) -> Float { atanhf(x) }
    @inline(__always) public static func fexpm1(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) public static func flog1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) public static func flog2(_ x: Float) -> Float { log2f(x) }
    @inline(__always) public static func flog10(_ x: Float) -> Float { log10f(x) }
    @inline(__always) public static func fexp2(_ x: Float) -> Float { exp2f(x) }
    @inline(__always) public static func ferf(_ x: Float) -> Float { erff(x) }
    @inline(__always) public static func ferfc(_ x: Float) -> Float { erfcf(x) }
    @inline(__always) public static func fatan2(_ y: Float, _ x: Float) -> Float { atan2f(y, x) }
    @inline(__always) public static func ffmod(_ x: Float, _ y: Float) -> Float { fmodf(x, y) }
}

extension Double: FloatElement {
    public static var dtype: DType { .float64 }
    public init(flintDouble: Double) { self = flintDouble }
    public var flintDouble: Double { self }
    public static var zeroValue: Double { 0 }
    public static var oneValue: Double { 1 }
    @inline(__always) public static func fexp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func flog(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func fsqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) public static func ftanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func fpow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inline(__always) public static func fsin(_ x: Double) -> Double { Foundation.sin(x) }
    @inline(__always) public static func fcos(_ x: Double) -> Double { Foundation.cos(x) }
    @inline(__always) public static func ftan(_ x: Double) -> Double { Foundation.tan(x) }
    @inline(__always) public static func fasin(_ x: Double) -> Double { Foundation.asin(x) }
    @inline(__always) public static func facos(_ x: Double) -> Double { Foundation.acos(x) }
    @inline(__always) public static func fatan(_ x: Double) -> Double { Foundation.atan(x) }
    @inline(__always) public static func fsinh(_ x: Double) -> Double { Foundation.sinh(x) }
    @inline(__always) public static func fcosh(_ x: Double) -> Double { Foundation.cosh(x) }
    @inline(__always) public static func fasinh(_ x: Double) -> Double { Foundation.asinh(x) }
    @inline(__always) public static func facosh(_ x: Double) -> Double { Foundation.acosh(x) }
    @inline(__always) public static func fatanh(_ x: Double) -> Double { Foundation.atanh(x) }
    @inline(__always) public static func fexpm1(_ x: Double) -> Double { Foundation.expm1(x) }
    @inline(__always) public static func flog1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) public static func flog2(_ x: Double) -> Double { Foundation.log2(x) }
    @inline(__always) public static func flog10(_ x: Double) -> Double { Foundation.log10(x) }
    @inline(__always) public static func fexp2(_ x: Double) -> Double { Foundation.exp2(x) }
    @inline(__always) public static func ferf(_ x: Double) -> Double { Foundation.erf(x) }
    @inline(__always) public static func ferfc(_ x: Double) -> Double { Foundation.erfc(x) }
    @inline(__always) public static func fatan2(_ y: Double, _ x: Double) -> Double { Foundation.atan2(y, x) }
    @inline(__always) public static func ffmod(_ x: Double, _ y: Double) -> Double { Foundation.fmod(x, y) }
}

/// `expf` in plain arithmetic, so that loops calling it vectorise: Cephes'
/// range reduction (x = n·ln2 + r, |r| ≤ ln2/2), a degree-6 polynomial for eʳ,
/// and 2ⁿ put into the exponent bits. Within 2 ulp of `expf` on the normal
/// range; overflows to +∞, and flushes results below 2⁻¹²⁶ to 0.
@inline(__always)
func vectorExp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -87.33654), 88.72283)
    // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits then hold n as an integer,
    // so neither a call to rint nor a float-to-int conversion stops the loop from vectorising.
    let shifted = clamped * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    let k = Int32(bitPattern: shifted.bitPattern &- 0x4B40_0000)
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    // 2ⁿ in two factors, since n = 128 (just below overflow) has no float exponent of its own.
    let half = k >> 1
    let scale1 = Float(bitPattern: UInt32(bitPattern: half &+ 127) << 23)
    let scale2 = Float(bitPattern: UInt32(bitPattern: k &- half &+ 127) << 23)
    let result = y * scale1 * scale2
    // Out-of-range inputs: the clamp above kept the arithmetic finite; pick the limits here.
    return x != x ? x : (x > 88.72283 ? .infinity : (x < -87.33654 ? 0 : result))
}
