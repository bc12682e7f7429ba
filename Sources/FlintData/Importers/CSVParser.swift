import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based).
struct CSVRecord {
    var fields: [String]
    var line: Int
}

/// RFC 4180 CSV: fields separated by `delimiter`, optionally quoted with `"`
/// (a quoted field may hold delimiters, newlines and `""` for a quote); LF or
/// CRLF line ends; blank lines are skipped.
struct CSVParser {
    let file: String
    let delimiter: UInt8

    /// The delimiter of a file's first line: the most frequent of `,` `;` tab `|`.
    static func detectDelimiter(_ bytes: [UInt8]) -> UInt8 {
        let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
        return candidates.max { a, b in
            firstLine.lazy.filter { $0 == a }.count < firstLine.lazy.filter { $0 == b }.count
        } ?? UInt8(ascii: ",")
    }

    func parse(_ bytes: [UInt8]) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false
        var i = 0
        // A UTF-8 byte-order mark is not part of the first field.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(CSVRecord(fields: fields, line: recordLine)) }
            fields.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == newline { line += 1 }
                    field.append(b)
                }
            } else if b == quote && field.isEmpty && !wasQuoted {
                inQuotes = true
                wasQuoted = true
            } else if b == delimiter {
                endField()
            } else if b == newline {
                endRecord()
                line += 1
                recordLine = line
            } else if b == carriage && i + 1 < bytes.count && bytes[i + 1] == newline {
                // The LF that follows ends the record.
            } else {
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw DataError.parse(file: file, line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
