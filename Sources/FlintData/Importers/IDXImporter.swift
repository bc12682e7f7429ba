import CZlib
import Flint
import FlintHDF5
import Foundation

// IDX is the format of MNIST and its relatives (Fashion-MNIST, EMNIST, KMNIST):
// a magic number 00 00 TYPE RANK, RANK big-endian UInt32 sizes, then the
// elements in big-endian row-major order. Files are often gzip-compressed.

/// A problem with an IDX file or with the set of files given to the importer.
/// The description starts with the file it concerns:
/// `train-images.idx3-ubyte.gz: is truncated: …`.
public struct IDXError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file the problem is in, when it is about one file.
    public let file: String?
    public let message: String

    public init(file: String?, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { file.map { "\($0): \(message)" } ?? message }
}

/// The element type named by an IDX file's third magic byte.
public enum IDXElementType: UInt8, Sendable, CaseIterable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Bytes per element in the file.
    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// The dtype elements are read as; narrow signed integers widen to int32.
    public var dtype: DType {
        switch self {
        case .uint8: return .uint8
        case .int8, .int16, .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    /// The name the IDX specification uses.
    public var name: String {
        switch self {
        case .uint8: return "ubyte"
        case .int8: return "byte"
        case .int16: return "short"
        case .int32: return "int"
        case .float32: return "float"
        case .float64: return "double"
        }
    }
}

/// A whole IDX file in memory.
public struct IDXArray: Sendable, Equatable {
    public let elementType: IDXElementType
    public let shape: [Int]
    /// The elements as `elementType.dtype` in native byte order, row-major.
    public let data: [UInt8]
}

/// Reads an IDX file, raw or gzip-compressed, from front to back. Opening it
/// reads and checks the header; `readRows` then decodes rows into native byte
/// order, and `finish` checks that nothing follows the data.
public final class IDXReader {
    public let path: String
    public let elementType: IDXElementType
    /// The sizes in the header; dimension 0 counts samples.
    public let shape: [Int]
    private let file: gzFile
    private var rowsRead = 0

    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IDXError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw IDXError(file: path, "is a directory, not an IDX file") }
        if let problem = FileSafety.problemReading(path) { throw IDXError(file: path, problem) }
        guard let file = gzopen(path, "rb") else { throw IDXError(file: path, "cannot read the file (permission denied?)") }
        self.file = file
        // Files are read front to back once; a large buffer means fewer, larger reads.
        _ = gzbuffer(file, 1 << 18)

        do {
            (elementType, shape) = try Self.readHeader(file, path: path)
        } catch {
            // deinit does not run for an instance whose init failed.
            gzclose(file)
            throw error
        }
        if gzdirect(file) == 1 {
            try checkUncompressedLength()
        } else {
            try checkCompressedLength()
        }
    }

    deinit { gzclose(file) }

    /// Number of rows (the first dimension).
    public var rowCount: Int { shape.first ?? 0 }
    /// Elements per row: the product of the dimensions after the first.
    public var rowElementCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes of element data the header promises.
    public var dataByteCount: Int { shape.reduce(elementType.size, *) }
    public var headerByteCount: Int { 4 + 4 * shape.count }
    /// "[60000, 28, 28] ubyte", for messages.
    public var headerDescription: String { "\(shape) \(elementType.name)" }

    /// Decodes the next `rows` rows into `buffer`, which holds
    /// `rows * rowElementCount` elements of `elementType.dtype` in native byte order.
    public func readRows(_ rows: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        let elements = rows * rowElementCount
        guard rows >= 0, rowsRead + rows <= rowCount else {
            throw IDXError(file: path, "cannot read \(rows) more rows: \(rowCount - rowsRead) of \(rowCount) are left")
        }
        guard buffer.count == elements * elementType.dtype.itemSize else {
            throw IDXError(file: path, "\(rows) rows of \(headerDescription) need \(elements * elementType.dtype.itemSize) bytes, but the buffer holds \(buffer.count)")
        }
        guard elements > 0, let destination = buffer.baseAddress else {
            rowsRead += rows
            return
        }
        if elementType == .uint8 {
            try readBytes(into: UnsafeMutableRawBufferPointer(start: destination, count: elements * elementType.size))
        } else {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: elements * elementType.size, alignment: 8)
            defer { raw.deallocate() }
            try readBytes(into: raw)
            Self.decode(UnsafeRawBufferPointer(raw), elementType, count: elements, into: destination)
        }
        rowsRead += rows
    }

    /// Checks that every row was read and that no bytes follow the data.
    public func finish() throws {
        guard rowsRead == rowCount else {
            throw IDXError(file: path, "only \(rowsRead) of \(rowCount) rows were read")
        }
        var extra = [UInt8](repeating: 0, count: 4096)
        var extraCount = 0
        while true {
            let count = extra.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            guard count >= 0 else { throw readFailure("after the data") }
            if count == 0 { break }
            extraCount += Int(count)
        }
        // zlib reports a gzip stream cut short (no trailer: no CRC, no length) only as an error
        // state at the end, not as a failed read.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        guard code == Z_OK else { throw readFailure("at its end (the gzip stream is cut short)") }
        guard extraCount == 0 else {
            throw IDXError(file: path, "has \(extraCount) bytes after the data its header \(headerDescription) describes")
        }
    }

    /// Reads a whole file: its header and every element, decoded.
    public static func read(_ path: String) throws -> IDXArray {
        let reader = try IDXReader(path: path)
        var data = [UInt8](repeating: 0, count: reader.rowCount * reader.rowElementCount * reader.elementType.dtype.itemSize)
        try data.withUnsafeMutableBytes { try reader.readRows(reader.rowCount, into: $0) }
        try reader.finish()
        return IDXArray(elementType: reader.elementType, shape: reader.shape, data: data)
    }

    // MARK: - Internals

    private static func readHeader(_ file: gzFile, path: String) throws -> (IDXElementType, [Int]) {
        var magic = [UInt8](repeating: 0, count: 4)
        let count = magic.withUnsafeMutableBytes { gzread(file, $0.baseAddress, 4) }
        guard count == 4 else {
            throw IDXError(file: path, count < 0 ? "cannot read the file (\(gzipMessage(file)))"
                : "is too short to be an IDX file (\(max(count, 0)) bytes)")
        }
        let hex = magic.map { String(format: "%02x", $0) }.joined(separator: " ")
        guard magic[0] == 0, magic[1] == 0 else {
            throw IDXError(file: path, "not an IDX file: it starts with \(hex), not 00 00 TYPE RANK")
        }
        guard let elementType = IDXElementType(rawValue: magic[2]) else {
            let known = IDXElementType.allCases.map { String(format: "%02x %@", $0.rawValue, $0.name) }.joined(separator: ", ")
            throw IDXError(file: path, String(format: "unknown IDX element type %02x in magic number %@ (known: %@)", magic[2], hex, known))
        }
        let rank = Int(magic[3])
        guard rank >= 1 else { throw IDXError(file: path, "IDX header has rank 0 (magic number \(hex)); it needs at least one dimension") }
        var sizes = [UInt8](repeating: 0, count: 4 * rank)
        let sizeCount = sizes.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        guard sizeCount == 4 * rank else {
            throw IDXError(file: path, "is truncated: its header names \(rank) dimensions but ends after \(max(sizeCount, 0) / 4)")
        }
        var shape: [Int] = []
        for dimension in 0..<rank {
            let bytes = sizes[(4 * dimension)..<(4 * dimension + 4)]
            shape.append(bytes.reduce(0) { $0 << 8 | Int($1) })
        }
        // Checked with the decoded size, which is what readers allocate.
        var total = max(elementType.size, elementType.dtype.itemSize)
        for size in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow else { throw IDXError(file: path, "IDX header \(shape) describes more data than fits in memory") }
            total = product
        }
        return (elementType, shape)
    }

    /// For raw (uncompressed) files the length is known before reading.
    private func checkUncompressedLength() throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return }
        let expected = headerByteCount + dataByteCount
        if size < expected {
            throw IDXError(file: path, "is truncated: header \(headerDescription) needs \(expected) bytes, the file has \(size)")
        }
        if size > expected {
            throw IDXError(file: path, "has \(size - expected) bytes after the data its header \(headerDescription) describes")
        }
    }

    /// Deflate expands data at most 1032-fold, so a header promising more than
    /// that is corrupt; catching it here keeps readers from allocating for it.
    private func checkCompressedLength() throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return }
        let (limit, overflow) = size.multipliedReportingOverflow(by: 1032)
        if !overflow && headerByteCount + dataByteCount > limit {
            throw IDXError(file: path, "is truncated or its header is corrupt: header \(headerDescription) needs \(dataByteCount) bytes of data, more than \(size) compressed bytes can hold")
        }
    }

    private func readBytes(into buffer: UnsafeMutableRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            // gzread takes a 32-bit length.
            let want = min(buffer.count - offset, 1 << 30)
            let count = gzread(file, buffer.baseAddress.map { $0 + offset }, UInt32(want))
            guard count > 0 else {
                if count < 0 { throw readFailure("in its data") }
                let elementsRead = (rowsRead * rowElementCount * elementType.size + offset) / elementType.size
                throw IDXError(file: path, "is truncated: header \(headerDescription) needs \(dataByteCount) bytes of data, the file ends after \(elementsRead * elementType.size)")
            }
            offset += Int(count)
        }
    }

    private func readFailure(_ place: String) -> IDXError {
        IDXError(file: path, "is corrupt \(place): \(Self.gzipMessage(file))")
    }

    private static func gzipMessage(_ file: gzFile) -> String {
        var code: Int32 = 0
        guard let message = gzerror(file, &code) else { return "unknown gzip error" }
        let text = String(cString: message)
        return text.isEmpty ? "unknown gzip error" : text
    }

    /// Big-endian file elements to native dtype elements.
    private static func decode(_ raw: UnsafeRawBufferPointer, _ type: IDXElementType, count: Int,
                               into destination: UnsafeMutableRawPointer) {
        switch type {
        case .uint8:
            if let source = raw.baseAddress { destination.copyMemory(from: source, byteCount: count) }
        case .int8:
            let output = destination.bindMemory(to: Int32.self, capacity: count)
            for index in 0..<count { output[index] = Int32(Int8(bitPattern: raw[index])) }
        case .int16:
            let output = destination.bindMemory(to: Int32.self, capacity: count)
            for index in 0..<count {
                output[index] = Int32(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: Int16.self)))
            }
        case .int32:
            let output = destination.bindMemory(to: Int32.self, capacity: count)
            for index in 0..<count {
                output[index] = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self))
            }
        case .float32:
            let output = destination.bindMemory(to: Float.self, capacity: count)
            for index in 0..<count {
                output[index] = Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
            }
        case .float64:
            let output = destination.bindMemory(to: Double.self, capacity: count)
            for index in 0..<count {
                output[index] = Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)))
            }
        }
    }
}

