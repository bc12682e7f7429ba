import Flint

/// `torch.nn.Dropout(p)`: in training, zeroes each element with probability
/// p and scales the rest by 1 / (1 − p); in eval, the identity.
public final class Dropout: Module {
    /// PyTorch's default, written once: the initialiser's argument and the spec's schema read it.
    public enum Defaults {
        public static let p = 0.5
    }
    public let p: Double
    public let generator: Generator

    public init(p: Double = Defaults.p, generator: Generator = .default) throws {
        guard p >= 0 && p <= 1 else { throw TensorError.invalidArgument(op: "dropout", message: "dropout probability has to be between 0 and 1, but got \(p)") }
        self.p = p
        self.generator = generator
        super.init()
    }

    override public var typeName: String { "dropout" }

    override public func forward(_ x: Tensor) throws -> Tensor { try x.dropout(p: p, training: training, generator: generator) }
}

/// `torch.nn.Dropout2d(p)`: in training, zeroes whole channels of
/// `[N, C, H, W]` with probability p, scaling the rest by 1 / (1 − p).
public final class Dropout2d: Module {
    /// PyTorch's default, written once: the initialiser's argument and the spec's schema read it.
    public enum Defaults {
        public static let p = 0.5
    }
    public let p: Double
    public let generator: Generator

    public init(p: Double = Defaults.p, generator: Generator = .default) throws {
        guard p >= 0 && p <= 1 else { throw TensorError.invalidArgument(op: "dropout2d", message: "dropout probability has to be between 0 and 1, but got \(p)") }
        self.p = p
        self.generator = generator
        super.init()
    }

    override public var typeName: String { "dropout2d" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw layerShapeError(typeName, input, expected: "a per-sample input [C, H, W]") }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor { try x.dropout2d(p: p, training: training, generator: generator) }
}
