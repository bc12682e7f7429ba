import Foundation
import Flint

/// `summary.json` of a run directory: written when the run starts (status
/// `running`) and rewritten at every epoch and at the end, so a run that
/// failed, stopped or was interrupted says so.
public struct RunSummary {
    /// `running`, `finished`, `stopped` (early stopping, max_time), `interrupted` (SIGINT/SIGTERM) or `failed`.
    public var status: String
    public var name: String
    public var spec: String?
    public var overrides: [String]
    public var stopReason: String?
    public var error: String?
    public var startedAt: Date
    public var wallSeconds: Double
    /// Completed epochs and optimizer steps.
    public var epochs: Int
    public var steps: Int
    /// The last epoch's metrics, with the test metrics once they are known.
    public var final: [String: Double]
    /// The best value of every metric over the epochs (lowest loss, highest accuracy, ...).
    public var best: [String: Double]
    /// The epoch at which `bestMetric` was best.
    public var bestEpoch: Int?
    public var bestMetric: String?
    public var checkpoint: String?
    public var bestCheckpoint: String?
    /// Processes of a data-parallel job (1 alone) and `data.batch_size`, which is per process.
    public var worldSize = 1
    public var batchSize: Int?

    public init(name: String, spec: String?, overrides: [String]) {
        status = "running"
        self.name = name
        self.spec = spec
        self.overrides = overrides
        startedAt = Date()
        wallSeconds = 0
        epochs = 0
        steps = 0
        final = [:]
        best = [:]
    }

    func json(gitCommit: String?) -> String {
        func metrics(_ m: [String: Double]) -> JSON {
            .object(MetricRecord.orderedKeys(m.keys).map { ($0, .number(m[$0] ?? .nan)) })
        }
        let optional: (String?) -> JSON = { $0.map(JSON.string) ?? .null }
        return JSON.object([
            ("name", .string(name)), ("status", .string(status)), ("stop_reason", optional(stopReason)),
            ("error", optional(error)), ("spec", optional(spec)), ("overrides", .array(overrides.map(JSON.string))),
            ("epochs", .int(epochs)), ("steps", .int(steps)), ("wall_seconds", .number(wallSeconds)),
            ("final", metrics(final)), ("best", metrics(best)),
            ("best_epoch", bestEpoch.map(JSON.int) ?? .null), ("best_metric", optional(bestMetric)),
            ("checkpoint", optional(checkpoint)), ("best_checkpoint", optional(bestCheckpoint)),
            ("world_size", .int(worldSize)), ("batch_size", batchSize.map(JSON.int) ?? .null),
            ("global_batch", batchSize.map { JSON.int($0 * worldSize) } ?? .null),
            ("started_at", .string(ISO8601DateFormatter().string(from: startedAt))),
            ("updated_at", .string(ISO8601DateFormatter().string(from: Date()))),
            ("peak_memory_bytes", RunInfo.peakMemoryBytes().map(JSON.int) ?? .null),
            ("flint_version", .string(FlintVersion.string)), ("git_commit", optional(gitCommit)),
            ("pid", .int(Int(getpid()))), ("host", .string(ProcessInfo.processInfo.hostName)),
            // Flint's kernels and OpenBLAS share this count (`--threads`, `FLINT_NUM_THREADS`).
            ("threads", .int(Parallelism.threads)),
        ]).text
    }
}

/// Facts about the process and the project for `summary.json`.
enum RunInfo {
    /// The process's peak resident memory (`VmHWM` of /proc/self/status), where /proc exists.
    static func peakMemoryBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    /// The commit checked out in the git repository holding `path`, read from
    /// `.git` directly (no `git` process): HEAD, then the ref it names, loose or packed.
    static func gitCommit(near path: String) -> String? {
        var dir = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        for _ in 0..<64 {
            let dotGit = dir.appendingPathComponent(".git").path
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: dotGit, isDirectory: &isDir) {
                var gitDir = dotGit
                if !isDir.boolValue {
                    // A worktree or submodule: `.git` is a file saying `gitdir: PATH`.
                    guard let text = try? String(contentsOfFile: dotGit, encoding: .utf8),
                          let line = text.split(separator: "\n").first, line.hasPrefix("gitdir: ") else { return nil }
                    let target = String(line.dropFirst("gitdir: ".count))
                    gitDir = target.hasPrefix("/") ? target : dir.appendingPathComponent(target).path
                }
                return commit(gitDir: gitDir)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
        return nil
    }

    private static func commit(gitDir: String) -> String? {
        guard let head = try? String(contentsOfFile: gitDir + "/HEAD", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return head.count == 40 ? head : nil }
        let ref = String(head.dropFirst(5))
        // Worktrees keep refs in the common directory.
        var dirs = [gitDir]
        if let common = try? String(contentsOfFile: gitDir + "/commondir", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) {
            dirs.append(common.hasPrefix("/") ? common : gitDir + "/" + common)
        }
        for d in dirs {
            if let loose = try? String(contentsOfFile: d + "/" + ref, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), loose.count == 40 {
                return loose
            }
            if let packed = try? String(contentsOfFile: d + "/packed-refs", encoding: .utf8) {
                for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
                    return String(line.prefix(40))
                }
            }
        }
        return nil
    }
}
