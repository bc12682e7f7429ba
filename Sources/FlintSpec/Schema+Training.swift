import FlintData
import FlintNN

/// Loss, optimizer, scheduler and transform tables.
extension SpecSchema {
    private static let reduction = FieldSchema(
        "reduction", .choice(["mean", "sum", "none"]), .defaulted(.string("mean")),
        doc: "How per-sample losses are combined.")

    private static let classWeight = FieldSchema(
        "weight", .floats(count: nil), .optional, range: .nonNegative,
        doc: "A weight per class; all classes weigh 1 when omitted.")

    private static let ignoreIndex = FieldSchema(
        "ignore_index", .int, .defaulted(.int(-100)), doc: "Target value that contributes nothing to the loss.")

    private static func lossReduction(_ choices: [String] = ["mean", "sum", "none"]) -> FieldSchema {
        FieldSchema("reduction", .choice(choices), .defaulted(.string("mean")), doc: "How per-element losses are combined.")
    }

    public static let losses = TypeCategory(
        name: "loss", plural: "losses",
        doc: "The training objective, named after its `torch.nn` loss class. It compares the model's output "
            + "with the targets (`y`) of a batch. `loss` may also be a list, whose terms are summed, each times its "
            + "`loss_weight` and each reading the output and target it names: "
            + "`[{type: cross_entropy_loss, output: logits}, {type: mse_loss, output: recon, target: x, loss_weight: 0.1}]`.",
        types: [
            TypeSchema("cross_entropy_loss", pytorch: "torch.nn.CrossEntropyLoss",
                       doc: "Log-softmax and negative log-likelihood over raw class scores `[N, C]` and labels `[N]` "
                           + "(or class probabilities `[N, C]`). Over a sequence output `[N, L, C]` and labels `[N, L]` "
                           + "(a language model's) it applies per position, classes last as the spec's layers make them; "
                           + "PyTorch's `CrossEntropyLoss` wants `[N, C, L]` there (`logits.transpose(1, 2)`).",
                       fields: [
                classWeight, ignoreIndex, reduction,
                FieldSchema("label_smoothing", .float, .defaulted(.double(0.0)), range: .unitClosed,
                            doc: "Mass moved from the target class to a uniform distribution."),
            ]),
            TypeSchema("nll_loss", pytorch: "torch.nn.NLLLoss",
                       doc: "Negative log-likelihood over log-probabilities `[N, C]` and labels `[N]`.",
                       fields: [classWeight, ignoreIndex, reduction]),
            TypeSchema("bce_loss", pytorch: "torch.nn.BCELoss",
                       doc: "Binary cross-entropy over probabilities in [0, 1] and targets of the same shape.", fields: [
                FieldSchema("weight", .floats(count: nil), .optional, range: .nonNegative,
                            doc: "Weights broadcast over the last dimension; 1 when omitted."),
                reduction,
            ]),
            TypeSchema("bce_with_logits_loss", pytorch: "torch.nn.BCEWithLogitsLoss",
                       doc: "Sigmoid and binary cross-entropy in one numerically stable step.", fields: [
                FieldSchema("weight", .floats(count: nil), .optional, range: .nonNegative,
                            doc: "Weights broadcast over the last dimension; 1 when omitted."),
                reduction,
                FieldSchema("pos_weight", .floats(count: nil), .optional, range: .nonNegative,
                            doc: "Weight of the positive term, one per class (last dimension)."),
            ]),
            TypeSchema("kl_div_loss", pytorch: "torch.nn.KLDivLoss",
                       doc: "Kullback-Leibler divergence of log-probabilities from target probabilities.", fields: [
                lossReduction(["mean", "batchmean", "sum", "none"]),
                FieldSchema("log_target", .bool, .defaulted(.bool(false)), doc: "The targets are log-probabilities."),
            ]),
            TypeSchema("mse_loss", pytorch: "torch.nn.MSELoss", doc: "Mean squared error.", fields: [reduction]),
            TypeSchema("l1_loss", pytorch: "torch.nn.L1Loss", doc: "Mean absolute error.", fields: [reduction]),
            TypeSchema("smooth_l1_loss", pytorch: "torch.nn.SmoothL1Loss",
                       doc: "Squared error below beta, absolute error above, joined smoothly.", fields: [
                reduction,
                FieldSchema("beta", .float, .defaulted(.double(1.0)), range: .nonNegative,
                            doc: "Where the loss turns from squared to absolute."),
            ]),
            TypeSchema("huber_loss", pytorch: "torch.nn.HuberLoss",
                       doc: "Squared error below delta, delta-scaled absolute error above.", fields: [
                reduction,
                FieldSchema("delta", .float, .defaulted(.double(1.0)), range: .positive,
                            doc: "Where the loss turns from squared to absolute."),
            ]),
            TypeSchema("cosine_embedding_loss", pytorch: "torch.nn.CosineEmbeddingLoss",
                       doc: "Over two outputs `[N, D]` and targets ±1 `[N]`: 1 − cos(x1, x2) for pairs that should be "
                           + "alike (1), max(0, cos(x1, x2) − margin) for pairs that should not (−1).", fields: [
                FieldSchema("margin", .float, .defaulted(.double(0)),
                            range: ValueRange(lower: -1, lowerInclusive: true, upper: 1, upperInclusive: true),
                            doc: "Cosine similarity below which unlike pairs cost nothing."),
                reduction,
            ]),
            TypeSchema("margin_ranking_loss", pytorch: "torch.nn.MarginRankingLoss",
                       doc: "Over two outputs `[N]` and targets ±1 `[N]`: max(0, −y·(x1 − x2) + margin), for x1 ranked "
                           + "above x2 (1) or below it (−1).", fields: [
                FieldSchema("margin", .float, .defaulted(.double(0)), doc: "Least difference a correct ranking needs."),
                reduction,
            ]),
        ],
        commonFields: [
            FieldSchema("output", .names, .optional,
                        doc: "The model output(s) the loss reads, by layer name (see `model.outputs`): one, or two for "
                            + "cosine_embedding_loss and margin_ranking_loss; the model's only (or two) outputs when omitted."),
            FieldSchema("target", .choice(["y", "x"]), .defaulted(.string("y")),
                        doc: "What the output is compared with: the batch's targets `y`, or its inputs `x` after the "
                            + "transforms (an autoencoder's reconstruction)."),
            FieldSchema("loss_weight", .float, .defaulted(.double(1)), range: .nonNegative,
                        doc: "Factor of this loss in the sum when `loss` is a list."),
        ]
    )

