import Foundation
import Flint
import FlintHDF5

/// Writes an importer's HDF5 file atomically: everything goes to a temporary
/// file beside `output`, renamed into place only when complete, so a failed
/// import never leaves a half-written dataset.
func writeImport(to output: String, overwrite: Bool, format: String, sources: [String],
                 body: (HDF5File) throws -> Void) throws {
    try writeAtomically(to: output, overwrite: overwrite, sources: sources) { file in
        try file.setAttribute("importer", "flint import \(format.lowercased()) (Flint \(FlintDataVersion.string))")
        try file.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
        try file.setAttribute("source_format", format)
        try file.setAttribute("source_files", sources.map { URL(fileURLWithPath: $0).lastPathComponent })
        try body(file)
    }
}

/// Creates `output` through `AtomicFile` (a temporary file beside it, flushed and renamed
/// into place only when complete): a failed import leaves no half-written file and the
/// previous one intact. An output that is one of the `sources` (by device and inode) is
/// refused even with `overwrite`. A failure to write (a full disk) is `DataError.writeFailed`,
/// not a problem of the input.
func writeAtomically(to output: String, overwrite: Bool, sources: [String], body: (HDF5File) throws -> Void) throws {
    if let source = FileSafety.input(sources, replacedBy: output) {
        throw DataError.invalid("\(output): is the input \(source); an import cannot replace its own source")
    }
    if FileManager.default.fileExists(atPath: output) && !overwrite {
        throw DataError.invalid("\(output): already exists (pass --force to replace it)")
    }
    let atomic = AtomicFile(destination: output)
    var writing = false
    try atomic.write({ temporary in
        let file = try HDF5File.create(temporary)
        writing = true
        try body(file)
        try file.close()
    }, failure: { error, problem in
        if let error = error as? FileWriteError { return DataError.writeFailed("\(output): \(error)") }
        guard let error = error as? HDF5Error, error.file == atomic.temporary else { return error }
        // Out of space or quota while writing: this machine's problem, not the input's.
        if writing, error.kind == .io || error.kind == .fileAccess, let problem {
            return DataError.writeFailed("\(output): cannot write (\(problem)): \(error.message)")
        }
        return HDF5Error(error.kind, file: output, object: error.object, error.message)
    })
}

/// Appends rows to a dataset made at its final size, writing them a block at
/// a time: an importer holds one block of rows, whatever the size of its input.
final class RowWriter<T: HDF5Element> {
    let dataset: HDF5Dataset
    let rowWidth: Int
    let blockRows: Int
    private var buffer: [T] = []
    private var written = 0

    /// Blocks of about `blockBytes`, at least one row.
    init(_ dataset: HDF5Dataset, blockBytes: Int = 4 << 20) throws {
        self.dataset = dataset
        rowWidth = dataset.rowElementCount
        blockRows = Swift.max(1, blockBytes / Swift.max(1, rowWidth * MemoryLayout<T>.stride))
        buffer.reserveCapacity(Swift.min(blockRows, dataset.rowCount) * rowWidth)
    }

    func append<C: Collection>(_ row: C) throws where C.Element == T {
        guard row.count == rowWidth else {
            throw DataError.invalid("\(dataset.path): a row of \(row.count) values where \(rowWidth) are needed")
        }
        buffer.append(contentsOf: row)
        if buffer.count >= blockRows * rowWidth { try flush() }
    }

    /// Writes what is left; every row of the dataset must have come.
    func finish() throws {
        try flush()
        guard written == dataset.rowCount else {
            throw DataError.invalid("\(dataset.path): \(written) rows written of \(dataset.rowCount)")
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let rows = buffer.count / Swift.max(1, rowWidth)
        guard written + rows <= dataset.rowCount else {
            throw DataError.invalid("\(dataset.path): more rows than the \(dataset.rowCount) it was made for")
        }
        try dataset.write(rows: written..<(written + rows), buffer)
        written += rows
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The version importers record in their files.
public enum FlintDataVersion {
    public static let string = "0.1"
}

/// Records a source file's name, size and SHA-256 on `object`.
func setSourceAttributes(_ object: HDF5Object, file path: String) throws {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    try object.setAttribute("source_file", URL(fileURLWithPath: path).lastPathComponent)
    try object.setAttribute("source_bytes", (attributes[.size] as? Int) ?? 0)
    try object.setAttribute("source_sha256", try sha256Hex(ofFile: path))
}

/// The source rows of one imported group, in order: every row (kept as a
/// count, so that an unsplit import holds nothing per row) or the sorted
/// positions of a split.
enum ImportRows: RandomAccessCollection {
    case all(Int)
    case positions([Int])

    var startIndex: Int { 0 }

    var endIndex: Int {
        switch self {
        case .all(let count): return count
        case .positions(let positions): return positions.count
        }
    }

    subscript(i: Int) -> Int {
        switch self {
        case .all: return i
        case .positions(let positions): return positions[i]
        }
    }
}

/// An optional seeded hold-out of the rows for a test split, shared by the
/// importers: `--test-fraction F --seed S [--stratify]`.
public struct ImportSplit: Sendable {
    /// Group of every row when `testFraction` is nil.
    public var name: String
    public var testFraction: Double?
    public var seed: UInt64
    public var stratify: Bool

    public init(name: String = "train", testFraction: Double? = nil, seed: UInt64 = 0, stratify: Bool = false) {
        self.name = name
        self.testFraction = testFraction
        self.seed = seed
        self.stratify = stratify
    }

    /// (group, rows) pairs: one group of every row, or `train` and `test`.
    func groups(count: Int, labels: [Int64]?) throws -> [(String, ImportRows)] {
        guard let testFraction else { return [(name, .all(count))] }
        let (keep, held) = try DataSplit.positions(count: count, fraction: testFraction, seed: seed,
                                                   labels: stratify ? labels : nil)
        return [("train", .positions(keep)), ("test", .positions(held))]
    }

    /// Attributes that record how a group was split off.
    func describe(_ group: HDF5Group) throws {
        guard let testFraction else { return }
        try group.setAttribute("split_test_fraction", testFraction)
        try group.setAttribute("split_seed", Int64(bitPattern: seed))
        try group.setAttribute("split_stratified", stratify ? "true" : "false")
    }
}
