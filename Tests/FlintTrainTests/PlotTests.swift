import CImageCodecs
import Foundation
import XCTest
@testable import FlintReport
@testable import FlintTrain

/// `flint plot`: one layout drawn as SVG or as PNG.
final class PlotTests: XCTestCase {
    /// Three runs' accuracy over five epochs, one of them with a name too long for the legend.
    let series: [Plot.Series] = (0..<3).map { (run: Int) -> Plot.Series in
        let label = run == 2 ? "a-run-whose-name-is-much-too-long-to-fit-into-the-legend-box-at-all" : "lr0.0\(run + 1)"
        let points: [(x: Double, y: Double)] = (1...5).map { (epoch: Int) -> (x: Double, y: Double) in
            (Double(epoch), 0.5 + 0.08 * Double(epoch) - 0.05 * Double(run))
        }
        return Plot.Series(label: label, points: points)
    }

    /// Decodes a PNG with libpng.
    func decode(_ png: Data) throws -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        var image = flint_image()
        let ok = png.withUnsafeBytes { flint_png_decode($0.bindMemory(to: UInt8.self).baseAddress, png.count, &image) }
        defer { flint_image_free(&image) }
        guard ok == 1 else { throw TrainError.runtime("libpng cannot decode the PNG: \(String(cString: &image.message.0))") }
        let count = Int(image.width * image.height * image.channels)
        return (Int(image.width), Int(image.height), Int(image.channels), Array(UnsafeBufferPointer(start: image.pixels, count: count)))
    }

    func testPNGDrawsCurvesAxesAndText() throws {
        let image = try decode(try Plot.png(series, metric: "val/accuracy", xLabel: "epoch"))
        XCTAssertEqual(image.width, 860)
        XCTAssertEqual(image.height, 520)
        XCTAssertEqual(image.channels, 3)
        func rgb(_ x: Int, _ y: Int) -> RGB {
            let i = (y * image.width + x) * 3
            return RGB(r: image.pixels[i], g: image.pixels[i + 1], b: image.pixels[i + 2])
        }
        var counts: [RGB: Int] = [:]
        for y in 0..<image.height { for x in 0..<image.width { counts[rgb(x, y), default: 0] += 1 } }
        XCTAssertEqual(rgb(0, 0), RGB("#ffffff"), "white background")
        for colour in Plot.palette.prefix(3) {
            XCTAssertGreaterThan(counts[RGB(colour)] ?? 0, 100, "the curve, dots and legend swatch in \(colour)")
        }
        XCTAssertNil(counts[RGB(Plot.palette[3])], "one colour per run, no more")

        // The frame: two columns and two rows of solid frame colour, as long as the plot area.
        let frame = RGB(Plot.frameColour)
        let columns = (0..<image.width).filter { x in (0..<image.height).filter { rgb(x, $0) == frame }.count >= 400 }
        let rows = (0..<image.height).filter { y in (0..<image.width).filter { rgb($0, y) == frame }.count >= 400 }
        XCTAssertEqual(columns.count, 2, "left and right edges of the plot area")
        XCTAssertEqual(rows.count, 2, "top and bottom edges of the plot area")
        guard let left = columns.first, let bottom = rows.last else { return }

        // Text is drawn where the layout puts it: title, tick labels, axis labels.
        func inked(_ xs: Range<Int>, _ ys: Range<Int>) -> Int {
            ys.reduce(0) { sum, y in sum + xs.filter { x in Int(rgb(x, y).r) + Int(rgb(x, y).g) + Int(rgb(x, y).b) < 200 }.count }
        }
        XCTAssertGreaterThan(inked(left..<(left + 500), 10..<30), 30, "the title")
        XCTAssertGreaterThan(inked(20..<(left - 2), 40..<bottom), 50, "the y tick labels")
        XCTAssertGreaterThan(inked(left..<(left + 500), (bottom + 5)..<(bottom + 25)), 30, "the x tick labels")
        XCTAssertGreaterThan(inked(left..<(left + 500), (image.height - 26)..<image.height), 20, "the x axis label")
        XCTAssertGreaterThan(inked(0..<20, 40..<bottom), 30, "the vertical y axis label")
    }

    /// Both back ends draw `Plot.figure`: every curve and legend label, the
    /// long one shortened the same way in each.
    func testSVGAndPNGShareTheLayout() throws {
        let figure = Plot.figure(series, metric: "val/accuracy", xLabel: "epoch")
        let svg = Plot.svg(series, metric: "val/accuracy", xLabel: "epoch")
        XCTAssertEqual(svg.components(separatedBy: "<polyline class=\"run\"").count - 1, 3)
        let texts = figure.marks.compactMap { mark -> String? in if case let .text(text, _, _, _) = mark { return text } else { return nil } }
        for text in texts { XCTAssertTrue(svg.contains(">\(text)</text>"), text) }
        let long = try XCTUnwrap(texts.first(where: { $0.hasPrefix("a-run-whose-name") }))
        XCTAssertTrue(long.hasSuffix("..."), long)
        XCTAssertLessThanOrEqual(PlotFont.width(of: long), Plot.legendTextWidth)
        XCTAssertTrue(svg.contains(">lr0.01</text>") && svg.contains(">epoch</text>") && svg.contains(">val/accuracy</text>"))
    }

    /// `flint plot` picks the back end by the output's extension; PIL reads the PNG too where it is installed.
    func testPlotCommandWritesPNG() throws {
        let dir = try TestSupport.tempDir(self)
        for (i, s) in series.enumerated() {
            let run = dir.appendingPathComponent("run\(i)")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            let summary = #"{"status": "finished"}"#
            try summary.write(to: run.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
            let lines: [String] = s.points.map { point in
                let epoch = Int(point.x)
                return #"{"kind": "epoch", "epoch": \#(epoch), "step": \#(epoch * 10), "val/accuracy": \#(point.y)}"#
            }
            try lines.joined(separator: "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        }
        let png = dir.appendingPathComponent("curves.png").path
        let result = try TestSupport.runFlint(["plot", dir.path, "--metric", "val/accuracy", "--output", png])
        XCTAssertEqual(result.status, 0, result.err)
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG signature")
        XCTAssertEqual(try decode(data).width, 860)
        XCTAssertEqual(try TestSupport.runFlint(["plot", dir.path, "--output", dir.appendingPathComponent("curves.gif").path]).status, 2)

        let pil = Process()
        pil.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pil.arguments = ["python3", "-c", "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.size, im.mode)", png]
        let out = Pipe()
        pil.standardOutput = out
        pil.standardError = Pipe()
        try pil.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pil.waitUntilExit()
        guard pil.terminationStatus == 0 else { throw XCTSkip("python3 with PIL is not installed; libpng alone checked the PNG") }
        XCTAssertEqual(text, "(860, 520) RGB\n")
    }
}
