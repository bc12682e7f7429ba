import Foundation
import Flint
import FlintHDF5

/// How `importCSV` reads a table.
public struct CSVImportOptions: Sendable {
    public enum Task: String, Sendable, CaseIterable {
        /// Classification when the target is categorical (listed or not numeric), else regression.
        case auto, classification, regression
    }

    /// What becomes of a missing feature value (Ludwig's `missing_value_strategy`).
    public enum MissingStrategy: String, Sendable, CaseIterable {
        /// Stored as NaN (training then refuses it until it is filled).
        case nan
        /// The row is left out.
        case drop
        /// The mean, or the median, of the column's present values over the whole file (numeric columns only).
        case mean, median
        /// The import fails at the first one, naming its line and column.
        case error
    }

    /// The target column, by header name or 0-based index.
    public var target: String
    /// Columns (names or indices) whose values are categories, stored as codes
    /// 0..<k in the sorted order of their values, with the vocabulary as an attribute.
    public var categorical: [String]
    /// Whether the first row names the columns; nil detects it.
    public var header: Bool?
    /// nil detects `,` `;` tab or `|` from the first line.
    public var delimiter: Character?
    /// Field values that mean "missing" (stored as NaN in features).
    public var missingValues: Set<String>
    public var task: Task
    public var split: ImportSplit
    public var overwrite: Bool
    public var missing: MissingStrategy

    public init(target: String, categorical: [String] = [], header: Bool? = nil, delimiter: Character? = nil,
                missingValues: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"],
                task: Task = .auto, split: ImportSplit = ImportSplit(), overwrite: Bool = false,
                missing: MissingStrategy = .nan) {
        self.missing = missing
        self.target = target
        self.categorical = categorical
        self.header = header
        self.delimiter = delimiter
        self.missingValues = missingValues
        self.task = task
        self.split = split
        self.overwrite = overwrite
    }
}

/// What an import read and wrote, for the command's report.
public struct CSVImportReport: Sendable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// Category values in code order; empty for numeric columns.
        public var categories: [String]
        public var missing: Int
        /// What missing values were replaced with (`--missing mean|median`).
        public var fill: Float?
    }

    public var rows: Int
    public var hadHeader: Bool
    public var features: [Column]
    public var target: Column
    public var isClassification: Bool
    /// (group, rows) written.
    public var groups: [(String, Int)]
    public var missingStrategy: CSVImportOptions.MissingStrategy = .nan
    /// File lines of the rows with a missing feature (dropped under `--missing drop`).
    public var rowsWithMissing: [Int] = []

    public var description: String {
        var lines = ["read \(rows) rows (\(hadHeader ? "with" : "without") a header), \(features.count) feature columns"]
        let kind = isClassification ? "classification, \(target.categories.count) classes: \(target.categories.joined(separator: ", "))"
                                    : "regression"
        lines.append("target '\(target.name)': \(kind)")
        for column in features where !column.categories.isEmpty {
            lines.append("categorical '\(column.name)': \(column.categories.count) categories")
        }
        let missing = features.filter { $0.missing > 0 }
        if missing.isEmpty {
            lines.append("no missing values")
        } else {
            let shown = rowsWithMissing.prefix(10).map(String.init).joined(separator: ", ")
                + (rowsWithMissing.count > 10 ? ", … (\(rowsWithMissing.count) rows)" : "")
            let columns = missing.map { c in "'\(c.name)' \(c.missing)" + (c.fill.map { " (filled with \($0))" } ?? "") }
            switch missingStrategy {
            case .drop:
                lines.append("dropped \(rowsWithMissing.count) rows with missing values (lines \(shown)); columns: "
                             + columns.joined(separator: ", "))
            case .mean, .median:
                lines.append("missing values filled with the column \(missingStrategy.rawValue): " + columns.joined(separator: ", ")
                             + "; rows (lines) \(shown)")
            case .nan, .error:
                lines.append("missing values (stored as NaN; --missing drop|mean|median replaces them): "
                             + columns.joined(separator: ", ") + "; rows (lines) \(shown)")
            }
        }
        for (group, count) in groups {
            lines.append("wrote \(group)/features [\(count), \(features.count)] and \(group)/\(isClassification ? "labels" : "targets")")
        }
        return lines.joined(separator: "\n")
    }
}

