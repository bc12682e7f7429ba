import CImageCodecs
import Foundation
import FlintTrain

extension Plot {
    /// The curves drawn into pixels, anti-aliased, and encoded as a PNG (RGB, 8 bits).
    public static func png(_ series: [Series], metric: String, xLabel: String) throws -> Data {
        let figure = figure(series, metric: metric, xLabel: xLabel)
        var raster = Raster(width: figure.width, height: figure.height)
        for mark in figure.marks {
            switch mark {
            case let .line(from, to, colour, width):
                raster.stroke([from, to], width: width, colour: RGB(colour))
            case let .curve(points, colour):
                raster.stroke(points, width: 2, colour: RGB(colour))
            case let .dot(centre, radius, colour):
                raster.disc(centre, radius: radius, colour: RGB(colour))
            case let .text(text, at, anchor, style):
                raster.text(text, at: at, anchor: anchor, vertical: style == .verticalAxisLabel, colour: RGB(textColour))
                if style == .title {
                    // One size of bitmap font: the title stands out by a second pass one pixel over.
                    raster.text(text, at: (at.x + 1, at.y), anchor: anchor, vertical: false, colour: RGB(textColour))
                }
            }
        }
        return try raster.png()
    }
}

/// A colour from "#rrggbb".
struct RGB: Hashable {
    var r: UInt8, g: UInt8, b: UInt8

    init(r: UInt8, g: UInt8, b: UInt8) {
        (self.r, self.g, self.b) = (r, g, b)
    }

    init(_ hex: String) {
        let value = UInt32(hex.dropFirst(), radix: 16) ?? 0
        self.init(r: UInt8(value >> 16 & 0xff), g: UInt8(value >> 8 & 0xff), b: UInt8(value & 0xff))
    }
}

/// An RGB image on a white background that shapes are drawn into with
/// anti-aliased edges: each pixel is covered in proportion to how much of it
/// the shape covers, measured from the pixel's centre.
struct Raster {
    let width: Int
    let height: Int
    /// Rows top to bottom, three bytes per pixel.
    private var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    /// Mixes `colour` into pixel (x, y) with weight `alpha` in 0...1.
    mutating func blend(_ x: Int, _ y: Int, _ colour: RGB, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = Swift.min(alpha, 1)
        let i = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 { UInt8((Double(old) * (1 - a) + Double(new) * a).rounded()) }
        pixels[i] = mix(pixels[i], colour.r)
        pixels[i + 1] = mix(pixels[i + 1], colour.g)
        pixels[i + 2] = mix(pixels[i + 2], colour.b)
    }

