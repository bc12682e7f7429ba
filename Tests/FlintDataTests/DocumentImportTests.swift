import Foundation
import Flint
import FlintHDF5
import XCTest
@testable import FlintData

/// `flint import text DIR --classes-from-dirs` and `flint import csv --text-column`:
/// padded token rows, lengths, labels with class names, the vocabulary with `<pad>`.
final class DocumentImportTests: DataTestCase {
    /// Writes `files` (name → text) under `folder`, making folders as needed.
    private func tree(_ files: [String: String]) throws {
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    private func ints(_ file: HDF5File, _ path: String) throws -> [Int64] { try file.dataset(path).readArray(as: Int64.self) }

    /// Classes are the sorted folder names; each record between `%` lines is a document
    /// (empty records left out, `\r\n` read as `\n`); each row is the document's ids then
    /// `<pad>` (1) up to the longest; the vocabulary decodes every row back to its text.
    func testClassFoldersWithSeparatorPadEachDocument() throws {
        try tree([
            "topics/zoo/animals": "The cat.\n%\nA dog\nbarks.\n%\n\n%\n",
            "topics/art/paint": "Blue.\r\n%\r\nRed and green!\r\n%\r\n",
            "topics/art/.hidden": "never read",
        ])
        let report = try importTextClasses(path("topics"), output: path("docs.h5"),
                                           options: DocumentImportOptions(level: .char, separator: "%"))
        XCTAssertEqual(report.classes, ["art", "zoo"])
        XCTAssertEqual(report.countsPerClass, [2, 2])
        XCTAssertEqual(report.skipped, 1)
        let documents = ["Blue.", "Red and green!", "The cat.", "A dog\nbarks."]
        let longest = documents.map(\.unicodeScalars.count).max() ?? 0
        XCTAssertEqual(report.length, longest)
        XCTAssertEqual(report.vocabulary.tokens.prefix(2), ["<unk>", "<pad>"])
        XCTAssertEqual(report.vocabulary.padID, 1)

        let file = try HDF5File.open(path("docs.h5"))
        let tokens = try file.dataset("train/tokens")
        XCTAssertEqual(tokens.dtype, .uint8)
        XCTAssertEqual(tokens.shape, [4, longest])
        XCTAssertEqual(try tokens.doubleAttribute("pad_id"), 1)
        let rows = try tokens.readArray(as: Int64.self)
        let lengths = try ints(file, "train/lengths")
        XCTAssertEqual(lengths, documents.map { Int64($0.unicodeScalars.count) })
        XCTAssertEqual(try ints(file, "train/labels"), [0, 0, 1, 1])
        XCTAssertEqual(try file.dataset("train/labels").stringArrayAttribute("classes"), ["art", "zoo"])
        let stored = try XCTUnwrap(try TextVocabulary.read(file: path("docs.h5")))
        XCTAssertEqual(stored, report.vocabulary)
        XCTAssertEqual(stored.padID, 1)
        for (r, document) in documents.enumerated() {
            let row = rows[(r * longest)..<((r + 1) * longest)].map(Int.init)
            XCTAssertEqual(Array(row.prefix(Int(lengths[r]))), stored.encode(document), document)
            XCTAssertEqual(Array(row.dropFirst(Int(lengths[r]))), Array(repeating: 1, count: longest - Int(lengths[r])))
            XCTAssertEqual(stored.decode(row), document)
        }
        // Text never encodes to <pad>, not even its spelling.
        XCTAssertFalse(stored.encode("<pad>").contains(1))
        let sources = [path("topics/art/paint"), path("topics/zoo/animals")]
        XCTAssertEqual(try file.stringArrayAttribute("source_sha256"), try sources.map { try sha256Hex(ofFile: $0) })
    }

    /// `--max-length` keeps the first tokens; a stratified test split keeps each class's share
    /// and every document lands in exactly one split, with its label.
    func testWordLevelTruncationAndAStratifiedSplit() throws {
        var files: [String: String] = [:]
        for c in 0..<2 {
            files["d/c\(c)/f"] = (0..<10).map { i in "word\(c) " + String(repeating: "x ", count: i) }.joined(separator: "\n--\n")
        }
        try tree(files)
        let split = ImportSplit(testFraction: 0.2, seed: 3, stratify: true)
        let report = try importTextClasses(path("d"), output: path("w.h5"),
                                           options: DocumentImportOptions(level: .word, separator: "--", maxLength: 4, split: split))
        XCTAssertEqual(report.length, 4)
        XCTAssertEqual(report.longest, 10)
        XCTAssertEqual(report.truncated, 12)  // per class, the documents of 5 to 10 words
        XCTAssertEqual(report.groups.map(\.0), ["train", "test"])
        let file = try HDF5File.open(path("w.h5"))
        let testLabels = try ints(file, "test/labels"), trainLabels = try ints(file, "train/labels")
        XCTAssertEqual(testLabels.filter { $0 == 0 }.count, 2)
        XCTAssertEqual(testLabels.filter { $0 == 1 }.count, 2)
        XCTAssertEqual(trainLabels.count + testLabels.count, 20)
        let lengths = try ints(file, "train/lengths") + ints(file, "test/lengths")
        XCTAssertEqual(lengths.sorted(), ([1, 2, 3] + Array(repeating: 4, count: 7)).flatMap { [Int64($0), Int64($0)] }.sorted())
        // The first token of each row names its class: labels stayed with their documents.
        let vocabulary = report.vocabulary
        for group in ["train", "test"] {
            let rows = try file.dataset("\(group)/tokens").readArray(as: Int64.self)
            for (r, label) in try ints(file, "\(group)/labels").enumerated() {
                XCTAssertEqual(Int(rows[r * 4]), vocabulary.encode("word\(label)")[0])
            }
        }
    }

    /// A CSV column of documents with the target's classes: quoted text may hold commas
    /// and line breaks; other columns are not read.
    func testCSVTextColumn() throws {
        let csv = "id,text,label\n1,\"Hello, world\",greet\n2,\"bye\nnow\",leave\n3,hi,greet\n"
        try csv.write(toFile: path("t.csv"), atomically: true, encoding: .utf8)
        let report = try importCSVText(path("t.csv"), textColumn: "text", output: path("t.h5"),
                                       csv: CSVImportOptions(target: "label"), options: DocumentImportOptions(level: .word))
        XCTAssertEqual(report.classes, ["greet", "leave"])
        let file = try HDF5File.open(path("t.h5"))
        XCTAssertEqual(try ints(file, "train/labels"), [0, 1, 0])
        XCTAssertEqual(try ints(file, "train/lengths"), [3, 2, 1])
        let rows = try file.dataset("train/tokens").readArray(as: Int64.self).map(Int.init)
        XCTAssertEqual(report.vocabulary.decode(Array(rows[0..<3])), "Hello , world")
        XCTAssertEqual(report.vocabulary.decode(Array(rows[3..<6])), "bye now")
        XCTAssertEqual(Array(rows[6..<9]), report.vocabulary.encode("hi") + [1, 1])
        XCTAssertEqual(try file.dataset("train/labels").stringArrayAttribute("classes"), ["greet", "leave"])
    }

    /// Each problem names the folder, file or line, and nothing is written.
    func testProblemsAreLocated() throws {
        try FileManager.default.createDirectory(atPath: path("none"), withIntermediateDirectories: true)
        XCTAssertEqual(dataError(try importTextClasses(path("none"), output: path("o.h5")))?.description,
                       "\(path("none")): has no class subfolders (one folder of text files per class)")
        try FileManager.default.createDirectory(atPath: path("empty/a"), withIntermediateDirectories: true)
        XCTAssertEqual(dataError(try importTextClasses(path("empty"), output: path("o.h5")))?.description,
                       "\(path("empty/a")): class 'a' has no files")
        try tree(["blank/a/f": "x", "blank/b/f": "%\n  \n%\n"])
        XCTAssertEqual(dataError(try importTextClasses(path("blank"), output: path("o.h5"),
                                                       options: DocumentImportOptions(separator: "%")))?.description,
                       "\(path("blank/b")): class 'b' has no documents (its files hold only whitespace and '%' lines)")
        try tree(["bad/a/f": "fine\n%\nok\n"])
        try FileManager.default.createDirectory(atPath: path("bad/b"), withIntermediateDirectories: true)
        try Data([0x6F, 0x6B, 0x0A, 0x25, 0x0A, 0x62, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: path("bad/b/g")))
        XCTAssertEqual(dataError(try importTextClasses(path("bad"), output: path("o.h5"),
                                                       options: DocumentImportOptions(separator: "%")))?.description,
                       "\(path("bad/b/g")):3: the document starting here is not valid UTF-8 text (import it with --level byte)")
        XCTAssertNotNil(dataError(try importTextClasses(path("bad"), output: path("o.h5"),
                                                        options: DocumentImportOptions(separator: "%", maxLength: 0))))
        try "text,label\nsome words,a\n   ,b\n".write(toFile: path("c.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(dataError(try importCSVText(path("c.csv"), textColumn: "text", output: path("o.h5"),
                                                   csv: CSVImportOptions(target: "label")))?.description,
                       "\(path("c.csv")):3: column 'text' holds no text")
        XCTAssertEqual(dataError(try importCSVText(path("c.csv"), textColumn: "body", output: path("o.h5"),
                                                   csv: CSVImportOptions(target: "label")))?.description,
                       "\(path("c.csv")): no column 'body' for --text-column (columns: text, label)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.h5")))
        // Byte level reads any bytes.
        let bytes = try importTextClasses(path("bad"), output: path("b.h5"), options: DocumentImportOptions(level: .byte, separator: "%"))
        XCTAssertEqual(bytes.countsPerClass, [2, 2])
    }
}
