import Foundation
import Flint
import FlintNN
import FlintData
import FlintSpec
import FlintDistributed

/// Everything a run is made of, built from a spec.
public struct RunPlan {
    public var name: String
    public var seed: UInt64
    public var config: String
    public var model: Module
    /// The loss (or weighted losses) of the model's outputs.
    public var objective: Objective
    public var optimizer: Optimizer
    public var scheduler: LRScheduler?
    public var train: DataLoader
    public var val: DataLoader?
    public var test: DataLoader?
    public var epochs: Int
    /// Logging, validation cadence, accumulation, limits, guards, checkpoints.
    public var control: TrainingControl
    /// What loading `model.init_from` found; nil when nothing was loaded.
    public var initialWeightsReport: WeightsLoadReport?
    /// What `data.transforms` learned from the training split (standardize), for checkpoints.
    public var dataStatistics = DataStatistics()
    /// The vocabulary of a text dataset (its `vocab` group), for checkpoints.
    public var vocabulary: TextVocabulary?
    /// When `scheduler.step()` runs.
    public var schedulerStepping: SchedulerStepping
    /// `model.sync_batch_norm`: batch norm statistics over every process of a data-parallel job.
    public var syncBatchNorm = false
    /// `train.metrics`: reported for every split besides the loss.
    public var metrics: [MetricSpec] = []
    /// What looks wrong in the data for this spec without stopping training (`check` and `train` print them).
    public var warnings: [Diagnostic] = []
    /// The names of the classes, in label order, when the training labels carry them (attribute `classes`).
    public var classNames: [String]?

    /// What validation and test report: the listed metrics, or accuracy (for classifiers) when none is listed.
    public var evaluationMetrics: [MetricSpec] { metrics.isEmpty ? [MetricSpec(.accuracy)] : metrics }

    public init(name: String, seed: UInt64, config: String, model: Module, objective: Objective, optimizer: Optimizer,
                scheduler: LRScheduler?, train: DataLoader, val: DataLoader?, test: DataLoader?, epochs: Int,
                control: TrainingControl = TrainingControl(), schedulerStepping: SchedulerStepping = .perEpoch) {
        self.name = name
        self.seed = seed
        self.config = config
        self.model = model
        self.objective = objective
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.train = train
        self.val = val
        self.test = test
        self.epochs = epochs
        self.control = control
        self.schedulerStepping = schedulerStepping
    }
}

/// When a training loop steps its learning-rate scheduler, as a PyTorch loop would.
public enum SchedulerStepping: Equatable, Sendable {
    /// `scheduler.step()` after each epoch.
    case perEpoch
    /// `scheduler.step()` after each optimizer step (OneCycleLR's way).
    case perStep
    /// `scheduler.step(metric)` after each epoch that computed the metric (`ReduceLROnPlateau`).
    case onMetric(String)
}

/// What a finished run reports (the `--json` line of `flint train`).
public struct TrainResult {
    public var runDir: String
    public var checkpoint: String
    public var epochs: Int
    public var seconds: Double
    public var metrics: [String: Double]
    /// `finished`, or `stopped` by early stopping or `max_time`.
    public var status: String = "finished"
    public var stopReason: String?
    /// The checkpoint the test metrics come from (`train.test_checkpoint`); nil without a test split.
    public var testCheckpoint: String?

    public var json: String {
        JSON.object([
            // Empty after `--fast-dev-run`, which keeps no files.
            ("run_dir", runDir.isEmpty ? .null : .string(runDir)), ("checkpoint", checkpoint.isEmpty ? .null : .string(checkpoint)),
            ("epochs", .int(epochs)),
            ("seconds", .number(seconds)), ("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
            ("status", .string(status)), ("stop_reason", stopReason.map(JSON.string) ?? .null),
            ("test_checkpoint", testCheckpoint.map(JSON.string) ?? .null),
        ]).text
    }
}

/// Where a run writes and how it reports.
public struct TrainOptions {
    public var runDir: String
    /// Print nothing but errors (progress still goes to `train.log`).
    public var quiet: Bool
    public var resume: Checkpoint?
    /// The run directory the resumed checkpoint belongs to: its metrics up to
    /// the checkpoint carry over into this run's files.
    public var resumeRunDir: String?
    /// The spec file and `--set` overrides, recorded in the run directory.
    public var specPath: String?
    public var overrides: [String]
    /// Turn SIGINT/SIGTERM into a checkpoint at the next batch boundary (the CLI sets it).
    public var handleSignals: Bool
    /// The ranks of a data-parallel job this process is one of; only rank 0 writes the run directory.
    public var world: Communicator

