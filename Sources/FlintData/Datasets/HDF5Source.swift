import Flint
import FlintHDF5

/// One array in an HDF5 file: `mnist.h5` and `train/images`.
public struct ArrayRef: Equatable, Sendable {
    public var file: String
    public var path: String

    public init(file: String, path: String) {
        self.file = file
        self.path = path
    }

    /// `mnist.h5: 'train/images'`, for messages.
    public var place: String { "\(file): '\(path)'" }
}

/// Samples read from HDF5 files as they are needed, so that a dataset of any
/// size trains in bounded memory. Inputs and targets may sit in different files;
/// each file is opened once. Reads are thread-safe (libhdf5 calls are
/// serialised; contiguous data is read with `pread`).
public final class HDF5Source: DataSource, @unchecked Sendable {
    private let arrays: [(info: ArrayInfo, dataset: HDF5Dataset)]
    private let targetArray: (info: ArrayInfo, dataset: HDF5Dataset)
    /// File row of each position (sorted); nil when positions are the file's rows.
    private let rowMap: [Int]?
    public let count: Int
    public let blockRows: Int?

    /// Opens the arrays and checks that they pair up row for row.
    /// - Parameter blockBytes: about how many bytes a streamed block holds;
    ///   blocks are whole multiples of the file's chunks along the rows.
    public init(inputs: [(name: String, ref: ArrayRef)], y: ArrayRef, blockBytes: Int = 2 << 20) throws {
        guard !inputs.isEmpty else { throw DataError.invalid("a dataset needs at least one input") }
        var files: [String: HDF5File] = [:]
        func open(_ name: String, _ ref: ArrayRef) throws -> (ArrayInfo, HDF5Dataset) {
            let file: HDF5File
            if let opened = files[ref.file] { file = opened } else {
                file = try HDF5File.open(ref.file)
                files[ref.file] = file
            }
            let dataset = try file.dataset(ref.path)
            guard let dtype = dataset.dtype else {
                throw DataError.invalid("\(ref.place) holds \(dataset.storedType), which has no tensor dtype")
            }
            guard !dataset.shape.isEmpty else {
                throw DataError.invalid("\(ref.place) is a scalar; samples need a row dimension")
            }
            return (ArrayInfo(name: name, sampleShape: Array(dataset.shape.dropFirst()), dtype: dtype, place: ref.place), dataset)
        }
        arrays = try inputs.map { try open($0.name, $0.ref) }
        targetArray = try open("y", y)
        let rows = targetArray.dataset.rowCount
        for array in arrays where array.dataset.rowCount != rows {
            throw DataError.lengthMismatch(x: array.dataset.rowCount, y: rows,
                                           where: "\(array.info.place) and \(targetArray.info.place)")
        }
        rowMap = nil
        count = rows
        let rowBytes = Swift.max(1, arrays.reduce(targetArray.info.rowBytes) { $0 + $1.info.rowBytes })
        var block = Swift.max(1, blockBytes / rowBytes)
        if case .chunked(let chunks) = arrays[0].dataset.storage.layout, let chunkRows = chunks.first, chunkRows > 0 {
            block = Swift.max(chunkRows, block / chunkRows * chunkRows)
        }
        blockRows = block
    }

    private init(arrays: [(info: ArrayInfo, dataset: HDF5Dataset)], target: (info: ArrayInfo, dataset: HDF5Dataset),
                 rowMap: [Int], blockRows: Int?) {
        self.arrays = arrays
        self.targetArray = target
        self.rowMap = rowMap
        self.count = rowMap.count
        self.blockRows = blockRows
    }

    public var inputs: [ArrayInfo] { arrays.map(\.info) }
    public var target: ArrayInfo { targetArray.info }

    private func fileRows(_ positions: [Int]) throws -> [Int] {
        if let bad = positions.first(where: { $0 < 0 || $0 >= count }) {
            throw DataError.invalid("position \(bad) is out of range for \(count) samples of \(targetArray.info.place)")
        }
        guard let rowMap else { return positions }
        return positions.map { rowMap[$0] }
    }

    public func read(_ positions: [Int]) throws -> SampleRows {
        let rows = try fileRows(positions)
        return SampleRows(inputs: try arrays.map { ($0.info.name, try $0.dataset.readTensor(rowIndices: rows)) },
                          y: try targetArray.dataset.readTensor(rowIndices: rows))
    }

    public func readTargets(_ positions: Range<Int>) throws -> Tensor {
        guard let rowMap else { return try targetArray.dataset.readTensor(rows: positions) }
        return try targetArray.dataset.readTensor(rowIndices: Array(rowMap[positions]))
    }

    public func subset(_ positions: [Int]) throws -> DataSource {
        let rows = try fileRows(positions)
        return HDF5Source(arrays: arrays, target: targetArray, rowMap: rows, blockRows: blockRows)
    }

    /// Every sample, read into memory.
    public func readAll() throws -> TensorDataset {
        let rows: SampleRows
        if let rowMap {
            rows = try read(Array(0..<rowMap.count))
        } else {
            rows = SampleRows(inputs: try arrays.map { ($0.info.name, try $0.dataset.readTensor()) },
                              y: try targetArray.dataset.readTensor())
        }
        var places = ["y": targetArray.info.place]
        for array in arrays { places[array.info.name] = array.info.place }
        return try TensorDataset(inputs: rows.inputs, y: rows.y, places: places)
    }
}
