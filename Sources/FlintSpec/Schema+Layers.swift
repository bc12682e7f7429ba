/// The layer table: one entry per `torch.nn` module the spec can name.
extension SpecSchema {
    public static let layers = TypeCategory(
        name: "layer", plural: "layers",
        doc: "A module of `model.layers`, named after its `torch.nn` class. Layers run in order; "
            + "`name` and `inputs` turn the list into a graph (see Graphs). Sizes of the input "
            + "(`in_features`, `in_channels`, `num_features`, `input_size`, `embed_dim`, `d_model`) are "
            + "inferred from the shape flowing in; a value written anyway must agree with it.",
        types: linearLayers + convolutionLayers + poolingLayers + normalizationLayers + recurrentLayers
            + shapeLayers + activationLayers + mergeLayers,
        commonFields: [
            FieldSchema("name", .string, .optional,
                        doc: "Name for `inputs` and for the state-dict prefix (`fc1.weight`); the layer's index when omitted."),
            FieldSchema("inputs", .names, .optional,
                        doc: "Names of the layers (or `input`, the model's input) this one reads; "
                            + "the previous layer when omitted."),
            layerInit,
        ]
    )

    static let inplace = FieldSchema("inplace", .bool, .defaulted(.bool(false)),
                                     doc: "Accepted for PyTorch compatibility; results are the same.")

    private static let bias = FieldSchema("bias", .bool, .defaulted(.bool(true)), doc: "Learn an additive bias.")

    private static func inferred(_ name: String, _ what: String) -> FieldSchema {
        FieldSchema(name, .int, .optional, range: .positive, doc: "\(what); inferred from the input when omitted.")
    }

    /// Spec batches are always `[N, ...]`, so a layer that could take the batch elsewhere must not.
    private static let batchFirst = FieldSchema(
        "batch_first", .bool, .defaulted(.bool(true)),
        doc: "Must be true: a spec's batches are `[N, L, features]`. (PyTorch's default is false.)")

    private static let checkBatchFirst: EntryCheck = { entry, report in
        if entry.bool("batch_first") == false {
            report("batch_first must be true: batches in a spec are [N, ...], so sequences are [N, L, features]",
                   "batch_first")
        }
    }

    static let linearLayers = [
        TypeSchema("linear", pytorch: "torch.nn.Linear", doc: "y = x Aᵀ + b over the last dimension.", fields: [
            inferred("in_features", "Size of each input sample"),
            FieldSchema("out_features", .int, .required, range: .positive, doc: "Size of each output sample."),
            bias,
            FieldSchema("tie_weights", .string, .optional,
                        doc: "Name of an `embedding` layer whose weight `[num_embeddings, embedding_dim]` this layer "
                            + "shares as its own `[out_features, in_features]` (a language model's output head, as "
                            + "`head.weight = wte.weight` in PyTorch); the parameter is trained once."),
        ]),
        TypeSchema("bilinear", pytorch: "torch.nn.Bilinear",
                   doc: "y = x₁ᵀ A x₂ + b over two inputs (`inputs: [a, b]`) with equal leading dimensions.", fields: [
            inferred("in1_features", "Size of each first input sample"),
            inferred("in2_features", "Size of each second input sample"),
            FieldSchema("out_features", .int, .required, range: .positive, doc: "Size of each output sample."),
            bias,
        ], check: { entry, report in
            let count = entry.inputs?.count ?? 0
            if count != 2 {
                report("bilinear reads two inputs, got \(count)", entry.isSet("inputs") ? "inputs" : nil)
            }
        }),
    ]

