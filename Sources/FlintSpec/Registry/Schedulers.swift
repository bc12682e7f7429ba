import FlintNN

/// Builds a scheduler over `optimizer`; `runSteps` is how many times the run will call
/// `step()`, the length of a `one_cycle_lr` that gives neither total_steps nor epochs
/// and steps_per_epoch (inside `sequential_lr`, the length of its segment).
public typealias SchedulerBuilder = (_ entry: SpecEntry, _ optimizer: Optimizer, _ runSteps: Int?) throws -> LRScheduler

public typealias SchedulerType = Registration<SchedulerBuilder>

/// Every LR scheduler of the spec, named after its `torch.optim.lr_scheduler` class.
public enum SchedulerTypes {
    public static let all: [SchedulerType] = basic + [sequential]

    public static let byName: [String: SchedulerType] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    private static let gamma = FieldSchema("gamma", .float, .defaulted(.double(StepLR.Defaults.gamma)), range: .positive,
                                            doc: "Decay factor.")

    private static let totalIters = FieldSchema(
        "total_iters", .int, .defaulted(.int(ConstantLR.Defaults.totalIters)), range: .positive, doc: "Epochs until the factor reaches its end.")

    /// Every scheduler but `sequential_lr`, which chains them.
    static let basic: [SchedulerType] = [
        SchedulerType(TypeSchema("step_lr", pytorch: "torch.optim.lr_scheduler.StepLR",
                                 doc: "Multiplies the learning rate by gamma every step_size epochs.", fields: [
            FieldSchema("step_size", .int, .required, range: .positive, doc: "Epochs between decays."),
            gamma,
        ]), example: "step_size: 2") { e, optimizer, _ in
            StepLR(optimizer: optimizer, stepSize: try e.intValue("step_size"), gamma: try e.doubleValue("gamma"))
        },
        SchedulerType(TypeSchema("multi_step_lr", pytorch: "torch.optim.lr_scheduler.MultiStepLR",
                                 doc: "Multiplies the learning rate by gamma at each milestone epoch.", fields: [
            FieldSchema("milestones", .ints(count: nil), .required, range: .positive, doc: "Epochs at which to decay."),
            gamma,
        ]), example: "milestones: [2]") { e, optimizer, _ in
            MultiStepLR(optimizer: optimizer, milestones: try e.intsValue("milestones"), gamma: try e.doubleValue("gamma"))
        },
        SchedulerType(TypeSchema("exponential_lr", pytorch: "torch.optim.lr_scheduler.ExponentialLR",
                                 doc: "Multiplies the learning rate by gamma every epoch.", fields: [
            FieldSchema("gamma", .float, .required, range: .positive, doc: "Decay factor."),
        ]), example: "gamma: 0.9") { e, optimizer, _ in
            ExponentialLR(optimizer: optimizer, gamma: try e.doubleValue("gamma"))
        },
        SchedulerType(TypeSchema("cosine_annealing_lr", pytorch: "torch.optim.lr_scheduler.CosineAnnealingLR",
                                 doc: "Anneals the learning rate along a cosine from its initial value to eta_min over T_max epochs.",
                                 fields: [
            FieldSchema("T_max", .int, .required, range: .positive, doc: "Epochs of the half cosine."),
            FieldSchema("eta_min", .float, .defaulted(.double(CosineAnnealingLR.Defaults.etaMin)), range: .nonNegative,
                        doc: "Final learning rate."),
        ]), example: "T_max: 10") { e, optimizer, _ in
            CosineAnnealingLR(optimizer: optimizer, tMax: try e.intValue("T_max"), etaMin: try e.doubleValue("eta_min"))
        },
        SchedulerType(TypeSchema("cosine_annealing_warm_restarts", pytorch: "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
                                 doc: "Cosine annealing restarted every T_0 epochs, each period T_mult times longer.", fields: [
            FieldSchema("T_0", .int, .required, range: .positive, doc: "Epochs of the first period."),
            FieldSchema("T_mult", .int, .defaulted(.int(CosineAnnealingWarmRestarts.Defaults.tMult)), range: .atLeast(1), doc: "Growth of each period."),
            FieldSchema("eta_min", .float, .defaulted(.double(CosineAnnealingWarmRestarts.Defaults.etaMin)), range: .nonNegative,
                        doc: "Lowest learning rate."),
        ]), example: "T_0: 5") { e, optimizer, _ in
            try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: try e.intValue("T_0"), tMult: try e.intValue("T_mult"),
                                            etaMin: try e.doubleValue("eta_min"))
        },
        SchedulerType(TypeSchema("linear_lr", pytorch: "torch.optim.lr_scheduler.LinearLR",
                                 doc: "Scales the learning rate by a factor going linearly from start_factor to end_factor.", fields: [
            FieldSchema("start_factor", .float, .defaulted(.double(LinearLR.Defaults.startFactor)),
                        range: ValueRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true),
                        doc: "Factor in the first epoch."),
            FieldSchema("end_factor", .float, .defaulted(.double(LinearLR.Defaults.endFactor)), range: .unitClosed,
                        doc: "Factor after total_iters."),
            totalIters,
        ])) { e, optimizer, _ in
            try LinearLR(optimizer: optimizer, startFactor: try e.doubleValue("start_factor"),
                         endFactor: try e.doubleValue("end_factor"), totalIters: try e.intValue("total_iters"))
        },
        SchedulerType(TypeSchema("constant_lr", pytorch: "torch.optim.lr_scheduler.ConstantLR",
                                 doc: "Scales the learning rate by a constant factor for total_iters epochs (a warm-up).", fields: [
            FieldSchema("factor", .float, .defaulted(.double(ConstantLR.Defaults.factor)), range: .unitClosed, doc: "The factor."),
            totalIters,
        ])) { e, optimizer, _ in
            try ConstantLR(optimizer: optimizer, factor: try e.doubleValue("factor"), totalIters: try e.intValue("total_iters"))
        },
        SchedulerType(TypeSchema("polynomial_lr", pytorch: "torch.optim.lr_scheduler.PolynomialLR",
                                 doc: "Decays the learning rate to 0 along a polynomial over total_iters epochs.", fields: [
            totalIters,
            FieldSchema("power", .float, .defaulted(.double(PolynomialLR.Defaults.power)), doc: "Power of the polynomial."),
        ])) { e, optimizer, _ in
            try PolynomialLR(optimizer: optimizer, totalIters: try e.intValue("total_iters"), power: try e.doubleValue("power"))
        },
        SchedulerType(TypeSchema("one_cycle_lr", pytorch: "torch.optim.lr_scheduler.OneCycleLR",
                                 doc: "Warms the learning rate up to max_lr and anneals it far below, over total_steps steps; "
                                     + "stepped after every optimizer step unless `interval: epoch`.", fields: [
            FieldSchema("max_lr", .floats(count: nil), .required, range: .positive,
                        doc: "Peak learning rate (one per parameter group, or one for all)."),
            FieldSchema("total_steps", .int, .optional, range: .positive,
                        doc: "Steps in the cycle; epochs · steps_per_epoch when given, else the steps of the whole run "
                            + "(train.epochs times the optimizer steps of an epoch, or train.epochs with `interval: epoch`), "
                            + "or in a sequential_lr the steps of its segment: to the next milestone, or to the run's end."),
            FieldSchema("epochs", .int, .optional, range: .positive, doc: "With steps_per_epoch, the length of the cycle."),
            FieldSchema("steps_per_epoch", .int, .optional, range: .positive, doc: "With epochs, the length of the cycle."),
            FieldSchema("pct_start", .float, .defaulted(.double(OneCycleLR.Defaults.pctStart)), range: .unitOpen,
                        doc: "Fraction of the cycle spent warming up."),
            FieldSchema("anneal_strategy", .choice(["cos", "linear"]), .defaulted(.string(OneCycleLR.Defaults.annealStrategy.rawValue)), doc: "Shape of the annealing."),
            FieldSchema("cycle_momentum", .bool, .defaulted(.bool(OneCycleLR.Defaults.cycleMomentum)),
                        doc: "Cycle the momentum (or beta1) inversely to the learning rate."),
            FieldSchema("base_momentum", .floats(count: nil), .defaulted(.doubles(OneCycleLR.Defaults.baseMomentum)), range: .unitClosed,
                        doc: "Lowest momentum."),
            FieldSchema("max_momentum", .floats(count: nil), .defaulted(.doubles(OneCycleLR.Defaults.maxMomentum)), range: .unitClosed,
                        doc: "Highest momentum."),
            FieldSchema("div_factor", .float, .defaulted(.double(OneCycleLR.Defaults.divFactor)), range: .positive,
                        doc: "Initial learning rate = max_lr / div_factor."),
            FieldSchema("final_div_factor", .float, .defaulted(.double(OneCycleLR.Defaults.finalDivFactor)), range: .positive,
                        doc: "Final learning rate = initial / final_div_factor."),
            FieldSchema("three_phase", .bool, .defaulted(.bool(OneCycleLR.Defaults.threePhase)), doc: "Use PyTorch's three-phase schedule."),
        ], check: { entry, report in
            if !entry.isSet("total_steps"), entry.isSet("epochs") != entry.isSet("steps_per_epoch") {
                report("one_cycle_lr needs epochs and steps_per_epoch together (or total_steps, or neither to "
                                     + "cover the whole run)", entry.isSet("epochs") ? "epochs" : "steps_per_epoch")
            }
        }), example: "max_lr: 0.1, total_steps: 10") { e, optimizer, runSteps in
            try OneCycleLR(optimizer: optimizer, maxLR: try e.doublesValue("max_lr"),
                           totalSteps: e.int("total_steps") ?? (e.isSet("epochs") ? nil : runSteps),
                           epochs: e.int("epochs"), stepsPerEpoch: e.int("steps_per_epoch"),
                           pctStart: try e.doubleValue("pct_start"),
                           annealStrategy: try e.choiceValue("anneal_strategy", as: OneCycleLR.AnnealStrategy.self),
                           cycleMomentum: try e.boolValue("cycle_momentum"), baseMomentum: try e.doublesValue("base_momentum"),
                           maxMomentum: try e.doublesValue("max_momentum"), divFactor: try e.doubleValue("div_factor"),
                           finalDivFactor: try e.doubleValue("final_div_factor"), threePhase: try e.boolValue("three_phase"))
        },
        SchedulerType(TypeSchema("reduce_lr_on_plateau", pytorch: "torch.optim.lr_scheduler.ReduceLROnPlateau",
                                 doc: "Multiplies the learning rate by factor when the monitored metric stops improving; "
                                     + "stepped after each epoch that computed the metric.", fields: [
            FieldSchema("monitor", .string, .optional,
                        doc: "Metric passed to `step(metrics)`: `train/loss`, `val/loss` or `val/<metric>`; "
                            + "`val/loss`, or `train/loss` without a validation split, when omitted."),
            FieldSchema("mode", .choice(["min", "max"]), .defaulted(.string(ReduceLROnPlateau.Defaults.mode.rawValue)),
                        doc: "Whether the metric should fall or rise."),
            FieldSchema("factor", .float, .defaulted(.double(ReduceLROnPlateau.Defaults.factor)), range: .unitOpen, doc: "Decay factor."),
            FieldSchema("patience", .int, .defaulted(.int(ReduceLROnPlateau.Defaults.patience)), range: .nonNegative,
                        doc: "Epochs without improvement before a decay."),
            FieldSchema("threshold", .float, .defaulted(.double(ReduceLROnPlateau.Defaults.threshold)), range: .nonNegative,
                        doc: "Smallest change that counts as an improvement."),
            FieldSchema("threshold_mode", .choice(["rel", "abs"]), .defaulted(.string(ReduceLROnPlateau.Defaults.thresholdMode.rawValue)),
                        doc: "Whether threshold is relative or absolute."),
            FieldSchema("cooldown", .int, .defaulted(.int(ReduceLROnPlateau.Defaults.cooldown)), range: .nonNegative,
                        doc: "Epochs to wait after a decay."),
            FieldSchema("min_lr", .floats(count: nil), .defaulted(.doubles(ReduceLROnPlateau.Defaults.minLR)), range: .nonNegative,
                        doc: "Lowest learning rate."),
            FieldSchema("eps", .float, .defaulted(.double(ReduceLROnPlateau.Defaults.eps)), range: .nonNegative,
                        doc: "Smallest change of the learning rate worth making."),
        ])) { e, optimizer, _ in
            try ReduceLROnPlateau(optimizer: optimizer, mode: try e.choiceValue("mode", as: ReduceLROnPlateau.Mode.self),
                                  factor: try e.doubleValue("factor"), patience: try e.intValue("patience"),
                                  threshold: try e.doubleValue("threshold"),
                                  thresholdMode: try e.choiceValue("threshold_mode", as: ReduceLROnPlateau.ThresholdMode.self),
                                  cooldown: try e.intValue("cooldown"), minLR: try e.doublesValue("min_lr"),
                                  eps: try e.doubleValue("eps"))
        },
    ]

    static let sequential = SchedulerType(TypeSchema("sequential_lr", pytorch: "torch.optim.lr_scheduler.SequentialLR",
                                          doc: "Runs schedulers one after another, switching at each milestone epoch "
                                              + "(a warm-up followed by a decay).", fields: [
            FieldSchema("schedulers", .entries(SpecSchema.chainedSchedulers), .required, doc: "The schedulers, in order."),
            FieldSchema("milestones", .ints(count: nil), .required, range: .positive,
                        doc: "Epochs at which the next scheduler takes over; one fewer than schedulers."),
        ], check: { entry, report in
            if let milestones = entry.ints("milestones"), let count = entry.entries("schedulers")?.count,
               milestones.count != count - 1 {
                report("sequential_lr needs one milestone fewer than schedulers, got \(milestones.count) "
                                     + "milestones for \(count) schedulers", "milestones")
            }
        })) { e, optimizer, runSteps in
            let milestones = try e.intsValue("milestones")
            var chain: [LRScheduler] = []
            guard let children = e.entries("schedulers") else {
                throw BuildProblem("internal error: field 'schedulers' has no value; the schema requires it", field: "schedulers")
            }
            for (index, child) in children.enumerated() {
                let span = try segmentSpan(of: child, at: index, in: e, milestones: milestones, runSteps: runSteps)
                chain.append(try Builder.scheduler(child, optimizer: optimizer, runSteps: span))
            }
            return try SequentialLR(optimizer: optimizer, schedulers: chain, milestones: milestones)
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
}
