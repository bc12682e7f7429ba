import CZlib
import FlintHDF5
import Foundation
import XCTest
import FlintTestSupport
@testable import FlintData

final class IDXImporterTests: TemporaryDirectoryTestCase {

    /// Writes an IDX file as the format defines it: 00 00 TYPE RANK, big-endian
    /// UInt32 sizes, then `payload` (already big-endian). Gzipped when the name ends in .gz.
    @discardableResult
    private func writeIDX(_ name: String, type: UInt8, shape: [Int], payload: [UInt8], extra: [UInt8] = []) throws -> String {
        var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
        for size in shape { bytes += withUnsafeBytes(of: UInt32(size).bigEndian, Array.init) }
        bytes += payload + extra
        let path = directory.appendingPathComponent(name).path
        if name.hasSuffix(".gz") {
            let file = try XCTUnwrap(gzopen(path, "wb"))
            let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            XCTAssertEqual(Int(written), bytes.count)
            XCTAssertEqual(gzclose(file), Z_OK)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return path
    }

    private func idxError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> IDXError? {
        thrown(IDXError.self, by: try body(), file: file, line: line)
    }

    func testParsesRawAndGzippedFiles() throws {
        let pixels = (0..<12).map { UInt8($0 * 20) }
        for name in ["images.idx3-ubyte", "images.idx3-ubyte.gz"] {
            let path = try writeIDX(name, type: 0x08, shape: [3, 2, 2], payload: pixels)
            let idx = try IDXReader.read(path)
            XCTAssertEqual(idx.elementType, .uint8)
            XCTAssertEqual(idx.shape, [3, 2, 2])
            XCTAssertEqual(idx.data, pixels)
        }
    }

    func testDecodesBigEndianElementTypes() throws {
        let shorts = try IDXReader.read(try writeIDX("s.idx", type: 0x0B, shape: [2], payload: [0xFF, 0xFE, 0x01, 0x00]))
        XCTAssertEqual(shorts.elementType.dtype, .int32)
        XCTAssertEqual(shorts.data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }, [-2, 256])

        let ints = try IDXReader.read(try writeIDX("i.idx.gz", type: 0x0C, shape: [1, 1], payload: [0x00, 0x01, 0x00, 0x02]))
        XCTAssertEqual(ints.data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }, [65538])

        // 1.5 is 0x3FC00000 in float32 and 0x3FF8000000000000 in float64.
        let floats = try IDXReader.read(try writeIDX("f.idx", type: 0x0D, shape: [1], payload: [0x3F, 0xC0, 0x00, 0x00]))
        XCTAssertEqual(floats.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, [1.5])
        let doubles = try IDXReader.read(try writeIDX("d.idx", type: 0x0E, shape: [1], payload: [0x3F, 0xF8, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(doubles.data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }, [1.5])
    }

    func testBadMagicIsRejected() throws {
        let path = directory.appendingPathComponent("labels.idx1-ubyte").path
        try Data([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5]).write(to: URL(fileURLWithPath: path))
        let error = idxError(try IDXReader(path: path))
        XCTAssertEqual(error?.description, "\(path): not an IDX file: it starts with 12 34 08 01, not 00 00 TYPE RANK")

        let unknown = try writeIDX("odd.idx", type: 0x07, shape: [1], payload: [0])
        XCTAssertTrue(idxError(try IDXReader(path: unknown))?.message.hasPrefix("unknown IDX element type 07") ?? false)
    }

    func testShortAndLongFilesAreRejected() throws {
        let raw = try writeIDX("short.idx3-ubyte", type: 0x08, shape: [3, 2, 2], payload: [UInt8](repeating: 1, count: 8))
        XCTAssertEqual(idxError(try IDXReader(path: raw))?.description,
                       "\(raw): is truncated: header [3, 2, 2] ubyte needs 28 bytes, the file has 24")

        let gzipped = try writeIDX("short.idx3-ubyte.gz", type: 0x08, shape: [3, 2, 2], payload: [UInt8](repeating: 1, count: 8))
        XCTAssertEqual(idxError(try IDXReader.read(gzipped))?.description,
                       "\(gzipped): is truncated: header [3, 2, 2] ubyte needs 12 bytes of data, the file ends after 8")

        let long = try writeIDX("long.idx1-ubyte.gz", type: 0x08, shape: [2], payload: [1, 2], extra: [9, 9, 9])
        XCTAssertEqual(idxError(try IDXReader.read(long))?.message,
                       "has 3 bytes after the data its header [2] ubyte describes")

        let huge = try writeIDX("huge.idx3-ubyte.gz", type: 0x08, shape: [1 << 30, 28, 28], payload: [1, 2, 3])
        XCTAssertTrue(idxError(try IDXReader(path: huge))?.message.hasPrefix("is truncated or its header is corrupt") ?? false)

        let tiny = directory.appendingPathComponent("tiny.idx").path
        try Data([0, 0]).write(to: URL(fileURLWithPath: tiny))
        XCTAssertEqual(idxError(try IDXReader(path: tiny))?.message, "is too short to be an IDX file (2 bytes)")
        XCTAssertEqual(idxError(try IDXReader(path: directory.appendingPathComponent("none.idx").path))?.message, "no such file")
    }

    func testImportPairsFilesBySplitAndRole() throws {
        let trainPixels = (0..<12).map { UInt8($0) }
        let files = [
            try writeIDX("train-images.idx3-ubyte.gz", type: 0x08, shape: [3, 2, 2], payload: trainPixels),
            try writeIDX("train-labels.idx1-ubyte.gz", type: 0x08, shape: [3], payload: [7, 8, 9]),
            try writeIDX("t10k-images-idx3-ubyte", type: 0x08, shape: [1, 2, 2], payload: [255, 0, 255, 0]),
            try writeIDX("t10k-labels-idx1-ubyte", type: 0x08, shape: [1], payload: [4]),
        ]
        let output = directory.appendingPathComponent("mnist.h5").path
        let plan = try importIDX(files, output: output)
        XCTAssertEqual(plan.entries.map(\.datasetPath), ["test/images", "test/labels", "train/images", "train/labels"])
        XCTAssertTrue(plan.report(output: output).contains("train/images  uint8  [3, 1, 2, 2]  ← train-images.idx3-ubyte.gz"))

        let file = try HDF5File.open(output)
        let images = try file.dataset("train/images")
        XCTAssertEqual(images.dtype, .uint8)
        XCTAssertEqual(images.shape, [3, 1, 2, 2])
        XCTAssertEqual(images.storage.layout, .contiguous)
        XCTAssertEqual(images.storage.filters, [])
        XCTAssertEqual(try images.readArray(as: UInt8.self), trainPixels)
        let labels = try file.dataset("train/labels")
        XCTAssertEqual(labels.dtype, .int64)
        XCTAssertEqual(try labels.readArray(as: Int64.self), [7, 8, 9])
        XCTAssertEqual(try file.dataset("test/labels").readArray(as: Int64.self), [4])

        XCTAssertEqual(try images.stringAttribute("source_file"), "train-images.idx3-ubyte.gz")
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: files[0])[.size] as? Int)
        XCTAssertEqual(try images.int64Attribute("source_bytes"), Int64(size))
        XCTAssertEqual(try images.stringAttribute("source_sha256"), try sha256Hex(ofFile: files[0]))
        XCTAssertEqual(try images.int64ArrayAttribute("idx_shape"), [3, 2, 2])
        XCTAssertEqual(try file.stringAttribute("importer"), "flint import idx")
        XCTAssertFalse(try file.stringAttribute("created").isEmpty)

