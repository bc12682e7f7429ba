import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5

/// Turns a validated spec into live objects: the model (with every layer's
/// shape inferred and checked), the loss, the optimizer and scheduler, the
/// transforms and the data loaders. Problems are diagnostics at the line of
/// the entry that caused them.
public enum Builder {
    /// The objective of the spec's `loss` terms over the model's outputs.
    /// - Parameter outputs: `model.outputs`; nil for a model of one output.
    public static func objective(_ losses: [LossSpec], outputs: [String]?) throws(SpecError) -> Objective {
        var terms: [Objective.Term] = []
        var problems: [Diagnostic] = []
        for e in losses {
            do {
                let criterion = try Builder.criterion(e)
                // The validator matched `output` against `model.outputs` (without it, against the last
                // layer); a loss without `output` reads the model's only output, or both of its two.
                let indices = e.strings("output").map { names in names.map { outputs?.firstIndex(of: $0) ?? 0 } }
                    ?? Array(0..<criterion.arity)
                terms.append(Objective.Term(criterion, outputs: indices,
                                            target: Objective.Target(rawValue: e.string("target") ?? "y") ?? .y,
                                            weight: e.double("loss_weight") ?? 1))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw SpecError(problems) }
        return Objective(terms: terms)
    }

    /// The loss of one `loss` entry.
    public static func criterion(_ e: LossSpec) throws(SpecError) -> Objective.Criterion {
        do {
            let reduction = Reduction(rawValue: e.string("reduction") ?? "mean") ?? .mean
            switch e.type {
            case "cross_entropy_loss":
                return .single(CrossEntropyLoss(weight: try tensor(e, "weight"), ignoreIndex: e.int("ignore_index") ?? -100,
                                                reduction: reduction, labelSmoothing: e.double("label_smoothing") ?? 0,
                                                classesLast: true))
            case "nll_loss":
                return .single(NLLLoss(weight: try tensor(e, "weight"), ignoreIndex: e.int("ignore_index") ?? -100,
                                       reduction: reduction))
            case "bce_loss":
                return .single(BCELoss(weight: try tensor(e, "weight"), reduction: reduction))
            case "bce_with_logits_loss":
                return .single(BCEWithLogitsLoss(weight: try tensor(e, "weight"), reduction: reduction,
                                                 posWeight: try tensor(e, "pos_weight")))
            case "kl_div_loss":
                return .single(KLDivLoss(reduction: KLDivLoss.Reduction(rawValue: e.string("reduction") ?? "mean") ?? .mean,
                                         logTarget: e.bool("log_target") ?? false))
            case "mse_loss": return .single(MSELoss(reduction: reduction))
            case "l1_loss": return .single(L1Loss(reduction: reduction))
            case "smooth_l1_loss": return .single(SmoothL1Loss(reduction: reduction, beta: e.double("beta") ?? 1))
            case "huber_loss": return .single(HuberLoss(reduction: reduction, delta: e.double("delta") ?? 1))
            case "cosine_embedding_loss":
                return .pair(CosineEmbeddingLoss(margin: e.double("margin") ?? 0, reduction: reduction))
            case "margin_ranking_loss":
                return .pair(MarginRankingLoss(margin: e.double("margin") ?? 0, reduction: reduction))
            default: throw BuildProblem("there is no builder for loss type '\(e.type)'")
            }
        } catch {
            throw SpecError([.error(at: e.location, "\(error)", keyPath: e.keyPath)])
        }
    }

    /// A list field as a float32 tensor, nil when absent.
    private static func tensor(_ e: SpecEntry, _ field: String) throws -> Tensor? {
        try e.doubles(field).map { try Tensor($0.map { Float($0) }) }
    }

    /// The optimizer over a model's parameters, by state-dict name, split into the
    /// spec's `param_groups`: the parameters no group claims come first, with the
    /// optimizer's own settings, then each group in written order.
    public static func optimizer(_ e: OptimizerSpec, parameters: [(name: String, tensor: Tensor)]) throws(SpecError) -> Optimizer {
        let groups = try paramGroups(e, parameters)
        return try reportingAt(e) { try makeOptimizer(e, groups) }
    }

    /// Runs `make`, turning a failure into a spec error at `e`'s location
    /// (a constructor's invalid-argument message is prefixed with the type).
    private static func reportingAt<T>(_ e: SpecEntry, _ make: () throws -> T) throws(SpecError) -> T {
        do {
            return try make()
        } catch let error as SpecError {
            throw error
        } catch {
            var message = "\(error)"
            if case TensorError.invalidArgument(_, let detail) = error { message = "\(e.type): \(detail)" }
            throw SpecError([.error(at: e.location, message, keyPath: e.keyPath)])
        }
    }

    /// One parameter group as the spec writes it: its parameters, and the entry
    /// whose written fields override the optimizer's own (nil for the first group
    /// of unclaimed parameters, which takes the optimizer's fields as they are).
    struct GroupFields {
        var params: [Tensor]
        var overrides: SpecEntry?
    }

    /// The groups of `param_groups` matched against the parameter names; every pattern
    /// must take at least one parameter no earlier group took.
    static func paramGroups(_ e: OptimizerSpec, _ parameters: [(name: String, tensor: Tensor)]) throws(SpecError) -> [GroupFields] {
        let written = e.entries("param_groups") ?? []
        var owner = [Int?](repeating: nil, count: parameters.count)
        var problems: [Diagnostic] = []
        for (index, group) in written.enumerated() {
            for pattern in group.strings("params") ?? [] {
                let matching = parameters.indices.filter { NamePattern.matches(pattern, parameters[$0].name) }
                let free = matching.filter { owner[$0] == nil }
                for i in free { owner[i] = index }
                guard free.isEmpty else { continue }
                let names = parameters.map { $0.name }
                let message = matching.isEmpty
                    ? "param_groups: '\(pattern)' matches no parameter (the model has \(names.joined(separator: ", ")))"
                        + Suggest.hint(for: pattern, in: names)
                    : "param_groups: '\(pattern)' matches only parameters that an earlier group took"
                problems.append(.error(at: group.location(of: "params"), message, keyPath: group.keyPath(of: "params")))
            }
        }
        if !problems.isEmpty { throw SpecError(problems) }
        let rest = parameters.indices.filter { owner[$0] == nil }.map { parameters[$0].tensor }
        var groups = rest.isEmpty && !written.isEmpty ? [] : [GroupFields(params: rest, overrides: nil)]
        for (index, group) in written.enumerated() {
            let params = parameters.indices.filter { owner[$0] == index }.map { parameters[$0].tensor }
            groups.append(GroupFields(params: params, overrides: group))
        }
        return groups
    }

    /// Each optimizer type of the spec, with its options' PyTorch defaults.
    static let optimizerTypes: [String: ([GroupFields], SpecEntry) throws -> Optimizer] = [
        "sgd": { try typed(SGD.self, SGDOptions(), $1, $0) },
        "adam": { try typed(Adam.self, AdamOptions(), $1, $0) },
        "adamw": { try typed(AdamW.self, AdamWOptions(), $1, $0) },
        "adamax": { try typed(Adamax.self, AdamaxOptions(), $1, $0) },
        "nadam": { try typed(NAdam.self, NAdamOptions(), $1, $0) },
        "radam": { try typed(RAdam.self, RAdamOptions(), $1, $0) },
        "rmsprop": { try typed(RMSprop.self, RMSpropOptions(), $1, $0) },
        "adagrad": { try typed(Adagrad.self, AdagradOptions(), $1, $0) },
        "adadelta": { try typed(Adadelta.self, AdadeltaOptions(), $1, $0) },
    ]

    /// A typed optimizer from the spec: `start` (the options' PyTorch defaults) with the
    /// optimizer's fields read in, then each group's written fields over those.
    private static func typed<O: OptimizerOptions>(_ type: TypedOptimizer<O>.Type, _ start: O, _ e: SpecEntry,
                                                   _ groups: [GroupFields]) throws -> Optimizer {
        var defaults = start
        e.read(into: &defaults)
        let typedGroups = groups.map { group -> OptimizerGroup<O> in
            var options = defaults
            group.overrides?.read(into: &options)
            return OptimizerGroup(params: group.params, options: options)
        }
        return try type.init(groups: typedGroups, defaults: defaults)
    }

    private static func makeOptimizer(_ e: OptimizerSpec, _ groups: [GroupFields]) throws -> Optimizer {
        guard let make = optimizerTypes[e.type] else {
            throw SpecError([.error(at: e.location, "there is no builder for optimizer type '\(e.type)'", keyPath: e.keyPath)])
        }
        return try make(groups, e)
    }

    /// The scheduler over `optimizer`.
    /// - Parameter runSteps: how many times the run will call `step()`; the length of a
    ///   `one_cycle_lr` that gives neither total_steps nor epochs and steps_per_epoch
    ///   (inside `sequential_lr`, the length of its segment).
    public static func scheduler(_ e: SchedulerSpec, optimizer: Optimizer, runSteps: Int? = nil) throws(SpecError) -> LRScheduler {
        try reportingAt(e) { try makeScheduler(e, optimizer: optimizer, runSteps: runSteps) }
    }

    private static func makeScheduler(_ e: SchedulerSpec, optimizer: Optimizer, runSteps: Int?) throws -> LRScheduler {
        switch e.type {
        case "step_lr":
            return StepLR(optimizer: optimizer, stepSize: e.int("step_size") ?? 1, gamma: e.double("gamma") ?? 0.1)
        case "multi_step_lr":
            return MultiStepLR(optimizer: optimizer, milestones: e.ints("milestones") ?? [], gamma: e.double("gamma") ?? 0.1)
        case "exponential_lr":
            return ExponentialLR(optimizer: optimizer, gamma: e.double("gamma") ?? 1)
        case "cosine_annealing_lr":
            return CosineAnnealingLR(optimizer: optimizer, tMax: e.int("T_max") ?? 1, etaMin: e.double("eta_min") ?? 0)
        case "cosine_annealing_warm_restarts":
            return try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: e.int("T_0") ?? 1, tMult: e.int("T_mult") ?? 1,
                                                   etaMin: e.double("eta_min") ?? 0)
        case "linear_lr":
            return try LinearLR(optimizer: optimizer, startFactor: e.double("start_factor") ?? 1.0 / 3,
                                endFactor: e.double("end_factor") ?? 1, totalIters: e.int("total_iters") ?? 5)
        case "constant_lr":
            return try ConstantLR(optimizer: optimizer, factor: e.double("factor") ?? 1.0 / 3, totalIters: e.int("total_iters") ?? 5)
        case "polynomial_lr":
            return try PolynomialLR(optimizer: optimizer, totalIters: e.int("total_iters") ?? 5, power: e.double("power") ?? 1)
        case "one_cycle_lr":
            let inferred = e.isSet("epochs") ? nil : runSteps
            return try OneCycleLR(optimizer: optimizer, maxLR: e.doubles("max_lr") ?? [], totalSteps: e.int("total_steps") ?? inferred,
                                  epochs: e.int("epochs"), stepsPerEpoch: e.int("steps_per_epoch"),
                                  pctStart: e.double("pct_start") ?? 0.3,
                                  annealStrategy: OneCycleLR.AnnealStrategy(rawValue: e.string("anneal_strategy") ?? "cos") ?? .cos,
                                  cycleMomentum: e.bool("cycle_momentum") ?? true,
                                  baseMomentum: e.doubles("base_momentum") ?? [0.85],
                                  maxMomentum: e.doubles("max_momentum") ?? [0.95], divFactor: e.double("div_factor") ?? 25,
                                  finalDivFactor: e.double("final_div_factor") ?? 1e4, threePhase: e.bool("three_phase") ?? false)
        case "reduce_lr_on_plateau":
            return try ReduceLROnPlateau(optimizer: optimizer, mode: ReduceLROnPlateau.Mode(rawValue: e.string("mode") ?? "min") ?? .min,
                                         factor: e.double("factor") ?? 0.1, patience: e.int("patience") ?? 10,
                                         threshold: e.double("threshold") ?? 1e-4,
                                         thresholdMode: ReduceLROnPlateau.ThresholdMode(rawValue: e.string("threshold_mode") ?? "rel") ?? .rel,
                                         cooldown: e.int("cooldown") ?? 0, minLR: e.doubles("min_lr") ?? [0],
                                         eps: e.double("eps") ?? 1e-8)
        case "sequential_lr":
            let milestones = e.ints("milestones") ?? []
            var chain: [LRScheduler] = []
            for (index, child) in (e.entries("schedulers") ?? []).enumerated() {
                let span = try segmentSpan(of: child, at: index, in: e, milestones: milestones, runSteps: runSteps)
                chain.append(try scheduler(child, optimizer: optimizer, runSteps: span))
            }
            return try SequentialLR(optimizer: optimizer, schedulers: chain, milestones: milestones)
        default:
            throw SpecError([.error(at: e.location, "there is no builder for scheduler type '\(e.type)'", keyPath: e.keyPath)])
        }
    }

