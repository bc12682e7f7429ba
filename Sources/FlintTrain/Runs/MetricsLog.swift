import Foundation

/// One line of `metrics.jsonl` and one row of `metrics.csv`: the end of an
/// epoch, or (with `train.log_every_steps`) a step inside one.
public struct MetricRecord: Equatable {
    public enum Kind: String { case epoch, step }

    public var kind: Kind
    /// Epoch of the record: the epoch just completed, or the epoch a step belongs to (1-based).
    public var epoch: Int
    /// Optimizer steps taken so far.
    public var step: Int
    /// `lr`, `train/loss`, `val/...`, `seconds`, `elapsed`, `samples_per_second`.
    public var values: [String: Double]

    public init(kind: Kind, epoch: Int, step: Int, values: [String: Double]) {
        self.kind = kind
        self.epoch = epoch
        self.step = step
        self.values = values
    }

    /// Value columns in a stable order: the learning rate, losses and
    /// metrics by split, then timings.
    package static func orderedKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        let timing = ["seconds", "elapsed", "samples_per_second"]
        let set = Set(keys)
        let metrics = set.subtracting(timing + ["lr"]).sorted { a, b in
            let ra = MetricRecord.splitRank(a), rb = MetricRecord.splitRank(b)
            return ra != rb ? ra < rb : a < b
        }
        return (set.contains("lr") ? ["lr"] : []) + metrics + timing.filter { set.contains($0) }
    }

    private static func splitRank(_ key: String) -> Int {
        if key.hasPrefix("train/") { return 0 }
        if key.hasPrefix("val/") { return 1 }
        if key.hasPrefix("test/") { return 2 }
        return 3
    }

    var json: String {
        let pairs: [(String, JSON)] = [("kind", .string(kind.rawValue)), ("epoch", .int(epoch)), ("step", .int(step))]
            + MetricRecord.orderedKeys(values.keys).map { ($0, .number(values[$0] ?? .nan)) }
        return JSON.object(pairs).text
    }

    /// The record of one `metrics.jsonl` line; nil for a line that is not one.
    init?(jsonLine: Substring) {
        guard let object = JSONValue.parse(jsonLine)?.object,
              let kind = object["kind"]?.string.flatMap(Kind.init(rawValue:)),
              let epoch = object["epoch"]?.int, let step = object["step"]?.int else { return nil }
        var values: [String: Double] = [:]
        for (key, value) in object where !["kind", "epoch", "step"].contains(key) {
            if let d = value.double { values[key] = d }
        }
        self.init(kind: kind, epoch: epoch, step: step, values: values)
    }
}

/// `metrics.jsonl` and `metrics.csv` of a run directory, written side by side
/// from the same records so they always hold the same numbers.
package final class MetricsLog {
    let jsonlPath: String
    let csvPath: String
    private(set) var records: [MetricRecord] = []
    private var csvColumns: [String] = []
    /// False keeps the records in memory only (ranks other than 0 of a data-parallel job).
    let writes: Bool

    init(dir: String, writes: Bool = true) {
        jsonlPath = dir + "/metrics.jsonl"
        csvPath = dir + "/metrics.csv"
        self.writes = writes
    }

    /// Every record of a `metrics.jsonl` file.
    package static func read(_ path: String) -> [MetricRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { MetricRecord(jsonLine: $0) }
    }

    /// Starts the files afresh with `records` (those a resumed run keeps).
    func reset(to records: [MetricRecord]) throws {
        self.records = records
        guard writes else { return }
        try AtomicFile(destination: jsonlPath).write(Data(records.map { $0.json + "\n" }.joined().utf8))
        try rewriteCSV()
    }

    func append(_ record: MetricRecord) throws {
        records.append(record)
        guard writes else { return }
        try appendLine(jsonlPath, record.json)
        let columns = MetricRecord.orderedKeys(csvColumns + Array(record.values.keys))
        if columns == csvColumns {
            try appendLine(csvPath, csvRow(record))
        } else {
            // A new column (the first validation metric, say) rewrites the file with the wider header.
            try rewriteCSV()
        }
    }

    private func rewriteCSV() throws {
        csvColumns = MetricRecord.orderedKeys(Set(records.flatMap { $0.values.keys }))
        let header = (["kind", "epoch", "step"] + csvColumns).map(MetricsLog.csvField).joined(separator: ",")
        let text = ([header] + records.map(csvRow)).joined(separator: "\n") + "\n"
        try AtomicFile(destination: csvPath).write(Data(text.utf8))
    }

    private func csvRow(_ r: MetricRecord) -> String {
        ([r.kind.rawValue, String(r.epoch), String(r.step)] + csvColumns.map { key in
            guard let v = r.values[key] else { return "" }
            return MetricsLog.number(v)
        }).joined(separator: ",")
    }

    /// The same text for a number as `metrics.jsonl` has, with NaN and
    /// infinities spelled out (JSON can only say null).
    package static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return JSON.number(v).text
    }

    package static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    private func appendLine(_ path: String, _ line: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainError.io("cannot open \(path) for writing") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }
}
