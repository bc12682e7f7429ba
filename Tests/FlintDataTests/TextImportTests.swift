import Foundation
import Flint
import FlintHDF5
import XCTest
@testable import FlintData

/// `flint import text` and the language-model windows read from what it writes.
final class TextImportTests: DataTestCase {
    private func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Char level: ids are 1 + the rank of each Unicode scalar among the sorted
    /// distinct scalars (0 is <unk>), as `sorted(set(text))` numbers them; every
    /// file is cut into train, val, test in order, and the splits concatenate the parts.
    func testCharLevelSplitsEachFileContiguously() throws {
        let first = "héllo wörld, hello again\n", second = "zebra café ☕ quietly\n"
        let files = [try write("a.txt", first), try write("b.txt", second)]
        let report = try importText(files, output: path("text.h5"),
                                    options: TextImportOptions(level: .char, valFraction: 0.2, testFraction: 0.1))
        let scalars = Array(Set((first + second).unicodeScalars)).sorted { $0.value < $1.value }
        XCTAssertEqual(report.vocabulary.tokens, ["<unk>"] + scalars.map { String($0) })
        XCTAssertEqual(report.dtype, .uint8)
        func ids(_ text: Substring.UnicodeScalarView) -> [Int64] {
            text.map { s in Int64(1 + scalars.firstIndex(of: s)!) }
        }
        var expected: [String: [Int64]] = ["train": [], "val": [], "test": []]
        for text in [first, second] {
            let units = text.unicodeScalars, n = units.count
            let test = Int((Double(n) * 0.1).rounded()), val = Int((Double(n) * 0.2).rounded())
            let cuts = [0, n - val - test, n - test, n].map { units.index(units.startIndex, offsetBy: $0) }
            for (k, name) in ["train", "val", "test"].enumerated() {
                expected[name]! += ids(Substring(text).unicodeScalars[cuts[k]..<cuts[k + 1]])
            }
        }
        let file = try HDF5File.open(path("text.h5"))
        for name in ["train", "val", "test"] {
            let dataset = try file.dataset("\(name)/tokens")
            XCTAssertEqual(dataset.dtype, .uint8, name)
            XCTAssertEqual(try dataset.readArray(as: Int64.self), expected[name], name)
        }
        let stored = try XCTUnwrap(try TextVocabulary.read(file: path("text.h5")))
        XCTAssertEqual(stored, report.vocabulary)
        XCTAssertEqual(stored.counts.reduce(0, +), Int64((first + second).unicodeScalars.count))
        XCTAssertEqual(stored.counts[stored.encode("l")[0]], Int64((first + second).filter { $0 == "l" }.count))
        XCTAssertEqual(try file.stringArrayAttribute("source_files"), ["a.txt", "b.txt"])
        XCTAssertEqual(try file.stringArrayAttribute("source_sha256"), try files.map { try sha256Hex(ofFile: $0) })
        // Unseen characters are <unk>; decoding gives the text back otherwise.
        XCTAssertEqual(stored.encode("hé€"), [stored.encode("h")[0], stored.encode("é")[0], TextVocabulary.unknownID])
        XCTAssertEqual(stored.decode(stored.encode(first)), first)
    }

    func testByteAndWordLevels() throws {
        let text = "Don't panic. Don't panic!\n"
        let file = try write("t.txt", text)
        let bytes = try importText([file], output: path("bytes.h5"), options: TextImportOptions(level: .byte))
        XCTAssertEqual(bytes.vocabulary.codes, [-1] + Array(Set(text.utf8)).sorted().map(Int64.init))
        XCTAssertEqual(bytes.vocabulary.decode(bytes.vocabulary.encode(text)), text)
        let words = try importText([file], output: path("words.h5"), options: TextImportOptions(level: .word))
        XCTAssertEqual(words.vocabulary.tokens, ["<unk>", "!", ".", "Don't", "panic"])
        let stream = try HDF5File.open(path("words.h5")).dataset("train/tokens").readArray(as: Int64.self)
        XCTAssertEqual(stream, [3, 4, 2, 3, 4, 1])
        XCTAssertEqual(words.vocabulary.decode(stream.map(Int.init)), "Don't panic . Don't panic !")
    }

    /// More than 255 distinct characters do not fit uint8 ids.
    func testLargeVocabularyIsInt32AndBadInputIsReported() throws {
        let text = String(String.UnicodeScalarView((0x4E00..<0x4F40).compactMap(Unicode.Scalar.init)))
        let file = try write("han.txt", text)
        let report = try importText([file], output: path("han.h5"))
        XCTAssertEqual(report.dtype, .int32)
        XCTAssertEqual(try HDF5File.open(path("han.h5")).dataset("train/tokens").dtype, .int32)

        try Data([0x66, 0xFF, 0x6F]).write(to: URL(fileURLWithPath: path("bad.txt")))
        XCTAssertEqual(dataError(try importText([path("bad.txt")], output: path("bad.h5")))?.description,
                       "\(path("bad.txt")): not valid UTF-8 text (import it with --level byte)")
        XCTAssertNotNil(dataError(try importText([file], output: path("f.h5"),
                                                 options: TextImportOptions(valFraction: 0.6, testFraction: 0.5))))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("f.h5")))
    }

    /// Window i is x = tokens[i·stride ..< i·stride + L] and y the same shifted by one.
    func testTokenWindowsAndAResumedShuffledEpoch() throws {
        let tokens = (0..<50).map { Int64($0 % 17) }
        let windows = try TokenWindows(tokens: tokens, blockSize: 4, stride: 3)
        XCTAssertEqual(windows.count, (50 - 1 - 4) / 3 + 1)
        let rows = try windows.read([2, 0])
        XCTAssertEqual(rows.inputs[0].tensor.shape, [2, 4])
        XCTAssertEqual(rows.inputs[0].tensor.toArray(Int64.self), Array(tokens[6..<10] + tokens[0..<4]))
        XCTAssertEqual(rows.y.toArray(Int64.self), Array(tokens[7..<11] + tokens[1..<5]))
        XCTAssertEqual(try TokenWindows(tokens: tokens, blockSize: 7).count, 49 / 7)
        XCTAssertNotNil(dataError(try TokenWindows(tokens: Array(tokens[..<4]), blockSize: 4)))

        // Every window once per shuffled epoch; a loader restored mid-epoch continues identically.
        let loader = try DataLoader(dataset: windows, batchSize: 3, shuffle: true, prefetch: 0, seed: 5)
        let whole = try epoch(loader)
        XCTAssertEqual(whole.flatMap(\.indices).sorted(), Array(0..<windows.count))
        XCTAssertNotEqual(whole.flatMap(\.indices), Array(0..<windows.count))
        let resumed = try DataLoader(dataset: windows, batchSize: 3, shuffle: true, prefetch: 0, seed: 5)
        resumed.startEpoch()
        try resumed.restore(order: loader.order, batchIndex: 2)
        let rest = try epoch(resumed, start: false)
        XCTAssertEqual(rest.map(\.indices), whole.dropFirst(2).map(\.indices))
        XCTAssertEqual(rest.map(\.y), whole.dropFirst(2).map(\.y))
    }
}
