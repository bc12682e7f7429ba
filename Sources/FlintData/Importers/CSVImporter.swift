import Foundation
import Flint
import FlintHDF5

/// How `importCSV` reads a table.
public struct CSVImportOptions: Sendable {
    public enum Task: String, Sendable, CaseIterable {
        /// Classification when the target is categorical (listed or not numeric), else regression.
        case auto, classification, regression
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

    public init(target: String, categorical: [String] = [], header: Bool? = nil, delimiter: Character? = nil,
                missingValues: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"],
                task: Task = .auto, split: ImportSplit = ImportSplit(), overwrite: Bool = false) {
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
    }

    public var rows: Int
    public var hadHeader: Bool
    public var features: [Column]
    public var target: Column
    public var isClassification: Bool
    /// (group, rows) written.
    public var groups: [(String, Int)]

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
            lines.append("missing values (stored as NaN): " + missing.map { "'\($0.name)' \($0.missing)" }.joined(separator: ", "))
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
@discardableResult
public func importCSV(_ path: String, output: String, options: CSVImportOptions) throws -> CSVImportReport {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError.invalid("\(path): cannot read the file")
    }
    let bytes = [UInt8](data)
    let delimiter = options.delimiter.flatMap { $0.asciiValue } ?? CSVParser.detectDelimiter(bytes)
    var records = try CSVParser(file: path, delimiter: delimiter).parse(bytes)
    guard let first = records.first else { throw DataError.invalid("\(path): the file has no rows") }
    let width = first.fields.count
    for record in records where record.fields.count != width {
        throw DataError.parse(file: path, line: record.line,
                              message: "expected \(width) fields (as on line \(first.line)), found \(record.fields.count)")
    }
    let isMissing = { (value: String) in options.missingValues.contains(value.trimmingCharacters(in: .whitespaces)) }
    let hasHeader = options.header ?? detectHeader(records, isMissing: isMissing)
    let names = hasHeader ? first.fields.map { $0.trimmingCharacters(in: .whitespaces) } : (0..<width).map { "column_\($0)" }
    if hasHeader { records.removeFirst() }
    guard !records.isEmpty else { throw DataError.invalid("\(path): the file has a header but no data rows") }

    func column(_ key: String, role: String) throws -> Int {
        if let index = names.firstIndex(of: key) { return index }
        if let index = Int(key), index >= 0, index < width { return index }
        throw DataError.invalid("\(path): no column '\(key)' for \(role) (columns: \(names.joined(separator: ", ")))")
    }
    let targetColumn = try column(options.target, role: "--target")
    let categorical = Set(try options.categorical.map { try column($0, role: "--categorical") })
    let featureColumns = (0..<width).filter { $0 != targetColumn }

    // Columns listed as categorical, or holding a value that is not a number, are categories.
    var columns: [CSVImportReport.Column] = []
    var codes: [Int: [String: Int]] = [:]
    var numericColumns = Set<Int>()
    for c in 0..<width {
        let values = records.map { $0.fields[c].trimmingCharacters(in: .whitespaces) }
        let present = values.filter { !options.missingValues.contains($0) }
        let numeric = present.allSatisfy { Double($0) != nil }
        let forced = c == targetColumn ? (options.task == .classification) : false
        if categorical.contains(c) || !numeric || forced {
            let vocabulary = numeric ? Array(Set(present)).sorted { (Double($0) ?? 0) < (Double($1) ?? 0) } : Array(Set(present)).sorted()
            codes[c] = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
            columns.append(.init(name: names[c], categories: vocabulary, missing: values.count - present.count))
        } else {
            numericColumns.insert(c)
            columns.append(.init(name: names[c], categories: [], missing: values.count - present.count))
        }
    }
    let isClassification = codes[targetColumn] != nil
    if options.task == .regression && isClassification {
        throw DataError.invalid("\(path): target '\(names[targetColumn])' holds values that are not numbers; it cannot be a regression target")
    }

