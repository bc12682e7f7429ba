import Flint

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
