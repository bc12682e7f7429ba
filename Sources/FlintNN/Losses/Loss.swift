import Flint

/// A loss: `(prediction, target) -> scalar` (or per-element with `reduction: none`).
public protocol Loss {
    var typeName: String { get }
    func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor
}

/// A loss over two inputs and a ±1 target saying whether they should be
/// close or ordered (`CosineEmbeddingLoss`, `MarginRankingLoss`).
public protocol PairwiseLoss {
    var typeName: String { get }
    func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) throws -> Tensor
}

extension Tensor {
    /// Applies a loss's `reduction` to its per-element values.
    func reduced(_ reduction: Reduction) throws -> Tensor {
        switch reduction {
        case .none: return self
        case .mean: return try mean()
        case .sum: return try sum()
        }
    }
}

/// Checks that a pointwise loss's input and target have one shape. PyTorch
/// broadcasts them with a warning that the result is likely wrong; Flint
/// reports the mismatch instead.
func checkSameShape(_ input: Tensor, _ target: Tensor, _ loss: String) throws {
    guard input.shape == target.shape else {
        throw TensorError.shapeMismatch(op: loss, shapes: [input.shape, target.shape], detail: "input and target must have the same shape")
    }
    guard input.dtype.isFloatingPoint else {
        throw TensorError.badDType(op: loss, dtype: input.dtype, detail: "input must be floating point (shape \(input.shape))")
    }
}
