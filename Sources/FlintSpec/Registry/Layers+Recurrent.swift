import FlintNN

/// Layers over sequences `[N, L, features]`: recurrent layers and attention.
extension LayerTypes {
    private static func recurrentFields(nonlinearity: Bool) -> [FieldSchema] {
        var fields = [
            inferred("input_size", "Features of each time step"),
            FieldSchema("hidden_size", .int, .required, range: .positive, doc: "Features of the hidden state."),
            FieldSchema("num_layers", .int, .defaulted(.int(RecurrentBase.Defaults.numLayers)), range: .positive, doc: "Stacked recurrent layers."),
        ]
        if nonlinearity {
            fields.append(FieldSchema("nonlinearity", .choice(["tanh", "relu"]), .defaulted(.string(RecurrentBase.Defaults.nonlinearity)),
                                      doc: "Activation of the cell."))
        }
        return fields + [
            bias,
            batchFirst,
            FieldSchema("dropout", .float, .defaulted(.double(RecurrentBase.Defaults.dropout)), range: .unitClosed,
                        doc: "Dropout on the outputs of each layer but the last, while training."),
            FieldSchema("bidirectional", .bool, .defaulted(.bool(RecurrentBase.Defaults.bidirectional)),
                        doc: "Also run each layer backwards in time; outputs are concatenated."),
        ]
    }

    /// LSTM and GRU, whose constructors take the same arguments:
    /// `(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)`.
    private static func gated(_ name: String, _ pytorch: String,
                              _ make: @escaping (Int, Int, Int, Bool, Bool, Double, Bool) throws -> Module) -> LayerType {
        LayerType(TypeSchema(name, pytorch: "torch.nn.\(pytorch)",
                             doc: "\(pytorch) over `[N, L, features]`; outputs every step's hidden state `[N, L, D·hidden_size]`.",
                             fields: recurrentFields(nonlinearity: false), check: checkBatchFirst),
                  example: .init("hidden_size: 3", input: sequenceInput)) { e, input in
            try shaped(make(try sequenceFeatures(e, "input_size", input), try e.intValue("hidden_size"),
                            try e.intValue("num_layers"), try e.boolValue("bias"), true, try e.doubleValue("dropout"),
                            try e.boolValue("bidirectional")), input)
        }
    }

    /// Attention splits the features among the heads, so the heads must divide them: checked
    /// on written values when validating, and on the size inferred from the input when building.
    private static func checkHeads(_ heads: String, dividing features: String) -> EntryCheck {
        { entry, report in
            checkBatchFirst(entry, report)
            if let size = entry.int(features), let count = entry.int(heads), size % count != 0 {
                report("\(features) must be divisible by \(heads) (\(size) and \(count))", heads)
            }
        }
    }

    private static func headCount(_ e: SpecEntry, _ heads: String, dividing size: Int, _ features: String,
                                  _ input: [Int]) throws -> Int {
        let count = try e.intValue(heads)
        guard size % count == 0 else {
            throw BuildProblem("\(heads) \(count) must divide \(features) \(size) (per-sample shape \(input))", field: heads)
        }
        return count
    }

    /// The examples' per-sample input: 5 steps of 4 features.
    static let sequenceInput = [5, 4]