    /// A polyline `width` pixels wide with round joins. Coverage is the most any
    /// segment gives a pixel, so joints are not painted twice.
    mutating func stroke(_ points: [Plot.Point], width lineWidth: Double, colour: RGB) {
        guard let first = points.first else { return }
        let reach = lineWidth / 2 + 0.5
        let xs = points.map(\.x), ys = points.map(\.y)
        let x0 = Swift.max(0, Int(((xs.min() ?? 0) - reach).rounded(.down)))
        let x1 = Swift.min(width - 1, Int(((xs.max() ?? 0) + reach).rounded(.up)))
        let y0 = Swift.max(0, Int(((ys.min() ?? 0) - reach).rounded(.down)))
        let y1 = Swift.min(height - 1, Int(((ys.max() ?? 0) + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let boxWidth = x1 - x0 + 1
        var coverage = [Double](repeating: 0, count: boxWidth * (y1 - y0 + 1))
        let segments = points.count == 1 ? [(first, first)] : zip(points, points.dropFirst()).map { ($0, $1) }
        for (a, b) in segments {
            let sx0 = Swift.max(x0, Int((Swift.min(a.x, b.x) - reach).rounded(.down)))
            let sx1 = Swift.min(x1, Int((Swift.max(a.x, b.x) + reach).rounded(.up)))
            let sy0 = Swift.max(y0, Int((Swift.min(a.y, b.y) - reach).rounded(.down)))
            let sy1 = Swift.min(y1, Int((Swift.max(a.y, b.y) + reach).rounded(.up)))
            guard sx0 <= sx1, sy0 <= sy1 else { continue }
            for y in sy0...sy1 {
                for x in sx0...sx1 {
                    let d = distance(from: (Double(x) + 0.5, Double(y) + 0.5), toSegment: a, b)
                    let c = Swift.min(1, reach - d)
                    let k = (y - y0) * boxWidth + (x - x0)
                    if c > coverage[k] { coverage[k] = c }
                }
            }
        }
        for y in y0...y1 {
            for x in x0...x1 { blend(x, y, colour, alpha: coverage[(y - y0) * boxWidth + (x - x0)]) }
        }
    }

    /// A filled circle.
    mutating func disc(_ centre: Plot.Point, radius: Double, colour: RGB) {
        let reach = radius + 0.5
        for y in Int((centre.y - reach).rounded(.down))...Int((centre.y + reach).rounded(.up)) {
            for x in Int((centre.x - reach).rounded(.down))...Int((centre.x + reach).rounded(.up)) {
                let d = ((Double(x) + 0.5 - centre.x) * (Double(x) + 0.5 - centre.x)
                    + (Double(y) + 0.5 - centre.y) * (Double(y) + 0.5 - centre.y)).squareRoot()
                blend(x, y, colour, alpha: reach - d)
            }
        }
    }

    /// `text` in PlotFont with its baseline through `at`; a vertical one is
    /// turned a quarter left, reading upwards, as SVG's rotate(-90).
    mutating func text(_ text: String, at: Plot.Point, anchor: Plot.Anchor, vertical: Bool, colour: RGB) {
        let length = PlotFont.width(of: text)
        let shift = anchor == .start ? 0 : anchor == .middle ? length / 2 : length
        var pen = Int((vertical ? at.y + shift : at.x - shift).rounded())
        let baseline = Int((vertical ? at.x : at.y).rounded())
        for glyph in PlotFont.glyphs(text) {
            for row in 0..<PlotFont.height {
                for column in 0..<glyph.width {
                    let level = glyph.coverage(column, row)
                    guard level > 0 else { continue }
                    let along = glyph.left + column, across = row - PlotFont.ascent
                    let alpha = Double(level) / 3
                    if vertical { blend(baseline + across, pen - along - 1, colour, alpha: alpha) }
                    else { blend(pen + along, baseline + across, colour, alpha: alpha) }
                }
            }
            pen += vertical ? -glyph.advance : glyph.advance
        }
    }

    /// The image as PNG, encoded by libpng.
    func png() throws -> Data {
        var output = flint_png_output()
        var message = [CChar](repeating: 0, count: 256)
        let ok = pixels.withUnsafeBufferPointer {
            flint_png_encode_rgb($0.baseAddress, Int32(width), Int32(height), &output, &message)
        }
        defer { free(output.data) }
        guard ok != 0, let data = output.data else {
            throw TrainError.runtime("cannot encode the PNG: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        return Data(bytes: data, count: output.size)
    }
}

private func distance(from p: Plot.Point, toSegment a: Plot.Point, _ b: Plot.Point) -> Double {
    let (dx, dy) = (b.x - a.x, b.y - a.y)
    let lengthSquared = dx * dx + dy * dy
    let t = lengthSquared == 0 ? 0 : Swift.max(0, Swift.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared))
    let (ex, ey) = (p.x - (a.x + t * dx), p.y - (a.y + t * dy))
    return (ex * ex + ey * ey).squareRoot()
}

extension PlotFont {
    struct Glyph {
        let advance: Int
        let left: Int
        let width: Int
        /// Where the glyph's pixels start in `levels`.
        let offset: Int

        /// 0 (blank) to 3 (full ink).
        func coverage(_ column: Int, _ row: Int) -> UInt8 {
            let i = offset + row * width + column
            return PlotFont.levels[i >> 2] >> UInt8((i & 3) * 2) & 3
        }
    }

    static let levels = [UInt8](Data(base64Encoded: coverage, options: .ignoreUnknownCharacters) ?? Data())

    static let table: [Glyph] = {
        var glyphs: [Glyph] = []
        var offset = 0
        for i in stride(from: 0, to: metrics.count, by: 3) {
            let glyph = Glyph(advance: Int(metrics[i]), left: Int(metrics[i + 1]), width: Int(metrics[i + 2]), offset: offset)
            glyphs.append(glyph)
            offset += glyph.width * height
        }
        return glyphs
    }()

    /// The glyphs that draw `text`; characters outside printable ASCII draw as "?".
    static func glyphs(_ text: String) -> [Glyph] {
        text.unicodeScalars.map { scalar in
            let code = scalar.isASCII && UInt8(scalar.value) >= first && UInt8(scalar.value) <= last ? UInt8(scalar.value) : UInt8(ascii: "?")
            return table[Int(code - first)]
        }
    }

    /// How far `text` advances the pen, in pixels.
    static func width(of text: String) -> Double {
        Double(glyphs(text).reduce(0) { $0 + $1.advance })
    }
}
