/// The layer table: one entry per `torch.nn` module the spec can name.
extension SpecSchema {
    public static let layers = TypeCategory(
        name: "layer", plural: "layers",
        doc: "A module of `model.layers`, named after its `torch.nn` class. Layers run in order; "
            + "`name` and `inputs` turn the list into a graph.",
        types: [
            TypeSchema("linear", pytorch: "torch.nn.Linear", doc: "y = x Aᵀ + b over the last dimension.", fields: [
                FieldSchema("in_features", .int, .optional, range: .positive,
                            doc: "Size of each input sample; inferred from the input shape when omitted."),
                FieldSchema("out_features", .int, .required, range: .positive, doc: "Size of each output sample."),
                FieldSchema("bias", .bool, .defaulted(.bool(true)), doc: "Learn an additive bias."),
            ]),
            TypeSchema("conv2d", pytorch: "torch.nn.Conv2d", doc: "2-D convolution over `[N, C, H, W]` inputs.", fields: [
                FieldSchema("in_channels", .int, .optional, range: .positive,
                            doc: "Channels of the input; inferred when omitted."),
                FieldSchema("out_channels", .int, .required, range: .positive, doc: "Channels produced."),
                FieldSchema("kernel_size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                            doc: "Size of the kernel: `k` or `[kh, kw]`."),
                FieldSchema("stride", .intOrTuple(count: 2, keywords: []), .defaulted(.int(1)), range: .positive,
                            doc: "Stride of the convolution."),
                FieldSchema("padding", .intOrTuple(count: 2, keywords: ["valid", "same"]), .defaulted(.int(0)),
                            range: .nonNegative, doc: "Zero padding added to both sides, or `valid` / `same`."),
                FieldSchema("dilation", .intOrTuple(count: 2, keywords: []), .defaulted(.int(1)), range: .positive,
                            doc: "Spacing between kernel elements."),
                FieldSchema("groups", .int, .defaulted(.int(1)), range: .positive,
                            doc: "Blocked connections from input to output channels."),
                FieldSchema("bias", .bool, .defaulted(.bool(true)), doc: "Learn an additive bias."),
                FieldSchema("padding_mode", .choice(["zeros", "reflect", "replicate", "circular"]),
                            .defaulted(.string("zeros")), doc: "How padding is filled."),
            ], check: checkConv2d),
            TypeSchema("max_pool2d", pytorch: "torch.nn.MaxPool2d", doc: "2-D max pooling.", fields: [
                FieldSchema("kernel_size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                            doc: "Size of the window."),
                FieldSchema("stride", .intOrTuple(count: 2, keywords: []), .optional, range: .positive,
                            doc: "Stride of the window; `kernel_size` when omitted."),
                FieldSchema("padding", .intOrTuple(count: 2, keywords: []), .defaulted(.int(0)), range: .nonNegative,
                            doc: "Implicit negative-infinity padding on both sides."),
                FieldSchema("dilation", .intOrTuple(count: 2, keywords: []), .defaulted(.int(1)), range: .positive,
                            doc: "Spacing between window elements."),
                FieldSchema("ceil_mode", .bool, .defaulted(.bool(false)),
                            doc: "Use ceil instead of floor for the output shape."),
            ], check: checkMaxPool2d),
            TypeSchema("flatten", pytorch: "torch.nn.Flatten", doc: "Flattens a range of dimensions into one.", fields: [
                FieldSchema("start_dim", .int, .defaulted(.int(1)), doc: "First dimension to flatten."),
                FieldSchema("end_dim", .int, .defaulted(.int(-1)), doc: "Last dimension to flatten."),
            ]),
            TypeSchema("relu", pytorch: "torch.nn.ReLU", doc: "max(0, x).", fields: [inplace]),
            TypeSchema("leaky_relu", pytorch: "torch.nn.LeakyReLU", doc: "max(0, x) + negative_slope · min(0, x).",
                       fields: [
                FieldSchema("negative_slope", .float, .defaulted(.double(0.01)), doc: "Slope for negative inputs."),
                inplace,
            ]),
            TypeSchema("gelu", pytorch: "torch.nn.GELU", doc: "Gaussian error linear unit.", fields: [
                FieldSchema("approximate", .choice(["none", "tanh"]), .defaulted(.string("none")),
                            doc: "`tanh` uses the tanh approximation."),
            ]),
            TypeSchema("tanh", pytorch: "torch.nn.Tanh", doc: "Hyperbolic tangent."),
            TypeSchema("sigmoid", pytorch: "torch.nn.Sigmoid", doc: "1 / (1 + exp(-x))."),
            TypeSchema("softmax", pytorch: "torch.nn.Softmax", doc: "Softmax along a dimension.", fields: [
                FieldSchema("dim", .int, .required, doc: "Dimension along which the values sum to 1."),
            ]),
            TypeSchema("log_softmax", pytorch: "torch.nn.LogSoftmax", doc: "Log of softmax along a dimension.", fields: [
                FieldSchema("dim", .int, .required, doc: "Dimension along which softmax is taken."),
            ]),
            TypeSchema("dropout", pytorch: "torch.nn.Dropout",
                       doc: "Zeroes elements with probability p while training and scales the rest by 1/(1-p).",
                       fields: [
                FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed,
                            doc: "Probability of an element to be zeroed."),
                inplace,
            ]),
            TypeSchema("batch_norm1d", pytorch: "torch.nn.BatchNorm1d",
                       doc: "Batch normalisation over `[N, C]` or `[N, C, L]` inputs.", fields: batchNormFields),
            TypeSchema("batch_norm2d", pytorch: "torch.nn.BatchNorm2d",
                       doc: "Batch normalisation over `[N, C, H, W]` inputs.", fields: batchNormFields),
            TypeSchema("identity", pytorch: "torch.nn.Identity", doc: "Returns its input."),
            TypeSchema("add", pytorch: "torch.add", doc: "Sums its inputs (residual connections).",
                       check: checkMerge),
            TypeSchema("mul", pytorch: "torch.mul", doc: "Multiplies its inputs elementwise (gating).",
                       check: checkMerge),
            TypeSchema("cat", pytorch: "torch.cat", doc: "Concatenates its inputs along a dimension.", fields: [
                FieldSchema("dim", .int, .defaulted(.int(1)), doc: "Dimension to concatenate along."),
            ], check: checkMerge),
        ],
        commonFields: [
            FieldSchema("name", .string, .optional,
                        doc: "Name for `inputs` and for the state-dict prefix (`fc1.weight`); the layer's index when omitted."),
            FieldSchema("inputs", .names, .optional,
                        doc: "Names of earlier layers (or `input`, the model's input) fed to this one; "
                            + "the previous layer when omitted."),
        ]
    )

    private static let inplace = FieldSchema("inplace", .bool, .defaulted(.bool(false)),
                                             doc: "Accepted for PyTorch compatibility; results are the same.")

    private static let batchNormFields = [
        FieldSchema("num_features", .int, .optional, range: .positive, doc: "Channels; inferred when omitted."),
        FieldSchema("eps", .float, .defaulted(.double(1e-5)), range: .positive, doc: "Added to the variance for stability."),
        FieldSchema("momentum", .float, .defaulted(.double(0.1)), range: .unitClosed,
                    doc: "Weight of the current batch in the running statistics."),
        FieldSchema("affine", .bool, .defaulted(.bool(true)), doc: "Learn a per-channel scale and shift."),
        FieldSchema("track_running_stats", .bool, .defaulted(.bool(true)),
                    doc: "Keep running mean and variance for evaluation."),
    ]

    private static let checkConv2d: EntryCheck = { entry, report in
        let groups = entry.int("groups") ?? 1
        if let out = entry.int("out_channels"), out % groups != 0 {
            report("out_channels must be divisible by groups (\(out) and \(groups))", "out_channels")
        }
        if let input = entry.int("in_channels"), input % groups != 0 {
            report("in_channels must be divisible by groups (\(input) and \(groups))", "in_channels")
        }
        if entry.string("padding") == "same", let stride = entry.ints("stride", count: 2), stride.contains(where: { $0 != 1 }) {
            report("padding 'same' is not supported for strided convolutions", "padding")
        }
    }

    /// PyTorch rejects padding wider than half the effective window.
    private static let checkMaxPool2d: EntryCheck = { entry, report in
        guard let kernel = entry.ints("kernel_size", count: 2), let padding = entry.ints("padding", count: 2),
              let dilation = entry.ints("dilation", count: 2),
              kernel.count == 2, padding.count == 2, dilation.count == 2 else { return }
        // In doubles: a hostile spec may hold sizes whose product overflows Int.
        for axis in 0..<2 where Double(padding[axis]) > ((Double(kernel[axis]) - 1) * Double(dilation[axis]) + 1) / 2 {
            report("padding must be at most half of the effective kernel size, got padding \(padding[axis]) "
                   + "with kernel_size \(kernel[axis])", "padding")
            return
        }
    }

    private static let checkMerge: EntryCheck = { entry, report in
        let count = entry.inputs?.count ?? 0
        if count < 2 {
            report("\(entry.type) joins branches and needs at least two inputs, got \(count)",
                   entry.isSet("inputs") ? "inputs" : nil)
        }
    }
}
