import FlintNN

/// Lookups and reshapes: embeddings, flatten, unflatten, identity.
extension LayerTypes {
    static let shape: [LayerType] = [
        LayerType(TypeSchema("embedding", pytorch: "torch.nn.Embedding",
                             doc: "A lookup table: integer indices of shape `S` give vectors `S + [embedding_dim]`.", fields: [
            FieldSchema("num_embeddings", .int, .required, range: .positive, doc: "Size of the table (largest index + 1)."),
            FieldSchema("embedding_dim", .int, .required, range: .positive, doc: "Size of each vector."),
            FieldSchema("padding_idx", .int, .optional, doc: "An index whose vector stays zero and gets no gradient."),
        ]), example: .init("num_embeddings: 10, embedding_dim: 3", input: [5])) { e, input in
            try shaped(Embedding(numEmbeddings: try e.intValue("num_embeddings"), embeddingDim: try e.intValue("embedding_dim"),
                                 paddingIdx: e.int("padding_idx")), input)
        },
        LayerType(TypeSchema("positional_embedding", pytorch: "nn.Parameter (GPT's wpe)",
                             doc: "Adds a vector per position to a sequence `[N, L, d]`: `x + weight[:L]`, a learned table "
                                 + "(`weight` `[max_len, d]`, N(0, 1) as `nn.Embedding`) or the fixed sinusoids of the original "
                                 + "Transformer.", fields: [
            FieldSchema("max_len", .int, .optional, range: .positive,
                        doc: "Longest sequence; the input's length L when omitted."),
            inferred("embedding_dim", "Features of each position"),
            FieldSchema("sinusoidal", .bool, .defaulted(.bool(PositionalEmbedding.Defaults.sinusoidal)),
                        doc: "Fixed sin/cos of the position (no parameters) instead of a learned table."),
        ]), example: .init(input: sequenceInput)) { e, input in
            let dim = try sequenceFeatures(e, "embedding_dim", input)
            let length = input[0]
            let maxLen = e.int("max_len") ?? length
            guard maxLen >= length else {
                throw BuildProblem("max_len \(maxLen) is shorter than the input's \(length) positions (per-sample shape \(input))",
                                   field: "max_len")
            }
            return try shaped(PositionalEmbedding(maxLen: maxLen, embeddingDim: dim, sinusoidal: try e.boolValue("sinusoidal")),
                              input)
        },
        LayerType(TypeSchema("flatten", pytorch: "torch.nn.Flatten", doc: "Flattens a range of dimensions into one.", fields: [
            FieldSchema("start_dim", .int, .defaulted(.int(Flatten.Defaults.startDim)), doc: "First dimension to flatten (0 is the batch)."),
            FieldSchema("end_dim", .int, .defaulted(.int(Flatten.Defaults.endDim)), doc: "Last dimension to flatten."),
        ]), example: .init(input: [2, 3])) { e, input in
            try shaped(Flatten(startDim: try e.intValue("start_dim"), endDim: try e.intValue("end_dim")), input)
        },
        LayerType(TypeSchema("unflatten", pytorch: "torch.nn.Unflatten", doc: "Splits one dimension into several.", fields: [
            FieldSchema("dim", .int, .required, doc: "Dimension to split (0 is the batch)."),
            FieldSchema("unflattened_size", .ints(count: nil), .required,
                        doc: "Sizes it splits into; one may be -1, inferred."),
        ]), example: .init("dim: 1, unflattened_size: [2, 2]", input: [4])) { e, input in
            try shaped(Unflatten(dim: try e.intValue("dim"), unflattenedSize: try e.intsValue("unflattened_size")), input)
        },
        LayerType(TypeSchema("identity", pytorch: "torch.nn.Identity", doc: "Returns its input.")) { _, input in
            (Identity(), input)
        },
    ]
}
