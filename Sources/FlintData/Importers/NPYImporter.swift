import Foundation
import Flint
import FlintHDF5

/// The header of a `.npy` file (format versions 1.0, 2.0 and 3.0).
public struct NPYHeader: Equatable, Sendable {
    public var version: (major: UInt8, minor: UInt8)
    /// numpy's type string: `<f4`, `|u1`, `>i8`, `|b1`.
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int]
    /// Byte offset of the data.
    public var dataOffset: Int

    public static func == (a: Self, b: Self) -> Bool {
        a.version == b.version && a.descr == b.descr && a.fortranOrder == b.fortranOrder && a.shape == b.shape
            && a.dataOffset == b.dataOffset
    }

    /// Bytes per element.
    public var itemSize: Int { Int(descr.dropFirst(2)) ?? 0 }
    public var bigEndian: Bool { descr.hasPrefix(">") }
    var kind: Character { descr.dropFirst().first ?? "?" }

    /// The Flint dtype the elements import as (narrow integers and float16 widen).
    public var dtype: DType? {
        switch (kind, itemSize) {
        case ("b", 1): return .bool
        case ("u", 1): return .uint8
        case ("i", 1), ("i", 2), ("u", 2), ("i", 4): return .int32
        case ("u", 4), ("i", 8): return .int64
        case ("f", 2), ("f", 4): return .float32
        case ("f", 8): return .float64
        default: return nil
        }
    }

    /// Reads and checks the header of the file at `path`.
    public static func read(_ path: String) throws -> NPYHeader {
        if let problem = FileSafety.problemReading(path) { throw DataError.invalid("\(path): \(problem)") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError.invalid("\(path): cannot read the file") }
        defer { try? handle.close() }
        let start = [UInt8](try handle.read(upToCount: 12) ?? Data())
        guard start.count >= 10, start.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw DataError.invalid("\(path): not a .npy file (no \\x93NUMPY signature)")
        }
        let major = start[6], minor = start[7]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw DataError.invalid("\(path): .npy format version \(major).\(minor) is not supported (1.0, 2.0, 3.0 are)")
        }
        guard start.count >= 8 + lengthBytes else { throw DataError.invalid("\(path): the header is truncated") }
        var length = 0
        for k in 0..<lengthBytes { length |= Int(start[8 + k]) << (8 * k) }
        try handle.seek(toOffset: UInt64(8 + lengthBytes))
        let headerBytes = try handle.read(upToCount: length) ?? Data()
        guard headerBytes.count == length else { throw DataError.invalid("\(path): the header is truncated") }
        // Version 3 allows UTF-8 in the header; the fields read here are ASCII.
        let text = String(decoding: headerBytes, as: UTF8.self)
        return try parse(text, path: path, version: (major, minor), dataOffset: 8 + lengthBytes + length)
    }

    /// Parses the header's Python dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parse(_ text: String, path: String, version: (UInt8, UInt8), dataOffset: Int) throws -> NPYHeader {
        func value(_ key: String) throws -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\"") else {
                throw DataError.invalid("\(path): the header has no '\(key)' (header: \(text.trimmingCharacters(in: .whitespacesAndNewlines)))")
            }
            var rest = text[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw DataError.invalid("\(path): cannot parse the header: \(text)") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        let descrValue = try value("descr")
        guard let quote = descrValue.first, quote == "'" || quote == "\"",
              let end = descrValue.dropFirst().firstIndex(of: quote) else {
            throw DataError.invalid("\(path): structured dtypes are not supported (descr: \(descrValue.prefix(40)))")
        }
        let descr = String(descrValue[descrValue.index(after: descrValue.startIndex)..<end])
        let fortran = try value("fortran_order")
        guard fortran.hasPrefix("True") || fortran.hasPrefix("False") else {
            throw DataError.invalid("\(path): cannot parse fortran_order in the header: \(text)")
        }
        let shapeValue = try value("shape")
        guard shapeValue.first == "(", let close = shapeValue.firstIndex(of: ")") else {
            throw DataError.invalid("\(path): cannot parse the shape in the header: \(text)")
        }
        let inner = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            guard !trimmed.isEmpty else { continue }
            guard let size = Int(trimmed), size >= 0 else { throw DataError.invalid("\(path): bad shape in the header: \(text)") }
            shape.append(size)
        }
        // Sizes from a header are hostile: the bytes they describe must be countable.
        // The dimensions other than 0 must multiply within range too: HDF5 cannot describe
        // (0, 2^40, 2^40), and the importer multiplies them.
        guard let elements = MemoryBudget.elementCount(shape), MemoryBudget.elementCount(shape.filter { $0 > 0 }) != nil,
              (1...16).contains(Int(descr.dropFirst(2)) ?? 0),
              MemoryBudget.product(elements, Int(descr.dropFirst(2)) ?? 0).flatMap({ MemoryBudget.sum($0, dataOffset) }) != nil else {
            throw DataError.invalid("\(path): the header's shape \(shape) of '\(descr)' describes more bytes than can be addressed")
        }
        let header = NPYHeader(version: version, descr: descr, fortranOrder: fortran.hasPrefix("True"), shape: shape,
                               dataOffset: dataOffset)
        guard header.dtype != nil, descr.count >= 3, "<>|=".contains(descr.first ?? "?") else {
            throw DataError.invalid("\(path): numpy dtype '\(descr)' is not supported (bool, integers, float16/32/64 are)")
        }
        return header
    }
}