    public init(runDir: String, quiet: Bool = false, resume: Checkpoint? = nil, resumeRunDir: String? = nil,
                specPath: String? = nil, overrides: [String] = [], handleSignals: Bool = false,
                world: Communicator = LocalCommunicator()) {
        self.world = world
        self.runDir = runDir
        self.quiet = quiet
        self.resume = resume
        self.resumeRunDir = resumeRunDir
        self.specPath = specPath
        self.overrides = overrides
        self.handleSignals = handleSignals
    }
}

/// The training loop: epochs of (accumulated) batches with the NaN guard,
/// validation every `eval_every_epochs`, a metrics record per epoch (and per
/// `log_every_steps`), checkpoints by the policy, early stopping, `max_time`,
/// interrupts at batch boundaries, and test metrics at the end.
public final class Trainer {
    public let plan: RunPlan
    public let options: TrainOptions
    private var control: TrainingControl { plan.control }
    private var history: [String: [Double]] = [:]
    private var step = 0
    private var epoch = 0
    // Sums over the epoch in progress and the current logging window; kept in
    // checkpoints so that a run resumed mid-epoch reports the same loss.
    private var epochLossSum = 0.0
    private var epochSamples = 0
    private var windowLossSum = 0.0
    private var windowSamples = 0
    private var windowStart = 0.0
    /// Training time before this process (from the resumed checkpoint) and this process's start.
    private var elapsedBefore = 0.0
    private var started = ProgressReporter.now()
    private var skippedBatches = 0
    private var earlyStopping: EarlyStopping?
    private var best: (value: Double, epoch: Int)?
    private var resumedMidEpoch = false
    private let parallel: DataParallel
    /// `train.metrics` of the training split, over the epoch's batches as the model saw them (train mode).
    private var trainMetrics: MetricAccumulator

    public init(plan: RunPlan, options: TrainOptions) {
        self.plan = plan
        self.options = options
        parallel = DataParallel(world: options.world, model: plan.model)
        earlyStopping = plan.control.earlyStopping.map(EarlyStopping.init)
        trainMetrics = MetricAccumulator(metrics: plan.metrics, loss: plan.objective.metricLoss)
    }

    private var elapsed: Double { elapsedBefore + ProgressReporter.now() - started }

    /// The metric that chooses `best.h5` and `best_epoch`, and its direction.
    var bestMetric: (name: String, mode: EarlyStopping.Mode) {
        if let b = control.checkpoint.best { return (b.metric, b.mode) }
        if let es = control.earlyStopping { return (es.monitor, es.mode) }
        let name = plan.val != nil ? "val/loss" : "train/loss"
        return (name, MetricDirection.mode(of: name))
    }

    /// The files and reporters of one `run()`.
    private final class Context {
        let progress: ProgressReporter
        let store: CheckpointStore
        let metrics: MetricsLog
        let tensorboard: EventWriter?
        var summary: RunSummary
        let gitCommit: String?
        let summaryPath: String
        /// False on ranks other than 0 of a data-parallel job, which write no files.
        let writes: Bool

        init(progress: ProgressReporter, store: CheckpointStore, metrics: MetricsLog, tensorboard: EventWriter?,
             summary: RunSummary, gitCommit: String?, summaryPath: String, writes: Bool) {
            self.writes = writes
            self.progress = progress
            self.store = store
            self.metrics = metrics
            self.tensorboard = tensorboard
            self.summary = summary
            self.gitCommit = gitCommit
            self.summaryPath = summaryPath
        }

        func writeSummary() {
            guard writes else { return }
            // A summary that cannot be written must not end a training run; the metrics files still hold it all.
            try? AtomicFile(destination: summaryPath).write(Data((summary.json(gitCommit: gitCommit) + "\n").utf8))
        }
    }

