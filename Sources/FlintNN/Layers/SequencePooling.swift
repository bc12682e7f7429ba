import Flint

/// Padded batches of sequences: the key-padding mask of the token ids, and
/// poolings that read it, so that `<pad>` positions never reach a result.
///
/// The mask follows `torch.nn.MultiheadAttention`'s `key_padding_mask`: bool
/// `[N, L]`, true where a position is padding. With documents padded after
/// their last token, it is `arange(L) >= lengths[:, None]`.

/// `tokens == padding_idx`: the `src_key_padding_mask` a PyTorch user computes
/// from the ids before calling the encoder. PyTorch has no module for it.
///
/// - Input: integer ids `[N, L]`; output bool `[N, L]`, true at padding.
public final class PaddingMask: Module {
    public let paddingIdx: Int

    public init(paddingIdx: Int) {
        self.paddingIdx = paddingIdx
        super.init()
    }

    override public var typeName: String { "padding_mask" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 1 else { throw layerShapeError(typeName, input, expected: "per-sample token ids [L]") }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 || x.rank == 1 else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [x.shape], detail: "expected token ids [N, L]")
        }
        return try x.eq(Double(paddingIdx))
    }
}

/// How a pooling reads its optional second input.
private func keyPaddingMask(_ mask: Tensor, for x: Tensor, op: String) throws -> Tensor {
    guard x.rank >= 2, mask.shape == Array(x.shape.prefix(2)) else {
        throw TensorError.shapeMismatch(op: op, shapes: [x.shape, mask.shape],
                                        detail: "expected a sequence [N, L, *] and its key-padding mask [N, L]")
    }
    // A float mask is PyTorch's additive form: 0 keeps a position, anything else (−inf) drops it.
    return mask.dtype == .bool ? mask : try mask.ne(0)
}

/// Checks the per-sample shapes of a pooling over the positions of `[L, *]`.
private func pooledShape(_ op: String, _ input: [Int]) throws -> [Int] {
    guard input.count >= 2 else { throw layerShapeError(op, input, expected: "a per-sample sequence [L, features]") }
    return Array(input.dropFirst())
}

/// The mean over positions, `x.mean(dim=1)`; with a key-padding mask
/// (`inputs: [x, mask]`), the mean over the positions that are not padding:
/// `(x * keep).sum(1) / keep.sum(1)` with `keep = ~mask`. A row of padding
/// only divides by zero (NaN), as it does in PyTorch.
///
/// - Input: `[N, L, *]` and optionally the mask `[N, L]`; output `[N, *]`.
public final class MeanPool: Module {
    override public var typeName: String { "mean_pool" }

    override public func outputShape(input: [Int]) throws -> [Int] { try pooledShape(typeName, input) }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2 else { throw TensorError.shapeMismatch(op: typeName, shapes: [x.shape], detail: "expected [N, L, *]") }
        return try x.mean(dim: 1)
    }

    /// `[x]` or `[x, key_padding_mask]`.
    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        switch inputs.count {
        case 1: return try forward(inputs[0])
        case 2:
            let x = inputs[0]
            let mask = try keyPaddingMask(inputs[1], for: x, op: typeName)
            let keep = try mask.logicalNot().casted(to: x.dtype)
            let weights = try keep.reshape(Array(keep.shape) + Array(repeating: 1, count: x.rank - 2))
            return try (x * weights).sum(dim: 1) / weights.sum(dim: 1)
        default:
            throw TensorError.invalidArgument(op: typeName, message: "expects [x] or [x, key_padding_mask], got \(inputs.count) tensors")
        }
    }
}

/// The last position, `x[:, -1]`; with a key-padding mask (`inputs: [x, mask]`),
/// each sequence's last real position, `x[arange(N), lengths - 1]` with
/// `lengths = (~mask).sum(1)` (documents padded after their end, as the text
/// importer writes them). A row of padding only gives its last position, as
/// index −1 does in PyTorch.
///
/// - Input: `[N, L, *]` and optionally the mask `[N, L]`; output `[N, *]`.
public final class LastToken: Module {
    override public var typeName: String { "last_token" }

    override public func outputShape(input: [Int]) throws -> [Int] { try pooledShape(typeName, input) }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape[1] > 0 else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [x.shape], detail: "expected [N, L, *] with L > 0")
        }
        return try x.narrow(1, start: x.shape[1] - 1, length: 1).squeeze(1)
    }

    /// `[x]` or `[x, key_padding_mask]`.
    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        switch inputs.count {
        case 1: return try forward(inputs[0])
        case 2:
            let x = inputs[0]
            let mask = try keyPaddingMask(inputs[1], for: x, op: typeName)
            let n = x.shape[0], length = x.shape[1]
            guard length > 0 else { throw TensorError.shapeMismatch(op: typeName, shapes: [x.shape], detail: "expected L > 0") }
            let lengths = try noGrad { try mask.logicalNot().casted(to: .int64).sum(dim: 1).toArray(Int64.self) }
            let last = lengths.map { $0 > 0 ? $0 - 1 : Int64(length - 1) }
            let rest = Array(x.shape.dropFirst(2))
            let index = try Tensor(last, shape: [n, 1] + rest.map { _ in 1 }).expand([n, 1] + rest).contiguous()
            return try x.gather(1, index).squeeze(1)
        default:
            throw TensorError.invalidArgument(op: typeName, message: "expects [x] or [x, key_padding_mask], got \(inputs.count) tensors")
        }
    }
}
