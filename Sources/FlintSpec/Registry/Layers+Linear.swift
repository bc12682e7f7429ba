import FlintNN

/// Linear maps: `linear` and `bilinear`.
extension LayerTypes {
    static let linear: [LayerType] = [
        LayerType(TypeSchema("linear", pytorch: "torch.nn.Linear", doc: "y = x Aᵀ + b over the last dimension.", fields: [
            inferred("in_features", "Size of each input sample"),
            FieldSchema("out_features", .int, .required, range: .positive, doc: "Size of each output sample."),
            bias,
            FieldSchema("tie_weights", .string, .optional,
                        doc: "Name of an `embedding` layer whose weight `[num_embeddings, embedding_dim]` this layer "
                            + "shares as its own `[out_features, in_features]` (a language model's output head, as "
                            + "`head.weight = wte.weight` in PyTorch); the parameter is trained once."),
        ]), example: .init("out_features: 3", input: [4])) { e, input in
            guard let last = input.last else {
                throw BuildProblem("expected an input with a feature dimension, got per-sample shape \(input)")
            }
            let features = try agree(e, "in_features", last, "features", input)
            return try shaped(Linear(inFeatures: features, outFeatures: try e.intValue("out_features"),
                                     bias: try e.boolValue("bias")), input)
        },
        LayerType.merge(TypeSchema("bilinear", pytorch: "torch.nn.Bilinear",
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
        }), example: .init("out_features: 3", input: [4])) { e, inputs in
            guard inputs.count == 2, let first = inputs[0].last, let second = inputs[1].last,
                  inputs[0].dropLast() == inputs[1].dropLast() else {
                throw BuildProblem("expected two inputs [*, in1_features] and [*, in2_features] with equal leading "
                                   + "dimensions, got per-sample shapes \(describe(inputs))")
            }
            let in1 = try agree(e, "in1_features", first, "features in its first input", inputs[0])
            let in2 = try agree(e, "in2_features", second, "features in its second input", inputs[1])
            let out = try e.intValue("out_features")
            let module = try Bilinear(in1Features: in1, in2Features: in2, outFeatures: out, bias: try e.boolValue("bias"))
            return (module, Array(inputs[0].dropLast()) + [out])
        },
    ]
}
