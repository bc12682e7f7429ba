import Flint

/// Rows read from a source: each input by name (in the source's order) and the targets.
public struct SampleRows {
    /// `(name, [rows, ...sample shape])`, in the source's input order.
    public var inputs: [(name: String, tensor: Tensor)]
    /// `[rows, ...target shape]`.
    public var y: Tensor

    public init(inputs: [(name: String, tensor: Tensor)], y: Tensor) {
        self.inputs = inputs
        self.y = y
    }
}

/// The shape and dtype of one array of a source, per sample.
public struct ArrayInfo: Equatable, Sendable {
    public var name: String
    /// Shape of one sample, without the row dimension.
    public var sampleShape: [Int]
    public var dtype: DType
    /// Where the array comes from, for messages: `mnist.h5: 'train/images'`.
    public var place: String

    public init(name: String, sampleShape: [Int], dtype: DType, place: String) {
        self.name = name
        self.sampleShape = sampleShape
        self.dtype = dtype
        self.place = place
    }

    /// Bytes of one sample.
    public var rowBytes: Int { sampleShape.reduce(1, *) * dtype.itemSize }
}

/// Samples addressed by position `0..<count`: inputs (one or several, by name)
/// paired with targets (`torch.utils.data.Dataset` with `__getitem__` over a batch
/// of indices). `TensorDataset` holds them in memory; `HDF5Source` reads them from
/// files as they are needed.
public protocol DataSource {
    var count: Int { get }
    /// The inputs, in the order a multi-input model takes them; `["x"]` for one input.
    var inputs: [ArrayInfo] { get }
    var target: ArrayInfo { get }
    /// Rows that are cheap to read together when streaming, aligned to the file's
    /// chunks; nil when any order is cheap (in memory).
    var blockRows: Int? { get }
    /// The rows at `positions`, in that order.
    func read(_ positions: [Int]) throws -> SampleRows
    /// Only the targets at `positions` (for stratifying and label checks).
    func readTargets(_ positions: Range<Int>) throws -> Tensor
    /// The samples at `positions` (sorted, distinct) as a new source.
    func subset(_ positions: [Int]) throws -> DataSource
}

extension DataSource {
    public var inputNames: [String] { inputs.map(\.name) }

    /// Bytes that every sample and its target take in memory.
    public var bytes: Int { count * (inputs.reduce(0) { $0 + $1.rowBytes } + target.rowBytes) }

    /// Every target, as one tensor.
    public func allTargets() throws -> Tensor { try readTargets(0..<count) }
}
