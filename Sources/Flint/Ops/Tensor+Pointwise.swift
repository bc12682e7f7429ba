import CFlintKernels

/// Unary elementwise math and comparisons.

enum UnaryKind: String {
    case neg, exp, log, sqrt, relu, tanh, sigmoid, abs
}

extension Tensor {
    static func unary(_ a: Tensor, _ kind: UnaryKind) throws -> Tensor {
        // Transcendental functions of integers compute in the default float type, as in PyTorch.
        let keepsIntegers = kind == .neg || kind == .relu || kind == .abs
        let dtype: DType = a.dtype.isFloatingPoint || keepsIntegers ? a.dtype : .float32
        if dtype == .bool { throw TensorError.badDType(op: kind.rawValue, dtype: .bool) }
        let x = a.casted(to: dtype)
        let out = Tensor(emptyLike: x.layout, dtype: dtype)
        switch dtype {
        case .float32: floatUnary(x, out, Float.self, kind)
        case .float64: floatUnary(x, out, Double.self, kind)
        case .int64: intUnary(x, out, Int64.self, kind)
        case .int32: intUnary(x, out, Int32.self, kind)
        case .uint8: intUnary(x, out, UInt8.self, kind)
        case .bool: break
        }
        guard dtype.isFloatingPoint else { return out }
        let backward: Backward
        switch kind {
        case .neg: backward = .neg
        case .exp: backward = .exp(out: out)
        case .log: backward = .log(x)
        case .sqrt: backward = .sqrt(out: out)
        case .relu: backward = .relu(out: out)
        case .tanh: backward = .tanh(out: out)
        case .sigmoid: backward = .sigmoid(out: out)
        case .abs: backward = .abs(x)
        }
        return Autograd.record(out, backward, inputs: [a])
    }

    private static func floatUnary<T: FloatElement>(_ x: Tensor, _ out: Tensor, _: T.Type, _ kind: UnaryKind) {
        switch kind {
        case .neg: unaryApply(x, out, Neg<T>())
        case .exp: unaryApply(x, out, Exp<T>())
        case .log: unaryApply(x, out, Log<T>())
        case .sqrt: unaryApply(x, out, Sqrt<T>())
        case .relu: unaryApply(x, out, Relu<T>())
        case .tanh: unaryApply(x, out, Tanh<T>())
        case .sigmoid: unaryApply(x, out, Sigmoid<T>())
        case .abs: unaryApply(x, out, Abs<T>())
        }
    }

    private static func intUnary<T: NumericElement & FixedWidthInteger>(_ x: Tensor, _ out: Tensor, _: T.Type, _ kind: UnaryKind) {
        switch kind {
        case .neg: unaryApply(x, out, T.self, T.self) { 0 &- $0 }
        case .relu: unaryApply(x, out, T.self, T.self) { $0 > 0 ? $0 : 0 }
        case .abs: unaryApply(x, out, T.self, T.self) { $0 < 0 ? 0 &- $0 : $0 }
        default: break
        }
    }

    private func unaryOrSelf(_ kind: UnaryKind) -> Tensor { (try? Tensor.unary(self, kind)) ?? self }

    public func neg() -> Tensor { unaryOrSelf(.neg) }
    public func exp() throws -> Tensor { try Tensor.unary(self, .exp) }
    public func log() throws -> Tensor { try Tensor.unary(self, .log) }
    public func sqrt() throws -> Tensor { try Tensor.unary(self, .sqrt) }
    public func relu() throws -> Tensor { try Tensor.unary(self, .relu) }

    /// ReLU's input gradient from its output, in one pass (PyTorch's
    /// `threshold_backward`: `grad` where `out > 0` or NaN, else 0).
    static func reluGradient(_ g: Tensor, _ out: Tensor) throws -> Tensor {
        let dtype = DType.promote(g.dtype, out.dtype)
        guard dtype.isFloatingPoint, let shape = broadcastShapes(g.shape, out.shape) else {
            throw TensorError.shapeMismatch(op: "relu_backward", shapes: [g.shape, out.shape], detail: "gradient and output must broadcast, floating point")
        }
        let x = g.casted(to: dtype), y = out.casted(to: dtype)
        let sameLayout = x.shape == shape && y.shape == shape && x.strides == y.strides
        let result = sameLayout ? Tensor(emptyLike: x.layout, dtype: dtype) : Tensor(empty: shape, dtype: dtype)
        if dtype == .float64 {
            binaryApply(x, y, result, ReluGradient<Double>())
        } else {
            binaryApply(x, y, result, ReluGradient<Float>())
        }
        return result
    }
    public func tanh() throws -> Tensor { try Tensor.unary(self, .tanh) }
    public func sigmoid() throws -> Tensor { try Tensor.unary(self, .sigmoid) }
    public func abs() throws -> Tensor { try Tensor.unary(self, .abs) }

