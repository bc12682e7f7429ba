import Flint

/// Every activation of the core as a layer, named after its `torch.nn` class.
/// All keep the input's shape except `GLU`, which halves `dim`.

/// An activation without parameters: the snake_case name and the function.
public class PointwiseActivation: Module {
    let name: String
    let function: (Tensor) throws -> Tensor

    init(_ name: String, _ function: @escaping (Tensor) throws -> Tensor) {
        self.name = name
        self.function = function
        super.init()
    }

    override public var typeName: String { name }
    override public func forward(_ x: Tensor) throws -> Tensor { try function(x) }
}

/// `torch.nn.ReLU`.
public final class ReLU: PointwiseActivation { public init() { super.init("relu") { try $0.relu() } } }
/// `torch.nn.ReLU6`: min(max(x, 0), 6).
public final class ReLU6: PointwiseActivation { public init() { super.init("relu6") { try $0.relu6() } } }
/// `torch.nn.Tanh`.
public final class Tanh: PointwiseActivation { public init() { super.init("tanh") { try $0.tanh() } } }
/// `torch.nn.Sigmoid`.
public final class Sigmoid: PointwiseActivation { public init() { super.init("sigmoid") { try $0.sigmoid() } } }
/// `torch.nn.SiLU` (swish): x·σ(x).
public final class SiLU: PointwiseActivation { public init() { super.init("silu") { try $0.silu() } } }
/// `torch.nn.SELU`.
public final class SELU: PointwiseActivation { public init() { super.init("selu") { try $0.selu() } } }
/// `torch.nn.Mish`: x·tanh(softplus(x)).
public final class Mish: PointwiseActivation { public init() { super.init("mish") { try $0.mish() } } }
/// `torch.nn.Softsign`: x / (1 + |x|).
public final class Softsign: PointwiseActivation { public init() { super.init("softsign") { try $0.softsign() } } }
/// `torch.nn.LogSigmoid`: log σ(x).
public final class LogSigmoid: PointwiseActivation { public init() { super.init("log_sigmoid") { try $0.logsigmoid() } } }
/// `torch.nn.Hardsigmoid`: relu6(x + 3) / 6.
public final class Hardsigmoid: PointwiseActivation { public init() { super.init("hardsigmoid") { try $0.hardsigmoid() } } }
/// `torch.nn.Hardswish`: x·relu6(x + 3) / 6.
public final class Hardswish: PointwiseActivation { public init() { super.init("hardswish") { try $0.hardswish() } } }
/// `torch.nn.Tanhshrink`: x − tanh(x).
public final class Tanhshrink: PointwiseActivation { public init() { super.init("tanhshrink") { try $0.tanhshrink() } } }

/// `torch.nn.GELU(approximate)`: x·Φ(x), or its tanh approximation.
public final class GELU: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let approximate = "none"
    }
    public let approximate: String
    public init(approximate: String = Defaults.approximate) throws {
        guard approximate == "none" || approximate == "tanh" else {
            throw TensorError.invalidArgument(op: "gelu", message: "approximate must be 'none' or 'tanh', got '\(approximate)'")
        }
        self.approximate = approximate
        super.init("gelu") { try $0.gelu(approximate: approximate) }
    }
}

/// `torch.nn.ELU(alpha)`: x for x > 0, else α·(eˣ − 1).
public final class ELU: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let alpha = 1.0
    }
    public let alpha: Double
    public init(alpha: Double = Defaults.alpha) {
        self.alpha = alpha
        super.init("elu") { try $0.elu(alpha: alpha) }
    }
}

/// `torch.nn.CELU(alpha)`: max(0, x) + min(0, α·(e^(x/α) − 1)).
public final class CELU: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let alpha = 1.0
    }
    public let alpha: Double
    public init(alpha: Double = Defaults.alpha) throws {
        guard alpha != 0 else { throw TensorError.invalidArgument(op: "celu", message: "alpha cannot be 0") }
        self.alpha = alpha
        super.init("celu") { try $0.celu(alpha: alpha) }
    }
}

/// `torch.nn.LeakyReLU(negative_slope)`.
public final class LeakyReLU: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let negativeSlope = 0.01
    }
    public let negativeSlope: Double
    public init(negativeSlope: Double = Defaults.negativeSlope) {
        self.negativeSlope = negativeSlope
        super.init("leaky_relu") { try $0.leakyRelu(negativeSlope: negativeSlope) }
    }
}

/// `torch.nn.Hardtanh(min_val, max_val)`: x clamped to [min_val, max_val].
public final class Hardtanh: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let minVal = -1.0
        public static let maxVal = 1.0
    }
    public let minVal: Double, maxVal: Double
    public init(minVal: Double = Defaults.minVal, maxVal: Double = Defaults.maxVal) throws {
        guard minVal <= maxVal else {
            throw TensorError.invalidArgument(op: "hardtanh", message: "min_val \(minVal) cannot be greater than max_val \(maxVal)")
        }
        self.minVal = minVal
        self.maxVal = maxVal
        super.init("hardtanh") { try $0.hardtanh(minVal: minVal, maxVal: maxVal) }
    }
}

