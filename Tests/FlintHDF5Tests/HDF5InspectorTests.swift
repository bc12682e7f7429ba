import XCTest
import FlintTestSupport
@testable import FlintHDF5

final class HDF5InspectorTests: TemporaryDirectoryTestCase {
    private func makeFile() throws -> String {
        let name = path("inspect.h5")
        let file = try HDF5File.create(name)
        try file.setAttribute("importer", "flint import idx")
        let images = try file.createDataset("train/images", values: [0, 3, 255, 7] as [UInt8], shape: [4, 1, 1, 1])
        try images.setAttribute("source_file", "train-images.idx3-ubyte.gz")
        try images.setAttribute("idx_shape", [4, 1, 1])
        try file.createDataset("train/labels", values: [9, -2, 4, 0] as [Int64], shape: [4], deflate: 4)
        try file.createDataset("weights", values: [0.5, .nan, -1.25] as [Double], shape: [3])
        try file.createDataset("mask", values: [false, false], shape: [2])
        try file.createDataset("config", string: "name: mnist\nseed: 0\n")
        try file.createDataset("empty", dtype: .float32, shape: [0])
        return name
    }

    func testListingShowsTreeTypesShapesStorageRangesAndAttributes() throws {
        let name = try makeFile()
        let lines = try HDF5Inspector().describe(path: name).split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("\(name) ("), lines[0])
        // Column spacing is checked below; here runs of spaces count as one.
        func line(_ prefix: String) -> String {
            let found = lines.first { $0.hasPrefix(prefix) } ?? "no line starting \(prefix)"
            return found.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        XCTAssertEqual(line("├── @importer"), "├── @importer = \"flint import idx\"")
        XCTAssertEqual(line("│   ├── images"), "│ ├── images uint8 [4, 1, 1, 1] contiguous min 0, max 255")
        XCTAssertEqual(line("│   └── labels"), "│ └── labels int64 [4] chunks [4] gzip 4 min -2, max 9")
        XCTAssertEqual(line("│   │   ├── @idx_shape"), "│ │ ├── @idx_shape = [4, 1, 1]")
        XCTAssertEqual(line("│   │   └── @source_file"), "│ │ └── @source_file = \"train-images.idx3-ubyte.gz\"")
        XCTAssertEqual(line("└── weights"), "└── weights float64 [3] contiguous min -1.25, max 0.5, 1 NaN")
        XCTAssertEqual(line("├── mask"), "├── mask bool [2] contiguous min false, max false")
        XCTAssertEqual(line("├── config"), "├── config string [] contiguous \"name: mnist\" … (3 lines)")
        XCTAssertEqual(line("├── empty"), "├── empty float32 [0] contiguous empty")
        XCTAssertEqual(line("├── train"), "├── train/")

        // Dataset columns line up across tree depths.
        let datasetLines = lines.filter { $0.contains("contiguous") || $0.contains("chunks") }
        let typeColumns = Set(datasetLines.map { line -> Int in
            let type = ["uint8", "int64", "float64", "bool", "string", "float32"].first { line.contains("  \($0) ") } ?? ""
            return line.range(of: "  \(type) ").map { line.distance(from: line.startIndex, to: $0.lowerBound) } ?? -1
        })
        XCTAssertEqual(typeColumns.count, 1, "\(datasetLines)")
    }

    func testRangesCanBeSkipped() throws {
        let listing = try HDF5Inspector(computeRanges: false).describe(path: try makeFile())
        XCTAssertFalse(listing.contains("min "))
        XCTAssertTrue(listing.contains("\"name: mnist\""))
    }

    func testRangeIsComputedInBlocksOfRows() throws {
        let file = try HDF5File.create(path("blocks.h5"))
        // Rows of 4 bytes and blocks of 8 bytes: five reads of two rows or fewer.
        let values: [UInt8] = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55]
        let plain = try file.createDataset("plain", values: values, shape: [9, 4])
        XCTAssertEqual(try ValueRange.of(plain, blockBytes: 8).description, "min 20, max 55")
        // Chunked: blocks are whole chunks of three rows.
        let chunked = try file.createDataset("chunked", values: values.reversed(), shape: [9, 4], chunks: [3, 4])
        XCTAssertEqual(try ValueRange.of(chunked, blockBytes: 8).description, "min 20, max 55")
        let floats = try file.createDataset("floats", values: [.nan, .nan] as [Float], shape: [2, 1])
        XCTAssertEqual(try ValueRange.of(floats, blockBytes: 4).description, "min nan, max nan, 2 NaN")
    }
}
