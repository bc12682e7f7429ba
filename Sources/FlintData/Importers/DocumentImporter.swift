import Foundation
import Flint
import FlintHDF5

/// How documents for classification are tokenised, cut and split
/// (`flint import text DIR --classes-from-dirs`, `flint import csv --text-column`).
public struct DocumentImportOptions: Sendable {
    public var level: TokenLevel
    /// A line equal to this ends a document, so one file holds many (`%` for fortune files);
    /// nil makes each file one document.
    public var separator: String?
    /// Documents longer than this keep their first `maxLength` tokens; nil keeps every token.
    public var maxLength: Int?
    public var split: ImportSplit
    public var overwrite: Bool

    public init(level: TokenLevel = .char, separator: String? = nil, maxLength: Int? = nil,
                split: ImportSplit = ImportSplit(), overwrite: Bool = false) {
        self.level = level
        self.separator = separator
        self.maxLength = maxLength
        self.split = split
        self.overwrite = overwrite
    }
}

/// What a document import wrote.
public struct DocumentImportReport: Sendable, CustomStringConvertible {
    public var vocabulary: TextVocabulary
    public var classes: [String]
    public var countsPerClass: [Int]
    /// The padded length L of every row of `SPLIT/tokens`.
    public var length: Int
    /// Documents cut to `maxLength`, and the longest before the cut.
    public var truncated: Int
    public var longest: Int
    /// Records holding only whitespace (between two separators, or an empty file), left out.
    public var skipped: Int
    /// (group, documents) written.
    public var groups: [(String, Int)]
    public var dtype: DType

    public var description: String {
        var lines = ["read \(countsPerClass.reduce(0, +)) documents in \(classes.count) classes: "
                     + zip(classes, countsPerClass).map { "\($0) \($1)" }.joined(separator: ", ")]
        if skipped > 0 { lines.append("left out \(skipped) empty records") }
        lines.append("\(vocabulary.level.rawValue) level: \(vocabulary.count) tokens in the vocabulary (<unk> 0, <pad> 1)")
        lines.append(truncated > 0 ? "cut \(truncated) documents longer than \(length) tokens (the longest had \(longest))"
                                   : "the longest document has \(longest) tokens")
        for (group, count) in groups {
            lines.append("wrote \(group)/tokens [\(count), \(length)] (\(dtype), padded with 1), \(group)/lengths and \(group)/labels")
        }
        return lines.joined(separator: "\n")
    }
}

/// One document before tokenisation: its text or bytes, and where it starts.
struct SourceDocument {
    var bytes: [UInt8]
    var file: String
    var line: Int
}

/// Imports a folder with one subfolder of text files per class (classes in sorted
/// order, as torchvision's `ImageFolder`; hidden files and nested folders are not
/// read). Each file is a document, or with `separator` each run of lines between
/// lines equal to it; records of whitespace only are left out. See `writeDocuments`
/// for what is written.
@discardableResult
public func importTextClasses(_ directory: String, output: String,
                              options: DocumentImportOptions = DocumentImportOptions()) throws -> DocumentImportReport {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw DataError.invalid("\(directory): no such directory")
    }
    func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return fm.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
    let classes = try fm.contentsOfDirectory(atPath: directory)
        .filter { !$0.hasPrefix(".") && isFolder(directory + "/" + $0) }.sorted()
    guard !classes.isEmpty else {
        throw DataError.invalid("\(directory): has no class subfolders (one folder of text files per class)")
    }
    var documents: [SourceDocument] = [], labels: [Int64] = [], sources: [String] = []
    var skipped = 0
    for (label, name) in classes.enumerated() {
        let folder = directory + "/" + name
        let files = try fm.contentsOfDirectory(atPath: folder)
            .filter { !$0.hasPrefix(".") && !isFolder(folder + "/" + $0) }.sorted().map { folder + "/" + $0 }
        guard !files.isEmpty else { throw DataError.invalid("\(folder): class '\(name)' has no files") }
        let before = documents.count
        for file in files {
            if let problem = FileSafety.problemReading(file) { throw DataError.invalid("\(file): \(problem)") }
            guard let data = fm.contents(atPath: file) else { throw DataError.invalid("\(file): cannot read the file") }
            let records = splitRecords(Array(data), file: file, separator: options.separator)
            skipped += records.skipped
            documents += records.documents
            sources.append(file)
        }
        guard documents.count > before else {
            throw DataError.invalid("\(folder): class '\(name)' has no documents (its files hold only whitespace"
                                    + (options.separator.map { " and '\($0)' lines" } ?? "") + ")")
        }
        labels += Array(repeating: Int64(label), count: documents.count - before)
    }
    return try writeDocuments(documents, labels: labels, classes: classes, skipped: skipped, output: output,
                              sources: sources, format: "text", options: options)
}

