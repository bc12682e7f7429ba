import Flint

/// Checks of a source's values before training, each failing with a message
/// that names the file, the dataset and the first bad row.
public enum DataChecks {
    /// Fails when a float input holds NaN or infinite values, with their counts.
    public static func checkFinite(_ source: DataSource) throws {
        for (k, info) in source.inputs.enumerated() where info.dtype.isFloatingPoint {
            let features = info.sampleShape.reduce(1, *)
            var counter = FiniteCounter(place: info.place, features: features)
            let block = Swift.max(1, source.blockRows ?? Swift.max(1, (4 << 20) / Swift.max(1, info.rowBytes)))
            for start in stride(from: 0, to: source.count, by: block) {
                let positions = Array(start..<Swift.min(start + block, source.count))
                counter.scan(try source.read(positions).inputs[k].tensor.toArray(Double.self), firstRow: start)
            }
            try counter.check()
        }
    }

    /// Fails when class labels fall outside `0..<classes` (`ignoreIndex` allowed),
    /// or when the targets are not integer labels of shape `[N]`.
    public static func checkLabels(_ source: DataSource, classes: Int, ignoreIndex: Int64? = nil) throws {
        let y = try source.allTargets()
        guard y.dtype.isIntegral, y.rank == 1 else {
            throw DataError.invalid("\(source.target.place): class labels must be integers of shape [N], got \(y.dtype) \(y.shape)")
        }
        let labels = y.toArray(Int64.self)
        var bad = 0
        var first: (Int64, Int)?
        for (row, label) in labels.enumerated() where (label < 0 || label >= classes) && label != ignoreIndex {
            bad += 1
            if first == nil { first = (label, row) }
        }
        if let first {
            throw DataError.labelOutOfRange(place: source.target.place, count: bad, classes: classes,
                                            first: first.0, firstRow: first.1)
        }
    }
}