// MARK: - Importing into HDF5

/// How `importIDX` names and stores what it reads.
public struct IDXImportOptions: Sendable {
    /// Put the files in this split (group) instead of reading the split from
    /// their names; then the files must be one images file and/or one labels file.
    public var split: String?
    /// Store [N, H, W] images as [N, 1, H, W], the layout `conv2d` takes.
    public var addChannelDimension: Bool
    /// Replace an existing output file instead of refusing.
    public var overwrite: Bool
    /// Recorded in the file's `importer` attribute.
    public var importerName: String
    /// Names of the classes in label order, stored as the labels' `classes` attribute (IDX files name none).
    public var classes: [String]?

    public init(split: String? = nil, addChannelDimension: Bool = true, overwrite: Bool = false,
                importerName: String = "flint import idx", classes: [String]? = nil) {
        self.classes = classes
        self.split = split
        self.addChannelDimension = addChannelDimension
        self.overwrite = overwrite
        self.importerName = importerName
    }
}

/// Which file becomes which dataset, decided from headers and names before
/// anything is written. A file whose header has one dimension holds labels,
/// more dimensions images; `train` in a name picks the train split, `t10k` or
/// `test` the test split, `val` or `validation` the val split.
public struct IDXImportPlan: Sendable {
    public struct Entry: Sendable, Equatable {
        public enum Role: String, Sendable { case images, labels }
        public let file: String
        public let split: String
        public let role: Role
        public let elementType: IDXElementType
        /// The shape in the IDX header.
        public let sourceShape: [Int]
        /// The shape written: a channel dimension added to [N, H, W] images.
        public let shape: [Int]
        /// The dtype written: labels become int64, images keep their type.
        public let dtype: DType