/// `torch.nn.Softplus(beta, threshold)`: log(1 + e^(βx)) / β, linear above the threshold.
public final class Softplus: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let beta = 1.0
        public static let threshold = 20.0
    }
    public let beta: Double, threshold: Double
    public init(beta: Double = Defaults.beta, threshold: Double = Defaults.threshold) {
        self.beta = beta
        self.threshold = threshold
        super.init("softplus") { try $0.softplus(beta: beta, threshold: threshold) }
    }
}

/// `torch.nn.Softshrink(lambd)`.
public final class Softshrink: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let lambd = 0.5
    }
    public let lambd: Double
    public init(lambd: Double = Defaults.lambd) throws {
        guard lambd >= 0 else { throw TensorError.invalidArgument(op: "softshrink", message: "lambda must be greater or equal to 0, but found to be \(lambd)") }
        self.lambd = lambd
        super.init("softshrink") { try $0.softshrink(lambd: lambd) }
    }
}

/// `torch.nn.Hardshrink(lambd)`.
public final class Hardshrink: PointwiseActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let lambd = 0.5
    }
    public let lambd: Double
    public init(lambd: Double = Defaults.lambd) {
        self.lambd = lambd
        super.init("hardshrink") { try $0.hardshrink(lambd: lambd) }
    }
}

/// `torch.nn.Threshold(threshold, value)`: x where x > threshold, else value.
public final class Threshold: PointwiseActivation {
    public let threshold: Double, value: Double
    public init(threshold: Double, value: Double) {
        self.threshold = threshold
        self.value = value
        super.init("threshold") { try $0.threshold(threshold, value: value) }
    }
}

/// An activation over one dimension (`Softmax`, `LogSoftmax`, `Softmin`, `GLU`),
/// whose `dim` counts the batch dimension, as in PyTorch.
public class DimActivation: PointwiseActivation {
    public let dim: Int

    init(_ name: String, dim: Int, _ function: @escaping (Tensor, Int) throws -> Tensor) {
        self.dim = dim
        super.init(name) { try function($0, dim) }
    }

    override public func outputShape(input: [Int]) throws -> [Int] {
        let rank = input.count + 1
        guard dim >= -rank && dim < rank else {
            throw layerShapeError(name, input, expected: "dim \(dim) to name a dimension of a batch of per-sample shape \(input)")
        }
        return input
    }
}

/// `torch.nn.Softmax(dim)`.
public final class Softmax: DimActivation {
    public init(dim: Int) { super.init("softmax", dim: dim) { try $0.softmax(dim: $1) } }
}

/// `torch.nn.LogSoftmax(dim)`.
public final class LogSoftmax: DimActivation {
    public init(dim: Int) { super.init("log_softmax", dim: dim) { try $0.logSoftmax(dim: $1) } }
}

/// `torch.nn.Softmin(dim)`: softmax(−x).
public final class Softmin: DimActivation {
    public init(dim: Int) { super.init("softmin", dim: dim) { try $0.softmin(dim: $1) } }
}

/// `torch.nn.GLU(dim)`: a·σ(b) for the halves a, b of `dim`, which halves that dimension.
public final class GLU: DimActivation {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let dim = -1
    }
    public init(dim: Int = Defaults.dim) { super.init("glu", dim: dim) { try $0.glu(dim: $1) } }

    override public func outputShape(input: [Int]) throws -> [Int] {
        var out = try super.outputShape(input: input)
        let d = dim < 0 ? dim + input.count : dim - 1
        guard d >= 0 else { throw layerShapeError(name, input, expected: "dim \(dim) to name a non-batch dimension") }
        guard out[d] % 2 == 0 else { throw layerShapeError(name, input, expected: "an even size along dim \(dim)") }
        out[d] /= 2
        return out
    }
}

/// `torch.nn.PReLU(num_parameters, init)`: leaky ReLU with a learned slope,
/// one shared or one per channel (dim 1), `weight` initialised to `init`.
public final class PReLU: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let numParameters = 1
        public static let initialValue = 0.25
    }
    public let numParameters: Int

    public init(numParameters: Int = Defaults.numParameters, initialValue: Double = Defaults.initialValue) throws {
        guard numParameters > 0 else { throw TensorError.invalidArgument(op: "prelu", message: "num_parameters must be positive, got \(numParameters)") }
        self.numParameters = numParameters
        super.init()
        registerParameter("weight", try Tensor.full([numParameters], initialValue))
    }

    override public var typeName: String { "prelu" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard numParameters == 1 || input.first == numParameters else {
            throw layerShapeError(typeName, input, expected: "a per-sample input [C, *] with C = num_parameters = \(numParameters)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard let weight = parameter("weight") else { throw TensorError.invalidArgument(op: typeName, message: "weight is missing") }
        return try x.prelu(weight)
    }
}
