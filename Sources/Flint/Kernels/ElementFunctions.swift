import CFlintKernels

/// The elementwise functions of the hot ops as types, so that `unaryApply` and
/// `binaryApply` specialise for them and vectorise (see Pointwise.swift).
/// The transcendental ones run contiguous float32 memory through the C kernels,
/// which use the widest vector unit of the CPU (see FlintKernels.h).

/// A C kernel `y[i] = f(x[i])` over `n` contiguous floats.
typealias Float32Kernel = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void

/// A function of one float with a C array kernel for float32 memory; float64
/// runs element by element.
protocol VectorKernelFunction: UnaryFunction where Input: FloatElement, Output == Input {
    static var float32Kernel: Float32Kernel { get }
}

extension VectorKernelFunction {
    @inline(__always)
    func run(_ x: UnsafePointer<Input>, _ y: UnsafeMutablePointer<Output>, _ n: Int) {
        guard Input.self == Float.self else {
            for i in 0..<n { y[i] = self(x[i]) }
            return
        }
        Self.float32Kernel(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                           UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), n)
    }
}

struct Add<T: FloatElement>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a + b }
}

struct Sub<T: FloatElement>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a - b }
}

struct Mul<T: FloatElement>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a * b }
}

struct Div<T: FloatElement>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a / b }
}

/// ReLU's backward, `threshold_backward(grad, out, 0)` in PyTorch: the
/// gradient where the output is above zero (or NaN), else zero.
struct ReluGradient<T: FloatElement>: BinaryFunction {
    @inline(__always) func callAsFunction(_ g: T, _ out: T) -> T { out <= 0 ? 0 : g }
}

struct Equal<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a == b }
}

struct NotEqual<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a != b }
}

struct Less<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a < b }
}

struct LessEqual<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a <= b }
}

struct Greater<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a > b }
}

struct GreaterEqual<T: Comparable>: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a >= b }
}

struct Neg<T: FloatElement>: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { -x }
}

struct Exp<T: FloatElement>: VectorKernelFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { T.fexp(x) }
    static var float32Kernel: Float32Kernel { flint_exp_f32 }
}

struct Log<T: FloatElement>: VectorKernelFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { T.flog(x) }
    static var float32Kernel: Float32Kernel { flint_log_f32 }
}

struct Sqrt<T: FloatElement>: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { T.fsqrt(x) }
}

/// One compare-and-select that vectorises; NaN < 0 is false, so NaN passes through as in PyTorch.
struct Relu<T: FloatElement>: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { x < 0 ? 0 : x }
}

struct Tanh<T: FloatElement>: VectorKernelFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { T.ftanh(x) }
    static var float32Kernel: Float32Kernel { flint_tanh_f32 }
}

struct Sigmoid<T: FloatElement>: VectorKernelFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { 1 / (1 + T.fexp(-x)) }
    static var float32Kernel: Float32Kernel { flint_sigmoid_f32 }
}

struct Abs<T: FloatElement>: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { Swift.abs(x) }
}

struct Erf<T: FloatElement>: VectorKernelFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { T.ferf(x) }
    static var float32Kernel: Float32Kernel { flint_erf_f32 }
}

/// The standard normal CDF Φ(x) = ½(1 + erf(x/√2)), GELU's gate, as PyTorch's GELU kernel computes it.
struct NormalCDF<T: FloatElement>: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: T) -> T { 0.5 * (1 + T.ferf(x * 0.7071067811865476)) }
}