/// Imports a CSV table of documents: `textColumn` (a header name, which implies a
/// header row unless `csv.header` says otherwise, or a 0-based index) holds each
/// row's text, `csv`'s target column its class (categories in sorted order, as `importCSV` codes them);
/// other columns are not read. A row whose text is missing or whitespace is an
/// error naming its line. See `writeDocuments` for what is written.
@discardableResult
public func importCSVText(_ path: String, textColumn: String, output: String, csv: CSVImportOptions,
                          options: DocumentImportOptions = DocumentImportOptions()) throws -> DocumentImportReport {
    var csv = csv
    csv.task = .classification
    csv.categorical = []
    // A column of documents is text like its header, which detection then cannot tell apart;
    // naming the column (not its index) says the first row holds names.
    if csv.header == nil && Int(textColumn) == nil { csv.header = true }
    let table = try CSVTable.scan(try CSVParser(file: path, delimiter: csv.delimiter.flatMap { $0.asciiValue }), options: csv)
    let names = table.names
    let column: Int
    if let index = names.firstIndex(of: textColumn) {
        column = index
    } else if let index = Int(textColumn), names.indices.contains(index) {
        column = index
    } else {
        throw DataError.invalid("\(path): no column '\(textColumn)' for --text-column (columns: \(names.joined(separator: ", ")))")
    }
    guard column != table.targetColumn else {
        throw DataError.invalid("\(path): --text-column and --target both name column '\(names[column])'")
    }
    let classes = table.columns[table.targetColumn].categories
    let codes = table.codes[table.targetColumn] ?? [:]
    var documents: [SourceDocument] = [], labels: [Int64] = []
    try table.forEachDataRecord { record in
        let text = record.fields[column]
        guard !text.allSatisfy(\.isWhitespace) else {
            throw DataError.parse(file: path, line: record.line, message: "column '\(names[column])' holds no text")
        }
        documents.append(SourceDocument(bytes: Array(text.utf8), file: path, line: record.line))
        labels.append(Int64(codes[trimmed(record.fields[table.targetColumn])] ?? 0))
    }
    return try writeDocuments(documents, labels: labels, classes: classes, skipped: 0, output: output,
                              sources: [path], format: "CSV", options: options)
}

/// The documents of one file: each run of lines between lines equal to `separator`
/// (a line's `\r\n` ending counts as `\n`), or the whole file; without their final
/// line break. Records of whitespace only are counted, not kept.
func splitRecords(_ bytes: [UInt8], file: String, separator: String?) -> (documents: [SourceDocument], skipped: Int) {
    var documents: [SourceDocument] = [], skipped = 0
    func keep(_ record: ArraySlice<UInt8>, line: Int) {
        var record = record
        if record.last == 0x0A { record = record.dropLast() }
        if record.last == 0x0D { record = record.dropLast() }
        if record.allSatisfy({ $0 == 0x20 || (0x09...0x0D).contains($0) }) {
            skipped += 1
        } else {
            documents.append(SourceDocument(bytes: Array(record), file: file, line: line))
        }
    }
    guard let separator else {
        keep(bytes[...], line: 1)
        return (documents, skipped)
    }
    let mark = Array(separator.utf8)
    var start = 0, startLine = 1, lineStart = 0, line = 1
    while lineStart < bytes.count {
        let end = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
        var content = bytes[lineStart..<end]
        if content.last == 0x0D { content = content.dropLast() }
        if content.elementsEqual(mark) {
            keep(bytes[start..<lineStart], line: startLine)
            start = min(end + 1, bytes.count)
            startLine = line + 1
        }
        lineStart = end + 1
        line += 1
    }
    if start < bytes.count { keep(bytes[start...], line: startLine) }
    return (documents, skipped)
}