    private static func convolutionFields(spatial: Int, transposed: Bool) -> [FieldSchema] {
        let size: FieldKind = .intOrTuple(count: spatial, keywords: [])
        let shape = spatial == 1 ? "`k`" : "`k` or `[kh, kw]`"
        var fields = [
            inferred("in_channels", "Channels of the input"),
            FieldSchema("out_channels", .int, .required, range: .positive, doc: "Channels produced."),
            FieldSchema("kernel_size", size, .required, range: .positive, doc: "Size of the kernel: \(shape)."),
            FieldSchema("stride", size, .defaulted(.int(1)), range: .positive, doc: "Stride of the convolution."),
        ]
        if transposed {
            fields += [
                FieldSchema("padding", size, .defaulted(.int(0)), range: .nonNegative,
                            doc: "`dilation · (kernel_size − 1) − padding` zeros added to both sides of the input."),
                FieldSchema("output_padding", size, .defaulted(.int(0)), range: .nonNegative,
                            doc: "Size added to one side of the output, to choose among the sizes a stride allows."),
            ]
        } else {
            fields.append(FieldSchema("padding", .intOrTuple(count: spatial, keywords: ["valid", "same"]),
                                      .defaulted(.int(0)), range: .nonNegative,
                                      doc: "Zero padding added to both sides, or `valid` (none) / `same` (output as large as the input)."))
        }
        fields += [
            FieldSchema("dilation", size, .defaulted(.int(1)), range: .positive, doc: "Spacing between kernel elements."),
            FieldSchema("groups", .int, .defaulted(.int(1)), range: .positive,
                        doc: "Blocked connections from input to output channels."),
            bias,
            FieldSchema("padding_mode", .choice(["zeros"]), .defaulted(.string("zeros")),
                        doc: "How padding is filled; only `zeros` is implemented."),
        ]
        return fields
    }

    private static let checkConvolution: EntryCheck = { entry, report in
        let groups = entry.int("groups") ?? 1
        if let out = entry.int("out_channels"), out % groups != 0 {
            report("out_channels must be divisible by groups (\(out) and \(groups))", "out_channels")
        }
        if let input = entry.int("in_channels"), input % groups != 0 {
            report("in_channels must be divisible by groups (\(input) and \(groups))", "in_channels")
        }
        if entry.string("padding") == "same", let stride = entry.ints("stride"), stride.contains(where: { $0 != 1 }) {
            report("padding 'same' is not supported for strided convolutions", "padding")
        }
    }

    static let convolutionLayers = [
        TypeSchema("conv1d", pytorch: "torch.nn.Conv1d", doc: "1-D convolution over `[N, C, L]` inputs.",
                   fields: convolutionFields(spatial: 1, transposed: false), check: checkConvolution),
        TypeSchema("conv2d", pytorch: "torch.nn.Conv2d", doc: "2-D convolution over `[N, C, H, W]` inputs.",
                   fields: convolutionFields(spatial: 2, transposed: false), check: checkConvolution),
        TypeSchema("conv_transpose2d", pytorch: "torch.nn.ConvTranspose2d",
                   doc: "Transposed 2-D convolution (learned upsampling) over `[N, C, H, W]` inputs.",
                   fields: convolutionFields(spatial: 2, transposed: true), check: checkConvolution),
    ]

    private static func poolFields(spatial: Int, max: Bool) -> [FieldSchema] {
        let size: FieldKind = .intOrTuple(count: spatial, keywords: [])
        var fields = [
            FieldSchema("kernel_size", size, .required, range: .positive, doc: "Size of the window."),
            FieldSchema("stride", size, .optional, range: .positive, doc: "Stride of the window; `kernel_size` when omitted."),
            FieldSchema("padding", size, .defaulted(.int(0)), range: .nonNegative,
                        doc: max ? "Implicit negative-infinity padding on both sides." : "Implicit zero padding on both sides."),
        ]
        if max {
            fields.append(FieldSchema("dilation", size, .defaulted(.int(1)), range: .positive,
                                      doc: "Spacing between window elements."))
        }
        fields.append(FieldSchema("ceil_mode", .bool, .defaulted(.bool(false)),
                                  doc: "Use ceil instead of floor for the output shape."))
        if !max {
            fields.append(FieldSchema("count_include_pad", .bool, .defaulted(.bool(true)),
                                      doc: "Count the zero padding in the averaging divisor."))
            if spatial == 2 {
                fields.append(FieldSchema("divisor_override", .int, .optional, range: .positive,
                                          doc: "Divide by this instead of the window size."))
            }
        }
        return fields
    }

