import Foundation
import FlintSpec

/// One difference between two resolved specs, by dotted path.
public struct ConfigChange: Equatable, CustomStringConvertible {
    public var path: String
    /// The value as YAML on one line; nil where the key is absent.
    public var old: String?
    public var new: String?

    public var description: String { "\(path): \(old ?? "(absent)") → \(new ?? "(absent)")" }
}

/// What a resume with a changed spec may change: the learning rate, epochs and
/// the like apply; a different model, or another optimizer or scheduler type
/// whose saved state would not fit, is refused.
enum ResumeCheck {
    /// Every leaf that differs between two spec trees.
    static func changes(from old: SpecNode?, to new: SpecNode?, path: String = "") -> [ConfigChange] {
        switch (old?.kind, new?.kind) {
        case (.mapping(let a)?, .mapping(let b)?):
            var keys = a.map(\.key)
            for p in b where !keys.contains(p.key) { keys.append(p.key) }
            return keys.flatMap { key in
                changes(from: old?[key], to: new?[key], path: path.isEmpty ? key : path + "." + key)
            }
        case (.sequence(let a)?, .sequence(let b)?):
            return (0..<max(a.count, b.count)).flatMap { i in
                changes(from: i < a.count ? a[i] : nil, to: i < b.count ? b[i] : nil, path: path + "." + String(i))
            }
        case (.scalar(let a)?, .scalar(let b)?):
            return a.value == b.value ? [] : [ConfigChange(path: path, old: a.text, new: b.text)]
        case (nil, nil):
            return []
        default:
            let text = { (n: SpecNode?) -> String? in
                n.map { $0.yaml().trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ") }
            }
            return text(old) == text(new) ? [] : [ConfigChange(path: path, old: text(old), new: text(new))]
        }
    }

    /// The checkpoint's config as a tree: validated when this Flint still
    /// accepts it, else only resolved, so an older checkpoint can still be compared.
    static func configNode(_ config: String, checkpoint: String) -> SpecNode? {
        if let spec = try? Spec.parse(yaml: config, file: checkpoint + ":/config") { return spec.node }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("flint-config-\(getpid())-\(UUID().uuidString).yaml").path
        defer { unlink(tmp) }
        guard FileManager.default.createFile(atPath: tmp, contents: Data(config.utf8)) else { return nil }
        return Spec.resolve(path: tmp).node
    }

    /// The changes from the checkpoint's config to `spec`; throws `badInput`
    /// for those a resume cannot apply.
    static func check(_ checkpoint: Checkpoint, path: String, spec: Spec) throws -> [ConfigChange] {
        guard let old = configNode(checkpoint.config, checkpoint: path) else {
            throw TrainError.badInput("\(path): its stored config cannot be read, so it cannot be compared with the spec")
        }
        let all = changes(from: old, to: spec.node)
        let model = all.filter { ($0.path == "model" || $0.path.hasPrefix("model.")) && !$0.path.hasPrefix("model.init_from") }
        if !model.isEmpty {
            throw TrainError.badInput("cannot resume from \(path): the spec describes a different model than the checkpoint ("
                                      + model.prefix(3).map { "\($0.path) is \($0.old ?? "absent") in the checkpoint, \($0.new ?? "absent") in the spec" }
                                        .joined(separator: "; ") + (model.count > 3 ? "; and \(model.count - 3) more" : "")
                                      + "); train it from scratch or use --init to start from its weights")
        }
        for part in ["optimizer", "scheduler"] {
            if let change = all.first(where: { $0.path == part + ".type" }) {
                throw TrainError.badInput("cannot resume from \(path): \(part) type changed from \(change.old ?? "none") to \(change.new ?? "none"), "
                                          + "and the saved \(part) state does not carry over; keep \(change.old ?? "none") or train from scratch")
            }
        }
        if checkpoint.dataBatchIndex > 0, let change = all.first(where: { $0.path == "data.batch_size" }) {
            throw TrainError.badInput("cannot resume from \(path) with data.batch_size \(change.new ?? "?"): the checkpoint was taken in the "
                                      + "middle of an epoch at batch size \(change.old ?? "?"); resume with the same batch size, "
                                      + "or from a checkpoint taken at the end of an epoch")
        }
        return all
    }

    /// Applies a changed `optimizer.lr` to the checkpoint's learning rates and
    /// scheduler state by the ratio new/old, so the schedule keeps its shape
    /// around the new base rate (a resumed run that ignored it would be Caffe's bug #2786).
    static func applyLearningRate(_ changes: [ConfigChange], to checkpoint: inout Checkpoint) -> String? {
        guard let change = changes.first(where: { $0.path == "optimizer.lr" }),
              let old = change.old.flatMap(Double.init), let new = change.new.flatMap(Double.init), old > 0 else { return nil }
        let ratio = new / old
        checkpoint.optimizerLRs = checkpoint.optimizerLRs.map { $0 * ratio }
        for (key, value) in checkpoint.scheduler where key.hasPrefix("base_lrs.") || key.hasPrefix("_last_lr.") {
            checkpoint.scheduler[key] = value * ratio
        }
        return "learning rates scaled by \(ratio)"
    }
}
