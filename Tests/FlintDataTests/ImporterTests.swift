import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

final class ImporterTests: DataTestCase {
    private func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func testCSVWithHeaderCategoriesAndMissingValues() throws {
        let csv = try write("pets.csv", """
            weight,colour,"age, years",kind
            4.5,black,3,cat
            30,brown,NA,dog
            ,white,1,cat
            "12",black,7,dog

            """)
        let report = try importCSV(csv, output: path("pets.h5"), options: CSVImportOptions(target: "kind"))
        XCTAssertTrue(report.hadHeader)
        XCTAssertTrue(report.isClassification)
        XCTAssertEqual(report.target.categories, ["cat", "dog"])
        XCTAssertEqual(report.features.map(\.name), ["weight", "colour", "age, years"])
        XCTAssertEqual(report.features.map(\.missing), [1, 0, 1])
        XCTAssertEqual(report.features[1].categories, ["black", "brown", "white"])
        XCTAssertTrue(report.description.contains("missing values (stored as NaN; --missing drop|mean|median replaces them): "
                                                  + "'weight' 1, 'age, years' 1; rows (lines) 3, 4"), report.description)

        let file = try HDF5File.open(path("pets.h5"))
        let x = try file.dataset("train/features").readArray(as: Float.self)
        XCTAssertEqual(x.count, 12)
        XCTAssertEqual(Array(x[0..<3]), [4.5, 0, 3])
        XCTAssertTrue(x[5].isNaN && x[6].isNaN)
        XCTAssertEqual(Array(x[9..<12]), [12, 0, 7])
        XCTAssertEqual(try file.dataset("train/labels").readArray(as: Int64.self), [0, 1, 0, 1])
        XCTAssertEqual(try file.dataset("train/labels").stringArrayAttribute("classes"), ["cat", "dog"])
        XCTAssertEqual(try file.dataset("train/features").stringArrayAttribute("categories_colour"), ["black", "brown", "white"])
        XCTAssertEqual(try file.stringAttribute("source_format"), "CSV")
        XCTAssertEqual(try file.stringAttribute("source_file"), "pets.csv")

        // NaN in features is reported with counts and the first place when the data is checked.
        let data = try DataSources.open(file: path("pets.h5"), x: "train/features", y: "train/labels")
        XCTAssertEqual(dataError(try DataChecks.checkFinite(data))?.description,
                       "\(path("pets.h5")): 'train/features': 2 NaN values in 2 samples (first at row 1, element 2); clean or impute them before training")
    }

    /// 20,000 columns: their names and per-column counts are attributes far past the 64 KiB
    /// an object header message holds, which the 1.8 file format keeps in dense storage.
    func testCSVWithTwentyThousandColumns() throws {
        let width = 20_000
        let names = (0..<width).map { "feature_\($0)" } + ["y"]
        let rows = (0..<3).map { row in ((0..<width).map { String(($0 + row) % 10) } + [String(row % 2)]).joined(separator: ",") }
        let csv = try write("wide.csv", ([names.joined(separator: ",")] + rows).joined(separator: "\n") + "\n")
        try importCSV(csv, output: path("wide.h5"), options: CSVImportOptions(target: "y"))
        let features = try HDF5File.open(path("wide.h5")).dataset("train/features")
        XCTAssertEqual(features.shape, [3, width])
        XCTAssertEqual(try features.stringArrayAttribute("columns"), Array(names.dropLast()))
        XCTAssertEqual(try features.int64ArrayAttribute("missing_values"), [Int64](repeating: 0, count: width))
        XCTAssertEqual(Array(try features.readArray(as: Float.self)[width..<(width + 3)]), [1, 2, 3])
    }

    func testCSVRegressionWithoutHeaderAndTestSplit() throws {
        let rows = (0..<20).map { "\($0);\(Double($0) * 0.5);\($0 * $0)" }.joined(separator: "\n")
        let csv = try write("numbers.csv", rows)
        let options = CSVImportOptions(target: "2", split: ImportSplit(testFraction: 0.25, seed: 1))
        let report = try importCSV(csv, output: path("numbers.h5"), options: options)
        XCTAssertFalse(report.hadHeader)
        XCTAssertFalse(report.isClassification)
        XCTAssertEqual(report.groups.map(\.1), [15, 5])
        let file = try HDF5File.open(path("numbers.h5"))
        XCTAssertEqual(try file.dataset("test/targets").shape, [5, 1])
        let x = try file.dataset("test/features").readArray(as: Float.self)
        let y = try file.dataset("test/targets").readArray(as: Float.self)
        for k in 0..<5 { XCTAssertEqual(y[k], x[2 * k] * x[2 * k]) }
    }