    /// PyTorch rejects padding wider than half the effective window.
    private static let checkPool: EntryCheck = { entry, report in
        guard let kernel = entry.ints("kernel_size"), let padding = entry.ints("padding") else { return }
        let dilation = entry.ints("dilation") ?? [1]
        let count = max(kernel.count, padding.count, dilation.count)
        func at(_ values: [Int], _ axis: Int) -> Double { Double(values.count == 1 ? values[0] : values[min(axis, values.count - 1)]) }
        // In doubles: a hostile spec may hold sizes whose product overflows Int.
        for axis in 0..<count where at(padding, axis) > ((at(kernel, axis) - 1) * at(dilation, axis) + 1) / 2 {
            report("padding must be at most half of the effective kernel size, got padding \(Int(at(padding, axis))) "
                   + "with kernel_size \(Int(at(kernel, axis)))", "padding")
            return
        }
    }

    private static func adaptiveFields(spatial: Int) -> [FieldSchema] {
        [FieldSchema("output_size", .intOrTuple(count: spatial, keywords: []), .required, range: .positive,
                     doc: spatial == 1 ? "Output length." : "Output size `s` or `[h, w]`; `1` is global pooling.")]
    }

    static let poolingLayers = [
        TypeSchema("max_pool1d", pytorch: "torch.nn.MaxPool1d", doc: "1-D max pooling over `[N, C, L]`.",
                   fields: poolFields(spatial: 1, max: true), check: checkPool),
        TypeSchema("max_pool2d", pytorch: "torch.nn.MaxPool2d", doc: "2-D max pooling over `[N, C, H, W]`.",
                   fields: poolFields(spatial: 2, max: true), check: checkPool),
        TypeSchema("avg_pool1d", pytorch: "torch.nn.AvgPool1d", doc: "1-D average pooling over `[N, C, L]`.",
                   fields: poolFields(spatial: 1, max: false), check: checkPool),
        TypeSchema("avg_pool2d", pytorch: "torch.nn.AvgPool2d", doc: "2-D average pooling over `[N, C, H, W]`.",
                   fields: poolFields(spatial: 2, max: false), check: checkPool),
        TypeSchema("adaptive_avg_pool1d", pytorch: "torch.nn.AdaptiveAvgPool1d",
                   doc: "Average pooling to a fixed length, whatever the input's.", fields: adaptiveFields(spatial: 1)),
        TypeSchema("adaptive_avg_pool2d", pytorch: "torch.nn.AdaptiveAvgPool2d",
                   doc: "Average pooling to a fixed size, whatever the input's.", fields: adaptiveFields(spatial: 2)),
        TypeSchema("adaptive_max_pool2d", pytorch: "torch.nn.AdaptiveMaxPool2d",
                   doc: "Max pooling to a fixed size, whatever the input's.", fields: adaptiveFields(spatial: 2)),
    ]

    private static let batchNormFields = [
        inferred("num_features", "Channels"),
        FieldSchema("eps", .float, .defaulted(.double(1e-5)), range: .positive, doc: "Added to the variance for stability."),
        FieldSchema("momentum", .float, .defaulted(.double(0.1)), range: .unitClosed,
                    doc: "Weight of the current batch in the running statistics."),
        FieldSchema("affine", .bool, .defaulted(.bool(true)), doc: "Learn a per-channel scale and shift."),
        FieldSchema("track_running_stats", .bool, .defaulted(.bool(true)),
                    doc: "Keep running mean and variance for evaluation."),
    ]

