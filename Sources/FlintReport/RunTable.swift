import Foundation
import FlintTrain

/// One run directory as `flint runs` lists it.
public struct RunRow {
    public var path: String
    public var name: String
    /// `finished`, `stopped`, `interrupted`, `failed` or `running`.
    public var status: String
    /// `--set` overrides by key, as written.
    public var overrides: [String: String]
    public var epochs: Int
    public var seconds: Double
    public var final: [String: Double]
    public var best: [String: Double]
    public var bestEpoch: Int?
    /// Why it stopped or failed.
    public var reason: String?
    /// Processes that trained it (data parallel) and their global batch (processes × `data.batch_size`).
    public var worldSize = 1
    public var globalBatch: Int?
}

/// `flint runs`: every run under some folders, as one table.
public enum RunTable {
    public enum Format: String { case table, json, csv }

    /// Runs at or below each folder (a folder with `summary.json` is a run; its insides are not searched).
    public static func collect(_ roots: [String]) throws -> [RunRow] {
        var rows: [RunRow] = []
        let fm = FileManager.default
        for root in roots {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                throw TrainError.badInput("\(root): no such directory")
            }
            if let row = read(root) {
                rows.append(row)
                continue
            }
            guard let walker = fm.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isDirectoryKey]) else { continue }
            for case let url as URL in walker {
                guard (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory == true else { continue }
                if let row = read(url.path) {
                    rows.append(row)
                    walker.skipDescendants()
                }
            }
        }
        return rows.sorted { $0.path < $1.path }
    }

    /// The row of a run directory; nil for a folder that is not one.
    static func read(_ dir: String) -> RunRow? {
        guard let text = try? String(contentsOfFile: dir + "/summary.json", encoding: .utf8),
              let s = JSONValue.parse(text)?.object else { return nil }
        func metrics(_ key: String) -> [String: Double] {
            var out: [String: Double] = [:]
            for (k, v) in s[key]?.object ?? [:] { if let d = v.double { out[k] = d } }
            return out
        }
        var status = s["status"]?.string ?? "unknown"
        var reason = s["error"]?.string ?? s["stop_reason"]?.string
        if status == "running", let pid = s["pid"]?.int.map(Int32.init),
           s["host"]?.string == ProcessInfo.processInfo.hostName, kill(pid, 0) != 0, errno == ESRCH {
            status = "failed"
            reason = "process \(pid) ended without reporting (killed?)"
        }
        let lines = (try? String(contentsOfFile: dir + "/overrides.txt", encoding: .utf8))?.split(separator: "\n").map(String.init)
            ?? (s["overrides"]?.array ?? []).compactMap(\.string)
        var overrides: [String: String] = [:]
        for line in lines where !line.isEmpty {
            if let eq = line.firstIndex(of: "=") {
                overrides[String(line[..<eq])] = String(line[line.index(after: eq)...])
            } else if line.hasSuffix("~") {
                overrides[String(line.dropLast())] = "(removed)"
            }
        }
        return RunRow(path: dir, name: (dir as NSString).lastPathComponent, status: status, overrides: overrides,
                      epochs: s["epochs"]?.int ?? 0, seconds: s["wall_seconds"]?.double ?? 0,
                      final: metrics("final"), best: metrics("best"), bestEpoch: s["best_epoch"]?.int,
                      reason: reason, worldSize: s["world_size"]?.int ?? 1, globalBatch: s["global_batch"]?.int)
    }

    /// Keeps the rows where every `KEY=VALUE` holds: an override key, `status`,
    /// `name`, or a final metric (compared as numbers when both sides are).
    public static func filter(_ rows: [RunRow], _ filters: [String]) throws -> [RunRow] {
        let parsed = try filters.map { f -> (String, String) in
            guard let eq = f.firstIndex(of: "="), eq != f.startIndex else {
                throw TrainError.badInput("--filter \(f): expected KEY=VALUE, e.g. optimizer.lr=0.01 or status=finished")
            }
            return (String(f[..<eq]), String(f[f.index(after: eq)...]))
        }
        return rows.filter { row in
            parsed.allSatisfy { key, value in
                guard let actual = field(row, key) else { return false }
                if let a = Double(actual), let b = Double(value) { return a == b }
                return actual == value
            }
        }
    }

    /// A row's value for a key: `status`, `name`, `epochs`, `time`, an override,
    /// a final metric, or `best:METRIC`.
    static func field(_ row: RunRow, _ key: String) -> String? {
        switch key {
        case "status": return row.status
        case "name", "run": return row.name
        case "epochs": return String(row.epochs)
        case "time", "seconds": return String(row.seconds)
        default:
            if let v = row.overrides[key] { return v }
            if key.hasPrefix("best:"), let v = row.best[String(key.dropFirst(5))] { return String(v) }
            return row.final[key].map { String($0) }
        }
    }

    /// Sorts by a metric, best first (lowest loss, highest accuracy), or by any
    /// other field; `KEY:asc` or `KEY:desc` sets the order. Rows without the key
    /// go last; by a metric, so do runs that did not complete (their metrics are partial).
    public static func sort(_ rows: [RunRow], by spec: String?) -> [RunRow] {
        guard let spec else { return rows }
        var key = spec
        var descending: Bool?
        if spec.hasSuffix(":asc") { key = String(spec.dropLast(4)); descending = false }
        if spec.hasSuffix(":desc") { key = String(spec.dropLast(5)); descending = true }
        let metric = key.hasPrefix("best:") ? String(key.dropFirst(5)) : key
        let isMetric = rows.contains { $0.final[metric] != nil || $0.best[metric] != nil }
        let desc = descending ?? (isMetric && MetricDirection.mode(of: metric) == .max)
        let complete = { (r: RunRow) in r.status == "finished" || r.status == "stopped" }
        return rows.enumerated().sorted { a, b in
            if isMetric, complete(a.element) != complete(b.element) { return complete(a.element) }
            let x = field(a.element, key), y = field(b.element, key)
            switch (x, y) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return false
            case (_, nil): return true
            case let (x?, y?):
                if x == y { return a.offset < b.offset }
                if let dx = Double(x), let dy = Double(y), !dx.isNaN, !dy.isNaN { return desc ? dx > dy : dx < dy }
                return desc ? x > y : x < y
            }
        }.map(\.element)
    }

    /// Override keys whose values are not the same in every row.
    static func varyingKeys(_ rows: [RunRow]) -> [String] {
        let keys = Set(rows.flatMap { $0.overrides.keys }).sorted()
        return keys.filter { key in Set(rows.map { $0.overrides[key] ?? "" }).count > 1 }
    }

    public static func render(_ rows: [RunRow], format: Format) -> String {
        let overrideKeys = varyingKeys(rows)
        let finals = MetricRecord.orderedKeys(Set(rows.flatMap { $0.final.keys }))
        let bests = MetricRecord.orderedKeys(Set(rows.flatMap { $0.best.keys }).filter { $0.hasPrefix("val/") })
        switch format {
        case .json:
            let items: [JSON] = rows.map { r in
                .object([
                    ("run", .string(r.name)), ("path", .string(r.path)), ("status", .string(r.status)),
                    ("overrides", .object(r.overrides.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                    ("epochs", .int(r.epochs)), ("seconds", .number(r.seconds)),
                    ("world_size", .int(r.worldSize)), ("global_batch", r.globalBatch.map(JSON.int) ?? .null),
                    ("final", .object(MetricRecord.orderedKeys(r.final.keys).map { ($0, .number(r.final[$0] ?? .nan)) })),
                    ("best", .object(MetricRecord.orderedKeys(r.best.keys).map { ($0, .number(r.best[$0] ?? .nan)) })),
                    ("best_epoch", r.bestEpoch.map(JSON.int) ?? .null), ("reason", r.reason.map(JSON.string) ?? .null),
                ])
            }
            return JSON.object([("runs", .array(items))]).text + "\n"
        case .csv:
            let header = ["run", "status"] + overrideKeys + ["epochs", "seconds", "world_size", "global_batch"] + finals + bests.map { "best:" + $0 }
                + ["best_epoch", "reason", "path"]
            let lines = rows.map { (r: RunRow) -> String in
                var cells: [String] = [r.name, r.status]
                cells += overrideKeys.map { r.overrides[$0] ?? "" }
                cells += [String(r.epochs), MetricsLog.number(r.seconds), String(r.worldSize), r.globalBatch.map { String($0) } ?? ""]
                cells += finals.map { (k: String) -> String in r.final[k].map(MetricsLog.number) ?? "" }
                cells += bests.map { (k: String) -> String in r.best[k].map(MetricsLog.number) ?? "" }
                cells += [r.bestEpoch.map { String($0) } ?? "", r.reason ?? "", r.path]
                return cells.map(MetricsLog.csvField).joined(separator: ",")
            }
            return ([header.map(MetricsLog.csvField).joined(separator: ",")] + lines).joined(separator: "\n") + "\n"
        case .table:
            let header = ["run", "status"] + overrideKeys + ["epochs", "time", "procs", "global batch"] + finals + bests.map { "best " + $0 } + ["best epoch"]
            var table = [header]
            let fixed = { (v: Double?) -> String in v.map { String(format: "%.4f", $0) } ?? "-" }
            for r in rows {
                var cells: [String] = [r.name, r.status]
                cells += overrideKeys.map { r.overrides[$0] ?? "-" }
                cells += [String(r.epochs), ProgressReporter.clock(r.seconds), String(r.worldSize), r.globalBatch.map { String($0) } ?? "-"]
                cells += finals.map { fixed(r.final[$0]) }
                cells += bests.map { fixed(r.best[$0]) }
                cells.append(r.bestEpoch.map { String($0) } ?? "-")
                table.append(cells)
            }
            let widths = header.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
            var out = table.map { row in
                row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n") + "\n"
            let notes = rows.filter { $0.status != "finished" && $0.reason != nil }
            if !notes.isEmpty {
                out += "\n" + notes.map { "\($0.name): \($0.status): \($0.reason ?? "")" }.joined(separator: "\n") + "\n"
            }
            return out
        }
    }
}
