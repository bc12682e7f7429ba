/// Elementwise kernels: one contiguous fast path that auto-vectorises, a
/// broadcast-scalar path, and the general strided path.
///
/// The kernels are generic over the function they apply, given as a value of
/// a type conforming to `UnaryFunction` or `BinaryFunction`. A hot op names its
/// function by a type of its own (`Exp<Float>()`, `Add<Float>()`): the kernel is
/// then specialised for it, and the loops that run on worker threads inline and
/// vectorise it. A closure cannot do that: the block handed to the worker
/// threads captures it as an opaque value and calls it once per element (14×
/// slower for `exp` on a million floats). Other ops pass closures through the
/// `unaryApply` / `binaryApply` overloads that take one.

protocol UnaryFunction {
    associatedtype Input
    associatedtype Output
    func callAsFunction(_ x: Input) -> Output
    /// `y[i] = f(x[i])` for `i < n`, over contiguous memory.
    func run(_ x: UnsafePointer<Input>, _ y: UnsafeMutablePointer<Output>, _ n: Int)
}

extension UnaryFunction {
    @inline(__always)
    func run(_ x: UnsafePointer<Input>, _ y: UnsafeMutablePointer<Output>, _ n: Int) {
        for i in 0..<n { y[i] = self(x[i]) }
    }
}

protocol BinaryFunction {
    associatedtype Input
    associatedtype Output
    func callAsFunction(_ a: Input, _ b: Input) -> Output
}

/// A closure as a `UnaryFunction`, for ops not hot enough to need a type of their own.
struct UnaryClosure<Input, Output>: UnaryFunction {
    let f: (Input) -> Output
    @inline(__always) func callAsFunction(_ x: Input) -> Output { f(x) }
}

/// A closure as a `BinaryFunction`.
struct BinaryClosure<Input, Output>: BinaryFunction {
    let f: (Input, Input) -> Output
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Output { f(a, b) }
}

/// Runs `f` over broadcast operands `a`, `b` into the contiguous `out`.
func binaryApply<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ out: Tensor, _ f: F) {
    let pa = a.storage.typed(F.Input.self)
    let pb = b.storage.typed(F.Input.self)
    let po = out.pointer(F.Output.self)
    let n = out.count
    // Same strides everywhere over dense memory (contiguous, or e.g. all transposed): one linear loop.
    let linear = a.shape == out.shape && b.shape == out.shape && a.strides == out.strides && b.strides == out.strides
        && (out.isContiguous || out.layout.isDense)
    if linear || (a.shape == out.shape && b.shape == out.shape && a.isContiguous && b.isContiguous && out.isContiguous) {
        let xa = pa + a.layout.offset, xb = pb + b.layout.offset
        parallelFor(count: n) { r in
            for i in r { po[i] = f(xa[i], xb[i]) }
        }
        return
    }
    if b.count == 1 && a.shape == out.shape && a.isContiguous {
        let xa = pa + a.layout.offset, s = pb[b.layout.offset]
        parallelFor(count: n) { r in
            for i in r { po[i] = f(xa[i], s) }
        }
        return
    }
    if a.count == 1 && b.shape == out.shape && b.isContiguous {
        let xb = pb + b.layout.offset, s = pa[a.layout.offset]
        parallelFor(count: n) { r in
            for i in r { po[i] = f(s, xb[i]) }
        }
        return
    }
    let sa = a.layout.broadcastStrides(to: out.shape)
    let sb = b.layout.broadcastStrides(to: out.shape)
    forEachRun(shape: out.shape, strides: [out.layout.strides, sa, sb], offsets: [0, a.layout.offset, b.layout.offset]) { offs, count, inner in
        let o = po + offs[0], x = pa + offs[1], y = pb + offs[2]
        let ia = inner[1], ib = inner[2]
        if ia == 1 && ib == 1 {
            for i in 0..<count { o[i] = f(x[i], y[i]) }
        } else if ia == 1 && ib == 0 {
            let s = y[0]
            for i in 0..<count { o[i] = f(x[i], s) }
        } else if ia == 0 && ib == 1 {
            let s = x[0]
            for i in 0..<count { o[i] = f(s, y[i]) }
        } else {
            for i in 0..<count { o[i] = f(x[i * ia], y[i * ib]) }
        }
    }
}

/// Runs the closure `f` over broadcast operands `a`, `b` into the contiguous `out`.
@inline(__always)
func binaryApply<T, U>(_ a: Tensor, _ b: Tensor, _ out: Tensor, _: T.Type, _: U.Type, _ f: (T, T) -> U) {
    withoutActuallyEscaping(f) { binaryApply(a, b, out, BinaryClosure(f: $0)) }
}

/// Runs `f` over `a` into `out` of the same shape (contiguous, or with `a`'s strides when `a` is dense).
func unaryApply<F: UnaryFunction>(_ a: Tensor, _ out: Tensor, _ f: F) {
    let pa = a.storage.typed(F.Input.self)
    let po = out.pointer(F.Output.self)
    if (a.isContiguous && out.isContiguous) || (a.strides == out.strides && a.layout.isDense) {
        let x = pa + a.layout.offset
        parallelFor(count: out.count, minChunk: 1 << 15) { r in
            f.run(x + r.lowerBound, po + r.lowerBound, r.count)
        }
        return
    }
    stridedConvert(pa, layout: a.layout, po) { f($0) }
}

/// Runs the closure `f` over `a` into `out`.
@inline(__always)
func unaryApply<T, U>(_ a: Tensor, _ out: Tensor, _: T.Type, _: U.Type, _ f: (T) -> U) {
    withoutActuallyEscaping(f) { unaryApply(a, out, UnaryClosure(f: $0)) }
}