        /// "train/images".
        public var datasetPath: String { "\(split)/\(role.rawValue)" }
    }

    /// Sorted by dataset path.
    public let entries: [Entry]

    public init(files: [String], options: IDXImportOptions = IDXImportOptions()) throws {
        guard !files.isEmpty else { throw IDXError(file: nil, "no IDX files given") }
        if let split = options.split, split.isEmpty || split.hasPrefix("/") || split.hasSuffix("/") {
            throw IDXError(file: nil, "split '\(split)' is not a group name (like 'train' or 'extra/train')")
        }
        var entries: [Entry] = []
        for file in files {
            let reader = try IDXReader(path: file)
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let split = try options.split ?? Self.split(fromFileName: name) else {
                throw IDXError(file: file, "cannot tell its split from its name (expected 'train', 'test', 't10k', 'val' or 'validation' in it); name the split with --split")
            }
            let role: Entry.Role = reader.shape.count == 1 ? .labels : .images
            if role == .labels && reader.elementType.dtype.isFloatingPoint {
                throw IDXError(file: file, "holds \(reader.elementType.name) values in one dimension; labels must be integers")
            }
            var shape = reader.shape
            if role == .images && options.addChannelDimension && shape.count == 3 { shape.insert(1, at: 1) }
            entries.append(Entry(file: file, split: split, role: role, elementType: reader.elementType,
                                 sourceShape: reader.shape, shape: shape,
                                 dtype: role == .labels ? .int64 : reader.elementType.dtype))
        }
        entries.sort { $0.datasetPath < $1.datasetPath }
        for (first, second) in zip(entries, entries.dropFirst()) where first.datasetPath == second.datasetPath {
            throw IDXError(file: nil, "\(first.file) and \(second.file) would both become '\(first.datasetPath)'; give one images file and one labels file per split")
        }
        let splits = Dictionary(grouping: entries, by: \.split)
        for (split, members) in splits.sorted(by: { $0.key < $1.key }) {
            guard let images = members.first(where: { $0.role == .images }),
                  let labels = members.first(where: { $0.role == .labels }) else { continue }
            guard images.sourceShape[0] == labels.sourceShape[0] else {
                throw IDXError(file: nil, "split '\(split)': \(images.file) has \(images.sourceShape[0]) images but \(labels.file) has \(labels.sourceShape[0]) labels")
            }
        }
        self.entries = entries
    }

