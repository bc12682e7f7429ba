import FlintNN

/// Activation layers: every activation of the core as a `torch.nn` module.
extension LayerTypes {
    /// An activation without settings (but PyTorch's `inplace`, when it has one); the shape is kept.
    private static func pointwise(_ name: String, _ pytorch: String, _ doc: String, inplace hasInplace: Bool = false,
                                  _ make: @escaping () -> Module) -> LayerType {
        LayerType(TypeSchema(name, pytorch: "torch.nn.\(pytorch)", doc: doc, fields: hasInplace ? [inplace] : [])) { _, input in
            (make(), input)
        }
    }

    private static func alongDim(_ name: String, _ pytorch: String, _ doc: String,
                                 _ make: @escaping (Int) -> Module) -> LayerType {
        LayerType(TypeSchema(name, pytorch: "torch.nn.\(pytorch)", doc: doc, fields: [
            FieldSchema("dim", .int, .required, doc: "Dimension along which it is taken (0 is the batch)."),
        ]), example: .init("dim: 1", input: [4])) { e, input in
            try shaped(make(try e.intValue("dim")), input)
        }
    }

    static let activations: [LayerType] = [
        pointwise("relu", "ReLU", "max(0, x).", inplace: true) { ReLU() },
        pointwise("relu6", "ReLU6", "min(max(0, x), 6).", inplace: true) { ReLU6() },
        LayerType(TypeSchema("leaky_relu", pytorch: "torch.nn.LeakyReLU", doc: "max(0, x) + negative_slope · min(0, x).", fields: [
            FieldSchema("negative_slope", .float, .defaulted(.double(LeakyReLU.Defaults.negativeSlope)), doc: "Slope for negative inputs."),
            inplace,
        ])) { e, input in (LeakyReLU(negativeSlope: try e.doubleValue("negative_slope")), input) },
        LayerType(TypeSchema("prelu", pytorch: "torch.nn.PReLU", doc: "Leaky ReLU with a learned slope, shared or one per channel.",
                             fields: [
            FieldSchema("num_parameters", .int, .defaulted(.int(PReLU.Defaults.numParameters)), range: .positive,
                        doc: "1 (one slope) or the number of channels of the input."),
            FieldSchema("init", .float, .defaulted(.double(PReLU.Defaults.initialValue)), doc: "Initial slope."),
        ])) { e, input in
            try shaped(PReLU(numParameters: try e.intValue("num_parameters"), initialValue: try e.doubleValue("init")), input)
        },
        LayerType(TypeSchema("elu", pytorch: "torch.nn.ELU", doc: "x if x > 0 else alpha · (exp(x) − 1).", fields: [
            FieldSchema("alpha", .float, .defaulted(.double(ELU.Defaults.alpha)), doc: "Scale of the negative part."),
            inplace,
        ])) { e, input in (ELU(alpha: try e.doubleValue("alpha")), input) },
        LayerType(TypeSchema("celu", pytorch: "torch.nn.CELU", doc: "max(0, x) + min(0, alpha · (exp(x / alpha) − 1)).", fields: [
            FieldSchema("alpha", .float, .defaulted(.double(CELU.Defaults.alpha)), doc: "Scale of the negative part; not 0."),
            inplace,
        ], check: { entry, report in
            if entry.double("alpha") == 0 { report("alpha cannot be 0", "alpha") }
        })) { e, input in (try CELU(alpha: try e.doubleValue("alpha")), input) },
        pointwise("selu", "SELU", "scale · elu(x, alpha) with the self-normalising constants.", inplace: true) { SELU() },
        LayerType(TypeSchema("gelu", pytorch: "torch.nn.GELU", doc: "Gaussian error linear unit.", fields: [
            FieldSchema("approximate", .choice(["none", "tanh"]), .defaulted(.string(GELU.Defaults.approximate)),
                        doc: "`tanh` uses the tanh approximation."),
        ])) { e, input in (try GELU(approximate: try e.stringValue("approximate")), input) },
        pointwise("silu", "SiLU", "x · sigmoid(x) (swish).", inplace: true) { SiLU() },
        pointwise("mish", "Mish", "x · tanh(softplus(x)).", inplace: true) { Mish() },
        pointwise("tanh", "Tanh", "Hyperbolic tangent.") { Tanh() },
        pointwise("sigmoid", "Sigmoid", "1 / (1 + exp(-x)).") { Sigmoid() },
        pointwise("log_sigmoid", "LogSigmoid", "log(sigmoid(x)).") { LogSigmoid() },
        pointwise("hardsigmoid", "Hardsigmoid", "Piecewise-linear sigmoid: clamp(x / 6 + 1/2, 0, 1).", inplace: true) { Hardsigmoid() },
        pointwise("hardswish", "Hardswish", "x · hardsigmoid(x).", inplace: true) { Hardswish() },
        LayerType(TypeSchema("hardtanh", pytorch: "torch.nn.Hardtanh", doc: "clamp(x, min_val, max_val).", fields: [
            FieldSchema("min_val", .float, .defaulted(.double(Hardtanh.Defaults.minVal)), doc: "Lower bound."),
            FieldSchema("max_val", .float, .defaulted(.double(Hardtanh.Defaults.maxVal)), doc: "Upper bound."),
            inplace,
        ], check: { entry, report in
            if let low = entry.double("min_val"), let high = entry.double("max_val"), low > high {
                report("min_val \(formatNumber(low)) cannot be greater than max_val \(formatNumber(high))", "min_val")
            }
        })) { e, input in (try Hardtanh(minVal: try e.doubleValue("min_val"), maxVal: try e.doubleValue("max_val")), input) },
        LayerType(TypeSchema("softplus", pytorch: "torch.nn.Softplus", doc: "log(1 + exp(beta · x)) / beta.", fields: [
            FieldSchema("beta", .float, .defaulted(.double(Softplus.Defaults.beta)), doc: "Sharpness."),
            FieldSchema("threshold", .float, .defaulted(.double(Softplus.Defaults.threshold)), doc: "Above beta · x > threshold, the identity."),
        ])) { e, input in (Softplus(beta: try e.doubleValue("beta"), threshold: try e.doubleValue("threshold")), input) },
        pointwise("softsign", "Softsign", "x / (1 + |x|).") { Softsign() },
        LayerType(TypeSchema("softshrink", pytorch: "torch.nn.Softshrink", doc: "x ∓ lambd outside [−lambd, lambd], else 0.", fields: [
            FieldSchema("lambd", .float, .defaulted(.double(Softshrink.Defaults.lambd)), range: .nonNegative, doc: "Half-width of the zero band."),
        ])) { e, input in (try Softshrink(lambd: try e.doubleValue("lambd")), input) },
        LayerType(TypeSchema("hardshrink", pytorch: "torch.nn.Hardshrink", doc: "x outside [−lambd, lambd], else 0.", fields: [
            FieldSchema("lambd", .float, .defaulted(.double(Hardshrink.Defaults.lambd)), doc: "Half-width of the zero band."),
        ])) { e, input in (Hardshrink(lambd: try e.doubleValue("lambd")), input) },
        pointwise("tanhshrink", "Tanhshrink", "x − tanh(x).") { Tanhshrink() },
        LayerType(TypeSchema("threshold", pytorch: "torch.nn.Threshold", doc: "x if x > threshold else value.", fields: [
            FieldSchema("threshold", .float, .required, doc: "The threshold."),
            FieldSchema("value", .float, .required, doc: "What replaces values at or below it."),
            inplace,
        ]), example: .init("threshold: 0.1, value: 0", input: [4])) { e, input in
            (Threshold(threshold: try e.doubleValue("threshold"), value: try e.doubleValue("value")), input)
        },
        alongDim("softmax", "Softmax", "Softmax along a dimension: values in (0, 1) summing to 1.") { Softmax(dim: $0) },
        alongDim("log_softmax", "LogSoftmax", "Log of softmax along a dimension.") { LogSoftmax(dim: $0) },
        alongDim("softmin", "Softmin", "Softmax of −x along a dimension.") { Softmin(dim: $0) },
        LayerType(TypeSchema("glu", pytorch: "torch.nn.GLU", doc: "Gated linear unit: a · sigmoid(b), halves a and b of `dim`.", fields: [
            FieldSchema("dim", .int, .defaulted(.int(GLU.Defaults.dim)), doc: "Dimension split in two halves (0 is the batch)."),
        ])) { e, input in try shaped(GLU(dim: try e.intValue("dim")), input) },
    ]
}
