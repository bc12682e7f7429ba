import Flint

/// Fixed-capacity rows of every array of a source (inputs, then targets), as raw
/// bytes: the staging block and the shuffle buffer of a streamed epoch. Allocated
/// once per epoch, so memory stays flat whatever the file size.
final class RowStore {
    let arrays: [ArrayInfo]
    let capacity: Int
    private let rowBytes: [Int]
    private let storage: [UnsafeMutableRawPointer]

    init(arrays: [ArrayInfo], capacity: Int) {
        self.arrays = arrays
        self.capacity = capacity
        rowBytes = arrays.map(\.rowBytes)
        storage = rowBytes.map { UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, $0 * capacity), alignment: 16) }
    }

    deinit { for pointer in storage { pointer.deallocate() } }

    /// Copies `rows` (inputs then targets, as read from a source) into rows `0..<n`.
    func load(_ rows: SampleRows) {
        let tensors = rows.inputs.map(\.tensor) + [rows.y]
        for (a, tensor) in tensors.enumerated() {
            let n = Swift.min(tensor.shape.first ?? 0, capacity)
            tensor.withContiguousBytes { bytes in
                if let base = bytes.baseAddress { storage[a].copyMemory(from: base, byteCount: n * rowBytes[a]) }
            }
        }
    }

    /// Copies row `row` of `other` into row `target` of this store.
    @inline(__always)
    func copy(row: Int, of other: RowStore, to target: Int) {
        for a in storage.indices where rowBytes[a] > 0 {
            (storage[a] + target * rowBytes[a]).copyMemory(from: other.storage[a] + row * rowBytes[a], byteCount: rowBytes[a])
        }
    }

    /// Rows `0..<n` as new tensors.
    func rows(_ n: Int) throws -> SampleRows {
        var tensors: [Tensor] = []
        for (a, info) in arrays.enumerated() {
            let bytes = UnsafeRawBufferPointer(start: storage[a], count: n * rowBytes[a])
            tensors.append(try Tensor.fromBytes(bytes, dtype: info.dtype, shape: [n] + info.sampleShape))
        }
        let inputs = zip(arrays.dropLast(), tensors.dropLast()).map { (name: $0.name, tensor: $1) }
        return SampleRows(inputs: Array(inputs), y: tensors[tensors.count - 1])
    }
}
