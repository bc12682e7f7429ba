import CHDF5
import Foundation

/// A filter in a chunked dataset's pipeline.
public enum HDF5Filter: Sendable, Equatable, CustomStringConvertible {
    case deflate(level: Int)
    case shuffle
    case fletcher32
    case other(id: Int, name: String)

    public var description: String {
        switch self {
        case .deflate(let level): return "gzip \(level)"
        case .shuffle: return "shuffle"
        case .fletcher32: return "fletcher32"
        case .other(let id, let name): return name.isEmpty ? "filter \(id)" : name
        }
    }
}

/// How a dataset's elements are laid out in the file.
public struct HDF5Storage: Sendable, Equatable, CustomStringConvertible {
    public enum Layout: Sendable, Equatable {
        case contiguous, compact, virtual
        case chunked([Int])
    }

    public let layout: Layout
    public let filters: [HDF5Filter]

    /// "contiguous", "chunks [1024, 28, 28] gzip 4 shuffle".
    public var description: String {
        let base: String
        switch layout {
        case .contiguous: base = "contiguous"
        case .compact: base = "compact"
        case .virtual: base = "virtual"
        case .chunked(let chunks): base = "chunks \(chunks)"
        }
        return ([base] + filters.map(\.description)).joined(separator: " ")
    }
}