    public func run() throws -> TrainResult {
        let dir = options.runDir
        let writes = parallel.isMain
        if writes { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try validateControl()
        let progress = ProgressReporter(quiet: options.quiet || !writes, logPath: writes ? dir + "/train.log" : nil)
        let store = try CheckpointStore(dir: dir + "/checkpoints", policy: control.checkpoint, writes: writes)
        if writes { try writeConfig() }
        let metrics = MetricsLog(dir: dir, writes: writes)
        var kept: [MetricRecord] = []
        if let ckpt = options.resume { try restore(ckpt) }
        try parallel.start(plan: plan, resumed: options.resume)
        if options.resume != nil {
            store.removeNumbered(after: step)
            let source = FileManager.default.fileExists(atPath: metrics.jsonlPath) ? metrics.jsonlPath
                : options.resumeRunDir.map { $0 + "/metrics.jsonl" }
            kept = source.map(MetricsLog.read)?.filter { $0.step <= step && $0.epoch <= epoch + ($0.kind == .step ? 1 : 0) } ?? []
        }
        try metrics.reset(to: kept)
        let tensorboard = control.tensorboard && writes ? try EventWriter(directory: dir + "/tensorboard") : nil
        if options.resume != nil { try tensorboard?.restart(at: step + 1) }
        var summary = RunSummary(name: plan.name, spec: options.specPath.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                 overrides: options.overrides)
        summary.epochs = epoch
        summary.steps = step
        summary.worldSize = parallel.world.size
        summary.batchSize = plan.train.batchSize
        let ctx = Context(progress: progress, store: store, metrics: metrics, tensorboard: tensorboard, summary: summary,
                          gitCommit: RunInfo.gitCommit(near: options.specPath ?? dir), summaryPath: dir + "/summary.json",
                          writes: writes)
        refreshSummary(ctx)
        ctx.writeSummary()
        if options.resume != nil { ctx.progress.line("resuming from epoch \(epoch), step \(step)") }
        if options.handleSignals { InterruptHandler.install(quiet: options.quiet || !writes, repeatExits: !parallel.isDistributed) }
        if options.handleSignals { parallel.watchSignals() }
        defer {
            parallel.stopWatching()
            if options.handleSignals { InterruptHandler.uninstall() }
        }
        do {
            return try loop(ctx)
        } catch let interrupted as TrainingInterrupted {
            // Every rank stops at the same step; the others wait until rank 0 has written the checkpoint.
            parallel.barrier()
            ctx.summary.status = "interrupted"
            ctx.summary.stopReason = "\(interrupted.signalName) at epoch \(interrupted.epoch + 1), step \(interrupted.step)"
            refreshSummary(ctx)
            ctx.writeSummary()
            ctx.progress.logOnly(interrupted.description)
            throw interrupted
        } catch {
            ctx.summary.status = "failed"
            ctx.summary.error = "\(error)"
            refreshSummary(ctx)
            ctx.writeSummary()
            ctx.progress.logOnly("error: \(error)")
            throw error
        }
    }

    /// Settings that cannot work with this plan fail before any training.
    private func validateControl() throws {
        if case .onMetric(let name) = plan.schedulerStepping, name.hasPrefix("val/"), plan.val == nil {
            throw TrainError.badInput("the scheduler monitors \(name) but the spec has no validation split (data.val)")
        }
        if let es = control.earlyStopping, es.strict, es.monitor.hasPrefix("val/"), plan.val == nil {
            throw TrainError.badInput("train.early_stopping.monitor is \(es.monitor) but the spec has no validation split (data.val)")
        }
        if let b = control.checkpoint.best, b.metric.hasPrefix("val/"), plan.val == nil {
            throw TrainError.badInput("train.checkpoint.best.metric is \(b.metric) but the spec has no validation split (data.val)")
        }
    }

    private func writeConfig() throws {
        let overrides = options.overrides
        var header = ""
        if let spec = options.specPath {
            header = "# flint train \(spec)" + overrides.map { " --set \($0)" }.joined() + "\n"
        }
        if parallel.isDistributed {
            header += "# data.batch_size is per process: \(parallel.world.size) processes x \(plan.train.batchSize) = global batch \(parallel.world.size * plan.train.batchSize)\n"
        }
        try AtomicFile(destination: options.runDir + "/config.yaml").write(Data((header + plan.config).utf8))
        try AtomicFile(destination: options.runDir + "/overrides.txt").write(Data(overrides.map { $0 + "\n" }.joined().utf8))
    }

    // MARK: - The loop

    private func loop(_ ctx: Context) throws -> TrainResult {
        let model = plan.model
        let named = model.namedParameters()
        let params = named.map(\.tensor)
        let k = control.accumulateSteps
        var midEpoch = resumedMidEpoch
        var stopReason: String?
        windowStart = ProgressReporter.now()
        training: while epoch < plan.epochs {
            if !midEpoch {
                plan.train.startEpoch()
                epochLossSum = 0
                epochSamples = 0
                trainMetrics = MetricAccumulator(metrics: plan.metrics, loss: plan.objective.metricLoss)
            }
            midEpoch = false
            model.train()
            let total = plan.train.batchesPerEpoch
            let epochStart = ProgressReporter.now()
            var samplesHere = 0
            let lrUsed = plan.optimizer.lr
            ctx.progress.startEpoch("epoch \(epoch + 1)/\(plan.epochs)")
            plan.optimizer.zeroGrad()
            var pending = 0, groupLoss = 0.0, groupSamples = 0
            while let batch = try plan.train.next() {
                let n = batch.indices.count
                let last = plan.train.batchIndex >= total
                let outputs = try plan.objective.outputs(of: model, batch.x)
                let loss = try plan.objective(outputs, x: batch.x, y: batch.y)
                let value = try loss.item()
                let nonFiniteRanks = try parallel.ranksWithNonFiniteLoss(value)
                guard nonFiniteRanks.isEmpty else {
                    try nonFinite("loss is \(value.isFinite ? "not finite" : "\(value)")" + (parallel.isDistributed ? " on rank \(nonFiniteRanks.map(String.init).joined(separator: ", "))" : ""), ctx)
                    plan.optimizer.zeroGrad()
                    pending = 0; groupLoss = 0; groupSamples = 0
                    continue
                }
                if !plan.metrics.isEmpty, let index = plan.objective.metricOutput, outputs.indices.contains(index) {
                    try noGrad { try trainMetrics.add(output: outputs[index].detach(), targets: batch.y) }
                }
                // Each micro-batch's loss is divided by the accumulation count, as Lightning does, so the
                // summed gradient is the mean over the group.
                try (k > 1 ? loss / Double(k) : loss).backward()
                pending += 1
                groupLoss += value * Double(n)
                groupSamples += n
                guard pending == k || last else { continue }
                pending = 0
                try parallel.averageGradients()
                if let name = NaNGuard.firstNonFiniteGradient(named) {
                    try nonFinite("the gradient of '\(name)' \(describe(named, name, grad: true))", ctx)
                    plan.optimizer.zeroGrad()
                    groupLoss = 0; groupSamples = 0
                    continue
                }
                try clipGradients(params)
                try plan.optimizer.step()
                plan.optimizer.zeroGrad()
                if plan.schedulerStepping == .perStep { plan.scheduler?.step() }
                step += 1
                if let name = NaNGuard.firstNonFiniteParameter(named) {
                    // A parameter that overflowed cannot be taken back: this stops whatever the policy.
                    throw TrainError.runtime("parameter '\(name)' \(describe(named, name, grad: false)) after step \(step) "
                                             + "(epoch \(epoch + 1), batch \(plan.train.batchIndex) of \(total)); \(lastGoodCheckpoint(ctx))")
                }
                // Losses and samples of every rank; a stop any rank must make, made by all at the same step.
                let agreed = try parallel.agree(lossSum: groupLoss, samples: groupSamples, signal: InterruptHandler.pending,
                                                timeUp: control.maxTime.map { elapsed >= $0 } ?? false)
                epochLossSum += agreed.lossSum
                epochSamples += agreed.samples
                windowLossSum += agreed.lossSum
                windowSamples += agreed.samples
                samplesHere += agreed.samples
                groupLoss = 0; groupSamples = 0
                ctx.progress.batch(done: plan.train.batchIndex, total: total, samples: samplesHere,
                                   loss: epochLossSum / Double(max(epochSamples, 1)))
                if let every = control.logEverySteps, step % every == 0 { try logStep(ctx) }
                guard !last else { break }
                if let sig = agreed.signal { throw try interrupt(sig, ctx) }
                if let limit = control.maxTime, agreed.timeUp {
                    try save(ctx)
                    stopReason = "max_time \(ProgressReporter.clock(limit)) reached at epoch \(epoch + 1), step \(step)"
                    break training
                }
                if let every = control.checkpoint.everySteps, step % every == 0 { try save(ctx) }
            }
            ctx.progress.clearBar()
            let trainSeconds = ProgressReporter.now() - epochStart
            epoch += 1
            if let reason = try finishEpoch(ctx, lr: lrUsed, seconds: trainSeconds, samples: samplesHere, epochStart: epochStart) {
                stopReason = reason
                break
            }
        }
        return try finish(ctx, stopReason: stopReason)
    }

    /// `train.clip_grad_norm` or `train.clip_grad_value` on the gradients about to be applied.
    private func clipGradients(_ params: [Tensor]) throws {
        switch control.gradientClipping {
        case let .norm(maxNorm, normType, errorIfNonfinite)?:
            try ClipGrad.clipGradNorm(params, maxNorm: maxNorm, normType: normType, errorIfNonfinite: errorIfNonfinite)
        case .value(let limit)?:
            try ClipGrad.clipGradValue(params, clipValue: limit)
        case nil:
            break
        }
    }

    /// Validation, the metrics record, the scheduler, best and early-stopping
    /// bookkeeping and the checkpoint at the end of an epoch; a reason to stop, if any.
    private func finishEpoch(_ ctx: Context, lr: Double, seconds trainSeconds: Double, samples: Int, epochStart: Double) throws -> String? {
        var metrics: [String: Double] = ["train/loss": epochSamples > 0 ? epochLossSum / Double(epochSamples) : .nan]
        if parallel.isDistributed { try trainMetrics.merge { try parallel.world.allgather($0) } }
        for (k, v) in trainMetrics.values { metrics["train/" + k] = v }
        try logConfusion(trainMetrics.confusion, split: "train", ctx)
        let onSchedule = epoch % control.evalEveryEpochs == 0
        if let val = plan.val, onSchedule || epoch == plan.epochs {
            try parallel.shareBuffers(plan.model)
            let report = try evaluate(model: plan.model, objective: plan.objective, loader: val, metrics: plan.evaluationMetrics,
                                      world: parallel.world)
            for (k, v) in report.metrics { metrics["val/" + k] = v }
            try logConfusion(report.confusion, split: "val", ctx)
        }
        appendHistory(metrics)
        var values = metrics
        values["lr"] = lr
        values["seconds"] = ProgressReporter.now() - epochStart
        values["elapsed"] = elapsed
        values["samples_per_second"] = trainSeconds > 0 ? Double(samples) / trainSeconds : 0
        try ctx.metrics.append(MetricRecord(kind: .epoch, epoch: epoch, step: step, values: values))
        try ctx.tensorboard?.scalars(metrics.map { ($0.key, $0.value) } + [("lr", lr), ("epoch", Double(epoch))], step: step)
        if control.tensorboardHistograms, let tb = ctx.tensorboard {
            for (name, t) in plan.model.namedParameters() { try tb.histogram(name, values: t.toArray(Float.self), step: step) }
        }
        if let scheduler = plan.scheduler {
            switch plan.schedulerStepping {
            case .perEpoch: scheduler.step()
            case .perStep: break
            case .onMetric(let name): if let value = metrics[name] { scheduler.step(metric: value) }
            }
        }

        let (bestName, bestMode) = bestMetric
        var isBest = false
        if let v = metrics[bestName], v.isFinite, best.map({ MetricDirection.isBetter(v, than: $0.value, mode: bestMode) }) ?? true {
            best = (v, epoch)
            isBest = true
        }
        var stopReason: String?
        if var es = earlyStopping, onSchedule {
            if let v = metrics[es.config.monitor] {
                let decision = es.check(v, epoch: epoch)
                if decision.stop { stopReason = "early stopping: " + (decision.reason ?? "") }
            } else if es.config.strict {
                throw TrainError.runtime("train.early_stopping.monitor \(es.config.monitor) is not a metric of this run; "
                                         + "it has \(metrics.keys.sorted().joined(separator: ", "))")
            }
            earlyStopping = es
        }

        let due = epoch % control.checkpoint.everyEpochs == 0 || epoch == plan.epochs || stopReason != nil
        if due {
            try save(ctx)
            if isBest { try ctx.store.markLastAsBest() }
        } else if isBest {
            try ctx.store.saveBest(try jobSnapshot())
        }
        refreshSummary(ctx)
        ctx.writeSummary()
        if parallel.isDistributed {
            ctx.progress.logOnly(String(format: "epoch %d: gradient allreduce %.3f s of %.3f s training (%d ranks)",
                                        epoch, parallel.takeReduceSeconds(), trainSeconds, parallel.world.size))
        }
        ctx.progress.line("epoch \(epoch)/\(plan.epochs)  " + MetricRecord.orderedKeys(metrics.keys).map {
            "\($0) \(String(format: "%.4f", metrics[$0] ?? .nan))"
        }.joined(separator: "  ") + String(format: "  %.1fs", values["seconds"] ?? 0) + (isBest ? "  (best)" : ""))

        if stopReason != nil { return stopReason }
        let agreed = try parallel.agree(signal: InterruptHandler.pending, timeUp: control.maxTime.map { elapsed >= $0 } ?? false)
        if let sig = agreed.signal { throw try interrupt(sig, ctx, saved: due) }
        if let limit = control.maxTime, agreed.timeUp {
            if !due { try save(ctx) }
            return "max_time \(ProgressReporter.clock(limit)) reached after epoch \(epoch)"
        }
        return nil
    }

    private func finish(_ ctx: Context, stopReason: String?) throws -> TrainResult {
        var final = lastEpochMetrics(ctx)
        var testCheckpoint: String?
        if let test = plan.test {
            let (which, path) = try loadTestWeights(ctx)
            testCheckpoint = path
            try parallel.shareBuffers(plan.model)
            let report = try evaluate(model: plan.model, objective: plan.objective, loader: test, metrics: plan.evaluationMetrics,
                                      world: parallel.world)
            let metrics = report.metrics
            for (k, v) in metrics { final["test/" + k] = v }
            try logConfusion(report.confusion, split: "test", ctx)
            try ctx.tensorboard?.scalars(metrics.map { ("test/" + $0.key, $0.value) }, step: step)
            ctx.progress.line("test (\(which)): " + metrics.sorted { $0.key < $1.key }.map { "test/\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: "  "))
        }
        if let stopReason { ctx.progress.line("stopped: \(stopReason)") }
        ctx.summary.status = stopReason == nil ? "finished" : "stopped"
        ctx.summary.stopReason = stopReason
        refreshSummary(ctx)
        ctx.summary.final = final
        ctx.writeSummary()
        return TrainResult(runDir: options.runDir, checkpoint: ctx.store.lastPath, epochs: epoch, seconds: elapsed,
                           metrics: final, status: ctx.summary.status, stopReason: stopReason, testCheckpoint: testCheckpoint)
    }

    /// Puts the weights the test metrics come from into the model, per `train.test_checkpoint`:
    /// the best checkpoint's (by default when `checkpoint.best` or early stopping chooses one), else the
    /// last ones. Says which, as `best.h5 (epoch E)` or `last.h5 (epoch E)`, and the file.
    private func loadTestWeights(_ ctx: Context) throws -> (which: String, path: String) {
        let chosen = control.testCheckpoint ?? (control.checkpoint.best != nil || control.earlyStopping != nil ? .best : .last)
        guard chosen == .best, let best, best.epoch != epoch, FileManager.default.fileExists(atPath: ctx.store.bestPath) else {
            let label = chosen == .best ? "best.h5 = last.h5" : "last.h5"
            return ("\(label), epoch \(epoch)", ctx.store.lastPath)
        }
        try plan.model.loadCheckpointWeights(try Checkpoint.readModel(from: ctx.store.bestPath).model, from: ctx.store.bestPath)
        return ("best.h5, epoch \(best.epoch)", ctx.store.bestPath)
    }

    /// Appends a confusion matrix to `<run>/confusion.jsonl` when `train.metrics` lists `confusion`.
    private func logConfusion(_ matrix: ConfusionMatrix?, split: String, _ ctx: Context) throws {
        guard let matrix, plan.metrics.contains(where: { $0.kind == .confusion }) else { return }
        let line = JSON.object([("epoch", .int(epoch)), ("step", .int(step)), ("split", .string(split)),
                                ("matrix", .array(matrix.counts.map { .array($0.map { .int($0) }) }))]).text + "\n"
        let path = options.runDir + "/confusion.jsonl"
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainError.io("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }

    // MARK: - Bookkeeping

    /// Appends an epoch's metrics to the history, keeping every series one
    /// value per epoch (NaN where a metric was not computed, as validation
    /// on a `eval_every_epochs` schedule).
    private func appendHistory(_ metrics: [String: Double]) {
        for key in Set(history.keys).union(metrics.keys) {
            var series = history[key] ?? Array(repeating: .nan, count: epoch - 1)
            series.append(metrics[key] ?? .nan)
            history[key] = series
        }
    }

    private func lastEpochMetrics(_ ctx: Context) -> [String: Double] {
        guard let last = ctx.metrics.records.last(where: { $0.kind == .epoch }) else { return [:] }
        return last.values.filter { !["lr", "seconds", "elapsed", "samples_per_second"].contains($0.key) }
    }

    private func refreshSummary(_ ctx: Context) {
        ctx.summary.epochs = epoch
        ctx.summary.steps = step
        ctx.summary.wallSeconds = elapsed
        ctx.summary.final = lastEpochMetrics(ctx)
        var bestValues: [String: Double] = [:]
        for record in ctx.metrics.records where record.kind == .epoch {
            for (k, v) in record.values where v.isFinite && !["lr", "seconds", "elapsed", "samples_per_second"].contains(k) {
                let mode = MetricDirection.mode(of: k)
                if bestValues[k].map({ MetricDirection.isBetter(v, than: $0, mode: mode) }) ?? true { bestValues[k] = v }
            }
        }
        ctx.summary.best = bestValues
        ctx.summary.bestMetric = bestMetric.name
        ctx.summary.bestEpoch = best?.epoch
        let fm = FileManager.default
        ctx.summary.checkpoint = fm.fileExists(atPath: ctx.store.lastPath) ? ctx.store.lastPath : nil
        ctx.summary.bestCheckpoint = fm.fileExists(atPath: ctx.store.bestPath) ? ctx.store.bestPath : nil
    }

    private func logStep(_ ctx: Context) throws {
        let now = ProgressReporter.now()
        let seconds = now - windowStart
        let loss = windowSamples > 0 ? windowLossSum / Double(windowSamples) : .nan
        let values: [String: Double] = ["lr": plan.optimizer.lr, "train/loss": loss, "seconds": seconds, "elapsed": elapsed,
                                        "samples_per_second": seconds > 0 ? Double(windowSamples) / seconds : 0]
        try ctx.metrics.append(MetricRecord(kind: .step, epoch: epoch + 1, step: step, values: values))
        try ctx.tensorboard?.scalars([("train/loss_step", loss), ("lr_step", plan.optimizer.lr)], step: step)
        if ctx.progress.mode == .lines {
            ctx.progress.line("epoch \(epoch + 1) step \(step)  train/loss \(String(format: "%.4f", loss))  \(Int(values["samples_per_second"] ?? 0)) samples/s")
        } else {
            ctx.progress.logOnly("epoch \(epoch + 1) step \(step)  train/loss \(String(format: "%.4f", loss))")
        }
        windowLossSum = 0
        windowSamples = 0
        windowStart = now
    }

    private func save(_ ctx: Context) throws { try ctx.store.save(try jobSnapshot()) }

    /// `snapshot()` with what the other ranks of a job add to it; every rank calls it at the same points.
    private func jobSnapshot() throws -> Checkpoint {
        var c = snapshot()
        try parallel.complete(&c)
        return c
    }

    private func interrupt(_ signal: Int32, _ ctx: Context, saved: Bool = false) throws -> TrainingInterrupted {
        if !saved { try save(ctx) }
        return TrainingInterrupted(signal: signal, checkpoint: ctx.store.lastPath, runDir: options.runDir,
                                   epoch: epoch, step: step)
    }

    private func lastGoodCheckpoint(_ ctx: Context) -> String {
        FileManager.default.fileExists(atPath: ctx.store.lastPath)
            ? "the last good checkpoint is \(ctx.store.lastPath)" : "no checkpoint was written before it"
    }

    /// Applies the NaN guard to a non-finite `what` at the step being taken:
    /// throws under `stop`, counts and reports the skipped batch under `skip`.
    private func nonFinite(_ what: String, _ ctx: Context) throws {
        let place = "step \(step + 1) (epoch \(epoch + 1), batch \(plan.train.batchIndex) of \(plan.train.batchesPerEpoch))"
        guard control.nanGuard == .skip else {
            throw TrainError.runtime("\(what) at \(place); stopping (train.nan_guard: stop); \(lastGoodCheckpoint(ctx))")
        }
        skippedBatches += 1
        ctx.progress.line("warning: \(what) at \(place); batch skipped (train.nan_guard: skip)")
    }

    /// "contains NaN" or "contains Inf", for the guard's message.
    private func describe(_ named: [(name: String, tensor: Tensor)], _ name: String, grad: Bool) -> String {
        guard let p = named.first(where: { $0.name == name }), let t = grad ? p.tensor.grad : p.tensor else { return "is not finite" }
        return t.toArray(Double.self).contains { $0.isNaN } ? "contains NaN" : "contains Inf"
    }

    // MARK: - Checkpoint state

    /// The loop's own counters, stored in `/trainer` of a checkpoint.
    var trainerState: [String: Double] {
        var s: [String: Double] = [
            "epoch_loss_sum": epochLossSum, "epoch_samples": Double(epochSamples),
            "window_loss_sum": windowLossSum, "window_samples": Double(windowSamples),
            "elapsed_seconds": elapsed, "skipped_batches": Double(skippedBatches),
        ]
        if let best {
            s["best.value"] = best.value
            s["best.epoch"] = Double(best.epoch)
        }
        for (k, v) in earlyStopping?.state ?? [:] { s["early_stopping." + k] = v }
        return s
    }

    /// The state of the run right now, as a checkpoint.
    public func snapshot() -> Checkpoint {
        var c = Checkpoint(epoch: epoch, step: step, config: plan.config, model: plan.model.stateDict(),
                           optimizerType: plan.optimizer.typeName, optimizerSteps: plan.optimizer.stepCount,
                           optimizerLRs: plan.optimizer.paramGroups.map { $0.lr }, optimizerState: plan.optimizer.stateDict(),
                           scheduler: plan.scheduler?.state ?? [:],
                           rng: ["default": Generator.default.snapshot, "data": plan.train.generator.snapshot],
                           dataOrder: plan.train.order,
                           dataBatchIndex: plan.train.batchIndex < plan.train.batchesPerEpoch ? plan.train.batchIndex : 0,
                           history: history)
        c.trainer = trainerState
        c.dataStatistics = plan.dataStatistics
        c.classNames = plan.classNames
        c.vocabulary = plan.vocabulary
        return c
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
        resumedMidEpoch = c.dataBatchIndex > 0
        let t = c.trainer
        epochLossSum = t["epoch_loss_sum"] ?? 0
        epochSamples = Int(t["epoch_samples"] ?? 0)
        windowLossSum = t["window_loss_sum"] ?? 0
        windowSamples = Int(t["window_samples"] ?? 0)
        elapsedBefore = t["elapsed_seconds"] ?? 0
        started = ProgressReporter.now()
        skippedBatches = Int(t["skipped_batches"] ?? 0)
        if let value = t["best.value"], let at = t["best.epoch"] { best = (value, Int(at)) }
        var es: [String: Double] = [:]
        for (k, v) in t where k.hasPrefix("early_stopping.") { es[String(k.dropFirst("early_stopping.".count))] = v }
        earlyStopping?.restore(es)
    }
}