    /// One line per dataset, for the command line:
    /// `train/images  uint8  [60000, 1, 28, 28]  ← train-images.idx3-ubyte.gz`.
    public func report(output: String) -> String {
        let rows = entries.map { [$0.datasetPath, $0.dtype.rawValue, "\($0.shape)", URL(fileURLWithPath: $0.file).lastPathComponent] }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let lines = rows.map { row in
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  ← " + row[3]
        }
        return (["wrote \(output)"] + lines.map { "  " + $0 }).joined(separator: "\n")
    }

    /// The split a file name names, from its words: "t10k-images.idx3-ubyte.gz" → "test".
    public static func split(fromFileName name: String) throws -> String? {
        let words = Set(name.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        let aliases = ["train": "train", "training": "train", "test": "test", "t10k": "test",
                       "val": "val", "valid": "val", "validation": "val"]
        let splits = Set(words.compactMap { aliases[$0] })
        guard splits.count <= 1 else {
            throw IDXError(file: name, "its name mentions several splits (\(splits.sorted().joined(separator: ", "))); name the split with --split")
        }
        return splits.first
    }
}

/// Imports IDX files (raw or .gz) into one new HDF5 file, one dataset per file
/// (`train/images` uint8 [60000, 1, 28, 28], `train/labels` int64 [60000], …),
/// stored contiguously and uncompressed, because compressed chunks make the
/// random-row reads of shuffled batches about 14 times slower. Attributes
/// record each source file's name, size and SHA-256, the importer and the date.
///
/// Every header is checked before anything is written, and the output appears
/// only when complete (it is written beside `output` and renamed).
/// - Returns: the plan that was carried out, for reporting.
@discardableResult
public func importIDX(_ files: [String], output: String,
                      options: IDXImportOptions = IDXImportOptions()) throws -> IDXImportPlan {
    let plan = try IDXImportPlan(files: files, options: options)
    if FileManager.default.fileExists(atPath: output) && !options.overwrite && !files.contains(where: { FileSafety.isSameFile(output, $0) }) {
        throw IDXError(file: output, "already exists (pass --force to replace it)")
    }
    try writeAtomically(to: output, overwrite: options.overwrite, sources: files) { file in
        try file.setAttribute("importer", options.importerName)
        try file.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
        try file.setAttribute("source_format", "IDX")
        for entry in plan.entries {
            let dataset = try write(entry, into: file)
            if entry.role == .labels, let classes = options.classes { try dataset.setAttribute("classes", classes) }
        }
    }
    return plan
}

/// Copies one file into its dataset a block of rows at a time, so that large
/// files never sit in memory whole.
@discardableResult
private func write(_ entry: IDXImportPlan.Entry, into file: HDF5File) throws -> HDF5Dataset {
    let reader = try IDXReader(path: entry.file)
    let dataset = try file.createDataset(entry.datasetPath, dtype: entry.dtype, shape: entry.shape)
    let rowBytes = max(reader.rowElementCount * reader.elementType.dtype.itemSize, 1)
    let blockRows = max(1, (8 << 20) / rowBytes)
    let block = UnsafeMutableRawBufferPointer.allocate(byteCount: blockRows * rowBytes, alignment: 16)
    defer { block.deallocate() }
    var start = 0
    while start < reader.rowCount {
        let rows = min(blockRows, reader.rowCount - start)
        let slice = UnsafeMutableRawBufferPointer(rebasing: block[0..<(rows * reader.rowElementCount * reader.elementType.dtype.itemSize)])
        try reader.readRows(rows, into: slice)
        try dataset.write(rows: start..<(start + rows), from: UnsafeRawBufferPointer(slice), as: reader.elementType.dtype)
        start += rows
    }
    try reader.finish()

    let attributes = try FileManager.default.attributesOfItem(atPath: entry.file)
    try dataset.setAttribute("source_file", URL(fileURLWithPath: entry.file).lastPathComponent)
    try dataset.setAttribute("source_bytes", (attributes[.size] as? Int) ?? 0)
    try dataset.setAttribute("source_sha256", try sha256Hex(ofFile: entry.file))
    try dataset.setAttribute("idx_type", entry.elementType.name)
    try dataset.setAttribute("idx_shape", entry.sourceShape)
    return dataset
}

// MARK: - SHA-256

/// The SHA-256 of a file's bytes as lowercase hex, as `sha256sum` prints it.
func sha256Hex(ofFile path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw IDXError(file: path, "cannot read the file to hash it")
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        chunk.withUnsafeBytes { hasher.update($0) }
    }
    return hasher.hexDigest()
}

