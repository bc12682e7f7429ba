import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5
import FlintSpec

extension RunPlan {
    /// Builds every part of a run from a validated spec: seeds the generators,
    /// builds and shape-checks the model, reads the data and checks it against
    /// the model and the loss. `dataOverride` replaces the spec's HDF5 file.
    /// `model.init_from` weights are loaded unless `initialWeights` is false,
    /// as when a checkpoint's own weights replace them anyway; what a
    /// non-strict load skipped is in `initialWeightsReport`.
    /// `statistics` (a checkpoint's) are applied to `data.transforms` as they
    /// are; without them, standardize learns its statistics from the training split.
    /// `batchLimits` false ignores `train.limit_*_batches`, as `flint eval` and `predict` do.
    /// `shard` is this process's part of every split in a data-parallel job
    /// (`data.batch_size` is then per process).
    public init(spec: Spec, dataOverride: String? = nil, initialWeights: Bool = true,
                statistics: DataStatistics? = nil, batchLimits: Bool = true, shard: Shard = .whole) throws(SpecError) {
        // Every shape and size first, without drawing or holding a weight (the data draws nothing
        // from the default generator): a run that cannot fit in memory is refused before its
        // weights fill it. Training clips a batch to the split's size.
        let shapes = try Init.withFilling(.shapeOnly) { () throws(SpecError) in try Builder.build(spec.model) }
        let data = try RunPlan.openData(spec.data, seed: spec.seed, sourceOverride: dataOverride)
        if let tooLarge = MemoryEstimate.error(shapes, batchSize: Swift.min(spec.data.batchSize, data.train.count),
                                               at: spec.data.batchSizeLocation) {
            throw SpecError([tooLarge])
        }
        Generator.manualSeed(UInt64(truncatingIfNeeded: spec.seed))
        let built = try Builder.build(spec.model)
        let model = built.module
        var report: WeightsLoadReport?
        if initialWeights, let source = spec.model.initFrom {
            do {
                report = try loadInitialWeights(into: model, from: source)
            } catch {
                throw SpecError([.error(at: source.location ?? spec.model.location, "model.init_from: \(error)", keyPath: "model.init_from")])
            }
        }
        let objective = try Builder.objective(spec.losses, outputs: spec.model.outputs)
        let optimizer = try Builder.optimizer(spec.optimizer, parameters: model.namedParameters())
        let seed = UInt64(truncatingIfNeeded: spec.seed)
        // Each list gets its own seed range (Builder adds the index), so random
        // transforms draw independently of each other and of shuffling (seed + 1).
        var transforms = try Builder.transforms(spec.data.transforms, seed: seed &+ 100)
        let augment = try Builder.transforms(spec.data.augment, seed: seed &+ 200, augmenting: true)
        try RunPlan.check(data: data, spec: spec, transforms: transforms + augment, objective: objective,
                          outputs: built.outputs)
        let fitted: DataStatistics
        do {
            if let statistics {
                (transforms, fitted) = (try statistics.apply(to: transforms), statistics)
            } else {
                (transforms, fitted) = try DataStatistics.fit(transforms, on: data.train)
            }
        } catch {
            let at = spec.data.transforms.first { $0.type == "standardize" }?.location ?? spec.data.location
            throw SpecError([.error(at: at, "\(error)")])
        }

        let control = TrainingControl(spec: spec)
        // Only the training split drops its last partial batch: evaluation must see every sample.
        // Evaluation shards read each sample once (uneven); training shards are padded or cut to equal length.
        func loader(_ d: DataSource, shuffle: Bool, dropLast: Bool, extra: [Transform], limit: Int?, training: Bool = false) throws(SpecError) -> DataLoader {
            do {
                return try DataLoader(dataset: d, batchSize: spec.data.batchSize, shuffle: shuffle, dropLast: dropLast,
                                      transforms: transforms + extra, prefetch: spec.data.prefetch,
                                      shuffleBuffer: spec.data.shuffleBuffer, seed: seed &+ 1, batchLimit: limit,
                                      shard: Shard(rank: shard.rank, count: shard.count, even: training))
            } catch {
                throw SpecError([.error(at: spec.data.location, "\(error)")])
            }
        }
        let train = try loader(data.train, shuffle: spec.data.shuffle, dropLast: spec.data.dropLast, extra: augment,
                               limit: batchLimits ? control.limitBatches : nil, training: true)
        var schedule: (scheduler: LRScheduler, stepping: SchedulerStepping)?
        if let s = spec.scheduler {
            let stepping = RunPlan.stepping(of: s, hasValidation: data.val != nil)
            // The trainer steps once per epoch, or once per optimizer step (an accumulated group counts once).
            let optimizerSteps = (train.batchesPerEpoch + control.accumulateSteps - 1) / control.accumulateSteps
            // Saturates: a run too long to count is longer than any cycle anyway.
            let runSteps = MemoryBudget.product(spec.train.epochs, stepping == .perStep ? optimizerSteps : 1) ?? Int.max
            try RunPlan.checkLength(s, runSteps: runSteps, stepping: stepping)
            schedule = (try Builder.scheduler(s, optimizer: optimizer, runSteps: runSteps), stepping)
        }
        self.init(name: spec.name, seed: seed, config: spec.node.yaml(), model: model, objective: objective,
                  optimizer: optimizer, scheduler: schedule?.scheduler, train: train,
                  val: try data.val.map { d throws(SpecError) in
                      try loader(d, shuffle: false, dropLast: false, extra: [], limit: batchLimits ? control.limitValBatches : nil)
                  },
                  test: try data.test.map { d throws(SpecError) in
                      try loader(d, shuffle: false, dropLast: false, extra: [], limit: batchLimits ? control.limitTestBatches : nil)
                  },
                  epochs: spec.train.epochs, control: control, schedulerStepping: schedule?.stepping ?? .perEpoch)
        initialWeightsReport = report
        dataStatistics = fitted
        metrics = spec.train.metrics
        warnings = RunPlan.dataWarnings(spec: spec, data: data) + RunPlan.cacheWarning(spec: spec, data: data, model: built)
        classNames = RunPlan.classNames(file: dataOverride ?? spec.data.source, labels: spec.data.train.y)
        do {
            vocabulary = try TextVocabulary.read(file: dataOverride ?? spec.data.source)
        } catch {
            throw SpecError([.error(at: spec.data.sourceLocation, "\(error)")])
        }
        syncBatchNorm = spec.model.syncBatchNorm
    }