    let n = records.count, f = featureColumns.count
    var features = [Float](repeating: 0, count: n * f)
    var labels = [Int64](repeating: 0, count: isClassification ? n : 0)
    var targets = [Float](repeating: 0, count: isClassification ? 0 : n)
    for (r, record) in records.enumerated() {
        for (j, c) in featureColumns.enumerated() {
            let value = record.fields[c].trimmingCharacters(in: .whitespaces)
            if options.missingValues.contains(value) {
                features[r * f + j] = .nan
            } else if let vocabulary = codes[c], let code = vocabulary[value] {
                features[r * f + j] = Float(code)
            } else if let number = Double(value) {
                features[r * f + j] = Float(number)
            }
        }
        let value = record.fields[targetColumn].trimmingCharacters(in: .whitespaces)
        guard !options.missingValues.contains(value) else {
            throw DataError.parse(file: path, line: record.line, message: "the target column '\(names[targetColumn])' is missing; drop or fill the row")
        }
        if isClassification {
            labels[r] = Int64(codes[targetColumn]?[value] ?? 0)
        } else {
            targets[r] = Float(Double(value) ?? .nan)
        }
    }

    let groups = try options.split.groups(count: n, labels: isClassification ? labels : nil)
    try writeImport(to: output, overwrite: options.overwrite, format: "CSV", sources: [path]) { file in
        try setSourceAttributes(file, file: path)
        for (name, rows) in groups {
            let group = try file.createGroup(name)
            try options.split.describe(group)
            let x = try Tensor(rows.flatMap { r in features[(r * f)..<((r + 1) * f)] }, shape: [rows.count, f])
            let dataset = try group.createDataset("features", tensor: x)
            try dataset.setAttribute("columns", featureColumns.map { names[$0] })
            try dataset.setAttribute("missing_values", featureColumns.map { columns[$0].missing })
            let categoricalNames = featureColumns.filter { codes[$0] != nil }.map { names[$0] }
            if !categoricalNames.isEmpty { try dataset.setAttribute("categorical_columns", categoricalNames) }
            for c in featureColumns where codes[c] != nil {
                try dataset.setAttribute("categories_\(names[c])", columns[c].categories)
            }
            if isClassification {
                let y = try group.createDataset("labels", tensor: try Tensor(rows.map { labels[$0] }))
                try y.setAttribute("classes", columns[targetColumn].categories)
                try y.setAttribute("target_column", names[targetColumn])
            } else {
                let y = try group.createDataset("targets", tensor: try Tensor(rows.map { targets[$0] }, shape: [rows.count, 1]))
                try y.setAttribute("target_column", names[targetColumn])
            }
        }
    }
    return CSVImportReport(rows: n, hadHeader: hasHeader, features: featureColumns.map { columns[$0] },
                           target: columns[targetColumn], isClassification: isClassification,
                           groups: groups.map { ($0.0, $0.1.count) })
}

/// A first row is a header when one of its fields is not a number (nor
/// missing) in a column whose next rows are all numbers or missing, or when
/// all its fields are distinct non-numbers over rows that are not.
func detectHeader(_ records: [CSVRecord], isMissing: (String) -> Bool) -> Bool {
    guard let first = records.first, records.count > 1 else { return false }
    let sample = records.dropFirst().prefix(50)
    let isNumber = { (s: String) in Double(s.trimmingCharacters(in: .whitespaces)) != nil }
    for (c, field) in first.fields.enumerated() where !isNumber(field) && !isMissing(field) {
        if sample.allSatisfy({ isNumber($0.fields[c]) || isMissing($0.fields[c]) }) { return true }
    }
    let allText = first.fields.allSatisfy { !isNumber($0) && !isMissing($0) }
    return allText && Set(first.fields).count == first.fields.count
        && sample.contains { record in record.fields.contains(where: isNumber) }
}
