import Flint

/// Class labels `[B]` to one-hot rows `[B, numClasses]` of float32
/// (`torch.nn.functional.one_hot(y, num_classes).float()`).
public struct OneHot: Transform {
    public let numClasses: Int

    public init(numClasses: Int) throws {
        guard numClasses > 0 else { throw DataError.invalid("one_hot: num_classes must be positive, got \(numClasses)") }
        self.numClasses = numClasses
    }

    public var typeName: String { "one_hot" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.isEmpty else { throw DataError.invalid("one_hot: needs one class label per sample, got samples of shape \(input)") }
        return [numClasses]
    }

    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        guard batch.dtype.isIntegral, batch.rank == 1 else {
            throw DataError.invalid("one_hot: needs integer class labels [B], got \(batch.dtype) \(batch.shape)")
        }
        let labels = batch.toArray(Int64.self)
        var out = [Float](repeating: 0, count: labels.count * numClasses)
        for (i, label) in labels.enumerated() {
            guard label >= 0 && label < numClasses else {
                throw DataError.labelOutOfRange(place: "one_hot", count: labels.filter { $0 < 0 || $0 >= numClasses }.count,
                                                classes: numClasses, first: label, firstRow: i)
            }
            out[i * numClasses + Int(label)] = 1
        }
        return try Tensor(out, shape: [labels.count, numClasses])
    }
}

/// Converts to `dtype` (`tensor.to(dtype)`): float targets for regression
/// losses, int64 labels for classification.
public struct Cast: Transform {
    public let dtype: DType

    public init(dtype: DType) { self.dtype = dtype }

    /// `dtype` by its name: float32, float64, int64, int32, uint8, bool.
    public init(dtypeName: String) throws {
        guard let dtype = DType(rawValue: dtypeName) else {
            throw DataError.invalid("cast: unknown dtype '\(dtypeName)' (one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.dtype = dtype
    }

    public var typeName: String { "cast" }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }
    public func callAsFunction(_ batch: Tensor) throws -> Tensor { batch.casted(to: dtype) }
}
