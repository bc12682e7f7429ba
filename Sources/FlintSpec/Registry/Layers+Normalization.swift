import FlintNN

/// Batch, layer and group normalisation, and dropout.
extension LayerTypes {
    private static let batchNormFields = [
        inferred("num_features", "Channels"),
        FieldSchema("eps", .float, .defaulted(.double(BatchNormBase.Defaults.eps)), range: .positive,
                    doc: "Added to the variance for stability."),
        FieldSchema("momentum", .float, .defaulted(.double(BatchNormBase.Defaults.momentum)), range: .unitClosed,
                    doc: "Weight of the current batch in the running statistics."),
        FieldSchema("affine", .bool, .defaulted(.bool(BatchNormBase.Defaults.affine)), doc: "Learn a per-channel scale and shift."),
        FieldSchema("track_running_stats", .bool, .defaulted(.bool(BatchNormBase.Defaults.trackRunningStats)),
                    doc: "Keep running mean and variance for evaluation."),
    ]

    static let normalization: [LayerType] = [
        LayerType(TypeSchema("batch_norm1d", pytorch: "torch.nn.BatchNorm1d",
                             doc: "Batch normalisation over `[N, C]` or `[N, C, L]` inputs.", fields: batchNormFields)) { e, input in
            guard input.count == 1 || input.count == 2, let channels = input.first else {
                throw BuildProblem("expected a per-sample input [C] or [C, L], got shape \(input)")
            }
            return try shaped(BatchNorm1d(numFeatures: try agree(e, "num_features", channels, "channels", input),
                                          eps: try e.doubleValue("eps"), momentum: try e.doubleValue("momentum"),
                                          affine: try e.boolValue("affine"),
                                          trackRunningStats: try e.boolValue("track_running_stats")), input)
        },
        LayerType(TypeSchema("batch_norm2d", pytorch: "torch.nn.BatchNorm2d",
                             doc: "Batch normalisation over `[N, C, H, W]` inputs.", fields: batchNormFields),
                  example: .init(input: [2, 3, 3])) { e, input in
            let channels = try agree(e, "num_features", try leading(input, rank: 3, layout: "[C, H, W]"), "channels", input)
            return try shaped(BatchNorm2d(numFeatures: channels, eps: try e.doubleValue("eps"),
                                          momentum: try e.doubleValue("momentum"), affine: try e.boolValue("affine"),
                                          trackRunningStats: try e.boolValue("track_running_stats")), input)
        },
        LayerType(TypeSchema("layer_norm", pytorch: "torch.nn.LayerNorm",
                             doc: "Normalises each sample over its trailing `normalized_shape` dimensions.", fields: [
            FieldSchema("normalized_shape", .ints(count: nil), .optional, range: .positive,
                        doc: "Trailing dimensions to normalise over; the last dimension of the input when omitted."),
            FieldSchema("eps", .float, .defaulted(.double(LayerNorm.Defaults.eps)), range: .positive,
                        doc: "Added to the variance for stability."),
            FieldSchema("elementwise_affine", .bool, .defaulted(.bool(LayerNorm.Defaults.elementwiseAffine)), doc: "Learn a scale (and a shift, with `bias`)."),
            bias,
        ])) { e, input in
            guard let last = input.last else { throw BuildProblem("expected an input with a feature dimension, got shape \(input)") }
            return try shaped(LayerNorm(normalizedShape: e.ints("normalized_shape") ?? [last], eps: try e.doubleValue("eps"),
                                        elementwiseAffine: try e.boolValue("elementwise_affine"),
                                        bias: try e.boolValue("bias")), input)
        },
        LayerType(TypeSchema("group_norm", pytorch: "torch.nn.GroupNorm",
                             doc: "Normalises each sample over groups of channels of `[N, C, *]` inputs.", fields: [
            FieldSchema("num_groups", .int, .required, range: .positive, doc: "Groups the channels are divided into."),
            inferred("num_channels", "Channels"),
            FieldSchema("eps", .float, .defaulted(.double(GroupNorm.Defaults.eps)), range: .positive,
                        doc: "Added to the variance for stability."),
            FieldSchema("affine", .bool, .defaulted(.bool(GroupNorm.Defaults.affine)), doc: "Learn a per-channel scale and shift."),
        ], check: { entry, report in
            if let groups = entry.int("num_groups"), let channels = entry.int("num_channels"), channels % groups != 0 {
                report("num_channels must be divisible by num_groups (\(channels) and \(groups))", "num_channels")
            }
        }), example: .init("num_groups: 2", input: [4, 3])) { e, input in
            guard let first = input.first else { throw BuildProblem("expected a per-sample input [C, *], got shape \(input)") }
            let channels = try agree(e, "num_channels", first, "channels", input)
            let groups = try e.intValue("num_groups")
            guard channels % groups == 0 else {
                throw BuildProblem("num_groups \(groups) must divide the input's \(channels) channels (per-sample shape \(input))",
                                   field: "num_groups")
            }
            return try shaped(GroupNorm(numGroups: groups, numChannels: channels, eps: try e.doubleValue("eps"),
                                        affine: try e.boolValue("affine")), input)
        },
        LayerType(TypeSchema("dropout", pytorch: "torch.nn.Dropout",
                             doc: "Zeroes elements with probability p while training and scales the rest by 1/(1-p).", fields: [
            FieldSchema("p", .float, .defaulted(.double(Dropout.Defaults.p)), range: .unitClosed, doc: "Probability of an element to be zeroed."),
            inplace,
        ])) { e, input in try shaped(Dropout(p: try e.doubleValue("p")), input) },
        LayerType(TypeSchema("dropout2d", pytorch: "torch.nn.Dropout2d",
                             doc: "Zeroes whole channels of `[N, C, H, W]` with probability p while training.", fields: [
            FieldSchema("p", .float, .defaulted(.double(Dropout2d.Defaults.p)), range: .unitClosed, doc: "Probability of a channel to be zeroed."),
            inplace,
        ]), example: .init(input: [2, 3, 3])) { e, input in try shaped(Dropout2d(p: try e.doubleValue("p")), input) },
    ]
}
