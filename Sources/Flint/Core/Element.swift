import CFlintKernels
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
    @inline(__always) public static func fexp(_ x: Float) -> Float { flint_expf(x) }
    @inline(__always) public static func flog(_ x: Float) -> Float { flint_logf(x) }
    @inline(__always) public static func fsqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func ftanh(_ x: Float) -> Float { flint_tanhf(x) }
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