    /// Losses whose input is a pair of model outputs (PyTorch's `(input1, input2, target)`).
    public static let pairwiseLosses: Set<String> = ["cosine_embedding_loss", "margin_ranking_loss"]

    // The optimizers' fields take their defaults from the options structs of
    // FlintNN (`AdamOptions()`), where PyTorch's defaults are written once.

    private static func learningRate(_ value: Double) -> FieldSchema {
        FieldSchema("lr", .float, .defaulted(.double(value)), range: .nonNegative, doc: "Learning rate.")
    }

    private static func betas(_ value: (Double, Double)) -> FieldSchema {
        FieldSchema("betas", .floats(count: 2), .defaulted(.doubles([value.0, value.1])), range: .unitHalfOpen,
                    doc: "Decay rates of the first and second moment estimates.")
    }

    private static func eps(_ value: Double) -> FieldSchema {
        FieldSchema("eps", .float, .defaulted(.double(value)), range: .nonNegative, doc: "Added to the denominator for stability.")
    }

    private static func amsgrad(_ value: Bool) -> FieldSchema {
        FieldSchema("amsgrad", .bool, .defaulted(.bool(value)), doc: "Use the AMSGrad variant.")
    }

    private static func maximize(_ value: Bool) -> FieldSchema {
        FieldSchema("maximize", .bool, .defaulted(.bool(value)), doc: "Maximise the objective instead of minimising it.")
    }