/// Imports a CSV table: the target column becomes `SPLIT/labels` (int64 class
/// codes) or `SPLIT/targets` (float32 `[N, 1]`), every other column a column of
/// `SPLIT/features` (float32 `[N, F]`); categories become codes with their
/// vocabulary as attributes (a column with any value that is not a number is
/// categorical, and the report says so). A row with the wrong number of fields
/// or a missing target is an error naming `file:line`.
///
/// The file is streamed: a first pass learns the header, the columns' kinds,
/// vocabularies and missing counts and the number of rows (a column whose text
/// appears only after numbers is read once more for its vocabulary), and the
/// last pass writes the rows a block at a time into datasets made at their
/// final size. Memory grows with the vocabularies, not with the file; a
/// `--test-fraction` split also keeps the row positions (and, stratified, the
/// labels) of every row.
@discardableResult
public func importCSV(_ path: String, output: String, options: CSVImportOptions) throws -> CSVImportReport {
    let parser = try CSVParser(file: path, delimiter: options.delimiter.flatMap { $0.asciiValue })
    let table = try CSVTable.scan(parser, options: options)
    let isClassification = table.isClassification
    let labels = options.split.testFraction != nil && options.split.stratify && isClassification ? try table.labels() : nil
    let groups = try options.split.groups(count: table.rows, labels: labels)
    let features = table.featureColumns, f = features.count
    let names = table.names, target = table.targetColumn
    try writeImport(to: output, overwrite: options.overwrite, format: "CSV", sources: [path]) { file in
        try setSourceAttributes(file, file: path)
        var writers: [(rows: ImportRows, x: RowWriter<Float>, labels: RowWriter<Int64>?, targets: RowWriter<Float>?)] = []
        for (name, rows) in groups {
            let group = try file.createGroup(name)
            try options.split.describe(group)
            let x = try group.createDataset("features", dtype: .float32, shape: [rows.count, f])
            try x.setAttribute("columns", features.map { names[$0] })
            // NaNs stored per column: the missing values, unless they were dropped or filled.
            try x.setAttribute("missing_values", features.map { options.missing == .nan ? table.columns[$0].missing : 0 })
            try x.setAttribute("missing_strategy", options.missing.rawValue)
            let categoricalNames = features.filter { table.codes[$0] != nil }.map { names[$0] }
            if !categoricalNames.isEmpty { try x.setAttribute("categorical_columns", categoricalNames) }
            for c in features where table.codes[c] != nil {
                try x.setAttribute("categories_\(names[c])", table.columns[c].categories)
            }
            let y = try group.createDataset(isClassification ? "labels" : "targets", dtype: isClassification ? .int64 : .float32,
                                            shape: isClassification ? [rows.count] : [rows.count, 1])
            if isClassification { try y.setAttribute("classes", table.columns[target].categories) }
            try y.setAttribute("target_column", names[target])
            let labels: RowWriter<Int64>? = isClassification ? try RowWriter<Int64>(y) : nil
            let targets: RowWriter<Float>? = isClassification ? nil : try RowWriter<Float>(y)
            writers.append((rows, try RowWriter<Float>(x), labels, targets))
        }
        // Each group's positions are sorted, so rows arrive in each group's order.
        var next = [Int](repeating: 0, count: writers.count)
        var row = [Float](repeating: 0, count: f)
        var r = 0
        try table.forEachDataRecord { record in
            guard let g = writers.indices.first(where: { next[$0] < writers[$0].rows.count && writers[$0].rows[next[$0]] == r }) else {
                throw DataError.invalid("\(path): row \(r) changed between the passes over the file")
            }
            next[g] += 1
            r += 1
            for (j, c) in features.enumerated() { row[j] = table.feature(record.fields[c], column: c) }
            try writers[g].x.append(row)
            let value = trimmed(record.fields[target])
            if let labels = writers[g].labels {
                try labels.append([Int64(table.codes[target]?[value] ?? 0)])
            } else {
                try writers[g].targets?.append([Float(Double(value) ?? .nan)])
            }
        }
        for w in writers {
            try w.x.finish()
            try w.labels?.finish()
            try w.targets?.finish()
        }
    }
    return CSVImportReport(rows: table.rows, hadHeader: table.hasHeader, features: features.map { table.columns[$0] },
                           target: table.columns[target], isClassification: isClassification,
                           groups: groups.map { ($0.0, $0.1.count) }, missingStrategy: options.missing,
                           rowsWithMissing: table.rowsWithMissing)
}

