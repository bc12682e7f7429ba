import Flint

/// `torch.nn.Linear`: `y = x Wᵀ + b`.
///
/// - Input: `[*, in_features]`; output: `[*, out_features]`.
/// - Parameters: `weight` `[out_features, in_features]`, `bias` `[out_features]`,
///   both initialised as PyTorch does (kaiming-uniform with a = √5, which is
///   uniform ±1/√in_features, and bias uniform ±1/√in_features).
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    public var weight: Tensor { parameterSlots[0].tensor }
    public var bias: Tensor? { parameterSlots.count > 1 ? parameterSlots[1].tensor : nil }

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, generator: Generator = .default) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
        registerParameter("weight", Init.kaimingUniform([outFeatures, inFeatures], a: 5.0.squareRoot(), generator: generator))
        if bias {
            registerParameter("bias", Tensor.uniform([outFeatures], low: -bound, high: bound, generator: generator))
        }
    }

    override public var typeName: String { "linear" }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try Functional.linear(x, weight: weight, bias: bias)
    }
}

/// Functions of `torch.nn.functional` composed from core ops.
public enum Functional {
    /// `F.linear(x, weight, bias)`: `x Wᵀ + b`, one GEMM with the bias fused.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.rank >= 1, let last = x.shape.last, weight.rank == 2, last == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", shapes: [x.shape, weight.shape], detail: "input's last dim must equal in_features")
        }
        let rows = x.rank == 2 ? x : try x.reshape([-1, last])
        let y = try bias.map { try Tensor.addmm($0, rows, weight.t()) } ?? rows.mm(weight.t())
        return x.rank == 2 ? y : try y.reshape(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
}