    static let recurrent: [LayerType] = [
        LayerType(TypeSchema("rnn", pytorch: "torch.nn.RNN",
                             doc: "Elman RNN over `[N, L, features]`; outputs every step's hidden state `[N, L, D·hidden_size]`.",
                             fields: recurrentFields(nonlinearity: true), check: checkBatchFirst),
                  example: .init("hidden_size: 3", input: sequenceInput)) { e, input in
            try shaped(RNN(inputSize: try sequenceFeatures(e, "input_size", input), hiddenSize: try e.intValue("hidden_size"),
                           numLayers: try e.intValue("num_layers"), nonlinearity: try e.stringValue("nonlinearity"),
                           bias: try e.boolValue("bias"), batchFirst: true, dropout: try e.doubleValue("dropout"),
                           bidirectional: try e.boolValue("bidirectional")), input)
        },
        gated("lstm", "LSTM") {
            try LSTM(inputSize: $0, hiddenSize: $1, numLayers: $2, bias: $3, batchFirst: $4, dropout: $5, bidirectional: $6)
        },
        gated("gru", "GRU") {
            try GRU(inputSize: $0, hiddenSize: $1, numLayers: $2, bias: $3, batchFirst: $4, dropout: $5, bidirectional: $6)
        },
        LayerType(TypeSchema("multihead_attention", pytorch: "torch.nn.MultiheadAttention",
                             doc: "Self-attention over `[N, L, embed_dim]` sequences.", fields: [
            inferred("embed_dim", "Features of each position"),
            FieldSchema("num_heads", .int, .required, range: .positive, doc: "Parallel attention heads; must divide embed_dim."),
            FieldSchema("dropout", .float, .defaulted(.double(MultiheadAttention.Defaults.dropout)), range: .unitClosed,
                        doc: "Dropout on the attention weights while training."),
            bias,
            batchFirst,
        ], check: checkHeads("num_heads", dividing: "embed_dim")),
                  example: .init("num_heads: 2", input: sequenceInput)) { e, input in
            let embed = try sequenceFeatures(e, "embed_dim", input)
            let heads = try headCount(e, "num_heads", dividing: embed, "embed_dim", input)
            return try shaped(MultiheadAttention(embedDim: embed, numHeads: heads, dropout: try e.doubleValue("dropout"),
                                                 bias: try e.boolValue("bias"), batchFirst: true), input)
        },
        LayerType.masked(TypeSchema("transformer_encoder_layer", pytorch: "torch.nn.TransformerEncoderLayer",
                             doc: "Self-attention and a feed-forward block, each with a residual connection and layer norm, "
                                 + "over `[N, S, d_model]`. With `inputs: [h, mask]` the second input is PyTorch's "
                                 + "`src_key_padding_mask` (bool `[N, S]`, true at padding, from a `padding_mask` layer): those "
                                 + "keys get −inf before the softmax, so no position attends to padding.", fields: [
            inferred("d_model", "Features of each position"),
            FieldSchema("nhead", .int, .required, range: .positive, doc: "Attention heads; must divide d_model."),
            FieldSchema("dim_feedforward", .int, .defaulted(.int(TransformerEncoderLayer.Defaults.dimFeedforward)), range: .positive,
                        doc: "Width of the feed-forward block."),
            FieldSchema("dropout", .float, .defaulted(.double(TransformerEncoderLayer.Defaults.dropout)), range: .unitClosed,
                        doc: "Dropout while training."),
            FieldSchema("activation", .choice(["relu", "gelu"]), .defaulted(.string(TransformerEncoderLayer.Defaults.activation)),
                        doc: "Activation of the feed-forward block."),
            FieldSchema("layer_norm_eps", .float, .defaulted(.double(TransformerEncoderLayer.Defaults.layerNormEps)), range: .positive,
                        doc: "Epsilon of the layer norms."),
            batchFirst,
            FieldSchema("norm_first", .bool, .defaulted(.bool(TransformerEncoderLayer.Defaults.normFirst)),
                        doc: "Normalise before attention and feed-forward (pre-norm) instead of after."),
            bias,
            FieldSchema("causal", .bool, .defaulted(.bool(TransformerEncoderLayer.Defaults.causal)),
                        doc: "Each position attends only to itself and earlier ones (PyTorch's `is_causal=True` with "
                            + "`generate_square_subsequent_mask`), for language models. Not a constructor argument in PyTorch."),
        ], check: checkHeads("nhead", dividing: "d_model")),
                  example: .init("nhead: 2", input: sequenceInput)) { e, input in
            let model = try sequenceFeatures(e, "d_model", input)
            let heads = try headCount(e, "nhead", dividing: model, "d_model", input)
            return try shaped(TransformerEncoderLayer(dModel: model, nhead: heads, dimFeedforward: try e.intValue("dim_feedforward"),
                                                      dropout: try e.doubleValue("dropout"),
                                                      activation: try e.stringValue("activation"),
                                                      layerNormEps: try e.doubleValue("layer_norm_eps"), batchFirst: true,
                                                      normFirst: try e.boolValue("norm_first"),
                                                      bias: try e.boolValue("bias"), causal: try e.boolValue("causal")), input)
        },
    ]
}