/// Tokenises `documents` and writes, for each group of `options.split` (`train`, or
/// `train` and `test`): `tokens` `[N, L]` (uint8 when the vocabulary has at most 256
/// entries, else int32), each row a document's ids followed by `<pad>` (id 1) up to
/// L, the longest document's length or `maxLength`; `lengths` int64 `[N]`, the ids
/// before the padding; `labels` int64 `[N]` with the attribute `classes`. The
/// vocabulary (group `vocab`, with `<pad>`) covers every document; the root records
/// the source files, their sizes and SHA-256.
func writeDocuments(_ documents: [SourceDocument], labels: [Int64], classes: [String], skipped: Int, output: String,
                    sources: [String], format: String, options: DocumentImportOptions) throws -> DocumentImportReport {
    guard !documents.isEmpty else { throw DataError.invalid("no documents to import") }
    if let maxLength = options.maxLength, maxLength < 1 {
        throw DataError.invalid("--max-length must be at least 1, got \(maxLength)")
    }
    var units: [[TextUnit]] = []
    units.reserveCapacity(documents.count)
    for document in documents {
        if options.level == .byte {
            units.append(document.bytes.map { .code(Int64($0)) })
        } else {
            guard let text = String(data: Data(document.bytes), encoding: .utf8) else {
                throw DataError.parse(file: document.file, line: document.line,
                                      message: "the document starting here is not valid UTF-8 text (import it with --level byte)")
            }
            let pieces = TextUnit.split(text, level: options.level)
            guard !pieces.isEmpty else {
                throw DataError.parse(file: document.file, line: document.line,
                                      message: "the document starting here has no \(options.level.rawValue) tokens")
            }
            units.append(pieces)
        }
    }
    let vocabulary = try TextVocabulary.build(level: options.level, units: units, padded: true)
    let longest = units.map(\.count).max() ?? 0
    let length = min(longest, options.maxLength ?? longest)
    let truncated = units.filter { $0.count > length }.count
    let budget = length.multipliedReportingOverflow(by: documents.count)
    guard !budget.overflow else { throw DataError.invalid("\(documents.count) documents of \(length) tokens are too many to store") }
    let dtype: DType = vocabulary.count <= 256 ? .uint8 : .int32
    let groups = try options.split.groups(count: documents.count, labels: labels)
    let pad = Int32(TextVocabulary.padPosition)
    try writeImport(to: output, overwrite: options.overwrite, format: format, sources: sources) { file in
        try file.setAttribute("source_sha256", try sources.map { try sha256Hex(ofFile: $0) })
        try file.setAttribute("source_bytes", sources.map { ((try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int) ?? 0 })
        for (name, rows) in groups {
            let group = try file.createGroup(name)
            try options.split.describe(group)
            let tokens = try group.createDataset("tokens", dtype: dtype, shape: [rows.count, length])
            try tokens.setAttribute("level", options.level.rawValue)
            try tokens.setAttribute("pad_id", Int(pad))
            var lengths: [Int64] = []
            lengths.reserveCapacity(rows.count)
            var row = [Int32](repeating: pad, count: length)
            let bytes: RowWriter<UInt8>? = dtype == .uint8 ? try RowWriter<UInt8>(tokens) : nil
            let ints: RowWriter<Int32>? = dtype == .uint8 ? nil : try RowWriter<Int32>(tokens)
            for r in rows {
                let kept = units[r].prefix(length)
                for (k, unit) in kept.enumerated() { row[k] = Int32(vocabulary.id(unit)) }
                for k in kept.count..<length { row[k] = pad }
                lengths.append(Int64(kept.count))
                try bytes?.append(row.map { UInt8(truncatingIfNeeded: $0) })
                try ints?.append(row)
            }
            try bytes?.finish()
            try ints?.finish()
            try group.createDataset("lengths", values: lengths, shape: [rows.count])
            let y = try group.createDataset("labels", values: rows.map { labels[$0] }, shape: [rows.count])
            try y.setAttribute("classes", classes)
        }
        try vocabulary.write(to: try file.createGroup("vocab"))
    }
    let counts = classes.indices.map { c in labels.filter { $0 == Int64(c) }.count }
    return DocumentImportReport(vocabulary: vocabulary, classes: classes, countsPerClass: counts, length: length,
                                truncated: truncated, longest: longest, skipped: skipped,
                                groups: groups.map { ($0.0, $0.1.count) }, dtype: dtype)
}
