import Foundation
import Flint

/// Renders a file's tree for `flint inspect`: every group, every dataset with
/// dtype, shape, storage and value range, and every attribute.
///
/// ```
/// mnist.h5 (55.0 MB)
/// ├── @importer = "flint import idx"
/// ├── test/
/// │   ├── images  uint8  [10000, 1, 28, 28]  contiguous  min 0, max 255
/// │   └── labels  int64  [10000]             contiguous  min 0, max 9
/// └── train/
///     ...
/// ```
public struct HDF5Inspector: Sendable {
    /// Read every numeric dataset, a block of rows at a time, for its min and max.
    public var computeRanges: Bool
    /// Longer strings are cut, with "…", to this many characters.
    public var maxStringLength: Int
    /// Longer arrays show this many leading values and their count.
    public var maxArrayValues: Int

    public init(computeRanges: Bool = true, maxStringLength: Int = 80, maxArrayValues: Int = 8) {
        self.computeRanges = computeRanges
        self.maxStringLength = maxStringLength
        self.maxArrayValues = maxArrayValues
    }

    /// The listing of the file at `path`, opened read-only.
    public func describe(path: String) throws -> String {
        try describe(try HDF5File.open(path))
    }

    public func describe(_ file: HDF5File) throws -> String {
        var lines: [Line] = []
        try appendContents(of: file, prefix: "", to: &lines)
        return ([heading(file)] + render(lines)).joined(separator: "\n") + "\n"
    }

    // MARK: - Building the tree

    private enum Line {
        case text(String)
        /// `lead` is the tree prefix and name; the columns are aligned across the file.
        case dataset(lead: String, columns: [String])
    }

