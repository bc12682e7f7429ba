import Flint
import FlintNN

/// Draws a tensor of `shape` from the default generator.
public typealias InitializerBuilder = (_ entry: SpecEntry, _ shape: [Int]) throws -> Tensor

public typealias InitializerType = Registration<InitializerBuilder>

/// Every initialiser of a layer's `init:`, named after its `torch.nn.init` function
/// without the trailing underscore.
public enum InitializerTypes {
    public static let byName: [String: InitializerType] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    public static let all: [InitializerType] = [
        InitializerType(TypeSchema("kaiming_uniform", pytorch: "torch.nn.init.kaiming_uniform_",
                                   doc: "U(−b, b) with b = gain·√(3 / fan) (He et al.).",
                                   fields: [negativeSlope, fanMode, nonlinearity])) { e, shape in
            try Init.kaimingUniform(shape, a: try e.doubleValue("a"), mode: try e.choiceValue("mode", as: Init.FanMode.self),
                                    nonlinearity: try e.stringValue("nonlinearity"))
        },
        InitializerType(TypeSchema("kaiming_normal", pytorch: "torch.nn.init.kaiming_normal_",
                                   doc: "N(0, σ²) with σ = gain / √fan (He et al.).",
                                   fields: [negativeSlope, fanMode, nonlinearity])) { e, shape in
            try Init.kaimingNormal(shape, a: try e.doubleValue("a"), mode: try e.choiceValue("mode", as: Init.FanMode.self),
                                   nonlinearity: try e.stringValue("nonlinearity"))
        },
        InitializerType(TypeSchema("xavier_uniform", pytorch: "torch.nn.init.xavier_uniform_",
                                   doc: "U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio).",
                                   fields: [gain])) { e, shape in
            try Init.xavierUniform(shape, gain: try e.doubleValue("gain"))
        },
        InitializerType(TypeSchema("xavier_normal", pytorch: "torch.nn.init.xavier_normal_",
                                   doc: "N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)) (Glorot and Bengio).",
                                   fields: [gain])) { e, shape in
            try Init.xavierNormal(shape, gain: try e.doubleValue("gain"))
        },
        InitializerType(TypeSchema("normal", pytorch: "torch.nn.init.normal_", doc: "N(mean, std²).", fields: [
            FieldSchema("mean", .float, .defaulted(.double(Init.Defaults.mean)), doc: "Mean."),
            FieldSchema("std", .float, .defaulted(.double(Init.Defaults.std)), range: .nonNegative, doc: "Standard deviation."),
        ])) { e, shape in
            try Init.normal(shape, mean: try e.doubleValue("mean"), std: try e.doubleValue("std"))
        },
        InitializerType(TypeSchema("uniform", pytorch: "torch.nn.init.uniform_", doc: "U(a, b).", fields: [
            FieldSchema("a", .float, .defaulted(.double(Init.Defaults.uniformBounds.a)), doc: "Lower bound."),
            FieldSchema("b", .float, .defaulted(.double(Init.Defaults.uniformBounds.b)), doc: "Upper bound."),
        ], check: { entry, report in
            if let a = entry.double("a"), let b = entry.double("b"), !(a <= b) {
                report("uniform needs a <= b, got a=\(formatNumber(a)) and b=\(formatNumber(b))", "b")
            }
        })) { e, shape in
            try Init.uniform(shape, a: try e.doubleValue("a"), b: try e.doubleValue("b"))
        },
        InitializerType(TypeSchema("trunc_normal", pytorch: "torch.nn.init.trunc_normal_",
                                   doc: "N(mean, std²) redrawn until it falls in [a, b] (absolute bounds).", fields: [
            FieldSchema("mean", .float, .defaulted(.double(Init.Defaults.mean)), doc: "Mean."),
            FieldSchema("std", .float, .defaulted(.double(Init.Defaults.std)), range: .positive, doc: "Standard deviation."),
            FieldSchema("a", .float, .defaulted(.double(Init.Defaults.truncatedBounds.a)), doc: "Lower bound."),
            FieldSchema("b", .float, .defaulted(.double(Init.Defaults.truncatedBounds.b)), doc: "Upper bound."),
        ], check: { entry, report in
            if let a = entry.double("a"), let b = entry.double("b"), !(a < b) {
                report("trunc_normal needs a < b, got a=\(formatNumber(a)) and b=\(formatNumber(b))", "b")
            }
        })) { e, shape in
            try Init.truncNormal(shape, mean: try e.doubleValue("mean"), std: try e.doubleValue("std"),
                                 a: try e.doubleValue("a"), b: try e.doubleValue("b"))
        },
        InitializerType(TypeSchema("orthogonal", pytorch: "torch.nn.init.orthogonal_",
                                   doc: "A (semi-)orthogonal matrix over the parameter flattened to `[rows, rest]`, times gain.",
                                   fields: [gain])) { e, shape in
            try Init.orthogonal(shape, gain: try e.doubleValue("gain"))
        },
        InitializerType(TypeSchema("constant", pytorch: "torch.nn.init.constant_", doc: "Every value `val`.", fields: [
            FieldSchema("val", .float, .required, doc: "The value."),
        ]), example: "val: 0.5") { e, shape in
            try Tensor.full(shape, try e.doubleValue("val"))
        },
        InitializerType(TypeSchema("zeros", pytorch: "torch.nn.init.zeros_", doc: "Every value 0.")) { _, shape in
            try Init.zeros(shape)
        },
        InitializerType(TypeSchema("ones", pytorch: "torch.nn.init.ones_", doc: "Every value 1.")) { _, shape in
            try Init.ones(shape)
        },
    ]

    private static let fanMode = FieldSchema(
        "mode", .choice([Init.FanMode.fanIn, .fanOut].map(\.rawValue)), .defaulted(.string(Init.Defaults.mode.rawValue)),
        doc: "`fan_in` keeps the variance of the forward pass, `fan_out` that of the backward pass.")

    private static let nonlinearity = FieldSchema(
        "nonlinearity",
        .choice(Init.Nonlinearity.allCases.map(\.rawValue)),
        .defaulted(.string(Init.Defaults.nonlinearity.rawValue)), doc: "The function after the layer, for `calculate_gain`.")

    private static let negativeSlope = FieldSchema(
        "a", .float, .defaulted(.double(Init.Defaults.negativeSlope)), range: .nonNegative,
        doc: "Negative slope of the leaky_relu after the layer (for `nonlinearity: leaky_relu`).")

    private static let gain = FieldSchema("gain", .float, .defaulted(.double(Init.Defaults.gain)), range: .positive, doc: "Scaling factor.")
}
