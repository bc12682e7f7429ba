import Flint
import FlintHDF5

/// Inputs and targets held in memory, row i of `x` paired with row i of `y`
/// (`torch.utils.data.TensorDataset`).
public struct TensorDataset {
    public let x: Tensor
    public let y: Tensor

    public init(x: Tensor, y: Tensor) throws {
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0] else {
            throw DataError.lengthMismatch(x: x.shape.first ?? 0, y: y.shape.first ?? 0, where: "tensors")
        }
        self.x = x
        self.y = y
    }

    public var count: Int { x.shape[0] }

    /// Rows at `indices` as a new dataset (copies the rows).
    public func subset(_ indices: [Int]) throws -> TensorDataset {
        let idx = try Tensor(indices.map(Int64.init))
        return try TensorDataset(x: x.indexSelect(0, idx), y: y.indexSelect(0, idx))
    }

    /// Reads `xPath` and `yPath` of an HDF5 file into memory, checking that they pair up.
    public static func load(file: String, x xPath: String, y yPath: String) throws -> TensorDataset {
        let h5 = try HDF5File.open(file)
        let xs = try h5.dataset(xPath), ys = try h5.dataset(yPath)
        guard xs.rowCount == ys.rowCount, !xs.shape.isEmpty, !ys.shape.isEmpty else {
            throw DataError.lengthMismatch(x: xs.rowCount, y: ys.rowCount, where: "\(file): '\(xPath)' and '\(yPath)'")
        }
        return try TensorDataset(x: xs.readTensor(), y: ys.readTensor())
    }

    /// Splits off a seeded random fraction for validation (`random_split`):
    /// returns (train, val) with `round(fraction · count)` rows in val.
    public func split(fraction: Double, seed: UInt64) throws -> (train: TensorDataset, val: TensorDataset) {
        guard fraction > 0 && fraction < 1 else {
            throw DataError.invalid("val split must be between 0 and 1, got \(fraction)")
        }
        let perm = Generator(seed: seed).permutation(count)
        let nVal = Int((fraction * Double(count)).rounded())
        guard nVal > 0 && nVal < count else {
            throw DataError.invalid("val split \(fraction) of \(count) samples leaves an empty split")
        }
        return (try subset(perm[nVal...].sorted()), try subset(perm[..<nVal].sorted()))
    }
}

/// A problem with the data itself: what and where.
public enum DataError: Error, CustomStringConvertible {
    case lengthMismatch(x: Int, y: Int, where: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .lengthMismatch(x, y, place):
            return "\(place): x has \(x) samples but y has \(y)"
        case let .invalid(message):
            return message
        }
    }
}