    /// The steps `sequential_lr` gives its child `index`, which a `one_cycle_lr` without
    /// total_steps takes as its length: SequentialLR restarts the child at the milestone
    /// before it (`step(0)`) and steps it until the next one; the last child runs to the end
    /// of the run. A segment that is empty, or ends with a run of unknown length, is an
    /// error for a one_cycle_lr that needs it.
    private static func segmentSpan(of child: SchedulerSpec, at index: Int, in sequence: SchedulerSpec, milestones: [Int],
                                    runSteps: Int?) throws -> Int? {
        // The validator matched the milestones to the children; the fallbacks only keep a mismatch from trapping.
        let start = milestones.indices.contains(index - 1) ? milestones[index - 1] : 0
        let end = index < milestones.count ? milestones[index] : runSteps
        let span = end.map { $0 - start }
        let needsSpan = child.type == "one_cycle_lr" && !child.isSet("total_steps") && !child.isSet("epochs")
        if !needsSpan { return span }
        if let span, span > 0 { return span }
        let unit = sequence.schedulerInterval == "step" ? "optimizer step" : "epoch"
        let reason: String
        if index < milestones.count {
            reason = "sequential_lr runs it from milestone \(start) to milestone \(end ?? start), which is no step"
        } else if let runSteps {
            reason = "sequential_lr starts it at milestone \(start), but the run steps the scheduler only \(runSteps) "
                + "time\(runSteps == 1 ? "" : "s") (once per \(unit)); give total_steps or a milestone below \(runSteps)"
        } else {
            reason = "sequential_lr runs it from milestone \(start) to the end of a run of unknown length; give total_steps"
        }
        throw SpecError([.error(at: child.location, "one_cycle_lr cannot infer total_steps: " + reason, keyPath: child.keyPath)])
    }

