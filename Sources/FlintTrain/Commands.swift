import Foundation
import Flint
import FlintSpec
import FlintHDF5
import FlintData

/// The work behind `flint train`, `flint eval` and `flint config`, kept out of
/// the CLI so a library user can call it.
public enum FlintCommands {
    /// Loads a spec, builds the run, trains it and returns the result.
    public static func train(specPath: String, overrides: [String], runDir: String?, resume: String?, quiet: Bool) throws -> TrainResult {
        let spec = try Spec.load(path: specPath, overrides: overrides)
        for w in spec.warnings where !quiet { FileHandle.standardError.write(Data((w.description + "\n").utf8)) }
        let checkpoint = try resume.map { try Checkpoint.read(from: resolveCheckpoint($0)) }
        let plan = try RunPlan(spec: spec)
        let dir = try runDir ?? defaultRunDir(specPath: specPath, name: spec.name, config: plan.config)
        if resume == nil { try claimRunDir(dir) }
        let trainer = Trainer(plan: plan, options: TrainOptions(runDir: dir, quiet: quiet, resume: checkpoint))
        return try trainer.run()
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

    /// Creates `dir`, refusing one that exists and is not empty so no run is overwritten.
    static func claimRunDir(_ dir: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir), let contents = try? fm.contentsOfDirectory(atPath: dir), !contents.isEmpty {
            throw TrainError.badInput("run directory \(dir) already exists and is not empty; choose another --run-dir")
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

    /// Metrics of a checkpoint on one split, rebuilt from the checkpoint alone.
    public static func evaluate(checkpoint path: String, split: String, data: String?) throws -> (samples: Int, metrics: [String: Double]) {
        let file = resolveCheckpoint(path)
        let ckpt = try Checkpoint.read(from: file)
        let spec = try Spec.parse(yaml: ckpt.config, file: file + ":/config")
        let plan = try RunPlan(spec: spec, dataOverride: data)
        var state: [String: Tensor] = [:]
        for (k, v) in ckpt.model { state[k] = v }
        do {
            _ = try plan.model.loadStateDict(state, strict: true)
        } catch {
            throw TrainError.badInput("\(file): weights do not fit the model of its own config: \(error)")
        }
        let loader: FlintData.DataLoader?
        switch split {
        case "train": loader = plan.train
        case "val": loader = plan.val
        case "test": loader = plan.test
        default: throw TrainError.badInput("unknown split '\(split)'; expected train, val or test")
        }
        guard let loader else { throw TrainError.badInput("\(file): the spec has no \(split) split") }
        let metrics = try FlintTrain.evaluate(model: plan.model, loss: plan.loss, loader: loader)
        return (loader.dataset.count, metrics)
    }

    /// The resolved spec as YAML (`flint config`).
    public static func config(specPath: String, overrides: [String]) throws -> String {
        try Spec.load(path: specPath, overrides: overrides).node.yaml()
    }
}