/// What the first pass over a CSV file learns: its width and header, each
/// column's kind, vocabulary and missing values, and the number of data rows.
/// Every record's width and every target are checked on the way.
struct CSVTable {
    let parser: CSVParser
    let options: CSVImportOptions
    private(set) var hasHeader = false
    private(set) var names: [String] = []
    private(set) var rows = 0
    private(set) var targetColumn = 0
    private(set) var featureColumns: [Int] = []
    /// Per column: name, categories (in code order) and missing count.
    private(set) var columns: [CSVImportReport.Column] = []
    /// Category codes of the categorical columns.
    private(set) var codes: [Int: [String: Int]] = [:]
    /// File lines of the data rows with a missing feature, in order.
    private(set) var rowsWithMissing: [Int] = []
    /// Lines left out under `--missing drop`.
    private var dropped: Set<Int> = []
    /// Per column, the value a missing one becomes (`--missing mean|median`).
    private var fills: [Int: Float] = [:]

    var isClassification: Bool { codes[targetColumn] != nil }

    /// Numbers, missing values and text seen in a column.
    private struct ColumnScan {
        var missing = 0
        var present = 0
        /// Σ of the numbers (for `--missing mean`) and the numbers themselves (for `median`).
        var sum = 0.0
        var numbers: [Double]?
        var numeric = true
        /// Distinct values, collected once the column is known to hold categories.
        var vocabulary: Set<String>?
        /// Numbers came before the first text, so `vocabulary` lacks them.
        var incomplete = false

        mutating func add(_ value: String, isMissing: Bool) {
            if isMissing {
                missing += 1
                return
            }
            if numeric && Double(value) == nil {
                numeric = false
                if vocabulary == nil {
                    vocabulary = []
                    incomplete = present > 0
                }
            }
            present += 1
            vocabulary?.insert(value)
            if numeric, let number = Double(value) {
                sum += number
                numbers?.append(number)
            }
        }
    }

    private init(parser: CSVParser, options: CSVImportOptions) {
        self.parser = parser
        self.options = options
    }

    /// The first pass over `parser`'s file (and a vocabulary pass when one is needed).
    static func scan(_ parser: CSVParser, options: CSVImportOptions) throws -> CSVTable {
        let path = parser.file
        // The header is decided on the first records; they wait here until then.
        var head: [CSVRecord] = []
        var decided = false
        var width = 0, firstLine = 0
        var scans: [ColumnScan] = []
        var table = CSVTable(parser: parser, options: options)
        func take(_ record: CSVRecord) throws {
            let values = record.fields.map(trimmed)
            let missingColumns = (0..<width).filter { options.missingValues.contains(values[$0]) }
            if missingColumns.contains(table.targetColumn) {
                throw DataError.parse(file: path, line: record.line,
                                      message: "the target column '\(table.names[table.targetColumn])' is missing; drop or fill the row")
            }
            if let first = missingColumns.first {
                if options.missing == .error {
                    throw DataError.parse(file: path, line: record.line,
                                          message: "column '\(table.names[first])' is missing (--missing error); "
                                              + "--missing drop leaves such rows out, mean or median fills them")
                }
                table.rowsWithMissing.append(record.line)
                if options.missing == .drop {
                    // The row's missing values are counted for the report; its other values are not seen.
                    table.dropped.insert(record.line)
                    for c in missingColumns { scans[c].missing += 1 }
                    return
                }
            }
            // A number past float32's range would be stored as ±inf and counted as present.
            for c in 0..<width where !missingColumns.contains(c) {
                if let number = Double(values[c]), !values[c].lowercased().contains("inf"), Float(number).isInfinite {
                    throw DataError.parse(file: path, line: record.line,
                                          message: "column '\(table.names[c])': \(values[c]) is outside float32's range (±3.4e38)")
                }
            }
            for c in 0..<width { scans[c].add(values[c], isMissing: missingColumns.contains(c)) }
            table.rows += 1
        }
        func decide() throws {
            decided = true
            let declared = try table.resolveColumns(head, width: width)
            // Declared categories collect their vocabulary from the start.
            scans = (0..<width).map {
                ColumnScan(numbers: options.missing == .median ? [] : nil, vocabulary: declared.contains($0) ? [] : nil)
            }
            for record in head.dropFirst(table.hasHeader ? 1 : 0) { try take(record) }
            head = []
        }
        try parser.forEachRecord { record in
            if width == 0 { (width, firstLine) = (record.fields.count, record.line) }
            guard record.fields.count == width else {
                throw DataError.parse(file: path, line: record.line,
                                      message: "expected \(width) fields (as on line \(firstLine)), found \(record.fields.count)")
            }
            if decided {
                try take(record)
            } else {
                head.append(record)
                if head.count > Self.headerSample { try decide() }
            }
            return true
        }
        guard width > 0 else { throw DataError.invalid("\(path): the file has no rows") }
        if !decided { try decide() }
        guard table.rows > 0 else { throw DataError.invalid("\(path): the file has a header but no data rows") }
        guard width > 1 else {
            throw DataError.invalid("\(path): the only column is the target '\(table.names[table.targetColumn])'; "
                                    + "there is no feature column to import")
        }
        try table.collectVocabularies(&scans)
        try table.chooseFills(scans)
        for (c, scan) in scans.enumerated() {
            let name = table.names[c]
            if let vocabulary = scan.vocabulary {
                let sorted = scan.numeric ? vocabulary.sorted { (Double($0) ?? 0) < (Double($1) ?? 0) } : vocabulary.sorted()
                table.codes[c] = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
                table.columns[c] = .init(name: name, categories: sorted, missing: scan.missing)
            } else {
                table.columns[c] = .init(name: name, categories: [], missing: scan.missing, fill: table.fills[c])
            }
        }
        if options.task == .regression && table.isClassification {
            throw DataError.invalid("\(path): target '\(table.names[table.targetColumn])' holds values that are not numbers; "
                                    + "it cannot be a regression target")
        }
        return table
    }

