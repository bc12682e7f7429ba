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

    public static let losses = TypeCategory(
        name: "loss", plural: "losses",
        doc: "The training objective, named after its `torch.nn` loss class.",
        types: [
            TypeSchema("cross_entropy_loss", pytorch: "torch.nn.CrossEntropyLoss",
                       doc: "Log-softmax and negative log-likelihood over raw class scores `[N, C]` and labels `[N]`.",
                       fields: [
                classWeight, ignoreIndex, reduction,
                FieldSchema("label_smoothing", .float, .defaulted(.double(0.0)), range: .unitClosed,
                            doc: "Mass moved from the target class to a uniform distribution."),
            ]),
            TypeSchema("nll_loss", pytorch: "torch.nn.NLLLoss",
                       doc: "Negative log-likelihood over log-probabilities `[N, C]` and labels `[N]`.",
                       fields: [classWeight, ignoreIndex, reduction]),
            TypeSchema("mse_loss", pytorch: "torch.nn.MSELoss", doc: "Mean squared error.", fields: [reduction]),
            TypeSchema("l1_loss", pytorch: "torch.nn.L1Loss", doc: "Mean absolute error.", fields: [reduction]),
        ]
    )

    private static let learningRate = FieldSchema(
        "lr", .float, .defaulted(.double(1e-3)), range: .nonNegative, doc: "Learning rate.")

    private static let betas = FieldSchema(
        "betas", .floats(count: 2), .defaulted(.doubles([0.9, 0.999])), range: .unitHalfOpen,
        doc: "Decay rates of the first and second moment estimates.")

    private static let eps = FieldSchema(
        "eps", .float, .defaulted(.double(1e-8)), range: .nonNegative, doc: "Added to the denominator for stability.")

    private static let amsgrad = FieldSchema(
        "amsgrad", .bool, .defaulted(.bool(false)), doc: "Use the AMSGrad variant.")

    public static let optimizers = TypeCategory(
        name: "optimizer", plural: "optimizers",
        doc: "Updates the parameters from their gradients; named after its `torch.optim` class.",
        types: [
            TypeSchema("sgd", pytorch: "torch.optim.SGD", doc: "Stochastic gradient descent, with optional momentum.",
                       fields: [
                learningRate,
                FieldSchema("momentum", .float, .defaulted(.double(0.0)), range: .nonNegative, doc: "Momentum factor."),
                FieldSchema("dampening", .float, .defaulted(.double(0.0)), doc: "Dampening for momentum."),
                FieldSchema("weight_decay", .float, .defaulted(.double(0.0)), range: .nonNegative,
                            doc: "L2 penalty added to the gradient."),
                FieldSchema("nesterov", .bool, .defaulted(.bool(false)), doc: "Use Nesterov momentum."),
            ], check: { entry, report in
                let nesterov = entry.bool("nesterov") ?? false
                if nesterov, (entry.double("momentum") ?? 0) <= 0 || (entry.double("dampening") ?? 0) != 0 {
                    report("nesterov momentum requires a momentum and zero dampening", "nesterov")
                }
            }),
            TypeSchema("adam", pytorch: "torch.optim.Adam", doc: "Adam.", fields: [
                learningRate, betas, eps,
                FieldSchema("weight_decay", .float, .defaulted(.double(0.0)), range: .nonNegative,
                            doc: "L2 penalty added to the gradient."),
                amsgrad,
            ]),
            TypeSchema("adamw", pytorch: "torch.optim.AdamW", doc: "Adam with decoupled weight decay.", fields: [
                learningRate, betas, eps,
                FieldSchema("weight_decay", .float, .defaulted(.double(1e-2)), range: .nonNegative,
                            doc: "Decoupled weight decay coefficient."),
                amsgrad,
            ]),
        ]
    )

    public static let schedulers = TypeCategory(
        name: "scheduler", plural: "schedulers",
        doc: "Changes the learning rate once per epoch; named after its `torch.optim.lr_scheduler` class.",
        types: [
            TypeSchema("step_lr", pytorch: "torch.optim.lr_scheduler.StepLR",
                       doc: "Multiplies the learning rate by gamma every step_size epochs.", fields: [
                FieldSchema("step_size", .int, .required, range: .positive, doc: "Epochs between decays."),
                FieldSchema("gamma", .float, .defaulted(.double(0.1)), range: .positive, doc: "Decay factor."),
            ]),
            TypeSchema("cosine_annealing_lr", pytorch: "torch.optim.lr_scheduler.CosineAnnealingLR",
                       doc: "Anneals the learning rate to eta_min along half a cosine over T_max epochs.", fields: [
                FieldSchema("T_max", .int, .required, range: .positive, doc: "Epochs of half a cosine period."),
                FieldSchema("eta_min", .float, .defaulted(.double(0.0)), range: .nonNegative,
                            doc: "Minimum learning rate."),
            ]),
            TypeSchema("exponential_lr", pytorch: "torch.optim.lr_scheduler.ExponentialLR",
                       doc: "Multiplies the learning rate by gamma every epoch.", fields: [
                FieldSchema("gamma", .float, .required, range: .positive, doc: "Decay factor."),
            ]),
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
        ]
    )
}
