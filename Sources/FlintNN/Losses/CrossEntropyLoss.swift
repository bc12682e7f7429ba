import Flint

/// A loss: `(prediction, target) -> scalar` (or per-element with `reduction: none`).
public protocol Loss {
    var typeName: String { get }
    func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor
}

/// `torch.nn.CrossEntropyLoss` with class-index targets, fused log-softmax + NLL.
public struct CrossEntropyLoss: Loss {
    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction
    public var labelSmoothing: Double

    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }

    public var typeName: String { "cross_entropy_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try input.crossEntropy(target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
    }
}
