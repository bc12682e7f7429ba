import FlintData
import FlintNN

/// Loss, optimizer, scheduler and transform tables.
extension SpecSchema {
    public static let losses = TypeCategory(
        name: "loss", plural: "losses",
        doc: "The training objective, named after its `torch.nn` loss class. It compares the model's output "
            + "with the targets (`y`) of a batch. `loss` may also be a list, whose terms are summed, each times its "
            + "`loss_weight` and each reading the output and target it names: "
            + "`[{type: cross_entropy_loss, output: logits}, {type: mse_loss, output: recon, target: x, loss_weight: 0.1}]`.",
        types: LossTypes.all.map(\.schema),
        commonFields: [
            FieldSchema("output", .names, .optional,
                        doc: "The model output(s) the loss reads, by layer name (see `model.outputs`): one, or two for "
                            + "cosine_embedding_loss and margin_ranking_loss; the model's only (or two) outputs when omitted."),
            FieldSchema("target", .choice(Objective.Target.allCases.map(\.rawValue)), .defaulted(.string("y")),
                        doc: "What the output is compared with: the batch's targets `y`, or its inputs `x` after the "
                            + "transforms (an autoencoder's reconstruction)."),
            FieldSchema("loss_weight", .float, .defaulted(.double(1)), range: .nonNegative,
                        doc: "Factor of this loss in the sum when `loss` is a list."),
        ]
    )

    /// Losses whose input is a pair of model outputs (PyTorch's `(input1, input2, target)`).
    public static let pairwiseLosses: Set<String> = Set(LossTypes.all.filter(\.isPairwise).map(\.name))

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
                // Every field here has a default, so each value is present.
                if entry.bool("nesterov") == true, let momentum = entry.double("momentum"),
                   let dampening = entry.double("dampening"), momentum <= 0 || dampening != 0 {
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

    static let chainedSchedulers = TypeCategory(
        name: "scheduler", plural: "schedulers",
        doc: "A scheduler of a `sequential_lr` chain.",
        types: SchedulerTypes.basic.map(\.schema).filter { $0.name != "reduce_lr_on_plateau" },
        misplacedKeys: ["interval": "interval belongs on the sequential_lr itself, which steps every scheduler it chains "
                            + "(`scheduler: {type: sequential_lr, interval: step, ...}`)"])

    public static let schedulers = TypeCategory(
        name: "scheduler", plural: "schedulers",
        doc: "Changes the learning rate as training goes; named after its `torch.optim.lr_scheduler` class. "
            + "The trainer calls `step()` after every epoch, or after every optimizer step with `interval: step` "
            + "(the default of `one_cycle_lr`, which PyTorch steps per batch), as a PyTorch loop does.",
        types: SchedulerTypes.all.map(\.schema),
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
        types: TransformTypes.all.map(\.schema)
    )
}