    /// The transforms of a list. Random ones each get their own seed, `seed` plus their position.
    /// `standardize` is built unfitted (`DataStatistics` fits it); it is refused in
    /// the `augmenting` list, whose transforms never reach evaluation.
    public static func transforms(_ entries: [TransformSpec], seed: UInt64 = 0,
                                  augmenting: Bool = false) throws(SpecError) -> [Transform] {
        var out: [Transform] = []
        var diagnostics: [Diagnostic] = []
        for (index, e) in entries.enumerated() {
            let ownSeed = seed &+ UInt64(index)
            do {
                switch e.type {
                case "to_tensor": out.append(ToTensor())
                case "normalize": out.append(try Normalize(mean: e.doubles("mean") ?? [], std: e.doubles("std") ?? []))
                case "random_crop":
                    out.append(try RandomCrop(size: e.ints("size", count: 2) ?? [], padding: e.ints("padding"),
                                              padIfNeeded: e.bool("pad_if_needed") ?? false, fill: [e.double("fill") ?? 0],
                                              paddingMode: PaddingMode(rawValue: e.string("padding_mode") ?? "constant") ?? .constant,
                                              seed: ownSeed))
                case "random_horizontal_flip":
                    out.append(try RandomFlip(horizontal: true, p: e.double("p") ?? 0.5, seed: ownSeed))
                case "random_vertical_flip":
                    out.append(try RandomFlip(horizontal: false, p: e.double("p") ?? 0.5, seed: ownSeed))
                case "resize":
                    // Without `count` one number stays one number: torchvision's "shorter side".
                    out.append(try Resize(size: e.ints("size") ?? [], interpolation: interpolation(e),
                                          maxSize: e.int("max_size")))
                case "center_crop":
                    out.append(try CenterCrop(size: e.ints("size", count: 2) ?? []))
                case "random_rotation":
                    out.append(try RandomRotation(degrees: e.doubles("degrees") ?? [], interpolation: interpolation(e),
                                                  center: e.doubles("center"), fill: e.doubles("fill") ?? [0],
                                                  seed: ownSeed))
                case "random_affine":
                    out.append(try RandomAffine(degrees: e.doubles("degrees") ?? [], translate: e.doubles("translate"),
                                                scale: e.doubles("scale"), shear: e.doubles("shear"),
                                                interpolation: interpolation(e), center: e.doubles("center"),
                                                fill: e.doubles("fill") ?? [0], seed: ownSeed))
                case "color_jitter":
                    out.append(try ColorJitter(brightness: e.doubles("brightness") ?? [0],
                                               contrast: e.doubles("contrast") ?? [0],
                                               saturation: e.doubles("saturation") ?? [0],
                                               hue: e.doubles("hue") ?? [0], seed: ownSeed))
                case "random_erasing":
                    out.append(try RandomErasing(p: e.double("p") ?? 0.5, scale: e.doubles("scale") ?? [0.02, 0.33],
                                                 ratio: e.doubles("ratio") ?? [0.3, 3.3],
                                                 value: .constant(e.doubles("value") ?? [0]), seed: ownSeed))
                case "gaussian_noise":
                    out.append(try GaussianNoise(mean: e.double("mean") ?? 0, sigma: e.double("sigma") ?? 0.1,
                                                 clip: e.bool("clip") ?? true, seed: ownSeed))
                case "standardize":
                    guard !augmenting else {
                        diagnostics.append(.error(at: e.location, "standardize belongs in data.transforms: its training-split "
                                                  + "statistics must apply to every split, not only to training", keyPath: e.keyPath))
                        continue
                    }
                    out.append(Standardize())
                default:
                    diagnostics.append(.error(at: e.location, "transform type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath))
                }
            } catch {
                diagnostics.append(.error(at: e.location, "\(error)", keyPath: e.keyPath))
            }
        }
        if !diagnostics.isEmpty { throw SpecError(diagnostics) }
        return out
    }

    /// The schema allows only FlintData's spellings, so the fallback is never taken.
    private static func interpolation(_ e: TransformSpec) -> Interpolation {
        Interpolation(rawValue: e.string("interpolation") ?? "") ?? .bilinear
    }
}

private extension SpecEntry {
    /// Overwrites each option the entry has a value for (written, or its schema default).
    func read<O: OptimizerOptions>(into options: inout O) {
        for field in O.fields {
            switch field {
            case .number(let name, let path): if let v = double(name) { options[keyPath: path] = v }
            case .flag(let name, let path): if let v = bool(name) { options[keyPath: path] = v }
            case .pair(let name, let path): if let v = doubles(name), v.count == 2 { options[keyPath: path] = (v[0], v[1]) }
            }
        }
    }
}
