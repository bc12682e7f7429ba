import Flint

/// The error a layer reports when an input's shape does not fit it:
/// `conv2d: expected input [C, H, W] with C = 3, got shape [784]`.
func layerShapeError(_ layer: String, _ shape: [Int], expected: String) -> TensorError {
    TensorError.invalidArgument(op: layer, message: "expected \(expected), got shape \(shape)")
}

/// `torch.nn.Linear`: `y = x Wᵀ + b`.
///
/// - Input: `[*, in_features]`; output: `[*, out_features]`.
/// - Parameters: `weight` `[out_features, in_features]`, `bias` `[out_features]`,
///   both initialised as PyTorch does (kaiming-uniform with a = √5, which is
///   uniform ±1/√in_features, and bias uniform ±1/√in_features).
public final class Linear: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let bias = true
    }
    public let inFeatures: Int
    public let outFeatures: Int
    public var weight: Tensor { parameterSlots[0].tensor }
    public var bias: Tensor? { parameter("bias") }

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = Defaults.bias, generator: Generator = .default) throws {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw TensorError.invalidArgument(op: "linear", message: "in_features (\(inFeatures)) and out_features (\(outFeatures)) must be non-negative")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        registerParameter("weight", try Init.kaimingUniformDefault([outFeatures, inFeatures], generator: generator))
        if bias {
            registerParameter("bias", try Init.fanInUniform([outFeatures], fanIn: inFeatures, generator: generator))
        }
    }

    override public var typeName: String { "linear" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard let last = input.last, last == inFeatures else {
            throw layerShapeError(typeName, input, expected: "an input whose last dimension is in_features = \(inFeatures)")
        }
        return Array(input.dropLast()) + [outFeatures]
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try Functional.linear(x, weight: weight, bias: bias)
    }
}

/// `torch.nn.Bilinear`: `y_k = x1ᵀ W_k x2 + b_k`.
///
/// - Inputs: `[*, in1_features]` and `[*, in2_features]`; output `[*, out_features]`.
/// - Parameters: `weight` `[out, in1, in2]`, `bias` `[out]`, both U(±1/√in1_features).
public final class Bilinear: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let bias = true
    }
    public let in1Features: Int, in2Features: Int, outFeatures: Int

    public init(in1Features: Int, in2Features: Int, outFeatures: Int, bias: Bool = Defaults.bias, generator: Generator = .default) throws {
        self.in1Features = in1Features
        self.in2Features = in2Features
        self.outFeatures = outFeatures
        super.init()
        let shape = [outFeatures, in1Features, in2Features]
        registerParameter("weight", try Init.fanInUniform(shape, fanIn: in1Features, generator: generator))
        if bias { registerParameter("bias", try Init.fanInUniform([outFeatures], fanIn: in1Features, generator: generator)) }
    }

    override public var typeName: String { "bilinear" }

    /// Takes the shape of the first input; the second must end in in2_features.
    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.last == in1Features else {
            throw layerShapeError(typeName, input, expected: "a first input whose last dimension is in1_features = \(in1Features)")
        }
        return Array(input.dropLast()) + [outFeatures]
    }

    /// A bilinear form needs two inputs: use `forward([x1, x2])`.
    override public func forward(_ x: Tensor) throws -> Tensor { try forward([x]) }

    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 2, let weight = parameter("weight") else {
            throw TensorError.invalidArgument(op: typeName, message: "expects 2 inputs, got \(inputs.count)")
        }
        guard inputs[0].shape.last == in1Features, inputs[1].shape.last == in2Features,
              Array(inputs[0].shape.dropLast()) == Array(inputs[1].shape.dropLast()) else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [inputs[0].shape, inputs[1].shape],
                                            detail: "expected [*, \(in1Features)] and [*, \(in2Features)] with equal leading dims")
        }
        return try inputs[0].bilinear(inputs[1], weight, bias: parameter("bias"))
    }
}