    /// When the trainer calls the scheduler's `step()`, and with which metric.
    static func stepping(of scheduler: SchedulerSpec, hasValidation: Bool) -> SchedulerStepping {
        if scheduler.type == "reduce_lr_on_plateau" {
            return .onMetric(scheduler.string("monitor") ?? (hasValidation ? "val/loss" : "train/loss"))
        }
        return scheduler.schedulerInterval == "step" ? .perStep : .perEpoch
    }

    /// PyTorch's OneCycleLR fails when stepped past its total_steps; a cycle shorter
    /// than the steps it is given (the run's, or its segment's in a `sequential_lr`) is
    /// caught here, before training, at the field that sets its length.
    static func checkLength(_ scheduler: SchedulerSpec, runSteps: Int, stepping: SchedulerStepping) throws(SpecError) {
        let unit = stepping == .perStep ? "optimizer step" : "epoch"
        guard scheduler.type == "sequential_lr" else {
            return try checkCycle(scheduler, steps: runSteps, by: "the run steps it \(runSteps) times (once per \(unit))")
        }
        // SequentialLR restarts a child at its milestone and steps it up to the step before the
        // next milestone; the last child until the run ends.
        let milestones = scheduler.ints("milestones") ?? []
        for (index, child) in (scheduler.entries("schedulers") ?? []).enumerated() {
            let start = milestones.indices.contains(index - 1) ? milestones[index - 1] : 0
            let steps = index < milestones.count ? milestones[index] - 1 - start : runSteps - start
            try checkCycle(child, steps: steps, by: "sequential_lr steps it \(steps) times (milestone \(start) to "
                           + (index < milestones.count ? "\(milestones[index])" : "the run's end, once per \(unit)") + ")")
        }
    }

