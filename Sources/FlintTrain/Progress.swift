import Foundation

/// How training reports progress on stderr: a live bar on a terminal, plain
/// lines otherwise, nothing but errors with `quiet`. Every line also goes to
/// the run's `train.log`. Nothing is ever written to stdout.
package final class ProgressReporter {
    enum Mode { case bar, lines, quiet }

    let mode: Mode
    private let log: FileHandle?
    private var barVisible = false
    private var lastDraw = 0.0
    private var epochStart = 0.0
    private var label = ""

    init(quiet: Bool, logPath: String?) {
        if quiet { mode = .quiet } else { mode = isatty(2) == 1 ? .bar : .lines }
        if let logPath {
            if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
            log = FileHandle(forWritingAtPath: logPath)
            _ = try? log?.seekToEnd()
        } else {
            log = nil
        }
    }

    deinit { try? log?.close() }

    /// A line for stderr (unless quiet) and the log.
    func line(_ text: String) {
        clearBar()
        if mode != .quiet { FileHandle.standardError.write(Data((text + "\n").utf8)) }
        logOnly(text)
    }

    /// A line for the log alone.
    func logOnly(_ text: String) {
        try? log?.write(contentsOf: Data((ProgressReporter.timestamp() + " " + text + "\n").utf8))
    }

    func startEpoch(_ label: String) {
        self.label = label
        epochStart = ProgressReporter.now()
        lastDraw = 0
    }

    /// Redraws the bar, at most ten times a second.
    func batch(done: Int, total: Int, samples: Int, loss: Double) {
        guard mode == .bar else { return }
        let now = ProgressReporter.now()
        guard done == total || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let elapsed = now - epochStart
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rate = elapsed > 0 ? Double(samples) / elapsed : 0
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let text = "\(label) \(bar) \(done)/\(total)  \(Int(rate)) samples/s  loss \(String(format: "%.4f", loss))  ETA \(ProgressReporter.clock(eta))"
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
        barVisible = true
    }

    func clearBar() {
        guard barVisible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        barVisible = false
    }

    package static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private static let iso = ISO8601DateFormatter()
    private static func timestamp() -> String { iso.string(from: Date()) }
}