    private func heading(_ file: HDF5File) -> String {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file.filePath))?[.size] as? Int else {
            return file.filePath
        }
        return "\(file.filePath) (\(byteCount(size)))"
    }

    /// Attributes first, then children, each with its branch of the tree.
    private func appendContents(of object: HDF5Object, prefix: String, to lines: inout [Line]) throws {
        let attributes = try attributeLines(object)
        let group = object as? HDF5Group
        let children = try group?.children() ?? []
        let total = attributes.count + children.count
        for (index, text) in attributes.enumerated() {
            let last = index == total - 1
            lines.append(.text(prefix + (last ? "└── " : "├── ") + text))
        }
        guard let group else { return }
        for (index, child) in children.enumerated() {
            let last = attributes.count + index == total - 1
            let branch = prefix + (last ? "└── " : "├── ")
            let nested = prefix + (last ? "    " : "│   ")
            switch child.kind {
            case .group:
                lines.append(.text(branch + child.name + "/"))
                try appendContents(of: try group.group(child.name), prefix: nested, to: &lines)
            case .dataset:
                let dataset = try group.dataset(child.name)
                lines.append(.dataset(lead: branch + child.name, columns: columns(dataset)))
                try appendContents(of: dataset, prefix: nested, to: &lines)
            case .other:
                lines.append(.text(branch + child.name + "  (not a group or dataset: a named type, or a dangling or external link)"))
            }
        }
    }

    private func attributeLines(_ object: HDF5Object) throws -> [String] {
        let names = try object.attributeNames()
        let width = names.map(\.count).max() ?? 0
        return try names.map { name in
            let value: String
            switch try object.perform({ try object.attributeLocked(name) }) {
            case .value(let attribute): value = preview(attribute)
            case .unsupported(let type): value = "<\(type), not read by Flint>"
            }
            return "@" + name.padding(toLength: width, withPad: " ", startingAt: 0) + " = " + value
        }
    }

    private func columns(_ dataset: HDF5Dataset) -> [String] {
        let type: String
        if let dtype = dataset.dtype, dtype.rawValue != dataset.storedType, dtype != .bool {
            type = "\(dataset.storedType)→\(dtype)"
        } else {
            type = dataset.storedType
        }
        return [type, "\(dataset.shape)", dataset.storage.description, summary(dataset)]
    }

    /// Value range of numbers, or a preview of text.
    private func summary(_ dataset: HDF5Dataset) -> String {
        if dataset.storedType == "string" {
            guard let strings = try? dataset.readStrings() else { return "<unreadable>" }
            if strings.count == 1, let string = strings.first { return preview(.string(string)) }
            return "\(strings.count) strings"
        }
        guard computeRanges, dataset.dtype != nil else { return "" }
        if dataset.count == 0 { return "empty" }
        do {
            return try ValueRange.of(dataset).description
        } catch {
            return "<\((error as? HDF5Error)?.message ?? "\(error)")>"
        }
    }

    // MARK: - Formatting

    private func render(_ lines: [Line]) -> [String] {
        var widths: [Int] = []
        var leadWidth = 0
        for case .dataset(let lead, let columns) in lines {
            leadWidth = max(leadWidth, lead.count)
            for (index, column) in columns.enumerated() {
                if index == widths.count { widths.append(0) }
                widths[index] = max(widths[index], column.count)
            }
        }
        return lines.map { line in
            switch line {
            case .text(let text):
                return text
            case .dataset(let lead, let columns):
                var cells = [lead.padding(toLength: leadWidth, withPad: " ", startingAt: 0)]
                for (index, column) in columns.enumerated() {
                    cells.append(index == columns.count - 1
                        ? column : column.padding(toLength: widths[index], withPad: " ", startingAt: 0))
                }
                return cells.joined(separator: "  ").trimmingTrailingSpaces()
            }
        }
    }

    private func preview(_ value: HDF5AttributeValue) -> String {
        switch value {
        case .string(let string):
            let lines = string.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 1, let first = lines.first {
                return JSON.quote(cut(String(first))) + " … (\(lines.count) lines)"
            }
            return JSON.quote(cut(string))
        case .stringArray(let strings):
            return list(strings.map { JSON.quote(cut($0)) })
        case .int64Array(let numbers):
            return list(numbers.map(String.init))
        case .doubleArray(let numbers):
            return list(numbers.map { String($0) })
        case .int64, .double:
            return value.description
        }
    }

    private func cut(_ string: String) -> String {
        string.count > maxStringLength ? String(string.prefix(maxStringLength)) + "…" : string
    }

    private func list(_ items: [String]) -> String {
        guard items.count > maxArrayValues else { return "[" + items.joined(separator: ", ") + "]" }
        return "[" + items.prefix(maxArrayValues).joined(separator: ", ") + ", …] (\(items.count) values)"
    }

    private func byteCount(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        let units = ["kB", "MB", "GB", "TB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// Min and max of a dataset, read a block of rows at a time so that large
/// datasets never sit in memory whole.
struct ValueRange: CustomStringConvertible {
    var minimum: String
    var maximum: String
    var nanCount = 0

    var description: String {
        "min \(minimum), max \(maximum)" + (nanCount > 0 ? ", \(nanCount) NaN" : "")
    }

    /// - Parameter blockBytes: about this many bytes are read at a time.
    static func of(_ dataset: HDF5Dataset, blockBytes: Int = 4 << 20) throws -> ValueRange {
        switch dataset.dtype {
        case .bool: return try scan(dataset, as: Bool.self, blockBytes: blockBytes, less: { !$0 && $1 })
        case .uint8: return try scan(dataset, as: UInt8.self, blockBytes: blockBytes, less: <)
        case .int32: return try scan(dataset, as: Int32.self, blockBytes: blockBytes, less: <)
        case .int64: return try scan(dataset, as: Int64.self, blockBytes: blockBytes, less: <)
        case .float32: return try scan(dataset, as: Float.self, blockBytes: blockBytes, less: <)
        case .float64: return try scan(dataset, as: Double.self, blockBytes: blockBytes, less: <)
        case nil: return ValueRange(minimum: "", maximum: "")
        }
    }

    private static func scan<T: HDF5Element & Equatable>(_ dataset: HDF5Dataset, as type: T.Type, blockBytes: Int,
                                                         less: (T, T) -> Bool) throws -> ValueRange {
        var low: T?
        var high: T?
        var nanCount = 0
        func accumulate(_ values: [T]) {
            for value in values {
                // NaN is the only value unequal to itself; it joins no range.
                if value != value {
                    nanCount += 1
                    continue
                }
                if let current = low, !less(value, current) {} else { low = value }
                if let current = high, !less(current, value) {} else { high = value }
            }
        }
        if dataset.shape.isEmpty {
            accumulate(try dataset.readArray(as: T.self))
        } else {
            var step = max(1, blockBytes / max(1, dataset.rowElementCount * MemoryLayout<T>.stride))
            if case .chunked(let chunks) = dataset.storage.layout, let rows = chunks.first, rows > 0 {
                step = max(rows, step / rows * rows)
            }
            var start = 0
            while start < dataset.rowCount {
                let end = min(start + step, dataset.rowCount)
                accumulate(try dataset.readArray(rows: start..<end, as: T.self))
                start = end
            }
        }
        guard let low, let high else {
            return ValueRange(minimum: "nan", maximum: "nan", nanCount: nanCount)
        }
        return ValueRange(minimum: "\(low)", maximum: "\(high)", nanCount: nanCount)
    }
}
