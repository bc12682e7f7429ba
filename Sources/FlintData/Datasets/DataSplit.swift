import Flint

/// Seeded fractional splits of a source (`torch.utils.data.random_split`, and
/// scikit-learn's stratified `train_test_split` when `stratify` is set).
public enum DataSplit {
    /// Splits `source` into the rest and a held-out part of `round(fraction · count)`
    /// samples, both in their original order.
    /// - Parameter stratify: keep each class's share the same in both parts; needs
    ///   integer class labels of shape `[N]`.
    public static func split(_ source: DataSource, fraction: Double, seed: UInt64,
                             stratify: Bool = false) throws -> (rest: DataSource, held: DataSource) {
        var labels: [Int64]?
        if stratify {
            let y = try source.allTargets()
            guard y.dtype.isIntegral, y.rank == 1 else {
                throw DataError.invalid("\(source.target.place): stratify needs integer class labels of shape [N], "
                                        + "got \(y.dtype) \(y.shape)")
            }
            labels = y.toArray(Int64.self)
        }
        let (keep, held) = try positions(count: source.count, fraction: fraction, seed: seed, labels: labels)
        return (try source.subset(keep), try source.subset(held))
    }

    /// The positions kept and held out, each sorted. Without labels the held-out
    /// positions are the first `round(fraction · count)` of a seeded permutation;
    /// with labels each class gives its share, rounded so that the total is the same.
    static func positions(count: Int, fraction: Double, seed: UInt64,
                          labels: [Int64]?) throws -> (keep: [Int], held: [Int]) {
        guard fraction > 0 && fraction < 1 else {
            throw DataError.invalid("a split fraction must be between 0 and 1, got \(fraction)")
        }
        let nHeld = Int((fraction * Double(count)).rounded())
        guard nHeld > 0 && nHeld < count else {
            throw DataError.invalid("a split of \(fraction) of \(count) samples leaves an empty part")
        }
        let generator = Generator(seed: seed)
        var held: [Int]
        if let labels {
            held = stratified(labels: labels, total: nHeld, fraction: fraction, generator: generator)
        } else {
            held = Array(generator.permutation(count)[..<nHeld])
        }
        held.sort()
        var isHeld = [Bool](repeating: false, count: count)
        for p in held { isHeld[p] = true }
        return ((0..<count).filter { !isHeld[$0] }, held)
    }

    /// Each class's quota is `fraction · n_c` rounded down; the samples still
    /// missing from `total` go to the classes with the largest remainders.
    private static func stratified(labels: [Int64], total: Int, fraction: Double, generator: Generator) -> [Int] {
        var members: [Int64: [Int]] = [:]
        for (position, label) in labels.enumerated() { members[label, default: []].append(position) }
        let classes = members.keys.sorted()
        var quota: [Int64: Int] = [:]
        var remainders: [(Double, Int64)] = []
        for c in classes {
            let exact = fraction * Double(members[c]?.count ?? 0)
            quota[c] = Int(exact.rounded(.down))
            remainders.append((exact - exact.rounded(.down), c))
        }
        var missing = total - quota.values.reduce(0, +)
        for (_, c) in remainders.sorted(by: { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }) where missing > 0 {
            quota[c, default: 0] += 1
            missing -= 1
        }
        var held: [Int] = []
        for c in classes {
            guard let group = members[c] else { continue }
            let order = generator.permutation(group.count)
            held += order.prefix(quota[c] ?? 0).map { group[$0] }
        }
        return held
    }
}

/// Whether a source is read into memory once or streamed from its files.
public enum CacheMode: String, CaseIterable, Sendable {
    /// In memory when the arrays fit the memory budget, else streamed.
    case auto
    case memory
    case none
}

/// How `DataSources.open` reads arrays.
public struct SourceOptions: Sendable {
    public var cache: CacheMode
    /// Largest size (bytes) that `auto` reads into memory.
    public var memoryBudget: Int
    /// Target size (bytes) of one streamed block.
    public var blockBytes: Int

    public init(cache: CacheMode = .auto, memoryBudget: Int = 1 << 30, blockBytes: Int = 2 << 20) {
        self.cache = cache
        self.memoryBudget = memoryBudget
        self.blockBytes = blockBytes
    }
}

public enum DataSources {
    /// Opens a split's arrays: read into memory once, or streamed, per `options.cache`.
    public static func open(inputs: [(name: String, ref: ArrayRef)], y: ArrayRef,
                            options: SourceOptions = SourceOptions()) throws -> DataSource {
        let source = try HDF5Source(inputs: inputs, y: y, blockBytes: options.blockBytes)
        switch options.cache {
        case .memory: return try source.readAll()
        case .none: return source
        case .auto: return source.bytes <= options.memoryBudget ? try source.readAll() : source
        }
    }

    /// Opens one input `x` and targets `y` of one file.
    public static func open(file: String, x: String, y: String, options: SourceOptions = SourceOptions()) throws -> DataSource {
        try open(inputs: [("x", ArrayRef(file: file, path: x))], y: ArrayRef(file: file, path: y), options: options)
    }
}