    private static func checkCycle(_ scheduler: SchedulerSpec, steps: Int, by stepper: String) throws(SpecError) {
        guard scheduler.type == "one_cycle_lr" else { return }
        let field = scheduler.isSet("total_steps") ? "total_steps" : "epochs"
        let cycle = scheduler.int("total_steps")
            ?? scheduler.int("epochs").flatMap { epochs in scheduler.int("steps_per_epoch").map { MemoryBudget.product(epochs, $0) ?? Int.max } }
        guard let cycle, cycle < steps else { return }
        throw SpecError([.error(at: scheduler.location(of: field),
                                "one_cycle_lr lasts \(cycle) steps but \(stepper); PyTorch fails past the end of the cycle",
                                keyPath: scheduler.keyPath(of: field))])
    }

    /// The three splits of a spec's data, in memory or streamed per `cache`.
    struct OpenedData {
        var train: DataSource
        var val: DataSource?
        var test: DataSource?
    }

    /// Opens the spec's splits with its `cache` options and carves `val.split`
    /// (stratified when asked) with the seed. A missing file or dataset path is a
    /// diagnostic at the line that names it. Without `stratify` the split is the
    /// same as `TensorDataset.split`, so earlier runs keep their validation samples.
    static func openData(_ spec: DataSpec, seed: Int, sourceOverride: String?) throws(SpecError) -> OpenedData {
        let source = sourceOverride ?? spec.source
        // The schema only admits CacheMode's spellings, so the fallback is not reached.
        let options = SourceOptions(cache: spec.cache,
                                    memoryBudget: spec.cacheBudgetMB.multipliedReportingOverflow(by: 1 << 20).partialValue)
        func open(_ arrays: DataSpec.Arrays) throws(SpecError) -> DataSource {
            do {
                if let window = arrays.window {
                    return try TokenWindows.open(file: source, path: arrays.x, blockSize: window.blockSize, stride: window.stride)
                }
                return try DataSources.open(file: source, x: arrays.x, y: arrays.y, options: options)
            } catch let error as HDF5Error {
                let location: SourceLocation
                if error.object == arrays.x || error.object == "/" + arrays.x { location = arrays.xLocation }
                else if error.object == arrays.y || error.object == "/" + arrays.y { location = arrays.yLocation }
                else { location = spec.sourceLocation }
                throw SpecError([.error(at: sourceOverride == nil ? location : arrays.xLocation, error.description)])
            } catch {
                throw SpecError([.error(at: arrays.xLocation, "\(error)")])
            }
        }
        guard FileManager.default.fileExists(atPath: source) else {
            throw SpecError([.error(at: spec.sourceLocation, "data file '\(source)' does not exist")])
        }
        var train = try open(spec.train)
        var val: DataSource?
        switch spec.val {
        case .none: break
        case let .split(fraction):
            do {
                let parts = try DataSplit.split(train, fraction: fraction, seed: UInt64(truncatingIfNeeded: seed),
                                                stratify: spec.stratify)
                (train, val) = (parts.rest, parts.held)
            } catch {
                throw SpecError([.error(at: spec.location, "\(error)")])
            }
        case let .arrays(arrays): val = try open(arrays)
        }
        let test = try spec.test.map { a throws(SpecError) in try open(a) }
        return OpenedData(train: train, val: val, test: test)
    }