    private static func weightDecay(_ value: Double, decoupled: Bool = false) -> FieldSchema {
        FieldSchema("weight_decay", .float, .defaulted(.double(value)), range: .nonNegative,
                    doc: decoupled ? "Decoupled weight decay coefficient." : "L2 penalty added to the gradient.")
    }

    private static func decoupledWeightDecay(_ value: Bool) -> FieldSchema {
        FieldSchema("decoupled_weight_decay", .bool, .defaulted(.bool(value)),
                    doc: "Decay the weights directly (as AdamW) instead of adding an L2 penalty to the gradient.")
    }

    private static func momentum(_ value: Double) -> FieldSchema {
        FieldSchema("momentum", .float, .defaulted(.double(value)), range: .nonNegative, doc: "Momentum factor.")
    }

    /// PyTorch's per-group options: every optimizer takes `param_groups`, whose entries
    /// choose parameters by pattern and override any of the optimizer's own fields.
    private static func withParamGroups(_ types: [TypeSchema]) -> [TypeSchema] {
        types.map { type in
            let overrides = type.fields.map { FieldSchema($0.name, $0.kind, .optional, range: $0.range, doc: $0.doc) }
            let group = TypeSchema(type.name, pytorch: type.pytorch, doc: "A parameter group of \(type.name).", fields: [
                FieldSchema("params", .names, .required,
                            doc: "State-dict names or patterns (`*` any text, `?` one character) of the group's parameters."),
            ] + overrides)
            let field = FieldSchema(
                "param_groups", .groups(group), .optional,
                doc: "PyTorch's parameter groups: `[{params: ['*.bias', 'bn*'], weight_decay: 0}, ...]`. Each group takes "
                    + "the parameters its patterns match (that no earlier group took) and overrides any field above; "
                    + "parameters no pattern matches form the first group, with the fields above "
                    + "(it is left out when there are none). A pattern that matches nothing is an error.")
            return TypeSchema(type.name, pytorch: type.pytorch, doc: type.doc, fields: type.fields + [field], check: type.check)
        }
    }

