import Flint

extension HDF5Dataset {
    /// The dtype this dataset reads as, or an error naming it when it has none.
    func requireDType() throws -> DType {
        guard let dtype else {
            throw HDF5Error(.unsupportedType, file: handle.path, object: path,
                            "dataset '\(path)' holds \(storedType), which has no tensor dtype")
        }
        return dtype
    }

    /// The whole dataset as a tensor of its own dtype and shape.
    public func readTensor() throws -> Tensor {
        let t = try Tensor.zeros(shape, dtype: try requireDType())
        try t.withUnsafeMutableRawBytes { try read(into: $0) }
        return t
    }

    /// Rows `rows` (along dim 0) as a tensor.
    public func readTensor(rows: Range<Int>) throws -> Tensor {
        let t = try Tensor.zeros([rows.count] + Array(shape.dropFirst()), dtype: try requireDType())
        try t.withUnsafeMutableRawBytes { try read(rows: rows, into: $0) }
        return t
    }

    /// The rows at `indices` (any order) as a tensor.
    public func readTensor(rowIndices indices: [Int]) throws -> Tensor {
        let t = try Tensor.zeros([indices.count] + Array(shape.dropFirst()), dtype: try requireDType())
        try t.withUnsafeMutableRawBytes { try readRows(indices, into: $0) }
        return t
    }
}

extension HDF5Group {
    /// Writes `tensor` as a new dataset at `path` with its dtype and shape.
    @discardableResult
    public func createDataset(_ path: String, tensor: Tensor) throws -> HDF5Dataset {
        let dataset = try createDataset(path, dtype: tensor.dtype, shape: tensor.shape)
        try tensor.withContiguousBytes { try dataset.write(from: $0) }
        return dataset
    }
}

extension Tensor {
    /// Raw bytes of this new contiguous tensor, for filling from a file.
    func withUnsafeMutableRawBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        switch dtype {
        case .bool: return try withUnsafeMutableElements(Bool.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        case .uint8: return try withUnsafeMutableElements(UInt8.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        case .int32: return try withUnsafeMutableElements(Int32.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        case .int64: return try withUnsafeMutableElements(Int64.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        case .float32: return try withUnsafeMutableElements(Float.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        case .float64: return try withUnsafeMutableElements(Double.self) { try body(UnsafeMutableRawBufferPointer($0)) }
        }
    }
}
