import XCTest
import FlintTestSupport
@testable import FlintHDF5

final class HDF5DatasetTests: TemporaryDirectoryTestCase {
    /// Writes `values` as a [5, 3] dataset, reopens the file and reads it back
    /// whole, by row range and by row gather, through the typed and raw APIs.
    private func checkRoundTrip<T: HDF5Element & Equatable>(
        _ values: [T], chunks: [Int]? = nil, deflate: Int? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(values.count, 15, file: file, line: line)
        let name = path("\(T.dtype)-\(chunks != nil)-\(deflate ?? -1).h5")
        do {
            let output = try HDF5File.create(name)
            let dataset = try output.createDataset("data/values", dtype: T.dtype, shape: [5, 3], chunks: chunks, deflate: deflate)
            try dataset.write(values)
        }
        let dataset = try HDF5File.open(name).dataset("data/values")
        XCTAssertEqual(dataset.readsRowsDirectly, chunks == nil && deflate == nil, file: file, line: line)
        XCTAssertEqual(dataset.dtype, T.dtype, file: file, line: line)
        XCTAssertEqual(dataset.shape, [5, 3], file: file, line: line)
        XCTAssertEqual(dataset.rowElementCount, 3, file: file, line: line)

        XCTAssertEqual(try dataset.readArray(as: T.self), values, file: file, line: line)
        XCTAssertEqual(try dataset.readArray(rows: 1..<3, as: T.self), Array(values[3..<9]), file: file, line: line)
        XCTAssertEqual(try dataset.readArray(rows: 2..<2, as: T.self), [], file: file, line: line)

        func rows(_ indices: [Int]) -> [T] { indices.flatMap { values[($0 * 3)..<($0 * 3 + 3)] } }
        XCTAssertEqual(try dataset.readArray(rowIndices: [0, 2, 3, 4], as: T.self), rows([0, 2, 3, 4]), file: file, line: line)
        XCTAssertEqual(try dataset.readArray(rowIndices: [4, 0, 0, 2], as: T.self), rows([4, 0, 0, 2]), file: file, line: line)

        var raw = values
        try raw.withUnsafeMutableBytes { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            try dataset.read(into: buffer)
        }
        XCTAssertEqual(raw, values, file: file, line: line)

        var gathered = Array(values[0..<6])
        try gathered.withUnsafeMutableBytes { try dataset.readRows([3, 1], into: $0) }
        XCTAssertEqual(gathered, rows([3, 1]), file: file, line: line)

        var range = Array(values[0..<6])
        try range.withUnsafeMutableBytes { try dataset.read(rows: 3..<5, into: $0) }
        XCTAssertEqual(range, rows([3, 4]), file: file, line: line)
    }

    func testRoundTripOfEveryDType() throws {
        try checkRoundTrip((0..<15).map { $0 % 3 == 0 })
        try checkRoundTrip((0..<15).map { UInt8($0 * 17) })
        try checkRoundTrip((0..<15).map { Int32($0) - 7 })
        try checkRoundTrip((0..<15).map { Int64($0) * 1_000_000_000_000 })
        try checkRoundTrip((0..<15).map { Float($0) / 4 - 1 })
        try checkRoundTrip((0..<15).map { Double($0) / 3 })
    }

    func testRoundTripChunkedAndCompressed() throws {
        try checkRoundTrip((0..<15).map { UInt8($0) }, chunks: [2, 3])
        try checkRoundTrip((0..<15).map { Float($0) }, chunks: [2, 3], deflate: 4)
        try checkRoundTrip((0..<15).map { $0 % 2 == 0 }, deflate: 1)
    }

    func testStorageIsReported() throws {
        let file = try HDF5File.create(path("storage.h5"))
        let plain = try file.createDataset("plain", dtype: .uint8, shape: [10, 4])
        let packed = try file.createDataset("packed", dtype: .float32, shape: [10, 4], chunks: [5, 4], deflate: 6)
        let automatic = try file.createDataset("automatic", dtype: .int64, shape: [10], deflate: 2)
        XCTAssertEqual(plain.storage, HDF5Storage(layout: .contiguous, filters: []))
        XCTAssertEqual(packed.storage, HDF5Storage(layout: .chunked([5, 4]), filters: [.deflate(level: 6)]))
        XCTAssertEqual(packed.storage.description, "chunks [5, 4] gzip 6")
        XCTAssertEqual(automatic.storage.layout, .chunked([10]))
    }