    public static let optimizers = TypeCategory(
        name: "optimizer", plural: "optimizers",
        doc: "Updates the parameters from their gradients; named after its `torch.optim` class.",
        types: withParamGroups([
            TypeSchema("sgd", pytorch: "torch.optim.SGD", doc: "Stochastic gradient descent, with optional momentum.",
                       fields: {
                let o = SGDOptions()
                return [
                    learningRate(o.lr), momentum(o.momentum),
                    FieldSchema("dampening", .float, .defaulted(.double(o.dampening)), doc: "Dampening for momentum."),
                    weightDecay(o.weightDecay),
                    FieldSchema("nesterov", .bool, .defaulted(.bool(o.nesterov)), doc: "Use Nesterov momentum."),
                    maximize(o.maximize),
                ]
            }(), check: { entry, report in
                let nesterov = entry.bool("nesterov") ?? false
                if nesterov, (entry.double("momentum") ?? 0) <= 0 || (entry.double("dampening") ?? 0) != 0 {
                    report("nesterov momentum requires a momentum and zero dampening", "nesterov")
                }
            }),
            TypeSchema("adam", pytorch: "torch.optim.Adam", doc: "Adam.", fields: {
                let o = AdamOptions()
                return [learningRate(o.lr), betas(o.betas), eps(o.eps), weightDecay(o.weightDecay), amsgrad(o.amsgrad),
                        maximize(o.maximize), decoupledWeightDecay(o.decoupledWeightDecay)]
            }()),
            TypeSchema("adamw", pytorch: "torch.optim.AdamW", doc: "Adam with decoupled weight decay.", fields: {
                let o = AdamWOptions()
                return [learningRate(o.lr), betas(o.betas), eps(o.eps), weightDecay(o.weightDecay, decoupled: true),
                        amsgrad(o.amsgrad), maximize(o.maximize)]
            }()),
            TypeSchema("adamax", pytorch: "torch.optim.Adamax", doc: "Adam with the infinity norm.", fields: {
                let o = AdamaxOptions()
                return [learningRate(o.lr), betas(o.betas), eps(o.eps), weightDecay(o.weightDecay), maximize(o.maximize)]
            }()),
            TypeSchema("nadam", pytorch: "torch.optim.NAdam", doc: "Adam with Nesterov momentum.", fields: {
                let o = NAdamOptions()
                return [learningRate(o.lr), betas(o.betas), eps(o.eps), weightDecay(o.weightDecay),
                        FieldSchema("momentum_decay", .float, .defaulted(.double(o.momentumDecay)), range: .nonNegative,
                                    doc: "Momentum decay ψ."),
                        decoupledWeightDecay(o.decoupledWeightDecay), maximize(o.maximize)]
            }()),
            TypeSchema("radam", pytorch: "torch.optim.RAdam", doc: "Rectified Adam.", fields: {
                let o = RAdamOptions()
                return [learningRate(o.lr), betas(o.betas), eps(o.eps), weightDecay(o.weightDecay),
                        decoupledWeightDecay(o.decoupledWeightDecay), maximize(o.maximize)]
            }()),
            TypeSchema("rmsprop", pytorch: "torch.optim.RMSprop", doc: "RMSprop.", fields: {
                let o = RMSpropOptions()
                return [learningRate(o.lr),
                        FieldSchema("alpha", .float, .defaulted(.double(o.alpha)), range: .nonNegative, doc: "Smoothing constant."),
                        eps(o.eps), weightDecay(o.weightDecay), momentum(o.momentum),
                        FieldSchema("centered", .bool, .defaulted(.bool(o.centered)),
                                    doc: "Normalise by an estimate of the gradient's variance."),
                        maximize(o.maximize)]
            }()),
            TypeSchema("adagrad", pytorch: "torch.optim.Adagrad", doc: "Adagrad.", fields: {
                let o = AdagradOptions()
                return [learningRate(o.lr),
                        FieldSchema("lr_decay", .float, .defaulted(.double(o.lrDecay)), range: .nonNegative, doc: "Learning rate decay."),
                        weightDecay(o.weightDecay),
                        FieldSchema("initial_accumulator_value", .float, .defaulted(.double(o.initialAccumulatorValue)),
                                    range: .nonNegative, doc: "Starting value of the sums of squared gradients."),
                        eps(o.eps), maximize(o.maximize)]
            }()),
            TypeSchema("adadelta", pytorch: "torch.optim.Adadelta", doc: "Adadelta.", fields: {
                let o = AdadeltaOptions()
                return [learningRate(o.lr),
                        FieldSchema("rho", .float, .defaulted(.double(o.rho)), range: .unitClosed,
                                    doc: "Decay of the running averages."),
                        eps(o.eps), weightDecay(o.weightDecay), maximize(o.maximize)]
            }()),
        ])
    )

    private static let gamma = FieldSchema("gamma", .float, .defaulted(.double(0.1)), range: .positive, doc: "Decay factor.")

    private static let totalIters = FieldSchema(
        "total_iters", .int, .defaulted(.int(5)), range: .positive, doc: "Epochs until the factor reaches its end.")

