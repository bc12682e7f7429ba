import Foundation
import Flint
import FlintSpec
import FlintHDF5
import FlintData

/// The work behind `flint train`, `flint eval` and `flint config`, kept out of
/// the CLI so a library user can call it.
public enum FlintCommands {
    /// Loads a spec, builds the run, trains it and returns the result.
    ///
    /// - Parameters:
    ///   - resume: a checkpoint or run directory to continue from. Changes of
    ///     the spec against the checkpoint's config are applied and reported on
    ///     stderr; a different model is refused (`badInput`).
    ///   - force: replace an existing run directory instead of refusing.
    ///   - initFrom: weights (safetensors, checkpoint or HDF5) to start from by
    ///     PyTorch name, in place of the spec's `model.init_from`; what a
    ///     non-strict load skips is reported on stderr.
    ///   - handleSignals: SIGINT/SIGTERM write a checkpoint and end the run (`TrainingInterrupted`).
    public static func train(specPath: String, overrides: [String], runDir: String?, resume: String?, quiet: Bool,
                             force: Bool = false, initFrom: InitialWeightsSpec? = nil, handleSignals: Bool = false) throws -> TrainResult {
        let spec = try Spec.load(path: specPath, overrides: overrides)
        let say = { (text: String) in if !quiet { FileHandle.standardError.write(Data((text + "\n").utf8)) } }
        for w in spec.warnings { say(w.description) }
        if resume != nil && initFrom != nil {
            throw TrainError.badInput("--init and --resume cannot be used together: a resumed run continues from its checkpoint's weights")
        }
        var checkpoint: Checkpoint?
        var resumeRunDir: String?
        if let resume {
            let path = resolveCheckpoint(resume)
            var ckpt = try Checkpoint.read(from: path)
            let changes = try ResumeCheck.check(ckpt, path: path, spec: spec)
            let scaled = ResumeCheck.applyLearningRate(changes, to: &ckpt)
            var line = "resuming from \(path) (epoch \(ckpt.epoch), step \(ckpt.step)"
                + (ckpt.dataBatchIndex > 0 ? ", batch \(ckpt.dataBatchIndex) of epoch \(ckpt.epoch + 1))" : ")")
            if !changes.isEmpty {
                line += " with changes to its config: " + changes.map(\.description).joined(separator: "; ")
                if let scaled { line += " (\(scaled))" }
                if changes.contains(where: { $0.path == "seed" }) {
                    line += "; the seed changes nothing in a resumed run, whose generators continue from the checkpoint"
                }
            }
            say(line)
            checkpoint = ckpt
            resumeRunDir = runDirectory(ofCheckpoint: path)
        }
        var plan = try RunPlan(spec: spec, initialWeights: resume == nil && initFrom == nil,
                               statistics: checkpoint?.dataStatistics)
        for w in plan.warnings { say(w.description) }
        if let initFrom { plan.initialWeightsReport = try loadInitialWeights(into: plan.model, from: initFrom) }
        if let report = plan.initialWeightsReport, !report.fits, let source = initFrom ?? spec.model.initFrom {
            say(report.warning(loadingFrom: source.path))
        }
        let dir: String
        if let runDir {
            dir = runDir
        } else if let resumeRunDir {
            dir = resumeRunDir
        } else {
            dir = try defaultRunDir(specPath: specPath, name: spec.name, config: plan.config)
        }
        let continuing = resumeRunDir.map { sameFile($0, dir) } ?? false
        if !continuing { try claimRunDir(dir, force: force) }
        let options = TrainOptions(runDir: dir, quiet: quiet, resume: checkpoint, resumeRunDir: resumeRunDir,
                                   specPath: specPath, overrides: overrides, handleSignals: handleSignals)
        return try Trainer(plan: plan, options: options).run()
    }

    /// Sets the threads of Flint's kernels and OpenBLAS together (`--threads`).
    public static func setThreads(_ count: Int) throws {
        guard count >= 1 else { throw TrainError.badInput("--threads must be at least 1, got \(count)") }
        Parallelism.threads = count
    }

    /// The overrides of `flint train --fast-dev-run` (Lightning's `fast_dev_run`): one epoch of one
    /// training batch, one validation batch and one test batch.
    public static let fastDevRunOverrides = ["train.epochs=1", "train.limit_batches=1", "train.limit_val_batches=1",
                                             "train.limit_test_batches=1"]

    /// `flint train --fast-dev-run`: the spec's whole loop on one batch of each split, to find what fails
    /// before a long run does. Nothing is written unless `runDir` asks for it: the run goes to a
    /// temporary directory that is removed afterwards, and the result names no files.
    public static func fastDevRun(specPath: String, overrides: [String], runDir: String?, quiet: Bool) throws -> TrainResult {
        let keep = runDir != nil
        let dir = runDir ?? NSTemporaryDirectory() + "flint-fast-dev-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
        var result = try train(specPath: specPath, overrides: overrides + fastDevRunOverrides, runDir: dir, resume: nil,
                               quiet: quiet, force: false)
        if !keep {
            result.runDir = ""
            result.checkpoint = ""
            result.testCheckpoint = nil
        }
        return result
    }

    /// The run directory a checkpoint file sits in (`RUN/checkpoints/x.h5`), if it does.
    static func runDirectory(ofCheckpoint path: String) -> String? {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent()
        guard folder.lastPathComponent == "checkpoints" else { return nil }
        return folder.deletingLastPathComponent().path
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// A run directory, or a checkpoint file inside one, as a checkpoint path.
    static func resolveCheckpoint(_ path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return path + "/checkpoints/last.h5"
        }
        return path
    }

    /// `runs/<name>-<UTC timestamp>-<hash of the resolved config>` beside the spec.
    static func defaultRunDir(specPath: String, name: String, config: String) throws -> String {
        let specDir = URL(fileURLWithPath: specPath).deletingLastPathComponent().path
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let stamp = formatter.string(from: Date())
        let base = "\(specDir)/runs/\(name)-\(stamp)-\(shortHash(config))"
        var dir = base
        var n = 2
        while FileManager.default.fileExists(atPath: dir) {
            dir = "\(base)-\(n)"
            n += 1
        }
        return dir
    }

    /// Creates `dir`, refusing one that exists and is not empty so no run is
    /// overwritten; with `force`, an earlier run there is removed first (only a
    /// folder that looks like a run: it has `config.yaml`, `summary.json` or `metrics.jsonl`).
    static func claimRunDir(_ dir: String, force: Bool = false) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir), let contents = try? fm.contentsOfDirectory(atPath: dir), !contents.isEmpty {
            guard force else {
                throw TrainError.badInput("run directory \(dir) already exists and is not empty; choose another --run-dir, or --force to replace it")
            }
            guard contents.contains(where: { ["config.yaml", "summary.json", "metrics.jsonl"].contains($0) }) else {
                throw TrainError.badInput("run directory \(dir) is not empty and does not look like a Flint run; --force replaces only run directories")
            }
            do {
                try fm.removeItem(atPath: dir)
            } catch {
                throw TrainError.badInput("cannot replace run directory \(dir): \(error.localizedDescription)")
            }
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TrainError.badInput("cannot create run directory \(dir): \(error.localizedDescription)")
        }
    }

    /// FNV-1a of the text, 8 hex digits.
    static func shortHash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(String(h, radix: 16).suffix(8))
    }

    /// The resolved spec as YAML (`flint config`).
    public static func config(specPath: String, overrides: [String]) throws -> String {
        try Spec.load(path: specPath, overrides: overrides).node.yaml()
    }
}
