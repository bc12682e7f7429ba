/// The initialisers of a layer's `init:`, named after the `torch.nn.init` functions
/// without their trailing underscore.
extension SpecSchema {
    private static let fanMode = FieldSchema(
        "mode", .choice(["fan_in", "fan_out"]), .defaulted(.string("fan_in")),
        doc: "`fan_in` keeps the variance of the forward pass, `fan_out` that of the backward pass.")

    private static let nonlinearity = FieldSchema(
        "nonlinearity",
        .choice(["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                 "sigmoid", "tanh", "relu", "leaky_relu", "selu"]),
        .defaulted(.string("leaky_relu")), doc: "The function after the layer, for `calculate_gain`.")

    private static let negativeSlope = FieldSchema(
        "a", .float, .defaulted(.double(0)), range: .nonNegative,
        doc: "Negative slope of the leaky_relu after the layer (for `nonlinearity: leaky_relu`).")

    private static let gain = FieldSchema("gain", .float, .defaulted(.double(1)), range: .positive, doc: "Scaling factor.")

    public static let initializers = TypeCategory(
        name: "initializer", plural: "initializers",
        doc: "How `init` fills a parameter of a layer, named after its `torch.nn.init` function "
            + "(`kaiming_normal` for `kaiming_normal_`). Fan in and fan out are those of PyTorch: for a weight "
            + "`[out, in, *kernel]`, fan_in = in·∏kernel and fan_out = out·∏kernel.",
        types: [
            TypeSchema("kaiming_uniform", pytorch: "torch.nn.init.kaiming_uniform_",
                       doc: "U(−b, b) with b = gain·√(3 / fan) (He et al.).", fields: [negativeSlope, fanMode, nonlinearity]),
            TypeSchema("kaiming_normal", pytorch: "torch.nn.init.kaiming_normal_",
                       doc: "N(0, σ²) with σ = gain / √fan (He et al.).", fields: [negativeSlope, fanMode, nonlinearity]),
            TypeSchema("xavier_uniform", pytorch: "torch.nn.init.xavier_uniform_",
                       doc: "U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio).", fields: [gain]),
            TypeSchema("xavier_normal", pytorch: "torch.nn.init.xavier_normal_",
                       doc: "N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)) (Glorot and Bengio).", fields: [gain]),
            TypeSchema("normal", pytorch: "torch.nn.init.normal_", doc: "N(mean, std²).", fields: [
                FieldSchema("mean", .float, .defaulted(.double(0)), doc: "Mean."),
                FieldSchema("std", .float, .defaulted(.double(1)), range: .nonNegative, doc: "Standard deviation."),
            ]),
            TypeSchema("uniform", pytorch: "torch.nn.init.uniform_", doc: "U(a, b).", fields: [
                FieldSchema("a", .float, .defaulted(.double(0)), doc: "Lower bound."),
                FieldSchema("b", .float, .defaulted(.double(1)), doc: "Upper bound."),
            ], check: { entry, report in
                if let a = entry.double("a"), let b = entry.double("b"), !(a <= b) {
                    report("uniform needs a <= b, got a=\(formatNumber(a)) and b=\(formatNumber(b))", "b")
                }
            }),
            TypeSchema("trunc_normal", pytorch: "torch.nn.init.trunc_normal_",
                       doc: "N(mean, std²) redrawn until it falls in [a, b] (absolute bounds).", fields: [
                FieldSchema("mean", .float, .defaulted(.double(0)), doc: "Mean."),
                FieldSchema("std", .float, .defaulted(.double(1)), range: .positive, doc: "Standard deviation."),
                FieldSchema("a", .float, .defaulted(.double(-2)), doc: "Lower bound."),
                FieldSchema("b", .float, .defaulted(.double(2)), doc: "Upper bound."),
            ], check: { entry, report in
                if let a = entry.double("a"), let b = entry.double("b"), !(a < b) {
                    report("trunc_normal needs a < b, got a=\(formatNumber(a)) and b=\(formatNumber(b))", "b")
                }
            }),
            TypeSchema("orthogonal", pytorch: "torch.nn.init.orthogonal_",
                       doc: "A (semi-)orthogonal matrix over the parameter flattened to `[rows, rest]`, times gain.",
                       fields: [gain]),
            TypeSchema("constant", pytorch: "torch.nn.init.constant_", doc: "Every value `val`.", fields: [
                FieldSchema("val", .float, .required, doc: "The value."),
            ]),
            TypeSchema("zeros", pytorch: "torch.nn.init.zeros_", doc: "Every value 0."),
            TypeSchema("ones", pytorch: "torch.nn.init.ones_", doc: "Every value 1."),
        ]
    )

    static let layerInit = FieldSchema(
        "init", .entryMap(initializers), .optional,
        doc: "Initialisers replacing PyTorch's default for some of the layer's parameters, by name or "
            + "pattern (`*` any text, `?` one character) of the layer's own state-dict names: "
            + "`{weight: {type: kaiming_normal, mode: fan_out, nonlinearity: relu}, bias: zeros}`, "
            + "`{'weight_*': orthogonal}`. A name that matches no parameter is an error.")
}
