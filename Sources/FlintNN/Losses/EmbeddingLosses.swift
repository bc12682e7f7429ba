import Flint

/// Losses over pairs of inputs and a ±1 target: `CosineEmbeddingLoss` and
/// `MarginRankingLoss`. Composite.

/// Checks a ±1 target of `[N]` (or `[]` for unbatched inputs) against inputs.
private func checkPairTarget(_ x1: Tensor, _ x2: Tensor, _ y: Tensor, featureDim: Bool, _ loss: String) throws {
    guard x1.shape == x2.shape else {
        throw TensorError.shapeMismatch(op: loss, shapes: [x1.shape, x2.shape], detail: "input1 and input2 must have the same shape")
    }
    let expected = featureDim ? Array(x1.shape.dropLast()) : x1.shape
    guard y.shape == expected else {
        throw TensorError.shapeMismatch(op: loss, shapes: [x1.shape, y.shape], detail: "expected target of shape \(expected)")
    }
    guard x1.dtype.isFloatingPoint else {
        throw TensorError.badDType(op: loss, dtype: x1.dtype, detail: "inputs must be floating point (shape \(x1.shape))")
    }
}

/// `torch.nn.CosineEmbeddingLoss(margin)`: 1 − cos(x1, x2) where y = 1,
/// max(0, cos(x1, x2) − margin) where y = −1.
///
/// - Inputs: `[N, D]` (or `[D]`); target `[N]` (or `[]`) of 1 and −1.
public struct CosineEmbeddingLoss: PairwiseLoss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let margin = 0.0
    }

    public var margin: Double
    public var reduction: Reduction

    public init(margin: Double = Defaults.margin, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }

    public var typeName: String { "cosine_embedding_loss" }

    public func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) throws -> Tensor {
        try checkPairTarget(input1, input2, target, featureDim: true, typeName)
        guard input1.rank == 1 || input1.rank == 2 else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [input1.shape, target.shape], detail: "inputs must be 1-D or 2-D")
        }
        // PyTorch's own formula: ε = 1e-12 added to each squared magnitude.
        let dim = input1.rank - 1
        let dot = try (input1 * input2).sum(dim: dim)
        let m1 = try input1.square().sum(dim: dim) + 1e-12, m2 = try input2.square().sum(dim: dim) + 1e-12
        let cos = try dot / (m1 * m2).sqrt()
        let zero = try Tensor.zeros([], dtype: cos.dtype)
        let positive = try Tensor.whereMask(target.eq(1), 1 - cos, zero)
        let negative = try Tensor.whereMask(target.eq(-1), (cos - margin).clampMin(0), zero)
        return try (positive + negative).reduced(reduction)
    }
}

/// `torch.nn.MarginRankingLoss(margin)`: max(0, −y·(x1 − x2) + margin).
///
/// - Inputs: `x1`, `x2` and target `y` of one shape, y in {1, −1}.
public struct MarginRankingLoss: PairwiseLoss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let margin = 0.0
    }

    public var margin: Double
    public var reduction: Reduction

    public init(margin: Double = Defaults.margin, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }

    public var typeName: String { "margin_ranking_loss" }

    public func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) throws -> Tensor {
        try checkPairTarget(input1, input2, target, featureDim: false, typeName)
        return try ((target.neg() * (input1 - input2)) + margin).clampMin(0).reduced(reduction)
    }
}