    /// Records after the first that the header detection looks at.
    static let headerSample = 50

    /// Header, names and target from the first records; returns the columns
    /// declared categorical (a classification target is one).
    private mutating func resolveColumns(_ head: [CSVRecord], width: Int) throws -> Set<Int> {
        let path = parser.file, missing = options.missingValues
        hasHeader = options.header ?? detectHeader(head) { missing.contains(trimmed($0)) }
        let names = hasHeader ? head[0].fields.map(trimmed) : (0..<width).map { "column_\($0)" }
        self.names = names
        func column(_ key: String, role: String) throws -> Int {
            if let index = names.firstIndex(of: key) { return index }
            if let index = Int(key), index >= 0, index < width { return index }
            throw DataError.invalid("\(path): no column '\(key)' for \(role) (columns: \(names.joined(separator: ", ")))")
        }
        targetColumn = try column(options.target, role: "--target")
        var declared = Set(try options.categorical.map { try column($0, role: "--categorical") })
        if options.task == .classification { declared.insert(targetColumn) }
        featureColumns = (0..<width).filter { $0 != targetColumn }
        columns = names.map { .init(name: $0, categories: [], missing: 0) }
        return declared
    }

    /// `--missing mean|median`: the value of each numeric column with missing values; a categorical
    /// column with missing values has no mean, and fails the import.
    private mutating func chooseFills(_ scans: [ColumnScan]) throws {
        guard options.missing == .mean || options.missing == .median else { return }
        for (c, scan) in scans.enumerated() where scan.missing > 0 {
            guard scan.vocabulary == nil, scan.present > 0 else {
                throw DataError.invalid("\(parser.file): column '\(names[c])' has missing values but "
                                        + (scan.present == 0 ? "no values" : "holds categories")
                                        + ", so it has no \(options.missing.rawValue); --missing drop leaves such rows out")
            }
            if options.missing == .mean {
                fills[c] = Float(scan.sum / Double(scan.present))
            } else {
                let sorted = (scan.numbers ?? []).sorted()
                let mid = sorted.count / 2
                // numpy's median: the mean of the two middle values of an even count.
                fills[c] = Float(sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2)
            }
        }
    }

    /// Another pass for the columns whose first text came after numbers: their vocabulary lacks those numbers.
    private func collectVocabularies(_ scans: inout [ColumnScan]) throws {
        let incomplete = scans.indices.filter { scans[$0].incomplete }
        guard !incomplete.isEmpty else { return }
        try forEachDataRecord { record in
            for c in incomplete {
                let value = trimmed(record.fields[c])
                if !options.missingValues.contains(value) { scans[c].vocabulary?.insert(value) }
            }
        }
    }

    /// Calls `body` with every data record (the header and dropped rows skipped), reading the file again.
    func forEachDataRecord(_ body: (CSVRecord) throws -> Void) throws {
        var first = hasHeader
        try parser.forEachRecord { record in
            if first {
                first = false
            } else if !dropped.contains(record.line) {
                try body(record)
            }
            return true
        }
    }

