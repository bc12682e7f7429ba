import Flint
import FlintHDF5

/// Inputs and targets held in memory, row i of every input paired with row i of
/// `y` (`torch.utils.data.TensorDataset`).
public struct TensorDataset: DataSource {
    /// Every input by name, in model order; one input is named "x".
    public let namedInputs: [(name: String, tensor: Tensor)]
    public let y: Tensor
    /// Where the arrays came from, for messages ("tensors" when built in code).
    public let places: [String: String]

    /// The first (for most models the only) input.
    public var x: Tensor { namedInputs[0].tensor }

    public init(x: Tensor, y: Tensor) throws {
        try self.init(inputs: [("x", x)], y: y)
    }

    /// A dataset of several named inputs (`x: {image: ..., meta: ...}` in a spec).
    public init(inputs: [(name: String, tensor: Tensor)], y: Tensor, places: [String: String] = [:]) throws {
        guard !inputs.isEmpty else { throw DataError.invalid("a dataset needs at least one input") }
        for (name, tensor) in inputs {
            guard tensor.rank >= 1, y.rank >= 1, tensor.shape[0] == y.shape[0] else {
                let place = places[name].map { "\($0) and \(places["y"] ?? "y")" } ?? "input '\(name)' and y"
                throw DataError.lengthMismatch(x: tensor.shape.first ?? 0, y: y.shape.first ?? 0, where: place)
            }
        }
        guard Set(inputs.map(\.name)).count == inputs.count else {
            throw DataError.invalid("input names must differ, got \(inputs.map(\.name))")
        }
        self.namedInputs = inputs
        self.y = y
        self.places = places
    }

    public var count: Int { y.shape[0] }

    public var inputs: [ArrayInfo] {
        namedInputs.map { ArrayInfo(name: $0.name, sampleShape: Array($0.tensor.shape.dropFirst()), dtype: $0.tensor.dtype,
                                    place: places[$0.name] ?? "input '\($0.name)'") }
    }

    public var target: ArrayInfo {
        ArrayInfo(name: "y", sampleShape: Array(y.shape.dropFirst()), dtype: y.dtype, place: places["y"] ?? "y")
    }

    public var blockRows: Int? { nil }

    public func read(_ positions: [Int]) throws -> SampleRows {
        let idx = try Tensor(positions.map(Int64.init))
        return SampleRows(inputs: try namedInputs.map { ($0.name, try $0.tensor.indexSelect(0, idx)) },
                          y: try y.indexSelect(0, idx))
    }

    public func readTargets(_ positions: Range<Int>) throws -> Tensor {
        positions == 0..<count ? y : try y.narrow(0, start: positions.lowerBound, length: positions.count)
    }

    public func subset(_ positions: [Int]) throws -> DataSource { try rows(positions) }

    /// Rows at `indices` as a new dataset (copies the rows).
    public func rows(_ indices: [Int]) throws -> TensorDataset {
        let picked = try read(indices)
        return try TensorDataset(inputs: picked.inputs, y: picked.y, places: places)
    }

    /// Rows at `indices` as a new dataset (copies the rows).
    public func subset(_ indices: [Int]) throws -> TensorDataset { try rows(indices) }

    /// Reads `xPath` and `yPath` of an HDF5 file into memory, checking that they pair up.
    public static func load(file: String, x xPath: String, y yPath: String) throws -> TensorDataset {
        try load(inputs: [("x", ArrayRef(file: file, path: xPath))], y: ArrayRef(file: file, path: yPath))
    }

    /// Reads every input and the targets into memory, checking that they pair up.
    public static func load(inputs: [(name: String, ref: ArrayRef)], y: ArrayRef) throws -> TensorDataset {
        let source = try HDF5Source(inputs: inputs, y: y)
        return try source.readAll()
    }

    /// Splits off a seeded random fraction for validation (`random_split`):
    /// returns (train, val) with `round(fraction · count)` rows in val.
    public func split(fraction: Double, seed: UInt64) throws -> (train: TensorDataset, val: TensorDataset) {
        let (keep, held) = try DataSplit.positions(count: count, fraction: fraction, seed: seed, labels: nil)
        return (try rows(keep), try rows(held))
    }
}