    func testWriteRows() throws {
        let file = try HDF5File.create(path("rows.h5"))
        let dataset = try file.createDataset("x", dtype: .int64, shape: [4, 2])
        try dataset.write([Int64](repeating: 0, count: 8))
        try dataset.write(rows: 1..<3, [1, 2, 3, 4] as [Int64])
        let last: [Int64] = [7, 8]
        try last.withUnsafeBytes { try dataset.write(rows: 3..<4, from: $0) }
        XCTAssertEqual(try dataset.readArray(as: Int64.self), [0, 0, 1, 2, 3, 4, 7, 8])
    }

    func testScalarAndEmptyDatasets() throws {
        let file = try HDF5File.create(path("scalar.h5"))
        let scalar = try file.createDataset("step", values: [Int64(42)], shape: [])
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.rowCount, 1)
        XCTAssertEqual(try scalar.readArray(as: Int64.self), [42])
        let empty = try file.createDataset("empty", dtype: .float32, shape: [0, 3])
        XCTAssertEqual(try empty.readArray(as: Float.self), [])
        XCTAssertEqual(try empty.readArray(rowIndices: [], as: Float.self), [])
    }

    func testReadingConvertsNumbers() throws {
        let file = try HDF5File.create(path("convert.h5"))
        let pixels = try file.createDataset("pixels", values: [0, 128, 255] as [UInt8], shape: [3])
        XCTAssertEqual(try pixels.readArray(as: Float.self), [0, 128, 255])
        XCTAssertEqual(try pixels.readArray(as: Int64.self), [0, 128, 255])
    }

    func testStringDataset() throws {
        let name = path("text.h5")
        let yaml = "name: mnist\nseed: 0\nlabel: \"ünïcode\"\n"
        try HDF5File.create(name).createDataset("config", string: yaml)
        let dataset = try HDF5File.open(name).dataset("config")
        XCTAssertNil(dataset.dtype)
        XCTAssertEqual(dataset.storedType, "string")
        XCTAssertEqual(try dataset.readString(), yaml)
    }

    func testRunsCoalesceConsecutiveRows() {
        XCTAssertEqual(HDF5Dataset.runs([3, 4, 5, 9, 11, 12]), [3..<6, 9..<10, 11..<13])
        XCTAssertEqual(HDF5Dataset.runs([]), [])
    }

    func testGatherAcrossManyRunBatches() throws {
        // More runs than one libhdf5 transfer takes, read both with pread (file
        // open only for reading) and through libhdf5 (file open for writing).
        let name = path("many.h5")
        let values = (0..<2000).map { Int32($0) }
        try HDF5File.create(name).createDataset("x", values: values, shape: [1000, 2])
        do {
            let direct = try HDF5File.open(name).dataset("x")
            XCTAssertTrue(direct.readsRowsDirectly)
            try checkGathers(direct)
        }
        let throughLibrary = try HDF5File.open(name, mode: .readWrite).dataset("x")
        XCTAssertFalse(throughLibrary.readsRowsDirectly)
        try checkGathers(throughLibrary)
    }

    private func checkGathers(_ dataset: HDF5Dataset, line: UInt = #line) throws {
        let indices = Array(stride(from: 999, through: 0, by: -3))
        XCTAssertEqual(try dataset.readArray(rowIndices: indices, as: Int32.self),
                       indices.flatMap { [Int32($0 * 2), Int32($0 * 2 + 1)] }, line: line)
        XCTAssertEqual(try dataset.readArray(rowIndices: indices.reversed(), as: Int32.self),
                       indices.reversed().flatMap { [Int32($0 * 2), Int32($0 * 2 + 1)] }, line: line)
        XCTAssertEqual(try dataset.readArray(rows: 998..<1000, as: Int32.self), [1996, 1997, 1998, 1999], line: line)
    }

    func testDirectReadsNeedAFileOpenOnlyForReading() throws {
        let name = path("shared.h5")
        let writer = try HDF5File.create(name)
        try writer.createDataset("x", values: [1, 2, 3] as [Int64], shape: [3])
        // Opening a file twice in one process shares the writer's open file and its unflushed buffers.
        let reader = try HDF5File.open(name).dataset("x")
        XCTAssertFalse(reader.readsRowsDirectly)
        XCTAssertEqual(try reader.readArray(rowIndices: [2, 0], as: Int64.self), [3, 1])
    }
}