    static let normalizationLayers = [
        TypeSchema("batch_norm1d", pytorch: "torch.nn.BatchNorm1d",
                   doc: "Batch normalisation over `[N, C]` or `[N, C, L]` inputs.", fields: batchNormFields),
        TypeSchema("batch_norm2d", pytorch: "torch.nn.BatchNorm2d",
                   doc: "Batch normalisation over `[N, C, H, W]` inputs.", fields: batchNormFields),
        TypeSchema("layer_norm", pytorch: "torch.nn.LayerNorm",
                   doc: "Normalises each sample over its trailing `normalized_shape` dimensions.", fields: [
            FieldSchema("normalized_shape", .ints(count: nil), .optional, range: .positive,
                        doc: "Trailing dimensions to normalise over; the last dimension of the input when omitted."),
            FieldSchema("eps", .float, .defaulted(.double(1e-5)), range: .positive, doc: "Added to the variance for stability."),
            FieldSchema("elementwise_affine", .bool, .defaulted(.bool(true)), doc: "Learn a scale (and a shift, with `bias`)."),
            bias,
        ]),
        TypeSchema("group_norm", pytorch: "torch.nn.GroupNorm",
                   doc: "Normalises each sample over groups of channels of `[N, C, *]` inputs.", fields: [
            FieldSchema("num_groups", .int, .required, range: .positive, doc: "Groups the channels are divided into."),
            inferred("num_channels", "Channels"),
            FieldSchema("eps", .float, .defaulted(.double(1e-5)), range: .positive, doc: "Added to the variance for stability."),
            FieldSchema("affine", .bool, .defaulted(.bool(true)), doc: "Learn a per-channel scale and shift."),
        ], check: { entry, report in
            if let groups = entry.int("num_groups"), let channels = entry.int("num_channels"), channels % groups != 0 {
                report("num_channels must be divisible by num_groups (\(channels) and \(groups))", "num_channels")
            }
        }),
        TypeSchema("dropout", pytorch: "torch.nn.Dropout",
                   doc: "Zeroes elements with probability p while training and scales the rest by 1/(1-p).", fields: [
            FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed, doc: "Probability of an element to be zeroed."),
            inplace,
        ]),
        TypeSchema("dropout2d", pytorch: "torch.nn.Dropout2d",
                   doc: "Zeroes whole channels of `[N, C, H, W]` with probability p while training.", fields: [
            FieldSchema("p", .float, .defaulted(.double(0.5)), range: .unitClosed, doc: "Probability of a channel to be zeroed."),
            inplace,
        ]),
    ]

    private static func recurrentFields(nonlinearity: Bool) -> [FieldSchema] {
        var fields = [
            inferred("input_size", "Features of each time step"),
            FieldSchema("hidden_size", .int, .required, range: .positive, doc: "Features of the hidden state."),
            FieldSchema("num_layers", .int, .defaulted(.int(1)), range: .positive, doc: "Stacked recurrent layers."),
        ]
        if nonlinearity {
            fields.append(FieldSchema("nonlinearity", .choice(["tanh", "relu"]), .defaulted(.string("tanh")),
                                      doc: "Activation of the cell."))
        }
        return fields + [
            bias,
            batchFirst,
            FieldSchema("dropout", .float, .defaulted(.double(0)), range: .unitClosed,
                        doc: "Dropout on the outputs of each layer but the last, while training."),
            FieldSchema("bidirectional", .bool, .defaulted(.bool(false)),
                        doc: "Also run each layer backwards in time; outputs are concatenated."),
        ]
    }

    static let recurrentLayers = [
        TypeSchema("rnn", pytorch: "torch.nn.RNN",
                   doc: "Elman RNN over `[N, L, features]`; outputs every step's hidden state `[N, L, D·hidden_size]`.",
                   fields: recurrentFields(nonlinearity: true), check: checkBatchFirst),
        TypeSchema("lstm", pytorch: "torch.nn.LSTM",
                   doc: "LSTM over `[N, L, features]`; outputs every step's hidden state `[N, L, D·hidden_size]`.",
                   fields: recurrentFields(nonlinearity: false), check: checkBatchFirst),
        TypeSchema("gru", pytorch: "torch.nn.GRU",
                   doc: "GRU over `[N, L, features]`; outputs every step's hidden state `[N, L, D·hidden_size]`.",
                   fields: recurrentFields(nonlinearity: false), check: checkBatchFirst),
        TypeSchema("multihead_attention", pytorch: "torch.nn.MultiheadAttention",
                   doc: "Self-attention over `[N, L, embed_dim]` sequences.", fields: [
            inferred("embed_dim", "Features of each position"),
            FieldSchema("num_heads", .int, .required, range: .positive, doc: "Parallel attention heads; must divide embed_dim."),
            FieldSchema("dropout", .float, .defaulted(.double(0)), range: .unitClosed,
                        doc: "Dropout on the attention weights while training."),
            bias,
            batchFirst,
        ], check: { entry, report in
            checkBatchFirst(entry, report)
            if let embed = entry.int("embed_dim"), let heads = entry.int("num_heads"), embed % heads != 0 {
                report("embed_dim must be divisible by num_heads (\(embed) and \(heads))", "num_heads")
            }
        }),
        TypeSchema("transformer_encoder_layer", pytorch: "torch.nn.TransformerEncoderLayer",
                   doc: "Self-attention and a feed-forward block, each with a residual connection and layer norm, "
                       + "over `[N, S, d_model]`. With `inputs: [h, mask]` the second input is PyTorch's "
                       + "`src_key_padding_mask` (bool `[N, S]`, true at padding, from a `padding_mask` layer): those "
                       + "keys get −inf before the softmax, so no position attends to padding.", fields: [
            inferred("d_model", "Features of each position"),
            FieldSchema("nhead", .int, .required, range: .positive, doc: "Attention heads; must divide d_model."),
            FieldSchema("dim_feedforward", .int, .defaulted(.int(2048)), range: .positive,
                        doc: "Width of the feed-forward block."),
            FieldSchema("dropout", .float, .defaulted(.double(0.1)), range: .unitClosed, doc: "Dropout while training."),
            FieldSchema("activation", .choice(["relu", "gelu"]), .defaulted(.string("relu")),
                        doc: "Activation of the feed-forward block."),
            FieldSchema("layer_norm_eps", .float, .defaulted(.double(1e-5)), range: .positive,
                        doc: "Epsilon of the layer norms."),
            batchFirst,
            FieldSchema("norm_first", .bool, .defaulted(.bool(false)),
                        doc: "Normalise before attention and feed-forward (pre-norm) instead of after."),
            bias,
            FieldSchema("causal", .bool, .defaulted(.bool(false)),
                        doc: "Each position attends only to itself and earlier ones (PyTorch's `is_causal=True` with "
                            + "`generate_square_subsequent_mask`), for language models. Not a constructor argument in PyTorch."),
        ], check: { entry, report in
            checkBatchFirst(entry, report)
            if let model = entry.int("d_model"), let heads = entry.int("nhead"), model % heads != 0 {
                report("d_model must be divisible by nhead (\(model) and \(heads))", "nhead")
            }
        }),
    ]

    static let shapeLayers = [
        TypeSchema("embedding", pytorch: "torch.nn.Embedding",
                   doc: "A lookup table: integer indices of shape `S` give vectors `S + [embedding_dim]`.", fields: [
            FieldSchema("num_embeddings", .int, .required, range: .positive, doc: "Size of the table (largest index + 1)."),
            FieldSchema("embedding_dim", .int, .required, range: .positive, doc: "Size of each vector."),
            FieldSchema("padding_idx", .int, .optional, doc: "An index whose vector stays zero and gets no gradient."),
        ]),
        TypeSchema("positional_embedding", pytorch: "nn.Parameter (GPT's wpe)",
                   doc: "Adds a vector per position to a sequence `[N, L, d]`: `x + weight[:L]`, a learned table "
                       + "(`weight` `[max_len, d]`, N(0, 1) as `nn.Embedding`) or the fixed sinusoids of the original "
                       + "Transformer.", fields: [
            FieldSchema("max_len", .int, .optional, range: .positive,
                        doc: "Longest sequence; the input's length L when omitted."),
            inferred("embedding_dim", "Features of each position"),
            FieldSchema("sinusoidal", .bool, .defaulted(.bool(false)),
                        doc: "Fixed sin/cos of the position (no parameters) instead of a learned table."),
        ]),
        TypeSchema("flatten", pytorch: "torch.nn.Flatten", doc: "Flattens a range of dimensions into one.", fields: [
            FieldSchema("start_dim", .int, .defaulted(.int(1)), doc: "First dimension to flatten (0 is the batch)."),
            FieldSchema("end_dim", .int, .defaulted(.int(-1)), doc: "Last dimension to flatten."),
        ]),
        TypeSchema("unflatten", pytorch: "torch.nn.Unflatten", doc: "Splits one dimension into several.", fields: [
            FieldSchema("dim", .int, .required, doc: "Dimension to split (0 is the batch)."),
            FieldSchema("unflattened_size", .ints(count: nil), .required,
                        doc: "Sizes it splits into; one may be -1, inferred."),
        ]),
        TypeSchema("identity", pytorch: "torch.nn.Identity", doc: "Returns its input."),
        TypeSchema("padding_mask", pytorch: "tokens == pad_id",
                   doc: "The key-padding mask of padded token ids `[N, L]`: bool `[N, L]`, true where a token is "
                       + "`padding_idx`, as PyTorch's `src_key_padding_mask`. Reads the ids (`inputs: [input]`); "
                       + "`transformer_encoder_layer`, `mean_pool` and `last_token` take it as their second input. "
                       + "Documents imported with `flint import text --classes-from-dirs` are padded with `<pad>`, id 1, "
                       + "after their last token, so the mask is `arange(L) >= lengths[:, None]`.", fields: [
            FieldSchema("padding_idx", .int, .required, doc: "The id that pads sequences (1 for Flint's text importers)."),
        ]),
        TypeSchema("mean_pool", pytorch: "x.mean(dim=1)",
                   doc: "The mean over the positions of `[N, L, *]`, giving `[N, *]`; with `inputs: [h, mask]`, over "
                       + "the positions that are not padding: `(h * ~mask).sum(1) / (~mask).sum(1)`."),
        TypeSchema("last_token", pytorch: "x[:, -1]",
                   doc: "The last position of `[N, L, *]`, giving `[N, *]`; with `inputs: [h, mask]`, each sequence's "
                       + "last position that is not padding: `h[arange(N), lengths - 1]` with `lengths = (~mask).sum(1)`."),
    ]

    static let mergeLayers = [
        TypeSchema("add", pytorch: "torch.add", doc: "Sums its inputs (residual connections).", check: checkMerge),
        TypeSchema("mul", pytorch: "torch.mul", doc: "Multiplies its inputs elementwise (gating).", check: checkMerge),
        TypeSchema("cat", pytorch: "torch.cat", doc: "Concatenates its inputs along a dimension.", fields: [
            FieldSchema("dim", .int, .defaulted(.int(1)), doc: "Dimension to concatenate along (0 is the batch)."),
        ], check: checkMerge),
    ]

    private static let checkMerge: EntryCheck = { entry, report in
        let count = entry.inputs?.count ?? 0
        if count < 2 {
            report("\(entry.type) joins branches and needs at least two inputs, got \(count)",
                   entry.isSet("inputs") ? "inputs" : nil)
        }
    }
}
