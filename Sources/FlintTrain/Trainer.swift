import Foundation
import Flint
import FlintNN
import FlintData

/// Everything a run is made of, built from a spec.
public struct RunPlan {
    public var name: String
    public var seed: UInt64
    public var config: String
    public var model: Module
    public var loss: Loss
    public var optimizer: Optimizer
    public var scheduler: LRScheduler?
    public var train: DataLoader
    public var val: DataLoader?
    public var test: DataLoader?
    public var epochs: Int

    public init(name: String, seed: UInt64, config: String, model: Module, loss: Loss, optimizer: Optimizer,
                scheduler: LRScheduler?, train: DataLoader, val: DataLoader?, test: DataLoader?, epochs: Int) {
        self.name = name
        self.seed = seed
        self.config = config
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.train = train
        self.val = val
        self.test = test
        self.epochs = epochs
    }
}

/// What a finished run reports (the `--json` line of `flint train`).
public struct TrainResult {
    public var runDir: String
    public var checkpoint: String
    public var epochs: Int
    public var seconds: Double
    public var metrics: [String: Double]

    public var json: String {
        JSON.object([
            ("run_dir", .string(runDir)), ("checkpoint", .string(checkpoint)), ("epochs", .int(epochs)),
            ("seconds", .number(seconds)), ("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
        ]).text
    }
}

/// How the trainer reports progress: stderr lines, or nothing with `quiet`.
public struct TrainOptions {
    public var runDir: String
    public var quiet: Bool
    public var resume: Checkpoint?

    public init(runDir: String, quiet: Bool = false, resume: Checkpoint? = nil) {
        self.runDir = runDir
        self.quiet = quiet
        self.resume = resume
    }
}

/// The training loop: epochs of batches, validation after each epoch, a
/// checkpoint after each epoch, test metrics at the end.
public final class Trainer {
    public let plan: RunPlan
    public let options: TrainOptions
    private var history: [String: [Double]] = [:]
    private var step = 0
    private var epoch = 0

    public init(plan: RunPlan, options: TrainOptions) {
        self.plan = plan
        self.options = options
    }

    private func log(_ line: String) {
        guard !options.quiet else { return }
        FileHandle.standardError.write((line + "\n").data(using: .utf8) ?? Data())
    }

    private var checkpointDir: String { options.runDir + "/checkpoints" }
    private var lastPath: String { checkpointDir + "/last.h5" }

    public func run() throws -> TrainResult {
        let started = Date()
        try FileManager.default.createDirectory(atPath: checkpointDir, withIntermediateDirectories: true)
        try plan.config.write(toFile: options.runDir + "/config.yaml", atomically: true, encoding: .utf8)
        let metricsURL = URL(fileURLWithPath: options.runDir + "/metrics.jsonl")
        if !FileManager.default.fileExists(atPath: metricsURL.path) {
            FileManager.default.createFile(atPath: metricsURL.path, contents: nil)
        }
        var resumeMidEpoch = false
        if let ckpt = options.resume {
            try restore(ckpt)
            resumeMidEpoch = ckpt.dataBatchIndex > 0
            log("resuming from epoch \(epoch), step \(step)")
        }
        let model = plan.model
        while epoch < plan.epochs {
            let epochStart = Date()
            model.train()
            if !resumeMidEpoch { plan.train.startEpoch() }
            resumeMidEpoch = false
            var lossSum = 0.0, seen = 0
            while let batch = try plan.train.next() {
                let out = try model(batch.x)
                let loss = try plan.loss(out, batch.y)
                plan.optimizer.zeroGrad()
                try loss.backward()
                try plan.optimizer.step()
                step += 1
                let l = try loss.item()
                guard l.isFinite else {
                    throw TrainError.runtime("loss became \(l) at epoch \(epoch + 1), step \(step); the last good checkpoint is \(lastPath)")
                }
                lossSum += l * Double(batch.indices.count)
                seen += batch.indices.count
            }
            plan.scheduler?.step()
            epoch += 1
            var metrics: [String: Double] = ["train/loss": lossSum / Double(Swift.max(seen, 1))]
            if let val = plan.val {
                for (k, v) in try evaluate(model: model, loss: plan.loss, loader: val) { metrics["val/" + k] = v }
            }
            for (k, v) in metrics { history[k, default: []].append(v) }
            let seconds = Date().timeIntervalSince(epochStart)
            try appendLine(metricsURL, JSON.object([("epoch", .int(epoch)), ("step", .int(step)), ("lr", .number(plan.optimizer.lr)),
                                                    ("seconds", .number(seconds))] + metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }).text)
            try saveCheckpoint(to: lastPath)
            log("epoch \(epoch)/\(plan.epochs)  " + metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: "  ")
                + String(format: "  %.1fs", seconds))
        }
        var final: [String: Double] = [:]
        for (k, v) in history { if let last = v.last { final[k] = last } }
        if let test = plan.test {
            for (k, v) in try evaluate(model: model, loss: plan.loss, loader: test) { final["test/" + k] = v }
            if let acc = final["test/accuracy"] { log(String(format: "test/accuracy %.4f", acc)) }
        }
        return TrainResult(runDir: options.runDir, checkpoint: lastPath, epochs: epoch,
                           seconds: Date().timeIntervalSince(started), metrics: final)
    }

    private func appendLine(_ url: URL, _ line: String) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: (line + "\n").data(using: .utf8) ?? Data())
    }

    /// The state of the run right now, as a checkpoint.
    public func snapshot() -> Checkpoint {
        Checkpoint(epoch: epoch, step: step, config: plan.config, model: plan.model.stateDict(),
                   optimizerType: plan.optimizer.typeName, optimizerSteps: plan.optimizer.stepCount,
                   optimizerLRs: plan.optimizer.paramGroups.map { $0.lr }, optimizerState: plan.optimizer.stateDict(),
                   scheduler: plan.scheduler?.state ?? [:],
                   rng: ["default": Generator.default.snapshot, "data": plan.train.generator.snapshot],
                   dataOrder: plan.train.order, dataBatchIndex: plan.train.batchIndex < plan.train.batchesPerEpoch ? plan.train.batchIndex : 0,
                   history: history)
    }

    public func saveCheckpoint(to path: String) throws { try snapshot().write(to: path) }

    private func restore(_ c: Checkpoint) throws {
        var state: [String: Tensor] = [:]
        for (k, v) in c.model { state[k] = v }
        do {
            _ = try plan.model.loadStateDict(state, strict: true)
        } catch {
            throw TrainError.badInput("checkpoint does not fit this model: \(error)")
        }
        var opt: [String: Tensor] = [:]
        for (k, v) in c.optimizerState { opt[k] = v }
        try plan.optimizer.loadStateDict(opt)
        plan.optimizer.stepCount = c.optimizerSteps
        for (i, lr) in c.optimizerLRs.enumerated() where i < plan.optimizer.paramGroups.count {
            plan.optimizer.paramGroups[i].lr = lr
        }
        plan.scheduler?.restore(c.scheduler)
        if let words = c.rng["default"] { try Generator.default.restore(words) }
        if let words = c.rng["data"] { try plan.train.generator.restore(words) }
        try plan.train.restore(order: c.dataOrder, batchIndex: c.dataBatchIndex)
        history = c.history
        epoch = c.epoch
        step = c.step
    }
}
