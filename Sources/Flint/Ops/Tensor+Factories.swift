import Foundation

/// More factories: `linspace`, `logspace`, `eye`, `empty`, the `*_like`
/// forms, `randperm`, `bernoulli`, `multinomial`, `normal`.

extension Tensor {
    /// `linspace(start, end, steps)`: evenly spaced, both ends included
    /// (computed from both ends, as PyTorch does, so the last value is exact).
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32) throws -> Tensor {
        guard steps >= 0 else { throw TensorError.invalidArgument(op: "linspace", message: "number of steps must be non-negative, got \(steps)") }
        let step = steps > 1 ? (end - start) / Double(steps - 1) : 0
        let half = steps / 2
        let values = steps == 1 ? [start] : (0..<steps).map { i in i < half ? start + step * Double(i) : end - step * Double(steps - 1 - i) }
        return fromDoubles(values, dtype: dtype)
    }

    /// `logspace(start, end, steps, base)`: `base ** linspace(start, end, steps)`.
    public static func logspace(_ start: Double, _ end: Double, steps: Int, base: Double = 10, dtype: DType = .float32) throws -> Tensor {
        let exponents = try linspace(start, end, steps: steps, dtype: .float64).toArray(Double.self)
        return fromDoubles(exponents.map { Foundation.pow(base, $0) }, dtype: dtype)
    }

    /// `eye(n, m)`: ones on the main diagonal.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        guard n >= 0, (m ?? 0) >= 0 else {
            throw TensorError.invalidArgument(op: "eye", message: "n and m must be non-negative, got n=\(n), m=\(m ?? n)")
        }
        let cols = m ?? n
        let t = Tensor(shape: [n, cols], filledWith: 0, dtype: dtype)
        var values = [Double](repeating: 0, count: t.count)
        for i in 0..<Swift.min(n, cols) { values[i * cols + i] = 1 }
        t.assign(values)
        return t
    }

    /// `empty(shape)`: uninitialised in PyTorch; zero-filled here so that no stale memory leaks out.
    public static func empty(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        Tensor(shape: try checkedShape(shape, op: "empty", dtype: dtype), filledWith: 0, dtype: dtype)
    }

    public static func emptyLike(_ t: Tensor) -> Tensor { zerosLike(t) }
    public static func fullLike(_ t: Tensor, _ value: Double) -> Tensor { Tensor(shape: t.shape, filledWith: value, dtype: t.dtype) }
    public static func randLike(_ t: Tensor, generator: Generator = .default) -> Tensor {
        uniformSamples(t.shape, dtype: t.dtype, generator: generator)
    }
    public static func randnLike(_ t: Tensor, generator: Generator = .default) -> Tensor {
        normalSamples(t.shape, dtype: t.dtype, generator: generator)
    }
    public static func randintLike(_ t: Tensor, _ low: Int, _ high: Int, generator: Generator = .default) throws -> Tensor {
        try randint(low, high, t.shape, generator: generator).casted(to: t.dtype)
    }

    /// `randperm(n)`: a random permutation of `0..<n` (int64).
    public static func randperm(_ n: Int, generator: Generator = .default) throws -> Tensor {
        guard n >= 0 else { throw TensorError.invalidArgument(op: "randperm", message: "n must be non-negative, got \(n)") }
        return fromDoubles(generator.permutation(n).map(Double.init), dtype: .int64)
    }

    /// `normal(mean, std, size)`.
    public static func normal(mean: Double, std: Double, _ shape: [Int], dtype: DType = .float32, generator: Generator = .default) throws -> Tensor {
        guard std >= 0 else { throw TensorError.invalidArgument(op: "normal", message: "normal expects std >= 0.0, but found std \(std)") }
        return normalSamples(try checkedShape(shape, op: "normal", dtype: dtype), mean: mean, std: std, dtype: dtype, generator: generator)
    }

    /// `bernoulli(p)`: 1 with probability `p` (elementwise), else 0, in p's dtype.
    public func bernoulli(generator: Generator = .default) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: "bernoulli", dtype: dtype, detail: "probabilities must be floating point, shape \(shape)") }
        let p = toArray(Double.self)
        if let bad = p.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw TensorError.invalidArgument(op: "bernoulli", message: "expected 0 <= p <= 1, got \(bad)")
        }
        return try Tensor.fromDoubles(p.map { generator.nextDouble() < $0 ? 1 : 0 }, dtype: dtype).reshape(shape)
    }

    /// `multinomial(num_samples, replacement)`: category indices drawn from each row of non-negative weights.
    public func multinomial(_ numSamples: Int, replacement: Bool = false, generator: Generator = .default) throws -> Tensor {
        guard rank == 1 || rank == 2 else { throw TensorError.invalidArgument(op: "multinomial", message: "prob_dist must be 1 or 2 dim, got shape \(shape)") }
        let rows = rank == 1 ? 1 : shape[0], k = shape[rank - 1]
        guard numSamples >= 0 else { throw TensorError.invalidArgument(op: "multinomial", message: "cannot sample \(numSamples) samples") }
        guard replacement || numSamples <= k else {
            throw TensorError.invalidArgument(op: "multinomial", message: "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        }
        let w = toArray(Double.self)
        var out: [Double] = []
        for r in 0..<rows {
            var row = Array(w[(r * k)..<((r + 1) * k)])
            guard row.allSatisfy({ $0 >= 0 && $0.isFinite }), row.reduce(0, +) > 0 else {
                throw TensorError.invalidArgument(op: "multinomial", message: "probability tensor contains either inf, nan or element < 0, or sums to zero")
            }
            for _ in 0..<numSamples {
                let total = row.reduce(0, +)
                var u = generator.nextDouble() * total, pick = k - 1
                for (i, v) in row.enumerated() where v > 0 {
                    if u < v { pick = i; break }
                    u -= v
                }
                out.append(Double(pick))
                if !replacement { row[pick] = 0 }
            }
        }
        return try Tensor.fromDoubles(out, dtype: .int64).reshape(rank == 1 ? [numSamples] : [rows, numSamples])
    }
}