    /// Checks the data against the model's declared input and the loss's
    /// targets before any training starts.
    static func check(data: OpenedData, spec: Spec, transforms: [Transform], objective: Objective,
                      outputs: [[Int]]) throws(SpecError) {
        var problems: [Diagnostic] = []
        let splits: [(String, DataSource?, DataSpec.Arrays?)] = [
            ("train", data.train, spec.data.train), ("val", data.val, nil), ("test", data.test, spec.data.test),
        ]
        for (name, dataset, arrays) in splits {
            guard let dataset else { continue }
            // An empty split would train on nothing or report nothing, and a loss over it is NaN.
            guard dataset.count > 0 else {
                problems.append(.error(at: arrays?.xLocation ?? spec.data.location,
                                       "the \(name) split has no samples\(arrays.map { " ('\($0.x)')" } ?? "")"))
                continue
            }
            if name == "train", spec.data.dropLast, dataset.count < spec.data.batchSize {
                problems.append(.error(at: spec.data.dropLastLocation,
                                       "drop_last drops every sample: the train split has \(dataset.count), fewer than one "
                                       + "batch of \(spec.data.batchSize)", keyPath: "data.drop_last"))
            }
            guard let first = dataset.inputs.first else { continue }
            var sample = first.sampleShape
            do {
                for t in transforms { sample = try t.outputShape(sample) }
            } catch {
                problems.append(.error(at: spec.data.location, "\(error)"))
                continue
            }
            if sample != spec.model.input {
                problems.append(.error(at: spec.model.inputLocation,
                                       "model.input is \(spec.model.input) but the \(name) samples have shape \(sample)\(arrays.map { " ('\($0.x)')" } ?? "")"))
            }
            for (loss, term) in zip(spec.losses, objective.terms)
            where term.target == .y && (loss.type == "cross_entropy_loss" || loss.type == "nll_loss") {
                let output = term.outputs.first.map { outputs[$0] } ?? []
                let target = dataset.target
                // Per position: output [L, classes] for targets [L] (a language model's), classes last.
                let perPosition = loss.type == "cross_entropy_loss" && output.count == 2 && target.sampleShape.count == 1
                guard output.count == 1 || perPosition, let classes = output.last else {
                    problems.append(.error(at: loss.location, "\(loss.type) needs a model output of shape [classes] per sample"
                                           + (loss.type == "cross_entropy_loss" ? " (or [L, classes] for targets [L])" : "")
                                           + ", got \(output)"))
                    continue
                }
                guard !target.dtype.isFloatingPoint, target.sampleShape == Array(output.dropLast()) else {
                    let expected = perPosition ? "[N, \(output[0])]" : "[N]"
                    problems.append(.error(at: arrays?.yLocation ?? spec.data.location,
                                           "\(loss.type) needs integer class labels of shape \(expected); the \(name) labels are \(target.dtype) \([dataset.count] + target.sampleShape)"))
                    continue
                }
                // The built loss's, which holds the spec's value or PyTorch's default.
                guard let ignore = term.criterion.ignoreIndex else { continue }
                // Only the targets are read, so a streamed split stays streamed.
                let labels: [Int64]
                do {
                    // A token stream's targets are its tokens: checking those spares building every window.
                    labels = try (dataset as? TokenWindows)?.tokens ?? dataset.allTargets().toArray(Int64.self)
                } catch {
                    problems.append(.error(at: arrays?.yLocation ?? spec.data.location, "\(error)"))
                    continue
                }
                let bad = labels.filter { ($0 < 0 || $0 >= classes) && $0 != ignore }
                if let first = bad.first {
                    problems.append(.error(at: arrays?.yLocation ?? spec.data.location,
                                           "\(bad.count) \(name) labels are outside 0..<\(classes) (the model's \(classes) outputs), first: \(first)"))
                }
            }
        }
        problems += checkMetrics(spec: spec, target: data.train.target, objective: objective, outputs: outputs)
        if !problems.isEmpty { throw SpecError(problems) }
    }

    /// The `classes` attribute that `flint import csv|images|idx` puts on a labels dataset.
    static func classNames(file: String, labels: String) -> [String]? {
        // Names are a convenience: a file without them (or unreadable here) trains the same.
        guard let h5 = try? HDF5File.open(file), let dataset = try? h5.dataset(labels),
              (try? dataset.hasAttribute("classes")) == true else { return nil }
        return try? dataset.stringArrayAttribute("classes")
    }

