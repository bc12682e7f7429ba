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
    @inline(__always) public static func fexp(_ x: Float) -> Float { expf(x) }
    @inline(__always) public static func flog(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func fsqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func ftanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) public static func fpow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
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
}
