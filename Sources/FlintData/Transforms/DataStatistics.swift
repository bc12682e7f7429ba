import Flint
import FlintHDF5

/// What a list of transforms learned from the training split (`standardize`'s
/// mean and std), by position in the list. A checkpoint stores it, so that
/// evaluating, predicting and resuming apply the statistics training used
/// without reading the training data again.
public struct DataStatistics: Equatable, Sendable {
    /// Position in the transform list → its statistics.
    public var standardize: [Int: Standardize.Statistics]

    public init(standardize: [Int: Standardize.Statistics] = [:]) { self.standardize = standardize }

    public var isEmpty: Bool { standardize.isEmpty }

    /// Fits every unfitted transform of `transforms` on `source`, each on the
    /// samples as the transforms before it leave them.
    public static func fit(_ transforms: [Transform], on source: DataSource) throws -> (transforms: [Transform], statistics: DataStatistics) {
        var fitted = transforms
        var statistics = DataStatistics()
        for (index, t) in transforms.enumerated() {
            guard let standardize = t as? Standardize, standardize.statistics == nil else { continue }
            let made = try Standardize.fit(source, after: Array(fitted[..<index]))
            fitted[index] = made
            statistics.standardize[index] = made.statistics
        }
        return (fitted, statistics)
    }

    /// `transforms` with these statistics in place of the unfitted ones; an
    /// unfitted transform without stored statistics is an error, as are
    /// statistics for a position that holds no such transform.
    public func apply(to transforms: [Transform], list: String = "data.transforms") throws -> [Transform] {
        var fitted = transforms
        for (index, t) in transforms.enumerated() {
            guard let standardize = t as? Standardize, standardize.statistics == nil else { continue }
            guard let stored = self.standardize[index] else {
                throw DataError.invalid("\(list)[\(index)] (standardize) has no stored statistics to apply")
            }
            fitted[index] = Standardize(stored)
        }
        for index in standardize.keys.sorted() where !(transforms.indices.contains(index) && transforms[index] is Standardize) {
            throw DataError.invalid("statistics are stored for \(list)[\(index)] (standardize), but that transform is "
                                    + (transforms.indices.contains(index) ? transforms[index].typeName : "not in the list"))
        }
        return fitted
    }

    // MARK: - In a file

    /// One group per transform, named by its position, with a `type`
    /// attribute and its arrays (`mean`, `std`: float64 `[F]`).
    public func write(to group: HDF5Group) throws {
        for (index, s) in standardize.sorted(by: { $0.key < $1.key }) {
            let entry = try group.createGroup(String(index))
            try entry.setAttribute("type", "standardize")
            try entry.createDataset("mean", values: s.mean, shape: [s.mean.count])
            try entry.createDataset("std", values: s.std, shape: [s.std.count])
        }
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> DataStatistics {
        var statistics = DataStatistics()
        for child in try group.children() {
            let entry = try group.group(child.name)
            let type = try entry.stringAttribute("type")
            guard let index = Int(child.name), index >= 0, type == "standardize" else {
                throw DataError.invalid("\(entry.path): statistics of an unknown kind (type '\(type)')")
            }
            statistics.standardize[index] = try Standardize.Statistics(mean: try entry.dataset("mean").readArray(as: Double.self),
                                                                       std: try entry.dataset("std").readArray(as: Double.self))
        }
        return statistics
    }
}