/// An n-dimensional array in a file. Dimension 0 is the row (sample) axis for
/// the row-wise reads and writes.
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// `[]` for a scalar.
    public let shape: [Int]
    /// The Flint dtype the elements read as; nil for strings and other types
    /// that have none.
    public let dtype: DType?
    /// The stored element type as numpy names it ("uint8", "int16", "string").
    public let storedType: String
    public let storage: HDF5Storage
    /// Where the rows start in the file, when they can be read with `pread`:
    /// contiguous, unfiltered, stored in native byte order, in a file open
    /// only for reading (so that no written data waits in libhdf5's buffers).
    private let rawOffset: Int?

    init(handle: HDF5FileHandle, opened id: hid_t, path: String) throws {
        let space = H5.Dget_space(id)
        let type = H5.Dget_type(id)
        let creation = H5.Dget_create_plist(id)
        defer {
            if space >= 0 { _ = H5.Sclose(space) }
            if type >= 0 { _ = H5.Tclose(type) }
            if creation >= 0 { _ = H5.Pclose(creation) }
        }
        guard space >= 0, type >= 0, creation >= 0, let shape = Self.shape(of: space) else {
            _ = H5.Dclose(id)
            throw HDF5Error(.corrupt, file: handle.path, object: path,
                            HDF5Library.withDetail("dataset '\(path)' is corrupt: its shape or type cannot be read"))
        }
        self.shape = shape
        (dtype, storedType) = HDF5Types.describe(type)
        storage = Self.storage(of: creation)
        // Ask libhdf5 rather than trusting our mode: opening a file twice in one
        // process shares one open file, which may be writable through the other.
        var intent: UInt32 = 0
        let readOnly = H5.Fget_intent(handle.id, &intent) >= 0 && intent & flint_H5F_ACC_RDWR() == 0
        rawOffset = Self.rawOffset(id, type: type, creation: creation, dtype: dtype, storage: storage, readOnly: readOnly)
        super.init(handle: handle, id: id, path: path)
    }

    /// Whether row reads bypass libhdf5 (see `rawOffset`).
    var readsRowsDirectly: Bool { rawOffset != nil }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Size of dimension 0; 1 for a scalar.
    public var rowCount: Int { shape.first ?? 1 }
    /// Elements per row: the product of every dimension after the first.
    public var rowElementCount: Int { shape.dropFirst().reduce(1, *) }

    /// "uint8 [60000, 1, 28, 28]" for messages; names the stored type when it
    /// differs from the dtype it reads as.
    public var typeAndShape: String {
        let type = dtype.map { $0.rawValue == storedType || $0 == .bool ? $0.rawValue : "\(storedType) (read as \($0))" }
        return "\(type ?? storedType) \(shape)"
    }

    // MARK: - Reading

    /// Reads every element in row-major order.
    /// - Parameters:
    ///   - buffer: exactly `count * itemSize` bytes.
    ///   - memoryDType: the dtype the buffer holds; HDF5 converts numbers to it.
    ///     Defaults to the dataset's dtype.
    public func read(into buffer: UnsafeMutableRawBufferPointer, as memoryDType: DType? = nil) throws {
        try perform {
            let type = try memoryType(memoryDType, verb: "read")
            try checkSize(buffer.count, elements: count, itemSize: itemSize(type), what: "all elements")
            guard count > 0 else { return }
            guard H5.Dread(id, type, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), buffer.baseAddress) >= 0 else {
                throw failure("cannot read dataset '\(path)'")
            }
        }
    }

    /// Reads rows `rows` (along dimension 0).
    /// - Parameter buffer: exactly `rows.count * rowElementCount * itemSize` bytes of
    ///   `memoryDType` (by default the dataset's dtype).
    public func read(rows: Range<Int>, into buffer: UnsafeMutableRawBufferPointer, as memoryDType: DType? = nil) throws {
        try perform {
            let type = try memoryType(memoryDType, verb: "read")
            try checkRows(rows)
            try checkSize(buffer.count, elements: rows.count * rowElementCount, itemSize: itemSize(type), what: "rows \(rows)")
            try readRuns([rows], memType: type, buffer: buffer.baseAddress)
        }
    }

    /// Reads the rows at `indices`, in the order given (repeats allowed), as
    /// for a shuffled batch. Consecutive indices are read as one block.
    /// - Parameter buffer: exactly `indices.count * rowElementCount * itemSize` bytes of
    ///   `memoryDType` (by default the dataset's dtype).
    public func readRows(_ indices: [Int], into buffer: UnsafeMutableRawBufferPointer, as memoryDType: DType? = nil) throws {
        try perform {
            let type = try memoryType(memoryDType, verb: "read")
            try checkSize(buffer.count, elements: indices.count * rowElementCount, itemSize: itemSize(type),
                          what: "\(indices.count) rows")
            try gather(indices, memType: type, buffer: buffer)
        }
    }

    /// Every element, converted to `T` as HDF5 converts numbers.
    public func readArray<T: HDF5Element>(as type: T.Type = T.self) throws -> [T] {
        try perform {
            let memType = try convertibleType(T.self, verb: "read")
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0, H5.Dread(id, memType, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), buffer.baseAddress) < 0 {
                    throw failure("cannot read dataset '\(path)' as \(T.dtype)")
                }
                initialized = count
            }
        }
    }

    /// Rows `rows`, converted to `T`.
    public func readArray<T: HDF5Element>(rows: Range<Int>, as type: T.Type = T.self) throws -> [T] {
        try perform {
            let memType = try convertibleType(T.self, verb: "read")
            try checkRows(rows)
            let total = rows.count * rowElementCount
            return try [T](unsafeUninitializedCapacity: total) { buffer, initialized in
                try readRuns([rows], memType: memType, buffer: buffer.baseAddress)
                initialized = total
            }
        }
    }

    /// The rows at `indices` in the order given, converted to `T`.
    public func readArray<T: HDF5Element>(rowIndices indices: [Int], as type: T.Type = T.self) throws -> [T] {
        try perform {
            let memType = try convertibleType(T.self, verb: "read")
            let total = indices.count * rowElementCount
            return try [T](unsafeUninitializedCapacity: total) { buffer, initialized in
                try gather(indices, memType: memType, buffer: UnsafeMutableRawBufferPointer(buffer))
                initialized = total
            }
        }
    }

    /// The strings of a string dataset, in row-major order.
    public func readStrings() throws -> [String] {
        try perform {
            let type = H5.Dget_type(id)
            defer { _ = H5.Tclose(type) }
            guard H5.Tget_class(type) == H5T_STRING else {
                throw error(.unsupportedType, "dataset '\(path)' holds \(storedType), not strings")
            }
            guard let strings = HDF5Types.readStrings(fileType: type, count: count, read: { memType, buffer in
                H5.Dread(id, memType, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), buffer)
            }) else { throw failure("cannot read dataset '\(path)'") }
            return strings
        }
    }

    /// The text of a dataset holding one string.
    public func readString() throws -> String {
        let strings = try readStrings()
        guard strings.count == 1, let string = strings.first else {
            throw error(.invalidArgument, "dataset '\(path)' holds \(strings.count) strings, not one")
        }
        return string
    }

    // MARK: - Writing

    /// Writes every element from `buffer`, in row-major order.
    /// - Parameter memoryDType: the dtype the buffer holds; HDF5 converts it to the
    ///   stored type. Defaults to the dataset's dtype.
    public func write(from buffer: UnsafeRawBufferPointer, as memoryDType: DType? = nil) throws {
        try perform {
            let type = try memoryType(memoryDType, verb: "write")
            try checkSize(buffer.count, elements: count, itemSize: itemSize(type), what: "all elements")
            guard count > 0 else { return }
            guard H5.Dwrite(id, type, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), buffer.baseAddress) >= 0 else {
                throw failure("cannot write dataset '\(path)'")
            }
        }
    }

    /// Writes rows `rows` (along dimension 0) from `buffer`, which holds `memoryDType`
    /// (by default the dataset's dtype).
    public func write(rows: Range<Int>, from buffer: UnsafeRawBufferPointer, as memoryDType: DType? = nil) throws {
        try perform {
            let type = try memoryType(memoryDType, verb: "write")
            try checkRows(rows)
            try checkSize(buffer.count, elements: rows.count * rowElementCount, itemSize: itemSize(type), what: "rows \(rows)")
            try transfer(runs: [rows], memType: type, buffer: UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                         writing: true)
        }
    }

    /// Writes every element from `values`, converting from `T` to the stored type.
    public func write<T: HDF5Element>(_ values: [T]) throws {
        try perform {
            let memType = try convertibleType(T.self, verb: "write")
            try checkSize(values.count, elements: count, itemSize: 1, what: "all elements", unit: "values")
            guard count > 0 else { return }
            let status = values.withUnsafeBytes {
                H5.Dwrite(id, memType, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), $0.baseAddress)
            }
            guard status >= 0 else { throw failure("cannot write \(T.dtype) values to dataset '\(path)'") }
        }
    }

    /// Writes rows `rows` from `values`, converting from `T`.
    public func write<T: HDF5Element>(rows: Range<Int>, _ values: [T]) throws {
        try perform {
            let memType = try convertibleType(T.self, verb: "write")
            try checkRows(rows)
            try checkSize(values.count, elements: rows.count * rowElementCount, itemSize: 1, what: "rows \(rows)", unit: "values")
            try values.withUnsafeBytes {
                try transfer(runs: [rows], memType: memType, buffer: UnsafeMutableRawPointer(mutating: $0.baseAddress),
                             writing: true)
            }
        }
    }

    // MARK: - Internals (called with the library lock held)

    /// Hyperslab selections joined with OR cost time quadratic in their number
    /// in libhdf5, so long gathers go in batches of this many runs.
    private static let runsPerTransfer = 256

    private func nativeType() throws -> hid_t {
        guard let dtype else {
            throw error(.unsupportedType, "dataset '\(path)' holds \(storedType), which has no Flint dtype")
        }
        return HDF5Types.native(dtype)
    }

    private func convertibleType<T: HDF5Element>(_: T.Type, verb: String) throws -> hid_t {
        try memoryType(T.dtype, verb: verb)
    }

    /// The memory type for `requested`, or for the dataset's own dtype when nil.
    private func memoryType(_ requested: DType?, verb: String) throws -> hid_t {
        let native = try nativeType()
        guard let requested, requested != dtype else { return native }
        // HDF5 converts numbers into numbers, but never enums (bool) into numbers.
        guard dtype != .bool, requested != .bool else {
            throw error(.unsupportedType, "cannot \(verb) \(typeAndShape) dataset '\(path)' as \(requested)")
        }
        return HDF5Types.native(requested)
    }

    private func itemSize(_ type: hid_t) -> Int { H5.Tget_size(type) }

    private func checkSize(_ size: Int, elements: Int, itemSize: Int, what: String, unit: String = "bytes") throws {
        let needed = elements * itemSize
        guard size == needed else {
            let given = unit == "bytes" ? "the buffer holds \(size)" : "\(size) were given"
            throw error(.invalidArgument, "dataset '\(path)' (\(typeAndShape)): \(what) need \(needed) \(unit), but \(given)")
        }
    }

    private func checkRows(_ rows: Range<Int>) throws {
        guard !shape.isEmpty else {
            throw error(.invalidArgument, "dataset '\(path)' is a scalar and has no rows")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw error(.invalidArgument, "rows \(rows) are out of range for dataset '\(path)' with \(rowCount) rows")
        }
    }

    /// Reads sorted, distinct rows directly; otherwise reads each distinct row
    /// once, in file order, and copies rows into the requested order.
    private func gather(_ indices: [Int], memType: hid_t, buffer: UnsafeMutableRawBufferPointer) throws {
        guard !shape.isEmpty else {
            throw error(.invalidArgument, "dataset '\(path)' is a scalar and has no rows")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= rowCount }) {
            throw error(.invalidArgument, "row index \(bad) is out of range for dataset '\(path)' with \(rowCount) rows")
        }
        if zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }) {
            try readRuns(Self.runs(indices), memType: memType, buffer: buffer.baseAddress)
            return
        }
        // Sort positions by row; each position remembers which distinct row it wants.
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        var distinct: [Int] = []
        distinct.reserveCapacity(indices.count)
        var slots = [Int](repeating: 0, count: indices.count)
        for position in order {
            if distinct.last != indices[position] { distinct.append(indices[position]) }
            slots[position] = distinct.count - 1
        }
        let rowBytes = rowElementCount * itemSize(memType)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(distinct.count * rowBytes, 1), alignment: 16)
        defer { scratch.deallocate() }
        try readRuns(Self.runs(distinct), memType: memType, buffer: scratch.baseAddress)
        guard rowBytes > 0, let source = scratch.baseAddress, let destination = buffer.baseAddress else { return }
        for (position, slot) in slots.enumerated() {
            (destination + position * rowBytes).copyMemory(from: source + slot * rowBytes, byteCount: rowBytes)
        }
    }

    /// Sorted distinct indices as runs of consecutive rows: [3, 4, 5, 9] → [3..<6, 9..<10].
    static func runs(_ sorted: [Int]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for index in sorted {
            if let last = runs.last, last.upperBound == index {
                runs[runs.count - 1] = last.lowerBound..<(index + 1)
            } else {
                runs.append(index..<(index + 1))
            }
        }
        return runs
    }

    /// Reads whole rows into a packed buffer: with `pread` when the rows lie
    /// in the file as they would in memory (about 10x faster for a shuffled
    /// batch), else through libhdf5.
    private func readRuns(_ runs: [Range<Int>], memType: hid_t, buffer: UnsafeMutableRawPointer?) throws {
        guard let rawOffset, let dtype, memType == HDF5Types.native(dtype), let descriptor = handle.rawDescriptor() else {
            try transfer(runs: runs, memType: memType, buffer: buffer, writing: false)
            return
        }
        let rowBytes = rowElementCount * dtype.itemSize
        guard rowBytes > 0, let buffer else { return }
        var destination = buffer
        for run in runs where !run.isEmpty {
            var done = 0
            let wanted = run.count * rowBytes
            while done < wanted {
                let count = pread(descriptor, destination + done, wanted - done,
                                  off_t(rawOffset + run.lowerBound * rowBytes + done))
                guard count > 0 else {
                    let reason = count < 0 ? String(cString: strerror(errno)) : "the file ends early"
                    throw error(.io, "cannot read rows \(run) of dataset '\(path)': \(reason)")
                }
                done += count
            }
            destination += wanted
        }
    }

    /// Moves whole rows between the file and a packed buffer, one hyperslab
    /// per run, in batches.
    private func transfer(runs: [Range<Int>], memType: hid_t, buffer: UnsafeMutableRawPointer?, writing: Bool) throws {
        let rowBytes = rowElementCount * itemSize(memType)
        let runs = runs.filter { !$0.isEmpty }
        guard rowBytes > 0, !runs.isEmpty, let buffer else { return }
        let fileSpace = H5.Dget_space(id)
        guard fileSpace >= 0 else { throw failure("cannot read the shape of dataset '\(path)'") }
        defer { _ = H5.Sclose(fileSpace) }
        let innerDims = shape.dropFirst().map { hsize_t($0) }
        var offset = buffer
        var batchStart = 0
        while batchStart < runs.count {
            let batch = runs[batchStart..<min(batchStart + Self.runsPerTransfer, runs.count)]
            batchStart += batch.count
            var rows = 0
            for (number, run) in batch.enumerated() {
                let start = [hsize_t(run.lowerBound)] + innerDims.map { _ in 0 }
                let extent = [hsize_t(run.count)] + innerDims
                let operation = number == 0 ? H5S_SELECT_SET : H5S_SELECT_OR
                guard H5.Sselect_hyperslab(fileSpace, operation, start, nil, extent, nil) >= 0 else {
                    throw failure("cannot select rows \(run) of dataset '\(path)'")
                }
                rows += run.count
            }
            var memDims = [hsize_t(rows * rowElementCount)]
            let memSpace = H5.Screate_simple(1, &memDims, nil)
            guard memSpace >= 0 else { throw failure("cannot prepare a buffer for dataset '\(path)'") }
            defer { _ = H5.Sclose(memSpace) }
            let status = writing
                ? H5.Dwrite(id, memType, memSpace, fileSpace, hid_t(H5P_DEFAULT), offset)
                : H5.Dread(id, memType, memSpace, fileSpace, hid_t(H5P_DEFAULT), offset)
            guard status >= 0 else {
                let span = "rows \(batch.first?.lowerBound ?? 0)..<\(batch.last?.upperBound ?? 0)"
                throw failure("cannot \(writing ? "write" : "read") \(span) of dataset '\(path)'")
            }
            offset += rows * rowBytes
        }
    }

    private static func rawOffset(_ id: hid_t, type: hid_t, creation: hid_t, dtype: DType?,
                                  storage: HDF5Storage, readOnly: Bool) -> Int? {
        guard readOnly, storage.layout == .contiguous, storage.filters.isEmpty,
              H5.Pget_external_count(creation) == 0,
              let dtype, H5.Tequal(type, HDF5Types.native(dtype)) > 0 else { return nil }
        let offset = H5.Dget_offset(id)
        // HADDR_UNDEF: no storage allocated yet (every element is the fill value).
        return offset == haddr_t.max ? nil : Int(exactly: offset)
    }

    private static func shape(of space: hid_t) -> [Int]? {
        switch H5.Sget_simple_extent_type(space) {
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            let rank = H5.Sget_simple_extent_ndims(space)
            guard rank >= 0 else { return nil }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            guard H5.Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return nil }
            // Sizes from a file header are hostile: each must be an Int, and their product
            // (and every partial product, zero sizes aside) addressable.
            var shape: [Int] = []
            for size in dims {
                guard let size = Int(exactly: size) else { return nil }
                shape.append(size)
            }
            return MemoryBudget.elementCount(shape.filter { $0 != 0 }) == nil ? nil : shape
        default:
            // h5py's Empty (a null dataspace) holds no elements.
            return [0]
        }
    }

    private static func storage(of creation: hid_t) -> HDF5Storage {
        let layout: HDF5Storage.Layout
        switch H5.Pget_layout(creation) {
        case H5D_COMPACT: layout = .compact
        case H5D_VIRTUAL: layout = .virtual
        case H5D_CHUNKED:
            let rank = H5.Pget_chunk(creation, 0, nil)
            var dims = [hsize_t](repeating: 0, count: Int(max(rank, 0)))
            _ = H5.Pget_chunk(creation, rank, &dims)
            layout = .chunked(dims.map { Int($0) })
        default: layout = .contiguous
        }
        var filters: [HDF5Filter] = []
        for index in 0..<max(H5.Pget_nfilters(creation), 0) {
            var flags: UInt32 = 0
            var valueCount = 8
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            var config: UInt32 = 0
            let filter = H5.Pget_filter2(creation, UInt32(index), &flags, &valueCount, &values, name.count, &name, &config)
            switch filter {
            case H5Z_FILTER_DEFLATE: filters.append(.deflate(level: Int(values[0])))
            case H5Z_FILTER_SHUFFLE: filters.append(.shuffle)
            case H5Z_FILTER_FLETCHER32: filters.append(.fletcher32)
            default:
                let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                filters.append(.other(id: Int(filter), name: text))
            }
        }
        return HDF5Storage(layout: layout, filters: filters)
    }
}