/// FIPS 180-4 SHA-256, for the source checksums importers record and the
/// integrity checksums of checkpoints; Foundation on Linux has no digest API.
public struct SHA256 {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    public mutating func update(_ text: String) { Array(text.utf8).withUnsafeBytes { update($0) } }

    /// The digest as lowercase hex, as `sha256sum` prints it.
    public mutating func hexDigest() -> String { finalize().map { String(format: "%02x", $0) }.joined() }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var rest = bytes[...]
        if !pending.isEmpty {
            let take = min(64 - pending.count, rest.count)
            pending += rest.prefix(take)
            rest = rest.dropFirst(take)
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { compress($0) }
            pending.removeAll(keepingCapacity: true)
        }
        while rest.count >= 64 {
            compress(UnsafeRawBufferPointer(rebasing: rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        pending += rest
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80] + [UInt8](repeating: 0, count: (119 - pending.count) % 64)
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let savedLength = length
        tail.withUnsafeBytes { update($0) }
        length = savedLength
        return state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    /// One 64-byte block. The message schedule lives on the stack and the loops index raw
    /// buffers: a heap array per block and checked subscripts made hashing a checkpoint a
    /// visible share of a short training run.
    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            Self.k.withUnsafeBufferPointer { k in
                for t in 0..<16 { w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 &* t, as: UInt32.self)) }
                for t in 16..<64 {
                    let s0 = w[t &- 15].rotatedRight(7) ^ w[t &- 15].rotatedRight(18) ^ (w[t &- 15] >> 3)
                    let s1 = w[t &- 2].rotatedRight(17) ^ w[t &- 2].rotatedRight(19) ^ (w[t &- 2] >> 10)
                    w[t] = w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
                }
                for t in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choice = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choice &+ k[t] &+ w[t]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ majority
                    (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                }
            }
        }
        state.withUnsafeMutableBufferPointer { s in
            s[0] &+= a; s[1] &+= b; s[2] &+= c; s[3] &+= d
            s[4] &+= e; s[5] &+= f; s[6] &+= g; s[7] &+= h
        }
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}