        XCTAssertEqual(idxError(try importIDX(files, output: output))?.description,
                       "\(output): already exists (pass --force to replace it)")
        XCTAssertNoThrow(try importIDX(files, output: output, options: IDXImportOptions(overwrite: true)))

        // Class names given at import are stored with every labels dataset, as csv and images imports store theirs.
        let names = (0..<10).map { "digit \($0)" }
        try importIDX(files, output: output, options: IDXImportOptions(overwrite: true, classes: names))
        XCTAssertEqual(try HDF5File.open(output).dataset("train/labels").stringArrayAttribute("classes"), names)
        XCTAssertEqual(try HDF5File.open(output).dataset("test/labels").stringArrayAttribute("classes"), names)
    }

    func testExplicitSplitAndPairingErrors() throws {
        let images = try writeIDX("digits.idx", type: 0x08, shape: [2, 1, 1], payload: [1, 2])
        let labels = try writeIDX("answers.idx", type: 0x08, shape: [3], payload: [1, 2, 3])
        let output = directory.appendingPathComponent("out.h5").path

        XCTAssertEqual(idxError(try IDXImportPlan(files: [images]))?.message,
                       "cannot tell its split from its name (expected 'train', 'test', 't10k', 'val' or 'validation' in it); name the split with --split")
        XCTAssertEqual(idxError(try IDXImportPlan(files: [images, labels], options: IDXImportOptions(split: "extra")))?.message,
                       "split 'extra': \(images) has 2 images but \(labels) has 3 labels")
        XCTAssertEqual(idxError(try IDXImportPlan(files: [images, images], options: IDXImportOptions(split: "extra")))?.message,
                       "\(images) and \(images) would both become 'extra/images'; give one images file and one labels file per split")

        let plan = try importIDX([images], output: output, options: IDXImportOptions(split: "predict", addChannelDimension: false))
        XCTAssertEqual(plan.entries.map(\.shape), [[2, 1, 1]])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent(".out.h5.tmp-\(getpid())").path))
    }

    func testSplitFromFileName() throws {
        XCTAssertEqual(try IDXImportPlan.split(fromFileName: "train-images.idx3-ubyte.gz"), "train")
        XCTAssertEqual(try IDXImportPlan.split(fromFileName: "t10k-labels-idx1-ubyte"), "test")
        XCTAssertEqual(try IDXImportPlan.split(fromFileName: "emnist-letters-test-images-idx3-ubyte.gz"), "test")
        XCTAssertEqual(try IDXImportPlan.split(fromFileName: "validation_labels.idx1"), "val")
        XCTAssertNil(try IDXImportPlan.split(fromFileName: "images.idx3-ubyte"))
        XCTAssertNotNil(idxError(try IDXImportPlan.split(fromFileName: "train-test.idx")))
    }

    func testSHA256MatchesFIPSVectors() {
        func hex(_ text: String, pieces: Int = 1) -> String {
            var hasher = SHA256()
            let bytes = Array(text.utf8)
            let step = max(1, bytes.count / pieces)
            for start in stride(from: 0, to: bytes.count, by: step) {
                bytes[start..<min(start + step, bytes.count)].withUnsafeBytes { hasher.update($0) }
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        // FIPS 180-2 appendix B and the empty message.
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        XCTAssertEqual(hex(twoBlocks), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(twoBlocks, pieces: 5), hex(twoBlocks))
    }
}
