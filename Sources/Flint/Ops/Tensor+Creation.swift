/// Factories: `zeros`, `ones`, `full`, `arange`, random tensors.
///
/// Factories that take a shape throw for a negative size, as PyTorch raises
/// (`zeros: trying to create tensor with negative dimension -1: [-1, 3]`);
/// the `*Like` forms take the shape of an existing tensor and cannot fail.

/// `shape`, checked for a factory named `op`: no negative size, and a tensor of that
/// shape fits in memory (sizes often come from input; see `MemoryBudget`).
func checkedShape(_ shape: [Int], op: String, dtype: DType = .float64) throws -> [Int] {
    try MemoryBudget.check(shape, dtype, what: op)
    return shape
}

extension Tensor {
    /// A new contiguous tensor of `shape` (valid: the caller checked it or took
    /// it from a tensor) with every element `value`.
    convenience init(shape: [Int], filledWith value: Double, dtype: DType) {
        self.init(empty: shape, dtype: dtype)
        if value == 0 { fillZero() } else { fill(value) }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        Tensor(shape: try checkedShape(shape, op: "zeros", dtype: dtype), filledWith: 0, dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        Tensor(shape: try checkedShape(shape, op: "ones", dtype: dtype), filledWith: 1, dtype: dtype)
    }

    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) throws -> Tensor {
        Tensor(shape: try checkedShape(shape, op: "full", dtype: dtype), filledWith: value, dtype: dtype)
    }

    public static func zerosLike(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, filledWith: 0, dtype: t.dtype) }
    public static func onesLike(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, filledWith: 1, dtype: t.dtype) }

    /// `arange(start, end, step)`; int64 unless a bound or the step is fractional or a float dtype is asked for.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType? = nil) throws -> Tensor {
        guard step != 0 else { throw TensorError.invalidArgument(op: "arange", message: "step must be nonzero") }
        guard start.isFinite && end.isFinite && step.isFinite else {
            throw TensorError.invalidArgument(op: "arange", message: "unsupported range: \(start) -> \(end) with step \(step)")
        }
        guard (end - start) / step >= 0 else {
            throw TensorError.invalidArgument(op: "arange", message: "upper bound and larger bound inconsistent with step sign")
        }
        let n = Int(((end - start) / step).rounded(.up))
        let integral = [start, end, step].allSatisfy { $0.rounded() == $0 }
        let t = Tensor(empty: [n], dtype: dtype ?? (integral ? .int64 : .float32))
        let values = (0..<n).map { start + Double($0) * step }
        t.assign(values)
        return t
    }

    /// Writes `values` (row-major) into this new, contiguous tensor.
    func assign(_ values: [Double]) {
        switch dtype {
        case .bool: withMutableElements(Bool.self) { b in for i in b.indices { b[i] = values[i] != 0 } }
        case .uint8: withMutableElements(UInt8.self) { b in for i in b.indices { b[i] = UInt8(flintDouble: values[i]) } }
        case .int32: withMutableElements(Int32.self) { b in for i in b.indices { b[i] = Int32(flintDouble: values[i]) } }
        case .int64: withMutableElements(Int64.self) { b in for i in b.indices { b[i] = Int64(flintDouble: values[i]) } }
        case .float32: withMutableElements(Float.self) { b in for i in b.indices { b[i] = Float(values[i]) } }
        case .float64: withMutableElements(Double.self) { b in for i in b.indices { b[i] = values[i] } }
        }
    }

    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               generator: Generator = .default) throws -> Tensor {
        uniformSamples(try checkedShape(shape, op: "uniform", dtype: dtype), low: low, high: high, dtype: dtype, generator: generator)
    }

    /// `uniform` for a valid shape.
    static func uniformSamples(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType, generator: Generator) -> Tensor {
        let t = Tensor(empty: shape, dtype: dtype)
        let width = high - low
        switch dtype {
        case .float64:
            t.withMutableElements(Double.self) { b in generator.withDraws { rng in for i in b.indices { b[i] = low + width * rng.nextDouble() } } }
        default:
            let f = Tensor(empty: shape, dtype: .float32)
            f.withMutableElements(Float.self) { b in
                generator.withDraws { rng in for i in b.indices { b[i] = Float(low + width * Double(rng.nextFloat())) } }
            }
            return f.casted(to: dtype)
        }
        return t
    }

    /// `rand(shape)`: uniform in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator = .default) throws -> Tensor {
        uniformSamples(try checkedShape(shape, op: "rand", dtype: dtype), dtype: dtype, generator: generator)
    }

    /// `randn(shape)`: standard normal samples, times `std` plus `mean`.
    public static func randn(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                             generator: Generator = .default) throws -> Tensor {
        normalSamples(try checkedShape(shape, op: "randn", dtype: dtype), mean: mean, std: std, dtype: dtype, generator: generator)
    }

    /// `randn` for a valid shape.
    static func normalSamples(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType, generator: Generator) -> Tensor {
        let t = Tensor(empty: shape, dtype: .float64)
        t.withMutableElements(Double.self) { b in for i in b.indices { b[i] = mean + std * generator.nextNormal() } }
        return t.casted(to: dtype)
    }

    /// `randint(low, high, shape)`: int64 uniform in `low..<high`.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator = .default) throws -> Tensor {
        guard high > low else { throw TensorError.invalidArgument(op: "randint", message: "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)") }
        let t = Tensor(empty: try checkedShape(shape, op: "randint", dtype: .int64), dtype: .int64)
        t.withMutableElements(Int64.self) { b in for i in b.indices { b[i] = Int64(low + generator.nextInt(below: high - low)) } }
        return t
    }
}