/// One `.npy` file and the dataset path it becomes (`x_train.npy` → `x_train`,
/// or `FILE:group/name`).
public struct NPYImportEntry: Sendable, Equatable {
    public var file: String
    public var datasetPath: String

    /// Parses `FILE` or `FILE:DATASET`.
    public init(argument: String) {
        if let colon = argument.lastIndex(of: ":"), argument[..<colon].hasSuffix(".npy"),
           argument.index(after: colon) < argument.endIndex {
            file = String(argument[..<colon])
            datasetPath = String(argument[argument.index(after: colon)...])
        } else {
            file = argument
            datasetPath = URL(fileURLWithPath: argument).deletingPathExtension().lastPathComponent
        }
    }
}

/// Imports `.npy` arrays, each into its own dataset, converting the element
/// type to a Flint dtype (big-endian data is swapped, Fortran order transposed),
/// with the source file and its header as attributes. C-ordered arrays are
/// copied in blocks of rows, so large files never sit in memory whole.
@discardableResult
public func importNPY(_ entries: [NPYImportEntry], output: String, overwrite: Bool = false) throws -> [(NPYImportEntry, NPYHeader)] {
    guard !entries.isEmpty else { throw DataError.invalid("no .npy files given") }
    let headers = try entries.map { entry -> NPYHeader in
        let header = try NPYHeader.read(entry.file)
        let attributes = try FileManager.default.attributesOfItem(atPath: entry.file)
        let size = (attributes[.size] as? Int) ?? 0
        let needed = header.dataOffset + header.shape.reduce(1, *) * header.itemSize
        guard size >= needed else {
            throw DataError.invalid("\(entry.file): holds \(size) bytes, but its header (\(header.descr) \(header.shape)) needs \(needed)")
        }
        return header
    }
    let paths = entries.map(\.datasetPath)
    if let duplicate = paths.first(where: { p in paths.filter { $0 == p }.count > 1 }) {
        throw DataError.invalid("two files would become dataset '\(duplicate)'; name them with FILE:DATASET")
    }
    try writeImport(to: output, overwrite: overwrite, format: "NPY", sources: entries.map(\.file)) { file in
        for (entry, header) in zip(entries, headers) {
            let dataset = try writeArray(entry, header, into: file)
            try setSourceAttributes(dataset, file: entry.file)
            try dataset.setAttribute("npy_descr", header.descr)
            try dataset.setAttribute("npy_shape", header.shape)
            try dataset.setAttribute("npy_fortran_order", header.fortranOrder ? "true" : "false")
            try dataset.setAttribute("npy_version", "\(header.version.major).\(header.version.minor)")
        }
    }
    return Array(zip(entries, headers))
}

