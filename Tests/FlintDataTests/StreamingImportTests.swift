import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

/// `flint import csv` streams its input: records split across read blocks
/// parse the same, and a CSV file far larger than the memory the test allows
/// imports in flat memory to exactly the values it holds.
final class StreamingImportTests: DataTestCase {
    func testRecordsAreTheSameWhateverTheReadBlockSize() throws {
        // A byte-order mark, a doubled quote, CRLF ends, a quoted CRLF, a blank line,
        // empty and quoted-empty fields, and a last line ending in a lone CR.
        let text = "\u{FEFF}a,\"b\"\"c\",d\r\n1,\"x\r\ny\",3\r\n\r\n\"q\",,\"\"\n4,5,6\r"
        try text.write(toFile: path("tricky.csv"), atomically: true, encoding: .utf8)
        let expected: [([String], Int)] = [(["a", "b\"c", "d"], 1), (["1", "x\r\ny", "3"], 2), (["q", "", ""], 5), (["4", "5", "6\r"], 6)]
        var parser = try CSVParser(file: path("tricky.csv"), delimiter: nil)
        XCTAssertEqual(parser.delimiter, UInt8(ascii: ","))
        for size in 1...(text.utf8.count + 1) {
            parser.blockSize = size
            var records: [CSVRecord] = []
            try parser.forEachRecord { records.append($0); return true }
            XCTAssertEqual(records.map(\.fields), expected.map { $0.0 }, "block size \(size)")
            XCTAssertEqual(records.map(\.line), expected.map { $0.1 }, "block size \(size)")
        }
        try "a,\"open\n1,2\n".write(toFile: path("open.csv"), atomically: true, encoding: .utf8)
        parser = try CSVParser(file: path("open.csv"), delimiter: nil)
        parser.blockSize = 2
        XCTAssertEqual(dataError(try parser.forEachRecord { _ in true })?.description,
                       "\(path("open.csv")):1: a quoted field is not closed")
    }

