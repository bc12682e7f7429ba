import Foundation
import FlintTrain

/// Learning curves of one or more runs: labelled axes with round tick values,
/// one colour per run, and a legend. `figure` lays a plot out once; `svg` and
/// `png` (Plot+PNG.swift) draw the same layout.
public enum Plot {
    public struct Series {
        public var label: String
        public var points: [(x: Double, y: Double)]

        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    /// matplotlib's `tab10` colours, which stay apart for most colour vision.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The curves of `metric` from the epoch records (or, with `steps`, the
    /// step records) of each run's `metrics.jsonl`, against `x`: `epoch`, `step` or `elapsed`.
    public static func series(runs: [String], metric: String, x: String, steps: Bool) throws -> [Series] {
        try runs.map { dir in
            let records = MetricsLog.read(dir + "/metrics.jsonl").filter { $0.kind == (steps ? .step : .epoch) }
            let points: [(x: Double, y: Double)] = records.compactMap { r in
                guard let y = r.values[metric], y.isFinite else { return nil }
                switch x {
                case "step": return (Double(r.step), y)
                case "elapsed": return r.values["elapsed"].map { ($0, y) }
                default: return (Double(r.epoch), y)
                }
            }
            guard FileManager.default.fileExists(atPath: dir + "/metrics.jsonl") else {
                throw TrainError.badInput("\(dir): no metrics.jsonl; is it a run directory?")
            }
            return Series(label: (dir as NSString).lastPathComponent, points: points)
        }
    }

    /// One element of a laid-out figure, in pixels from the top-left corner.
    enum Mark {
        /// A straight line; 1-pixel lines lie on pixel centres, so both back ends draw them crisp.
        case line(from: Point, to: Point, colour: String, width: Double)
        /// One run's curve.
        case curve([Point], colour: String)
        case dot(Point, radius: Double, colour: String)
        /// Text whose baseline starts, centres or ends at `at`; a vertical one reads upwards.
        case text(String, at: Point, anchor: Anchor, style: TextStyle)
    }

    typealias Point = (x: Double, y: Double)

    enum Anchor: String {
        case start, middle, end
    }

    enum TextStyle {
        case title, tick, axisLabel, verticalAxisLabel, legend
    }

    /// A laid-out plot that the SVG and PNG back ends draw as they are.
    struct Figure {
        var width: Int
        var height: Int
        var marks: [Mark]
    }

    static let frameColour = "#333333", gridColour = "#e5e5e5", textColour = "#222222"
    /// The widest legend label, in pixels; longer labels are shortened with "...".
    static let legendTextWidth = 236.0

