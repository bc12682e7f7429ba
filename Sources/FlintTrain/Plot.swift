import Foundation

/// Learning curves of one or more runs as a hand-written SVG: labelled axes
/// with round tick values, one colour per run, and a legend.
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

    public static func svg(_ series: [Series], metric: String, xLabel: String, width: Double = 860, height: Double = 520) -> String {
        let legendWidth = min(260.0, 24 + 7 * Double(series.map(\.label.count).max() ?? 0))
        let left = 72.0, right = 24.0 + legendWidth, top = 40.0, bottom = 56.0
        let plotW = width - left - right, plotH = height - top - bottom
        let all = series.flatMap(\.points)
        // Epochs and steps are counts: their ticks fall on whole numbers.
        let xs = ticks(all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1, minStep: xLabel == "epoch" || xLabel == "step" ? 1 : 0)
        let ys = ticks(all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        let (x0, x1) = (xs.first ?? 0, xs.last ?? 1)
        let (y0, y1) = (ys.first ?? 0, ys.last ?? 1)
        func px(_ x: Double) -> Double { left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="24" text-anchor="middle" font-size="15">\(escape(metric))</text>

        """
        for t in xs {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(label(t))</text>\n"
        }
        for t in ys {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(metric))</text>\n"
        for (i, s) in series.enumerated() {
            let colour = palette[i % palette.count]
            let path = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"run\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            if s.points.count <= 60 {
                for p in s.points { out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(colour)\"/>\n" }
            }
            let ly = top + 10 + Double(i) * 20
            let lx = left + plotW + 16
            out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 18))\" y2=\"\(f(ly))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            out += "<text class=\"legend\" x=\"\(f(lx + 24))\" y=\"\(f(ly + 4))\">\(escape(s.label))</text>\n"
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
