import XCTest
import Foundation
import Flint
import FlintHDF5
@testable import FlintReport
@testable import FlintTrain

/// `flint predict` on what users have: `.npy` files, PNG files and folders of them, and CSV
/// output. The same pixels must give the same probabilities whatever file they came in.
final class PredictRawInputTests: XCTestCase {
    /// A version 1.0 `.npy` file of uint8 `shape` (numpy's format: magic, header dict padded to 64 bytes, data).
    private func writeNPY(_ bytes: [UInt8], shape: [Int], to path: String) throws {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data += Data(header.utf8) + Data(bytes)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// A gray image as an RGB PNG (r = g = b, which PIL's gray conversion returns unchanged).
    private func writePNG(_ gray: ArraySlice<UInt8>, width: Int, height: Int, to path: String) throws {
        var raster = Raster(width: width, height: height)
        for (i, v) in gray.enumerated() { raster.blend(i % width, i / width, RGB(r: v, g: v, b: v), alpha: 1) }
        try raster.png().write(to: URL(fileURLWithPath: path))
    }

    func testNPYAndImagesGiveTheProbabilitiesOfTheHDF5Rows() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir, train: 100, test: 12)
        let images = try HDF5File.open(data).dataset("test/images").readArray(as: UInt8.self)
        let reference = dir.appendingPathComponent("h5.h5").path
        _ = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: reference)
        let expected = try HDF5File.open(reference).dataset("probabilities").readArray(as: Float.self)

        let npy = dir.appendingPathComponent("x.npy").path
        try writeNPY(images, shape: [12, 1, 28, 28], to: npy)
        let fromNPY = dir.appendingPathComponent("npy.h5").path
        let r = try FlintCommands.predict(checkpoint: checkpoint, input: npy, output: fromNPY)
        XCTAssertEqual(r.samples, 12)
        XCTAssertEqual(try HDF5File.open(fromNPY).dataset("probabilities").readArray(as: Float.self), expected)

        let folder = dir.appendingPathComponent("digits")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("more"), withIntermediateDirectories: true)
        let names = ["a.png", "b.png", "more/c.png"]
        for (k, name) in names.enumerated() {
            try writePNG(images[(k * 784)..<((k + 1) * 784)], width: 28, height: 28, to: folder.appendingPathComponent(name).path)
        }
        let csv = dir.appendingPathComponent("digits.csv").path
        let cli = try TestSupport.runFlint(["predict", checkpoint, "--input", folder.path, "--output", csv])
        XCTAssertEqual(cli.status, 0, cli.err)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(lines.first, ["path", "class"] + (0..<10).map { "p_\($0)" })
        XCTAssertEqual(lines.dropFirst().map { $0[0] }, names.map { folder.path + "/" + $0 })
        for (k, row) in lines.dropFirst().enumerated() {
            let p = row.dropFirst(2).compactMap(Float.init)
            // A batch of 3 may round differently from one of 12 in the GEMM: float32 tolerance.
            for (a, b) in zip(p, expected[(k * 10)..<((k + 1) * 10)]) { XCTAssertEqual(a, b, accuracy: 1e-6, "image \(names[k])") }
            XCTAssertEqual(p.count, 10)
            XCTAssertEqual(row[1], String(p.indices.max { p[$0] < p[$1] } ?? -1))
        }

        let one = dir.appendingPathComponent("one.h5").path
        _ = try FlintCommands.predict(checkpoint: checkpoint, input: folder.appendingPathComponent("b.png").path, output: one)
        for (a, b) in zip(try HDF5File.open(one).dataset("probabilities").readArray(as: Float.self), expected[10..<20]) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
    }
}