    /// Lays out the curves of `series`: ticks at round values on both axes, a
    /// light grid, the frame, axis labels, and a legend right of the plot.
    static func figure(_ series: [Series], metric: String, xLabel: String, width: Int = 860, height: Int = 520) -> Figure {
        let labels = series.map { fitted($0.label, width: legendTextWidth) }
        // The legend: a swatch, a gap and the widest label, 8 pixels clear of the right edge.
        let legendWidth = 32 + (labels.map { PlotFont.width(of: $0) }.max() ?? 0)
        let left = 72.0, right = 24.0 + legendWidth, top = 40.0, bottom = 56.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let all = series.flatMap(\.points)
        // Epochs and steps are counts: their ticks fall on whole numbers.
        let xs = ticks(all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1, minStep: xLabel == "epoch" || xLabel == "step" ? 1 : 0)
        let ys = ticks(all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        let (x0, x1) = (xs.first ?? 0, xs.last ?? 1)
        let (y0, y1) = (ys.first ?? 0, ys.last ?? 1)
        func px(_ x: Double) -> Double { left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * plotH }
        func crisp(_ v: Double) -> Double { v.rounded(.down) + 0.5 }
        let (frameLeft, frameRight) = (crisp(left), crisp(left + plotW))
        let (frameTop, frameBottom) = (crisp(top), crisp(top + plotH))

        var marks: [Mark] = [.text(metric, at: (left + plotW / 2, 24), anchor: .middle, style: .title)]
        for t in xs {
            marks.append(.line(from: (crisp(px(t)), frameTop), to: (crisp(px(t)), frameBottom), colour: gridColour, width: 1))
            marks.append(.text(label(t), at: (px(t), top + plotH + 18), anchor: .middle, style: .tick))
        }
        for t in ys {
            marks.append(.line(from: (frameLeft, crisp(py(t))), to: (frameRight, crisp(py(t))), colour: gridColour, width: 1))
            marks.append(.text(label(t), at: (left - 8, py(t) + 4), anchor: .end, style: .tick))
        }
        let corners = [(frameLeft, frameTop), (frameRight, frameTop), (frameRight, frameBottom), (frameLeft, frameBottom)]
        for i in corners.indices {
            marks.append(.line(from: corners[i], to: corners[(i + 1) % 4], colour: frameColour, width: 1))
        }
        marks.append(.text(xLabel, at: (left + plotW / 2, Double(height) - 14), anchor: .middle, style: .axisLabel))
        marks.append(.text(metric, at: (18, top + plotH / 2), anchor: .middle, style: .verticalAxisLabel))
        for (i, s) in series.enumerated() {
            let colour = palette[i % palette.count]
            marks.append(.curve(s.points.map { (px($0.x), py($0.y)) }, colour: colour))
            if s.points.count <= 60 {
                marks += s.points.map { .dot((px($0.x), py($0.y)), radius: 2.5, colour: colour) }
            }
            let ly = top + 10 + Double(i) * 20
            let lx = left + plotW + 16
            marks.append(.line(from: (lx, ly), to: (lx + 18, ly), colour: colour, width: 3))
            marks.append(.text(labels[i], at: (lx + 24, ly + 4), anchor: .start, style: .legend))
        }
        return Figure(width: width, height: height, marks: marks)
    }

    /// `text`, cut short with "..." where it is wider than `width` pixels.
    static func fitted(_ text: String, width: Double) -> String {
        guard PlotFont.width(of: text) > width else { return text }
        var kept = text
        while !kept.isEmpty && PlotFont.width(of: kept + "...") > width { kept.removeLast() }
        return kept + "..."
    }

    /// The curves as a hand-written SVG.
    public static func svg(_ series: [Series], metric: String, xLabel: String) -> String {
        let figure = figure(series, metric: metric, xLabel: xLabel)
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(figure.width)" height="\(figure.height)" viewBox="0 0 \(figure.width) \(figure.height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12" fill="\(textColour)">
        <rect width="100%" height="100%" fill="white"/>

        """
        for mark in figure.marks {
            switch mark {
            case let .line(from, to, colour, width):
                let stroke = width == 1 ? "" : " stroke-width=\"\(Int(width))\""
                out += "<line x1=\"\(f(from.x))\" y1=\"\(f(from.y))\" x2=\"\(f(to.x))\" y2=\"\(f(to.y))\" stroke=\"\(colour)\"\(stroke)/>\n"
            case let .curve(points, colour):
                let path = points.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
                out += "<polyline class=\"run\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(path)\"/>\n"
            case let .dot(centre, radius, colour):
                out += "<circle cx=\"\(f(centre.x))\" cy=\"\(f(centre.y))\" r=\"\(radius)\" fill=\"\(colour)\"/>\n"
            case let .text(text, at, anchor, style):
                let anchorAttribute = anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\""
                switch style {
                case .title:
                    out += "<text x=\"\(f(at.x))\" y=\"\(f(at.y))\"\(anchorAttribute) font-size=\"15\">\(escape(text))</text>\n"
                case .verticalAxisLabel:
                    out += "<text transform=\"translate(\(f(at.x)) \(f(at.y))) rotate(-90)\"\(anchorAttribute)>\(escape(text))</text>\n"
                case .legend:
                    out += "<text class=\"legend\" x=\"\(f(at.x))\" y=\"\(f(at.y))\"\(anchorAttribute)>\(escape(text))</text>\n"
                case .tick, .axisLabel:
                    out += "<text x=\"\(f(at.x))\" y=\"\(f(at.y))\"\(anchorAttribute)>\(escape(text))</text>\n"
                }
            }
        }
        return out + "</svg>\n"
    }

    /// Round tick values (1, 2 or 5 times a power of ten) spanning [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 6, minStep: Double = 0) -> [Double] {
        var (a, b) = (lo, hi)
        if a == b { a -= Swift.abs(a) > 0 ? Swift.abs(a) * 0.1 : 1; b += Swift.abs(b) > 0 ? Swift.abs(b) * 0.1 : 1 }
        let raw = (b - a) / Double(count - 1)
        let magnitude = pow(10, floor(log10(raw)))
        let step = Swift.max(minStep, [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude)
        let first = floor(a / step) * step
        var out: [Double] = []
        var t = first
        while t <= b + step * 1e-9 {
            out.append(t)
            t += step
        }
        if let last = out.last, last < b { out.append(last + step) }
        return out
    }

    private static func label(_ v: Double) -> String {
        if v == v.rounded() && Swift.abs(v) < 1e6 { return String(Int(v)) }
        var s = String(format: "%.4g", v)
        if s.contains("e") { return s }
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