    /// The memory warning of `flint check` again, now counting the splits held in memory
    /// (`data.cache`), when they are what takes training past this machine's memory (a model
    /// that does not fit on its own was warned about before the data was opened).
    static func cacheWarning(spec: Spec, data: OpenedData, model: BuiltModel) -> [Diagnostic] {
        var splits = [data.train] + [data.test].compactMap { $0 }
        // A validation split carved from train shares its samples; one read from its own arrays does not.
        if case .arrays = spec.data.val, let val = data.val { splits.append(val) }
        let cached = splits.filter { $0.blockRows == nil }.reduce(0.0) { $0 + Double($1.bytes) }
        let batch = Swift.min(spec.data.batchSize, data.train.count)
        guard cached > 0, MemoryEstimate.warning(model, batchSize: batch, at: spec.data.batchSizeLocation) == nil,
              let warning = MemoryEstimate.warning(model, batchSize: batch, cachedBytes: cached,
                                                   at: spec.data.batchSizeLocation) else { return [] }
        return [warning]
    }

    /// uint8 images without `to_tensor` reach `normalize` (or the model) as 0-255, which trains, badly.
    /// uint8 token ids for an embedding are no images.
    static func dataWarnings(spec: Spec, data: OpenedData) -> [Diagnostic] {
        guard let input = data.train.inputs.first, input.dtype == .uint8,
              !spec.model.layers.contains(where: { $0.type == "embedding" }),
              !spec.data.transforms.contains(where: { $0.type == "to_tensor" }) else { return [] }
        let normalize = spec.data.transforms.first { $0.type == "normalize" || $0.type == "standardize" }
        let effect = normalize.map { "\($0.type) then runs on 0-255" } ?? "the model sees 0-255"
        return [.warning(at: normalize?.location ?? spec.data.location,
                         "the inputs \(input.place) are uint8 but data.transforms has no to_tensor, so \(effect); "
                             + "add {type: to_tensor} first (uint8 [0, 255] to float32 [0, 1], as torchvision's ToTensor)",
                         keyPath: "data.transforms")]
    }

    /// Every metric of `train.metrics` must fit what the metric output and the targets are.
    private static func checkMetrics(spec: Spec, target: ArrayInfo, objective: Objective,
                                     outputs: [[Int]]) -> [Diagnostic] {
        guard !spec.train.metrics.isEmpty else { return [] }
        let entries = spec.node["train"]?["metrics"]?.items ?? []
        let location = { (index: Int) in entries.indices.contains(index) ? entries[index].location : spec.train.location }
        guard let index = objective.metricOutput, outputs.indices.contains(index) else {
            return [.error(at: location(0), "train.metrics needs a loss that compares one model output with y; "
                           + "the metrics read the first loss's output")]
        }
        let task = MetricTask.of(loss: objective.metricLoss, output: outputs[index], target: target.sampleShape,
                                 targetIsFloat: target.dtype.isFloatingPoint)
        var problems: [Diagnostic] = []
        for (i, metric) in spec.train.metrics.enumerated() where !(task?.fits(metric) ?? false) {
            let what: String
            switch task {
            case .multiclass?: what = "a classifier (scores of \(outputs[index]) against class indices)"
            case .binary?: what = "a binary classifier (one score per sample), which has no top-k accuracy"
            case .regression?: what = "a regressor (float targets)"
            case .languageModel?: what = "a language model (logits of \(outputs[index]) against next tokens), which has "
                + "per-token accuracy, perplexity and bits_per_token"
            case nil: what = "a model whose output \(outputs[index]) and \(target.dtype) targets of shape \(target.sampleShape) fit no metric"
            }
            problems.append(.error(at: location(i), "train.metrics: '\(metric.name)' does not apply: this is \(what)",
                                   keyPath: "train.metrics.\(i)"))
        }
        return problems
    }
}