    /// `F.gelu(x)` (exact) of a floating tensor as one primitive: Φ(x) = ½(1 + erf(x/√2)), kept for
    /// the backward so that it need not call erf again, and x·Φ(x); float32 in one vectorised C pass.
    static func geluExact(_ a: Tensor) -> Tensor {
        let cdf = Tensor(emptyLike: a.layout, dtype: a.dtype), out = Tensor(emptyLike: a.layout, dtype: a.dtype)
        if a.dtype == .float64 {
            unaryApply(a, cdf, NormalCDF<Double>())
            binaryApply(a, cdf, out, Mul<Double>())
        } else if a.strides == out.strides && a.layout.isDense {
            let x = a.pointer(Float.self), c = cdf.pointer(Float.self), y = out.pointer(Float.self)
            withExtendedLifetime(a) {
                parallelFor(count: out.count) { r in
                    flint_gelu_f32(x + r.lowerBound, c + r.lowerBound, y + r.lowerBound, r.count)
                }
            }
        } else {
            unaryApply(a, cdf, NormalCDF<Float>())
            binaryApply(a, cdf, out, Mul<Float>())
        }
        return Autograd.record(out, .gelu(x: a, cdf: cdf), inputs: [a])
    }

    /// GELU's input gradient g · (Φ(x) + x·φ(x)), φ(x) = e^(−x²/2) / √(2π), from the Φ(x) of the
    /// forward: one pass (no erf) when the three are contiguous and alike, as they are in a network.
    static func geluGradient(_ g: Tensor, _ x: Tensor, cdf: Tensor) throws -> Tensor {
        guard g.dtype == x.dtype, g.shape == x.shape, g.isContiguous, x.isContiguous, cdf.isContiguous else {
            let pdf = try (x * x * -0.5).exp() * 0.3989422804014327
            return try g * (cdf + x * pdf)
        }
        let out = Tensor(empty: x.shape, dtype: x.dtype)
        withExtendedLifetime((g, x, cdf)) {
            if x.dtype == .float64 {
                let gp = g.pointer(Double.self), xp = x.pointer(Double.self), cp = cdf.pointer(Double.self)
                let o = out.pointer(Double.self)
                parallelFor(count: out.count) { r in
                    for i in r {
                        let v = xp[i]
                        o[i] = gp[i] * (cp[i] + v * (Double.fexp(-0.5 * v * v) * 0.3989422804014327))
                    }
                }
            } else {
                let gp = g.pointer(Float.self), xp = x.pointer(Float.self), cp = cdf.pointer(Float.self)
                let o = out.pointer(Float.self)
                parallelFor(count: out.count) { r in
                    let at = r.lowerBound
                    flint_gelu_backward_f32(gp + at, xp + at, cp + at, o + at, r.count)
                }
            }
        }
        return out
    }
}

// MARK: - Comparison

enum CompareKind: String {
    case eq, ne, lt, le, gt, ge
}

extension Tensor {
    static func compare(_ a: Tensor, _ b: Tensor, _ kind: CompareKind) throws -> Tensor {
        guard let shape = broadcastShapes(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: kind.rawValue, shapes: [a.shape, b.shape], detail: "cannot broadcast")
        }
        let dtype = resultType(a, b, .add)
        let x = a.casted(to: dtype), y = b.casted(to: dtype)
        let out = Tensor(empty: shape, dtype: .bool)
        switch dtype {
        case .float32: compareKernel(x, y, out, Float.self, kind)
        case .float64: compareKernel(x, y, out, Double.self, kind)
        case .int64: compareKernel(x, y, out, Int64.self, kind)
        case .int32: compareKernel(x, y, out, Int32.self, kind)
        case .uint8: compareKernel(x, y, out, UInt8.self, kind)
        case .bool: compareKernel(x.casted(to: .uint8), y.casted(to: .uint8), out, UInt8.self, kind)
        }
        return out
    }

    private static func compareKernel<T: Comparable>(_ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type, _ kind: CompareKind) {
        switch kind {
        case .eq: binaryApply(x, y, out, Equal<T>())
        case .ne: binaryApply(x, y, out, NotEqual<T>())
        case .lt: binaryApply(x, y, out, Less<T>())
        case .le: binaryApply(x, y, out, LessEqual<T>())
        case .gt: binaryApply(x, y, out, Greater<T>())
        case .ge: binaryApply(x, y, out, GreaterEqual<T>())
        }
    }

    public func eq(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .eq) }
    public func ne(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .ne) }
    public func lt(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .lt) }
    public func le(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .le) }
    public func gt(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .gt) }
    public func ge(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, .ge) }
    public func eq(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .eq) }
    public func gt(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .gt) }
    public func lt(_ value: Double) throws -> Tensor { try Tensor.compare(self, wrap(value), .lt) }
}
