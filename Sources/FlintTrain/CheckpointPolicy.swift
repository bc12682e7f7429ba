import Foundation
import Flint
import FlintSpec

/// When the trainer writes checkpoints and which it keeps (`train.checkpoint`).
/// `last.h5` is rewritten at every save point; numbered copies
/// (`epoch=E-step=S.h5`, Lightning's naming, E counting from 0) are kept `keepLast` deep; `best.h5`
/// follows the best value of `best.metric`.
public struct CheckpointPolicy: Sendable, Equatable {
    /// Save at the end of every this many epochs (and always after the last one).
    public var everyEpochs: Int
    /// Also save every this many optimizer steps, inside epochs.
    public var everySteps: Int?
    /// Numbered checkpoints to keep besides `last.h5` and `best.h5`; 0 keeps none, -1 keeps all.
    public var keepLast: Int
    /// The metric and direction that choose `best.h5`; nil takes the early-stopping
    /// monitor, else `val/loss` when there is a validation split, else `train/loss`.
    public var best: (metric: String, mode: EarlyStopping.Mode)?

    public init(everyEpochs: Int = CheckpointSpec().everyEpochs, everySteps: Int? = nil,
                keepLast: Int = CheckpointSpec().keepLast, best: (metric: String, mode: EarlyStopping.Mode)? = nil) {
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.keepLast = keepLast
        self.best = best
    }

    /// The spec's `train.checkpoint`.
    public init(_ spec: CheckpointSpec) {
        self.init(everyEpochs: spec.everyEpochs, everySteps: spec.everySteps, keepLast: spec.keepLast,
                  best: spec.best.map { ($0.metric, $0.mode) })
    }

    public static func == (a: CheckpointPolicy, b: CheckpointPolicy) -> Bool {
        a.everyEpochs == b.everyEpochs && a.everySteps == b.everySteps && a.keepLast == b.keepLast
            && a.best?.metric == b.best?.metric && a.best?.mode == b.best?.mode
    }
}

/// The checkpoints folder of a run: writes `last.h5`, links numbered copies
/// and `best.h5` to it, and prunes old numbered copies.
final class CheckpointStore {
    let dir: String
    let policy: CheckpointPolicy
    var lastPath: String { dir + "/last.h5" }
    var bestPath: String { dir + "/best.h5" }

    /// False writes nothing (ranks other than 0 of a data-parallel job).
    let writes: Bool

    init(dir: String, policy: CheckpointPolicy, writes: Bool = true) throws {
        self.dir = dir
        self.policy = policy
        self.writes = writes
        guard writes else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileSafety.removeStaleTemporaries(in: dir)
    }

    /// Writes `checkpoint` as `last.h5` and, when numbered copies are kept, as
    /// `epoch=E-step=S.h5` (a hard link to the same file: no second write).
    func save(_ checkpoint: Checkpoint) throws {
        guard writes else { return }
        try checkpoint.write(to: lastPath)
        guard policy.keepLast != 0 else { return }
        try link(lastPath, as: "\(dir)/\(CheckpointStore.numberedName(checkpoint)).h5")
        prune()
    }

    /// Lightning's `epoch=E-step=S`: E is the 0-based epoch the step belongs to, the same inside an
    /// epoch and at its end (`checkpoint.epoch` counts completed epochs, one more at the end).
    static func numberedName(_ checkpoint: Checkpoint) -> String {
        let epoch = checkpoint.dataBatchIndex > 0 ? checkpoint.epoch : Swift.max(checkpoint.epoch - 1, 0)
        return "epoch=\(epoch)-step=\(checkpoint.step)"
    }

    /// Makes `best.h5` the checkpoint just saved as `last.h5`.
    func markLastAsBest() throws { if writes { try link(lastPath, as: bestPath) } }

    /// Writes `best.h5` directly, for a best epoch that was not a save point.
    func saveBest(_ checkpoint: Checkpoint) throws { if writes { try checkpoint.write(to: bestPath) } }

    /// Points `path` at the file `source` names now, atomically: a hard link
    /// under a temporary name renamed over `path`; a copy where links fail.
    private func link(_ source: String, as path: String) throws {
        try AtomicFile(destination: path).write({ tmp in
            if Foundation.link(source, tmp) != 0 {
                do {
                    try FileManager.default.copyItem(atPath: source, toPath: tmp)
                } catch {
                    throw TrainError.io("cannot copy checkpoint \(source) to \(path): \(error.localizedDescription)")
                }
            }
        }, failure: { error, _ in
            if let error = error as? FileWriteError { return TrainError.io("cannot move checkpoint into place at \(path): \(error)") }
            return error
        })
    }

    /// The numbered checkpoints, oldest first (by step, then epoch).
    func numbered() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let parsed: [(epoch: Int, step: Int, name: String)] = names.compactMap { name in
            guard name.hasPrefix("epoch="), name.hasSuffix(".h5") else { return nil }
            let parts = name.dropLast(3).split(separator: "-")
            guard parts.count == 2, let e = Int(parts[0].dropFirst("epoch=".count)),
                  parts[1].hasPrefix("step="), let s = Int(parts[1].dropFirst("step=".count)) else { return nil }
            return (e, s, name)
        }
        return parsed.sorted { ($0.step, $0.epoch) < ($1.step, $1.epoch) }.map { dir + "/" + $0.name }
    }

    private func prune() {
        guard policy.keepLast > 0 else { return }
        let all = numbered()
        for path in all.dropLast(policy.keepLast) { unlink(path) }
    }

    /// Removes numbered checkpoints past `step`, left by a run that went on
    /// after the checkpoint it is now resumed from.
    func removeNumbered(after step: Int) {
        guard writes else { return }
        for path in numbered() {
            let name = (path as NSString).lastPathComponent
            if let s = name.split(separator: "=").last.flatMap({ Int($0.dropLast(3)) }), s > step { unlink(path) }
        }
    }
}