    func testCSVErrorsNameFileAndLine() throws {
        let csv = try write("bad.csv", "a,b,y\n1,2,0\n3,4\n5,6,1\n")
        XCTAssertEqual(dataError(try importCSV(csv, output: path("bad.h5"), options: CSVImportOptions(target: "y")))?.description,
                       "\(csv):3: expected 3 fields (as on line 1), found 2")
        let quoted = try write("quoted.csv", "a,y\n\"multi\nline\",1\n2,\n")
        XCTAssertEqual(dataError(try importCSV(quoted, output: path("q.h5"), options: CSVImportOptions(target: "y")))?.description,
                       "\(quoted):4: the target column 'y' is missing; drop or fill the row")
        let good = try write("good.csv", "a,b,y\n1,2,0\n")
        XCTAssertEqual(dataError(try importCSV(good, output: path("bad.h5"), options: CSVImportOptions(target: "z")))?.description,
                       "\(good): no column 'z' for --target (columns: a, b, y)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.h5")), "a failed import leaves no file")
    }

    /// Writes a .npy file by the format's rules (what numpy.save writes).
    private func writeNPY(_ name: String, descr: String, fortran: Bool = false, shape: [Int], payload: [UInt8],
                          version: UInt8 = 1) throws -> String {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let length = header.utf8.count
        bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                              : [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), 0, 0]
        bytes += Array(header.utf8) + payload
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func testNPYDtypesByteOrderAndFortranOrder() throws {
        let floats: [Float] = [1, 2, 3, 4, 5, 6]
        let little = try writeNPY("x.npy", descr: "<f4", shape: [2, 3], payload: floats.withUnsafeBytes { Array($0) })
        let big = try writeNPY("big.npy", descr: ">i2", shape: [3], payload: [0, 1, 0xFF, 0xFE, 0x01, 0x00], version: 2)
        // Fortran order: the column-major bytes of [[1, 2, 3], [4, 5, 6]].
        let fortranValues: [Int64] = [1, 4, 2, 5, 3, 6]
        let fortran = try writeNPY("f.npy", descr: "<i8", fortran: true, shape: [2, 3],
                                   payload: fortranValues.withUnsafeBytes { Array($0) }, version: 3)
        let header = try NPYHeader.read(little)
        XCTAssertEqual(header.descr, "<f4")
        XCTAssertEqual(header.shape, [2, 3])
        XCTAssertEqual(header.dataOffset % 64, 0)
        try importNPY([NPYImportEntry(argument: little), NPYImportEntry(argument: big + ":train/labels"),
                       NPYImportEntry(argument: fortran)], output: path("arrays.h5"))
        let file = try HDF5File.open(path("arrays.h5"))
        XCTAssertEqual(try file.dataset("x").readArray(as: Float.self), floats)
        XCTAssertEqual(try file.dataset("train/labels").readArray(as: Int32.self), [1, -2, 256])
        XCTAssertEqual(try file.dataset("f").readArray(as: Int64.self), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try file.dataset("f").stringAttribute("npy_fortran_order"), "true")

        let short = try writeNPY("short.npy", descr: "<f8", shape: [4], payload: [UInt8](repeating: 0, count: 16))
        XCTAssertNotNil(dataError(try importNPY([NPYImportEntry(argument: short)], output: path("s.h5")))?.description
            .contains("needs"))
        let structured = try writeNPY("s.npy", descr: "<c8", shape: [1], payload: [UInt8](repeating: 0, count: 8))
        XCTAssertEqual(dataError(try NPYHeader.read(structured))?.description,
                       "\(structured): numpy dtype '<c8' is not supported (bool, integers, float16/32/64 are)")
    }

    func testDecodesPNGAndJPEGAsPIL() throws {
        let fixture = try DataFixture.load()
        XCTAssertEqual(fixture.images.count, 10)
        for record in fixture.images {
            let image = try DecodedImage.decode(file: DataFixture.directory.appendingPathComponent("images/\(record.file)").path)
                .converted(to: record.mode == "L" ? 1 : 3)
            XCTAssertEqual([image.channels, image.height, image.width], record.shape, record.file)
            // PNG is lossless; JPEG decoders may differ by a level in rare pixels.
            let tolerance = record.file.hasSuffix(".jpg") ? 2 : 0
            let worst = zip(image.pixels, record.values).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, tolerance, "\(record.file) as \(record.mode)")
        }
    }

    func testImageFolderImportAndWrongShape() throws {
        let images = DataFixture.directory.appendingPathComponent("images")
        let root = directory.appendingPathComponent("folder")
        for (label, files) in [("a", ["gray.png", "rgb.jpg"]), ("b", ["gray.jpg"])] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(label), withIntermediateDirectories: true)
            for name in files {
                try FileManager.default.copyItem(at: images.appendingPathComponent(name),
                                                 to: root.appendingPathComponent("\(label)/\(name)"))
            }
        }
        // gray.png is 6×5 while the JPEGs are 8×8 and 10×9: the first different one is named.
        let error = dataError(try importImages(root.path, output: path("img.h5")))
        XCTAssertEqual(error?.description, "\(root.path)/a/rgb.jpg: has shape [3, 9, 10], but the other samples have shape [1, 5, 6]")

        try FileManager.default.removeItem(at: root.appendingPathComponent("a/rgb.jpg"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("b/gray.jpg"))
        try FileManager.default.copyItem(at: images.appendingPathComponent("gray.png"), to: root.appendingPathComponent("b/one.png"))
        try FileManager.default.copyItem(at: images.appendingPathComponent("gray.png"), to: root.appendingPathComponent("b/two.png"))
        let report = try importImages(root.path, output: path("img.h5"), options: ImageImportOptions(mode: .rgb))
        XCTAssertEqual(report.classes, ["a", "b"])
        XCTAssertEqual(report.countsPerClass, [1, 2])
        let file = try HDF5File.open(path("img.h5"))
        XCTAssertEqual(try file.dataset("train/images").shape, [3, 3, 5, 6])
        XCTAssertEqual(try file.dataset("train/labels").readArray(as: Int64.self), [0, 1, 1])
        XCTAssertEqual(try file.dataset("train/labels").stringArrayAttribute("classes"), ["a", "b"])
    }
}
