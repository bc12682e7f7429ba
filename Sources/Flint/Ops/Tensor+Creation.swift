/// Factories: `zeros`, `ones`, `full`, `arange`, random tensors.

extension Tensor {
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let t = Tensor(empty: shape, dtype: dtype)
        t.fillZero()
        return t
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 1, dtype: dtype) }

    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor {
        let t = Tensor(empty: shape, dtype: dtype)
        t.fill(value)
        return t
    }

    public static func zerosLike(_ t: Tensor) -> Tensor { zeros(t.shape, dtype: t.dtype) }
    public static func onesLike(_ t: Tensor) -> Tensor { ones(t.shape, dtype: t.dtype) }

    /// `arange(start, end, step)`; int64 unless a bound or the step is fractional or a float dtype is asked for.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType? = nil) throws -> Tensor {
        guard step != 0 else { throw TensorError.invalidArgument(op: "arange", message: "step must be nonzero") }
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
                               generator: Generator = .default) -> Tensor {
        let t = Tensor(empty: shape, dtype: dtype)
        let width = high - low
        switch dtype {
        case .float64: t.withMutableElements(Double.self) { b in for i in b.indices { b[i] = low + width * generator.nextDouble() } }
        default:
            let f = Tensor(empty: shape, dtype: .float32)
            f.withMutableElements(Float.self) { b in for i in b.indices { b[i] = Float(low + width * Double(generator.nextFloat())) } }
            return f.casted(to: dtype)
        }
        return t
    }

    /// `rand(shape)`: uniform in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator = .default) -> Tensor {
        uniform(shape, dtype: dtype, generator: generator)
    }

    /// `randn(shape)`: standard normal samples, times `std` plus `mean`.
    public static func randn(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                             generator: Generator = .default) -> Tensor {
        let t = Tensor(empty: shape, dtype: .float64)
        t.withMutableElements(Double.self) { b in for i in b.indices { b[i] = mean + std * generator.nextNormal() } }
        return t.casted(to: dtype)
    }

    /// `randint(low, high, shape)`: int64 uniform in `low..<high`.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator = .default) throws -> Tensor {
        guard high > low else { throw TensorError.invalidArgument(op: "randint", message: "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)") }
        let t = Tensor(empty: shape, dtype: .int64)
        t.withMutableElements(Int64.self) { b in for i in b.indices { b[i] = Int64(low + generator.nextInt(below: high - low)) } }
        return t
    }
}