private func writeArray(_ entry: NPYImportEntry, _ header: NPYHeader, into file: HDF5File) throws -> HDF5Dataset {
    guard let dtype = header.dtype, let handle = FileHandle(forReadingAtPath: entry.file) else {
        throw DataError.invalid("\(entry.file): cannot read the file")
    }
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(header.dataOffset))
    let shape = header.shape
    if header.fortranOrder && shape.count > 1 {
        // Column-major data is the C-ordered array of the reversed shape; transposing it back needs it whole.
        let bytes = try handle.read(upToCount: shape.reduce(1, *) * header.itemSize) ?? Data()
        let stored = try decode(bytes, header, shape: Array(shape.reversed()), dtype: dtype)
        let c = try stored.permute(Array((0..<shape.count).reversed())).contiguous()
        return try file.createDataset(entry.datasetPath, tensor: c)
    }
    let dataset = try file.createDataset(entry.datasetPath, dtype: dtype, shape: shape)
    let rowCount = shape.first ?? 1
    let rowElements = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
    guard shape.isEmpty || rowCount * rowElements > 0 else { return dataset }
    if shape.isEmpty {
        let bytes = try handle.read(upToCount: header.itemSize) ?? Data()
        let t = try decode(bytes, header, shape: [], dtype: dtype)
        try t.withContiguousBytes { try dataset.write(from: $0) }
        return dataset
    }
    let blockRows = Swift.max(1, (8 << 20) / Swift.max(1, rowElements * header.itemSize))
    var start = 0
    while start < rowCount {
        let rows = Swift.min(blockRows, rowCount - start)
        let bytes = try handle.read(upToCount: rows * rowElements * header.itemSize) ?? Data()
        let block = try decode(bytes, header, shape: [rows] + Array(shape.dropFirst()), dtype: dtype)
        try block.withContiguousBytes { try dataset.write(rows: start..<(start + rows), from: $0) }
        start += rows
    }
    return dataset
}

/// Converts raw numpy elements to a tensor of `dtype`.
private func decode(_ data: Data, _ header: NPYHeader, shape: [Int], dtype: DType) throws -> Tensor {
    let count = shape.reduce(1, *)
    guard data.count == count * header.itemSize else {
        throw DataError.invalid("the file ends early: expected \(count * header.itemSize) bytes of \(header.descr), read \(data.count)")
    }
    var bytes = [UInt8](data)
    if header.bigEndian && header.itemSize > 1 {
        for i in stride(from: 0, to: bytes.count, by: header.itemSize) { bytes[i..<(i + header.itemSize)].reverse() }
    }
    func load<T>(_: T.Type) -> [T] {
        bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * header.itemSize, as: T.self) } }
    }
    switch (header.kind, header.itemSize) {
    case ("b", 1): return try Tensor(load(UInt8.self).map { $0 != 0 }, shape: shape)
    case ("u", 1): return try Tensor(load(UInt8.self), shape: shape)
    case ("i", 1): return try Tensor(load(Int8.self).map { Int32($0) }, shape: shape)
    case ("i", 2): return try Tensor(load(Int16.self).map { Int32($0) }, shape: shape)
    case ("u", 2): return try Tensor(load(UInt16.self).map { Int32($0) }, shape: shape)
    case ("i", 4): return try Tensor(load(Int32.self), shape: shape)
    case ("u", 4): return try Tensor(load(UInt32.self).map { Int64($0) }, shape: shape)
    case ("i", 8): return try Tensor(load(Int64.self), shape: shape)
    case ("f", 2): return try Tensor(load(UInt16.self).map { Float(Float16(bitPattern: $0)) }, shape: shape)
    case ("f", 4): return try Tensor(load(Float.self), shape: shape)
    case ("f", 8): return try Tensor(load(Double.self), shape: shape)
    default: throw DataError.invalid("numpy dtype '\(header.descr)' is not supported (as \(dtype))")
    }
}

/// The whole array of a `.npy` file as one tensor (`flint predict --input x.npy`).
public func readNPY(_ path: String) throws -> Tensor {
    let header = try NPYHeader.read(path)
    guard let dtype = header.dtype, let handle = FileHandle(forReadingAtPath: path) else {
        throw DataError.invalid("\(path): cannot read the array (numpy dtype '\(header.descr)')")
    }
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(header.dataOffset))
    let shape = header.shape
    let (count, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
    }
    guard !overflow else { throw DataError.invalid("\(path): the shape \(shape) is too large") }
    let bytes = try handle.read(upToCount: count * header.itemSize) ?? Data()
    if header.fortranOrder && shape.count > 1 {
        // Column-major data is the C-ordered array of the reversed shape.
        let stored = try decode(bytes, header, shape: Array(shape.reversed()), dtype: dtype)
        return try stored.permute(Array((0..<shape.count).reversed())).contiguous()
    }
    return try decode(bytes, header, shape: shape, dtype: dtype)
}
