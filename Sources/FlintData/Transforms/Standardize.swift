import Flint

/// Per-feature standardisation of tabular inputs, `(x − mean) / std`
/// (scikit-learn's `StandardScaler`). Features are the elements of a sample
/// (`[F]`). The statistics come from the training split: a spec's
/// `{type: standardize}` builds an unfitted transform, `DataStatistics.fit`
/// fits it on the training split and a checkpoint stores the result, so that
/// evaluation and prediction apply exactly the same statistics.
public struct Standardize: Transform {
    public struct Statistics: Equatable, Sendable {
        public let mean: [Double]
        /// Population standard deviation; features that never vary get 1, as in scikit-learn.
        public let std: [Double]

        public init(mean: [Double], std: [Double]) throws {
            guard mean.count == std.count, !mean.isEmpty else {
                throw DataError.invalid("standardize: mean has \(mean.count) entries and std has \(std.count); they must match")
            }
            guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
                throw DataError.invalid("standardize: statistics must be finite with std > 0")
            }
            self.mean = mean
            self.std = std
        }
    }

    /// nil until fitted.
    public let statistics: Statistics?

    /// An unfitted transform, whose statistics `fit` or a checkpoint provides.
    public init() { statistics = nil }

    public init(_ statistics: Statistics) { self.statistics = statistics }

    public init(mean: [Double], std: [Double]) throws { statistics = try Statistics(mean: mean, std: std) }

    /// Statistics of the first input over every sample of `source` after
    /// `preceding` transforms, read in blocks (a streamed source is not loaded
    /// whole). Non-finite values are an error that counts them.
    public static func fit(_ source: DataSource, after preceding: [Transform] = []) throws -> Standardize {
        guard let info = source.inputs.first else { throw DataError.invalid("standardize: the data has no inputs") }
        guard source.count > 0 else { throw DataError.invalid("standardize: \(info.place) has no samples") }
        var sample = info.sampleShape
        for t in preceding { sample = try t.outputShape(sample) }
        let features = sample.reduce(1, *)
        guard features > 0 else { throw DataError.invalid("standardize: \(info.place) has no values") }
        // Welford's update per feature, in Double: stable for large means.
        var count = 0.0
        var mean = [Double](repeating: 0, count: features), m2 = [Double](repeating: 0, count: features)
        let block = Swift.max(1, source.blockRows ?? 4096)
        var finite = FiniteCounter(place: info.place, features: features)
        for start in stride(from: 0, to: source.count, by: block) {
            let positions = Array(start..<Swift.min(start + block, source.count))
            var x = try source.read(positions).inputs[0].tensor
            for t in preceding { x = try t(x) }
            let values = x.toArray(Double.self)
            finite.scan(values, firstRow: start)
            for r in 0..<positions.count {
                count += 1
                for f in 0..<features {
                    let v = values[r * features + f]
                    let d = v - mean[f]
                    mean[f] += d / count
                    m2[f] += d * (v - mean[f])
                }
            }
        }
        try finite.check()
        let std = m2.map { v -> Double in
            let s = (v / count).squareRoot()
            return s > 0 && s.isFinite ? s : 1
        }
        return try Standardize(mean: mean, std: std)
    }

    public var typeName: String { "standardize" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        if let statistics, input.reduce(1, *) != statistics.mean.count {
            throw DataError.invalid("standardize: \(statistics.mean.count) feature statistics for samples of shape \(input)")
        }
        return input
    }

    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        guard let statistics else {
            throw DataError.invalid("standardize: not fitted; its statistics come from the training split or a checkpoint")
        }
        let features = batch.shape.dropFirst().reduce(1, *)
        guard batch.rank >= 1, features == statistics.mean.count else {
            throw DataError.invalid("standardize: \(statistics.mean.count) feature statistics for a batch of shape \(batch.shape)")
        }
        var values = batch.toArray(Float.self)
        let m = statistics.mean.map { Float($0) }, s = statistics.std.map { Float($0) }
        for i in values.indices { values[i] = (values[i] - m[i % features]) / s[i % features] }
        return try Tensor(values, shape: batch.shape)
    }
}

/// Counts NaN and infinite values while scanning rows, for one clear message.
struct FiniteCounter {
    let place: String
    let features: Int
    var nan = 0, infinite = 0, samples = 0
    var first: (row: Int, column: Int)?

    init(place: String, features: Int) {
        self.place = place
        self.features = Swift.max(1, features)
    }

    mutating func scan(_ values: [Double], firstRow: Int) {
        var lastBadRow = -1
        for (i, v) in values.enumerated() where !v.isFinite {
            if v.isNaN { nan += 1 } else { infinite += 1 }
            let row = firstRow + i / features
            if row != lastBadRow { samples += 1; lastBadRow = row }
            if first == nil { first = (row, i % features) }
        }
    }

    func check() throws {
        guard let first else { return }
        throw DataError.nonFinite(place: place, nan: nan, infinite: infinite, samples: samples,
                                  firstRow: first.row, firstColumn: first.column)
    }
}