    /// Peak resident memory since `resetPeak()` (VmHWM of /proc/self/status), in bytes.
    private func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Sets the peak to the memory in use now (`echo 5 > /proc/self/clear_refs`).
    private func resetPeak() throws {
        guard FileManager.default.isWritableFile(atPath: "/proc/self/clear_refs") else {
            throw XCTSkip("/proc/self/clear_refs is not writable here; peak memory cannot be measured")
        }
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Row i: eight numbers, a colour and a class, with "NA" in column x2 every 1000th row.
    private func row(_ i: Int) -> String {
        let colours = ["red", "green", "blue", "green"], kinds = ["emu", "cat", "dog"]
        var fields: [String] = (0..<8).map { (j: Int) -> String in
            if j == 2 && i % 1000 == 7 { return "NA" }
            return String((i &* (j + 3)) % 100_003) + ".5"
        }
        fields.insert(colours[i % 4], at: 4)
        fields.append(kinds[i % 3])
        return fields.joined(separator: ",")
    }

    func testABigCSVImportsInFlatMemoryToItsValues() throws {
        let rows = 720_000, budget = 24 << 20
        let csv = path("big.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: csv, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: csv))
        handle.write(Data(("x0,x1,x2,x3,colour,x4,x5,x6,x7,kind\n").utf8))
        for start in stride(from: 0, to: rows, by: 10_000) {
            let block = (start..<min(start + 10_000, rows)).map(row).joined(separator: "\n") + "\n"
            handle.write(Data(block.utf8))
        }
        try handle.close()
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int)
        XCTAssertGreaterThan(size, 2 * budget, "the file must be well over the budget")

        try resetPeak()
        let baseline = peakResidentBytes()
        let report = try importCSV(csv, output: path("big.h5"), options: CSVImportOptions(target: "kind"))
        let growth = peakResidentBytes() - baseline
        XCTAssertLessThan(growth, budget, "importing a \(size >> 20) MB CSV grew resident memory by \(growth >> 20) MB")

        XCTAssertEqual(report.rows, rows)
        XCTAssertTrue(report.hadHeader)
        XCTAssertEqual(report.target.categories, ["cat", "dog", "emu"])
        XCTAssertEqual(report.features.map(\.name), ["x0", "x1", "x2", "x3", "colour", "x4", "x5", "x6", "x7"])
        XCTAssertEqual(report.features[4].categories, ["blue", "green", "red"])
        XCTAssertEqual(report.features.map(\.missing), [0, 0, rows / 1000, 0, 0, 0, 0, 0, 0])

        // The reference: each row's values as the generator wrote them.
        let file = try HDF5File.open(path("big.h5"))
        let x = try file.dataset("train/features"), y = try file.dataset("train/labels")
        XCTAssertEqual(x.shape, [rows, 9])
        XCTAssertEqual(y.shape, [rows])
        let colourCode = ["red": 2, "green": 1, "blue": 0], kindCode = ["emu": 2, "cat": 0, "dog": 1]
        for start in stride(from: 0, to: rows, by: 50_000) {
            let range = start..<min(start + 50_000, rows)
            let values = try x.readArray(rows: range, as: Float.self)
            let labels = try y.readArray(rows: range, as: Int64.self)
            for i in range {
                let fields = row(i).split(separator: ",").map(String.init)
                let k = (i - start) * 9
                for (j, field) in fields.dropLast().enumerated() {
                    let expected = j == 4 ? Float(colourCode[field] ?? -1) : (field == "NA" ? .nan : Float(Double(field) ?? -1))
                    if expected.isNaN {
                        XCTAssertTrue(values[k + j].isNaN, "row \(i), column \(j)")
                    } else if values[k + j] != expected {
                        return XCTFail("row \(i), column \(j): \(values[k + j]) instead of \(expected)")
                    }
                }
                guard labels[i - start] == Int64(kindCode[fields[9]] ?? -1) else { return XCTFail("row \(i): label \(labels[i - start])") }
            }
        }
    }

    func testTextAfterNumbersMakesTheWholeColumnCategorical() throws {
        // "size" holds numbers for two rows before its first text: the vocabulary still holds them.
        let rows = ["size,y", "2,0", "1,1", "big, 0", "2,1", "NA,0"]
        try rows.joined(separator: "\n").write(toFile: path("mixed.csv"), atomically: true, encoding: .utf8)
        let report = try importCSV(path("mixed.csv"), output: path("mixed.h5"), options: CSVImportOptions(target: "y"))
        XCTAssertEqual(report.features.map(\.categories), [["1", "2", "big"]])
        XCTAssertEqual(report.features.map(\.missing), [1])
        XCTAssertFalse(report.isClassification, "a numeric target stays a regression target")
        let x = try HDF5File.open(path("mixed.h5")).dataset("train/features").readArray(as: Float.self)
        XCTAssertEqual(Array(x.prefix(4)), [1, 0, 2, 1])
        XCTAssertTrue(x[4].isNaN)
    }

    func testStratifiedSplitOfAStreamedImport() throws {
        let text = "f,kind\n" + (0..<60).map { "\($0),\(["a", "b", "c"][$0 % 3])" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path("split.csv"), atomically: true, encoding: .utf8)
        let split = ImportSplit(testFraction: 0.25, seed: 4, stratify: true)
        let report = try importCSV(path("split.csv"), output: path("split.h5"), options: CSVImportOptions(target: "kind", split: split))
        XCTAssertEqual(report.groups.map(\.1), [45, 15])
        let file = try HDF5File.open(path("split.h5"))
        // Every row once, in file order within each group, each with its own label; 5 of each class held out.
        var seen: [Int] = []
        for group in ["train", "test"] {
            let f = try file.dataset("\(group)/features").readArray(as: Float.self).map { Int($0) }
            let labels = try file.dataset("\(group)/labels").readArray(as: Int64.self)
            XCTAssertEqual(f, f.sorted())
            XCTAssertEqual(labels, f.map { Int64($0 % 3) })
            if group == "test" { XCTAssertEqual((0..<3).map { c in labels.filter { $0 == c }.count }, [5, 5, 5]) }
            seen += f
        }
        XCTAssertEqual(seen.sorted(), Array(0..<60))
    }
}