    /// Every row's class code, for a stratified split.
    func labels() throws -> [Int64] {
        var labels: [Int64] = []
        labels.reserveCapacity(rows)
        try forEachDataRecord { labels.append(Int64(codes[targetColumn]?[trimmed($0.fields[targetColumn])] ?? 0)) }
        return labels
    }

    /// A feature value: its fill (NaN unless `--missing mean|median`) when missing, the code of a category, else the number.
    func feature(_ field: String, column c: Int) -> Float {
        let value = trimmed(field)
        if options.missingValues.contains(value) { return fills[c] ?? .nan }
        if let vocabulary = codes[c] { return Float(vocabulary[value] ?? 0) }
        return Float(Double(value) ?? .nan)
    }
}

/// The value without surrounding spaces and tabs (checked byte-wise first: most fields have none).
func trimmed(_ value: String) -> String {
    let utf8 = value.utf8
    guard let first = utf8.first, let last = utf8.last else { return value }
    let plain = { (b: UInt8) in b != 0x20 && b != 0x09 && b < 0x80 }
    if plain(first) && plain(last) { return value }
    return value.trimmingCharacters(in: .whitespaces)
}

/// A first row is a header when one of its fields is not a number (nor
/// missing) in a column whose next rows are all numbers or missing, or when
/// all its fields are distinct non-numbers over rows that are not.
func detectHeader(_ records: [CSVRecord], isMissing: (String) -> Bool) -> Bool {
    guard let first = records.first, records.count > 1 else { return false }
    let sample = records.dropFirst().prefix(CSVTable.headerSample)
    let isNumber = { (s: String) in Double(s.trimmingCharacters(in: .whitespaces)) != nil }
    for (c, field) in first.fields.enumerated() where !isNumber(field) && !isMissing(field) {
        if sample.allSatisfy({ isNumber($0.fields[c]) || isMissing($0.fields[c]) }) { return true }
    }
    let allText = first.fields.allSatisfy { !isNumber($0) && !isMissing($0) }
    return allText && Set(first.fields).count == first.fields.count
        && sample.contains { record in record.fields.contains(where: isNumber) }
}

/// Rows of a CSV file with the columns of an imported features dataset (`flint predict --input x.csv`):
/// the columns are found by the header names the import stored (`columns`), in any order; the
/// target column and any other extra column are ignored; categories become the import's codes.
/// - Returns: float32 `[N, F]` in the order of the import's columns.
public func readCSVFeatures(_ path: String, like features: HDF5Dataset) throws -> Tensor {
    let columns = try features.stringArrayAttribute("columns")
    let categorical = try features.hasAttribute("categorical_columns") ? try features.stringArrayAttribute("categorical_columns") : []
    var codes: [String: [String: Int]] = [:]
    for name in categorical {
        let values = try features.stringArrayAttribute("categories_\(name)")
        codes[name] = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
    }
    let parser = try CSVParser(file: path, delimiter: nil)
    var positions: [Int] = []
    var values: [Float] = []
    var rows = 0
    try parser.forEachRecord { record in
        let fields = record.fields.map(trimmed)
        if positions.isEmpty {
            var found: [Int] = []
            for name in columns {
                guard let at = fields.firstIndex(of: name) else {
                    throw DataError.parse(file: path, line: record.line,
                                          message: "the header has no column '\(name)'; the model reads \(columns.joined(separator: ", "))")
                }
                found.append(at)
            }
            positions = found
            return true
        }
        for (name, at) in zip(columns, positions) {
            guard at < fields.count else {
                throw DataError.parse(file: path, line: record.line, message: "expected a value for column '\(name)'")
            }
            let value = fields[at]
            if let vocabulary = codes[name] {
                guard let code = vocabulary[value] else {
                    throw DataError.parse(file: path, line: record.line,
                                          message: "column '\(name)' has '\(value)', not one of the categories it was trained on")
                }
                values.append(Float(code))
            } else {
                guard let number = Double(value) else {
                    throw DataError.parse(file: path, line: record.line, message: "column '\(name)' has '\(value)', not a number")
                }
                values.append(Float(number))
            }
        }
        rows += 1
        return true
    }
    guard rows > 0 else { throw DataError.invalid("\(path): no data rows after the header") }
    return try Tensor(values, shape: [rows, columns.count])
}
