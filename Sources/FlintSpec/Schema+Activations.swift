/// Activation layers: every activation of the core as a `torch.nn` module.
extension SpecSchema {
    private static func pointwise(_ name: String, _ pytorch: String, _ doc: String, inplace hasInplace: Bool = false) -> TypeSchema {
        TypeSchema(name, pytorch: "torch.nn.\(pytorch)", doc: doc, fields: hasInplace ? [inplace] : [])
    }

    private static func alongDim(_ name: String, _ pytorch: String, _ doc: String) -> TypeSchema {
        TypeSchema(name, pytorch: "torch.nn.\(pytorch)", doc: doc, fields: [
            FieldSchema("dim", .int, .required, doc: "Dimension along which it is taken (0 is the batch)."),
        ])
    }

    static let activationLayers = [
        pointwise("relu", "ReLU", "max(0, x).", inplace: true),
        pointwise("relu6", "ReLU6", "min(max(0, x), 6).", inplace: true),
        TypeSchema("leaky_relu", pytorch: "torch.nn.LeakyReLU", doc: "max(0, x) + negative_slope · min(0, x).", fields: [
            FieldSchema("negative_slope", .float, .defaulted(.double(0.01)), doc: "Slope for negative inputs."),
            inplace,
        ]),
        TypeSchema("prelu", pytorch: "torch.nn.PReLU", doc: "Leaky ReLU with a learned slope, shared or one per channel.",
                   fields: [
            FieldSchema("num_parameters", .int, .defaulted(.int(1)), range: .positive,
                        doc: "1 (one slope) or the number of channels of the input."),
            FieldSchema("init", .float, .defaulted(.double(0.25)), doc: "Initial slope."),
        ]),
        TypeSchema("elu", pytorch: "torch.nn.ELU", doc: "x if x > 0 else alpha · (exp(x) − 1).", fields: [
            FieldSchema("alpha", .float, .defaulted(.double(1.0)), doc: "Scale of the negative part."),
            inplace,
        ]),
        TypeSchema("celu", pytorch: "torch.nn.CELU", doc: "max(0, x) + min(0, alpha · (exp(x / alpha) − 1)).", fields: [
            FieldSchema("alpha", .float, .defaulted(.double(1.0)), doc: "Scale of the negative part; not 0."),
            inplace,
        ], check: { entry, report in
            if entry.double("alpha") == 0 { report("alpha cannot be 0", "alpha") }
        }),
        pointwise("selu", "SELU", "scale · elu(x, alpha) with the self-normalising constants.", inplace: true),
        TypeSchema("gelu", pytorch: "torch.nn.GELU", doc: "Gaussian error linear unit.", fields: [
            FieldSchema("approximate", .choice(["none", "tanh"]), .defaulted(.string("none")),
                        doc: "`tanh` uses the tanh approximation."),
        ]),
        pointwise("silu", "SiLU", "x · sigmoid(x) (swish).", inplace: true),
        pointwise("mish", "Mish", "x · tanh(softplus(x)).", inplace: true),
        pointwise("tanh", "Tanh", "Hyperbolic tangent."),
        pointwise("sigmoid", "Sigmoid", "1 / (1 + exp(-x))."),
        pointwise("log_sigmoid", "LogSigmoid", "log(sigmoid(x))."),
        pointwise("hardsigmoid", "Hardsigmoid", "Piecewise-linear sigmoid: clamp(x / 6 + 1/2, 0, 1).", inplace: true),
        pointwise("hardswish", "Hardswish", "x · hardsigmoid(x).", inplace: true),
        TypeSchema("hardtanh", pytorch: "torch.nn.Hardtanh", doc: "clamp(x, min_val, max_val).", fields: [
            FieldSchema("min_val", .float, .defaulted(.double(-1)), doc: "Lower bound."),
            FieldSchema("max_val", .float, .defaulted(.double(1)), doc: "Upper bound."),
            inplace,
        ], check: { entry, report in
            if let low = entry.double("min_val"), let high = entry.double("max_val"), low > high {
                report("min_val \(formatNumber(low)) cannot be greater than max_val \(formatNumber(high))", "min_val")
            }
        }),
        TypeSchema("softplus", pytorch: "torch.nn.Softplus", doc: "log(1 + exp(beta · x)) / beta.", fields: [
            FieldSchema("beta", .float, .defaulted(.double(1)), doc: "Sharpness."),
            FieldSchema("threshold", .float, .defaulted(.double(20)), doc: "Above beta · x > threshold, the identity."),
        ]),
        pointwise("softsign", "Softsign", "x / (1 + |x|)."),
        TypeSchema("softshrink", pytorch: "torch.nn.Softshrink", doc: "x ∓ lambd outside [−lambd, lambd], else 0.", fields: [
            FieldSchema("lambd", .float, .defaulted(.double(0.5)), range: .nonNegative, doc: "Half-width of the zero band."),
        ]),
        TypeSchema("hardshrink", pytorch: "torch.nn.Hardshrink", doc: "x outside [−lambd, lambd], else 0.", fields: [
            FieldSchema("lambd", .float, .defaulted(.double(0.5)), doc: "Half-width of the zero band."),
        ]),
        pointwise("tanhshrink", "Tanhshrink", "x − tanh(x)."),
        TypeSchema("threshold", pytorch: "torch.nn.Threshold", doc: "x if x > threshold else value.", fields: [
            FieldSchema("threshold", .float, .required, doc: "The threshold."),
            FieldSchema("value", .float, .required, doc: "What replaces values at or below it."),
            inplace,
        ]),
        alongDim("softmax", "Softmax", "Softmax along a dimension: values in (0, 1) summing to 1."),
        alongDim("log_softmax", "LogSoftmax", "Log of softmax along a dimension."),
        alongDim("softmin", "Softmin", "Softmax of −x along a dimension."),
        TypeSchema("glu", pytorch: "torch.nn.GLU", doc: "Gated linear unit: a · sigmoid(b), halves a and b of `dim`.", fields: [
            FieldSchema("dim", .int, .defaulted(.int(-1)), doc: "Dimension split in two halves (0 is the batch)."),
        ]),
    ]
}