    /// Every scheduler but `sequential_lr`, which chains them.
    static let basicSchedulers: [TypeSchema] = [
        TypeSchema("step_lr", pytorch: "torch.optim.lr_scheduler.StepLR",
                   doc: "Multiplies the learning rate by gamma every step_size epochs.", fields: [
            FieldSchema("step_size", .int, .required, range: .positive, doc: "Epochs between decays."),
            gamma,
        ]),
        TypeSchema("multi_step_lr", pytorch: "torch.optim.lr_scheduler.MultiStepLR",
                   doc: "Multiplies the learning rate by gamma at each milestone epoch.", fields: [
            FieldSchema("milestones", .ints(count: nil), .required, range: .positive, doc: "Epochs at which to decay."),
            gamma,
        ]),
        TypeSchema("exponential_lr", pytorch: "torch.optim.lr_scheduler.ExponentialLR",
                   doc: "Multiplies the learning rate by gamma every epoch.", fields: [
            FieldSchema("gamma", .float, .required, range: .positive, doc: "Decay factor."),
        ]),
        TypeSchema("cosine_annealing_lr", pytorch: "torch.optim.lr_scheduler.CosineAnnealingLR",
                   doc: "Anneals the learning rate along a cosine from its initial value to eta_min over T_max epochs.",
                   fields: [
            FieldSchema("T_max", .int, .required, range: .positive, doc: "Epochs of the half cosine."),
            FieldSchema("eta_min", .float, .defaulted(.double(0)), range: .nonNegative, doc: "Final learning rate."),
        ]),
        TypeSchema("cosine_annealing_warm_restarts", pytorch: "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
                   doc: "Cosine annealing restarted every T_0 epochs, each period T_mult times longer.", fields: [
            FieldSchema("T_0", .int, .required, range: .positive, doc: "Epochs of the first period."),
            FieldSchema("T_mult", .int, .defaulted(.int(1)), range: .atLeast(1), doc: "Growth of each period."),
            FieldSchema("eta_min", .float, .defaulted(.double(0)), range: .nonNegative, doc: "Lowest learning rate."),
        ]),
        TypeSchema("linear_lr", pytorch: "torch.optim.lr_scheduler.LinearLR",
                   doc: "Scales the learning rate by a factor going linearly from start_factor to end_factor.", fields: [
            FieldSchema("start_factor", .float, .defaulted(.double(1.0 / 3)),
                        range: ValueRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true),
                        doc: "Factor in the first epoch."),
            FieldSchema("end_factor", .float, .defaulted(.double(1.0)), range: .unitClosed, doc: "Factor after total_iters."),
            totalIters,
        ]),
        TypeSchema("constant_lr", pytorch: "torch.optim.lr_scheduler.ConstantLR",
                   doc: "Scales the learning rate by a constant factor for total_iters epochs (a warm-up).", fields: [
            FieldSchema("factor", .float, .defaulted(.double(1.0 / 3)), range: .unitClosed, doc: "The factor."),
            totalIters,
        ]),
        TypeSchema("polynomial_lr", pytorch: "torch.optim.lr_scheduler.PolynomialLR",
                   doc: "Decays the learning rate to 0 along a polynomial over total_iters epochs.", fields: [
            totalIters,
            FieldSchema("power", .float, .defaulted(.double(1.0)), doc: "Power of the polynomial."),
        ]),
        TypeSchema("one_cycle_lr", pytorch: "torch.optim.lr_scheduler.OneCycleLR",
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
            FieldSchema("pct_start", .float, .defaulted(.double(0.3)), range: .unitOpen,
                        doc: "Fraction of the cycle spent warming up."),
            FieldSchema("anneal_strategy", .choice(["cos", "linear"]), .defaulted(.string("cos")), doc: "Shape of the annealing."),
            FieldSchema("cycle_momentum", .bool, .defaulted(.bool(true)),
                        doc: "Cycle the momentum (or beta1) inversely to the learning rate."),
            FieldSchema("base_momentum", .floats(count: nil), .defaulted(.doubles([0.85])), range: .unitClosed,
                        doc: "Lowest momentum."),
            FieldSchema("max_momentum", .floats(count: nil), .defaulted(.doubles([0.95])), range: .unitClosed,
                        doc: "Highest momentum."),
            FieldSchema("div_factor", .float, .defaulted(.double(25)), range: .positive,
                        doc: "Initial learning rate = max_lr / div_factor."),
            FieldSchema("final_div_factor", .float, .defaulted(.double(1e4)), range: .positive,
                        doc: "Final learning rate = initial / final_div_factor."),
            FieldSchema("three_phase", .bool, .defaulted(.bool(false)), doc: "Use PyTorch's three-phase schedule."),
        ], check: { entry, report in
            if !entry.isSet("total_steps"), entry.isSet("epochs") != entry.isSet("steps_per_epoch") {
                report("one_cycle_lr needs epochs and steps_per_epoch together (or total_steps, or neither to "
                       + "cover the whole run)", entry.isSet("epochs") ? "epochs" : "steps_per_epoch")
            }
        }),
        TypeSchema("reduce_lr_on_plateau", pytorch: "torch.optim.lr_scheduler.ReduceLROnPlateau",
                   doc: "Multiplies the learning rate by factor when the monitored metric stops improving; "
                       + "stepped after each epoch that computed the metric.", fields: [
            FieldSchema("monitor", .string, .optional,
                        doc: "Metric passed to `step(metrics)`: `train/loss`, `val/loss` or `val/<metric>`; "
                            + "`val/loss`, or `train/loss` without a validation split, when omitted."),
            FieldSchema("mode", .choice(["min", "max"]), .defaulted(.string("min")),
                        doc: "Whether the metric should fall or rise."),
            FieldSchema("factor", .float, .defaulted(.double(0.1)), range: .unitOpen, doc: "Decay factor."),
            FieldSchema("patience", .int, .defaulted(.int(10)), range: .nonNegative,
                        doc: "Epochs without improvement before a decay."),
            FieldSchema("threshold", .float, .defaulted(.double(1e-4)), range: .nonNegative,
                        doc: "Smallest change that counts as an improvement."),
            FieldSchema("threshold_mode", .choice(["rel", "abs"]), .defaulted(.string("rel")),
                        doc: "Whether threshold is relative or absolute."),
            FieldSchema("cooldown", .int, .defaulted(.int(0)), range: .nonNegative, doc: "Epochs to wait after a decay."),
            FieldSchema("min_lr", .floats(count: nil), .defaulted(.doubles([0])), range: .nonNegative,
                        doc: "Lowest learning rate."),
            FieldSchema("eps", .float, .defaulted(.double(1e-8)), range: .nonNegative,
                        doc: "Smallest change of the learning rate worth making."),
        ]),
    ]

    static let chainedSchedulers = TypeCategory(
        name: "scheduler", plural: "schedulers",
        doc: "A scheduler of a `sequential_lr` chain.", types: basicSchedulers.filter { $0.name != "reduce_lr_on_plateau" },
        misplacedKeys: ["interval": "interval belongs on the sequential_lr itself, which steps every scheduler it chains "
                            + "(`scheduler: {type: sequential_lr, interval: step, ...}`)"])

    public static let schedulers = TypeCategory(
        name: "scheduler", plural: "schedulers",
        doc: "Changes the learning rate as training goes; named after its `torch.optim.lr_scheduler` class. "
            + "The trainer calls `step()` after every epoch, or after every optimizer step with `interval: step` "
            + "(the default of `one_cycle_lr`, which PyTorch steps per batch), as a PyTorch loop does.",
        types: basicSchedulers + [
            TypeSchema("sequential_lr", pytorch: "torch.optim.lr_scheduler.SequentialLR",
                       doc: "Runs schedulers one after another, switching at each milestone epoch "
                           + "(a warm-up followed by a decay).", fields: [
                FieldSchema("schedulers", .entries(chainedSchedulers), .required, doc: "The schedulers, in order."),
                FieldSchema("milestones", .ints(count: nil), .required, range: .positive,
                            doc: "Epochs at which the next scheduler takes over; one fewer than schedulers."),
            ], check: { entry, report in
                if let milestones = entry.ints("milestones"), let count = entry.entries("schedulers")?.count,
                   milestones.count != count - 1 {
                    report("sequential_lr needs one milestone fewer than schedulers, got \(milestones.count) "
                           + "milestones for \(count) schedulers", "milestones")
                }
            }),
        ],
        commonFields: [
            FieldSchema("interval", .choice(["epoch", "step"]), .optional,
                        doc: "When `step()` runs: after each `epoch`, or after each optimizer `step` (milestones, "
                            + "periods and total_iters then count steps); `step` for one_cycle_lr, else `epoch`, when omitted. "
                            + "The schedulers chained in a `sequential_lr` take it from the sequential_lr."),
        ]
    )

    public static let transforms = TypeCategory(
        name: "transform", plural: "transforms",
        doc: "A step applied to each input sample, named after its `torchvision.transforms` class.",
        types: [
            TypeSchema("to_tensor", pytorch: "torchvision.transforms.ToTensor",
                       doc: "uint8 values in [0, 255] to float32 in [0, 1]."),
            TypeSchema("normalize", pytorch: "torchvision.transforms.Normalize",
                       doc: "(x - mean) / std per channel.", fields: [
                FieldSchema("mean", .floats(count: nil), .required, doc: "Mean of each channel."),
                FieldSchema("std", .floats(count: nil), .required, range: .positive,
                            doc: "Standard deviation of each channel."),
            ], check: { entry, report in
                guard let mean = entry.doubles("mean"), let std = entry.doubles("std") else { return }
                if mean.count != std.count {
                    report("mean and std must have one value per channel each, got \(mean.count) and \(std.count)",
                           "std")
                }
            }),
            TypeSchema("random_crop", pytorch: "torchvision.transforms.RandomCrop",
                       doc: "Crops a random window, after optional padding.", fields: [
                FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                            doc: "Output size `s` or `[h, w]`."),
                FieldSchema("padding", .intOrTuple(count: 2, keywords: []), .optional, range: .nonNegative,
                            doc: "Padding on each border before cropping (`p` or `[left/right, top/bottom]`)."),
                FieldSchema("pad_if_needed", .bool, .defaulted(.bool(false)),
                            doc: "Pad images smaller than `size`."),
                FieldSchema("fill", .float, .defaulted(.double(0)), doc: "Value of constant padding."),
                FieldSchema("padding_mode", .choice(["constant", "edge", "reflect", "symmetric"]),
                            .defaulted(.string("constant")), doc: "How padding is filled."),
            ]),
            TypeSchema("random_horizontal_flip", pytorch: "torchvision.transforms.RandomHorizontalFlip",
                       doc: "Mirrors the last dimension with probability p.", fields: [
                FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed, doc: "Probability of a flip."),
            ]),
            TypeSchema("random_vertical_flip", pytorch: "torchvision.transforms.RandomVerticalFlip",
                       doc: "Mirrors the height dimension with probability p.", fields: [
                FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed, doc: "Probability of a flip."),
            ]),
            TypeSchema("resize", pytorch: "torchvision.transforms.Resize",
                       doc: "Resizes to `[h, w]`, or the shorter side to `s` keeping the aspect ratio (no antialiasing).",
                       fields: [
                FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                            doc: "Shorter side `s`, or `[h, w]`."),
                interpolation("bilinear"),
                FieldSchema("max_size", .int, .optional, range: .positive,
                            doc: "Cap on the longer side when `size` is one number."),
            ]),
            TypeSchema("center_crop", pytorch: "torchvision.transforms.CenterCrop",
                       doc: "Crops the central window.", fields: [
                FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                            doc: "Output size `s` or `[h, w]`."),
            ]),
            TypeSchema("random_rotation", pytorch: "torchvision.transforms.RandomRotation",
                       doc: "Rotates by an angle drawn from `[-degrees, degrees]` or `[lo, hi]`; the size is kept.", fields: [
                FieldSchema("degrees", .floats(count: nil), .required, doc: "`d` for `[-d, d]`, or `[lo, hi]`."),
                interpolation("nearest"),
                center,
                fill,
            ]),
            TypeSchema("random_affine", pytorch: "torchvision.transforms.RandomAffine",
                       doc: "A random rotation, shift, scale and shear per sample; the size is kept.", fields: [
                FieldSchema("degrees", .floats(count: nil), .required, doc: "`d` for `[-d, d]`, or `[lo, hi]`; 0 for none."),
                FieldSchema("translate", .floats(count: 2), .optional, range: .unitClosed,
                            doc: "Largest shift as fractions `[a, b]` of the width and height."),
                FieldSchema("scale", .floats(count: 2), .optional, range: .positive, doc: "Scale drawn from `[lo, hi]`."),
                FieldSchema("shear", .floats(count: nil), .optional,
                            doc: "`s` for x-shear in `[-s, s]`, `[lo, hi]`, or `[x0, x1, y0, y1]`, in degrees."),
                interpolation("nearest"),
                center,
                fill,
            ]),
            TypeSchema("color_jitter", pytorch: "torchvision.transforms.ColorJitter",
                       doc: "Random brightness, contrast, saturation and hue, in random order, on float images in [0, 1] "
                        + "or uint8 images (computed in float32 and truncated back, as torchvision does).", fields: [
                jitter("brightness", "`b` for factors in `[max(0, 1 - b), 1 + b]`, or `[lo, hi]`."),
                jitter("contrast", "`c` for factors in `[max(0, 1 - c), 1 + c]`, or `[lo, hi]`."),
                jitter("saturation", "`s` for factors in `[max(0, 1 - s), 1 + s]`, or `[lo, hi]`; needs 3 channels."),
                jitter("hue", "`h` in [0, 0.5] for shifts in `[-h, h]`, or `[lo, hi]`; needs 3 channels."),
            ]),
            TypeSchema("random_erasing", pytorch: "torchvision.transforms.RandomErasing",
                       doc: "With probability p, fills a random rectangle (on normalised tensors, after `normalize`).", fields: [
                FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed, doc: "Probability of erasing."),
                FieldSchema("scale", .floats(count: 2), .defaulted(.doubles([0.02, 0.33])), range: .unitClosed,
                            doc: "Range of the erased area as a fraction of the image."),
                FieldSchema("ratio", .floats(count: 2), .defaulted(.doubles([0.3, 3.3])), range: .positive,
                            doc: "Range of the aspect ratio of the erased area."),
                FieldSchema("value", .floats(count: nil), .defaulted(.doubles([0])),
                            doc: "Fill value, one or one per channel (torchvision's `'random'` is not offered)."),
            ]),
            TypeSchema("gaussian_noise", pytorch: "torchvision.transforms.v2.GaussianNoise",
                       doc: "Adds normal noise to float images.", fields: [
                FieldSchema("mean", .float, .defaulted(.double(0)), doc: "Mean of the noise."),
                FieldSchema("sigma", .float, .defaulted(.double(0.1)), range: .nonNegative,
                            doc: "Standard deviation of the noise."),
                FieldSchema("clip", .bool, .defaulted(.bool(true)), doc: "Clamp the result to [0, 1]."),
            ]),
            TypeSchema("standardize", pytorch: "sklearn.preprocessing.StandardScaler",
                       doc: "(x - mean) / std per feature of tabular samples, with the mean and population std of "
                        + "the training split (after the transforms before it; a feature that never varies gets std 1). "
                        + "The statistics are stored in the checkpoint: `flint eval`, `flint predict` and `--resume` "
                        + "apply them without reading the training data again. Only in `data.transforms`."),
        ]
    )

    /// Spelled from FlintData's enum so the schema cannot offer a mode the transforms lack.
    private static func interpolation(_ value: String) -> FieldSchema {
        FieldSchema("interpolation", .choice(Interpolation.allCases.map(\.rawValue)), .defaulted(.string(value)),
                    doc: "How pixels between samples are read.")
    }

    private static let center = FieldSchema("center", .floats(count: 2), .optional,
                                            doc: "Centre `[x, y]` of the rotation in pixels; the image centre when omitted.")

    private static let fill = FieldSchema("fill", .floats(count: nil), .defaulted(.doubles([0])),
                                          doc: "Value of pixels outside the image, one or one per channel.")

    private static func jitter(_ name: String, _ doc: String) -> FieldSchema {
        FieldSchema(name, .floats(count: nil), .defaulted(.doubles([0])), doc: doc)
    }
}
