import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based).
struct CSVRecord {
    var fields: [String]
    var line: Int
}

/// RFC 4180 CSV read from a file in blocks, so that memory does not grow with
/// the file: fields separated by `delimiter`, optionally quoted with `"` (a
/// quoted field may hold delimiters, newlines and `""` for a quote); LF or
/// CRLF line ends; blank lines are skipped.
struct CSVParser {
    let file: String
    let delimiter: UInt8
    /// Bytes read at a time.
    var blockSize = 1 << 20

    /// A parser of `file`; a nil `delimiter` is detected from the first line.
    init(file: String, delimiter: UInt8?) throws {
        // A FIFO or device never ends (or blocks on open): only regular files are read.
        if let problem = FileSafety.problemReading(file) { throw DataError.invalid("\(file): \(problem)") }
        self.file = file
        if let delimiter {
            self.delimiter = delimiter
        } else {
            var firstLine: [UInt8] = []
            try Self.readBlocks(file, blockSize: 64 << 10) { block in
                let end = block.firstIndex(of: UInt8(ascii: "\n")) ?? block.endIndex
                firstLine += block[..<end]
                return end == block.endIndex
            }
            self.delimiter = Self.detectDelimiter(firstLine)
        }
    }

    /// The delimiter of a first line: the most frequent of `,` `;` tab `|`.
    static func detectDelimiter(_ firstLine: [UInt8]) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
        return candidates.max { a, b in
            firstLine.lazy.filter { $0 == a }.count < firstLine.lazy.filter { $0 == b }.count
        } ?? UInt8(ascii: ",")
    }

    /// Calls `body` with the file's blocks in order until it returns false.
    private static func readBlocks(_ file: String, blockSize: Int, _ body: (ArraySlice<UInt8>) throws -> Bool) throws {
        guard let handle = fopen(file, "rb") else { throw DataError.invalid("\(file): cannot read the file") }
        defer { fclose(handle) }
        // The first block holds at least 3 bytes, so a byte-order mark is seen whole.
        var size = Swift.max(blockSize, 3)
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, handle) }
            if n < size && ferror(handle) != 0 { throw DataError.invalid("\(file): read error after part of the file") }
            if n == 0 { return }
            guard try body(buffer[..<n]) else { return }
            size = blockSize
        }
    }

    /// Calls `body` with every record of the file in order, until it returns false.
    func forEachRecord(_ body: (CSVRecord) throws -> Bool) throws {
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false
        // A quote seen inside quotes: the next byte says whether it was `""` or the closing quote.
        var quoteInQuotes = false
        // A CR outside quotes: part of the field unless an LF follows.
        var pendingCR = false
        var first = true, stopped = false
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() throws {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                stopped = try !body(CSVRecord(fields: fields, line: recordLine))
            }
            fields.removeAll(keepingCapacity: true)
        }
        try Self.readBlocks(file, blockSize: blockSize) { block in
            var bytes = block[...]
            // A UTF-8 byte-order mark is not part of the first field.
            if first, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            first = false
            for b in bytes {
                if quoteInQuotes {
                    quoteInQuotes = false
                    if b == quote {
                        field.append(quote)
                        continue
                    }
                    inQuotes = false
                }
                if pendingCR {
                    pendingCR = false
                    if b != newline { field.append(carriage) }
                }
                if inQuotes {
                    if b == quote {
                        quoteInQuotes = true
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
                    try endRecord()
                    if stopped { return false }
                    line += 1
                    recordLine = line
                } else if b == carriage {
                    pendingCR = true
                } else {
                    field.append(b)
                }
            }
            return true
        }
        if stopped { return }
        if pendingCR { field.append(carriage) }
        if inQuotes && !quoteInQuotes { throw DataError.parse(file: file, line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { try endRecord() }
    }
}
