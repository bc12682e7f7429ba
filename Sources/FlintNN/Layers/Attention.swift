import Foundation
import Flint

/// `torch.nn.MultiheadAttention`: scaled dot-product attention over
/// `num_heads` heads with packed input projections.
///
/// - Inputs: query `[L, N, E]`, key and value `[S, N, E]` (`[N, L, E]`, `[N, S, E]`
///   with `batchFirst`; `[L, E]`, `[S, E]` unbatched).
/// - Parameters: `in_proj_weight` `[3E, E]` (xavier-uniform), `in_proj_bias`
///   `[3E]` (zeros), `out_proj.weight` `[E, E]` and `out_proj.bias` (zeros).
public final class MultiheadAttention: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let dropout = 0.0
        public static let bias = true
        public static let batchFirst = false
    }
    public let embedDim: Int, numHeads: Int
    public let dropout: Double
    public let batchFirst: Bool
    public let generator: Generator
    public let outProj: Linear

    public init(embedDim: Int, numHeads: Int, dropout: Double = Defaults.dropout, bias: Bool = Defaults.bias,
                batchFirst: Bool = Defaults.batchFirst,
                generator: Generator = .default) throws {
        guard embedDim > 0, numHeads > 0, embedDim % numHeads == 0 else {
            throw TensorError.invalidArgument(op: "multihead_attention", message: "embed_dim (\(embedDim)) must be divisible by num_heads (\(numHeads))")
        }
        guard dropout >= 0 && dropout <= 1 else {
            throw TensorError.invalidArgument(op: "multihead_attention", message: "dropout probability has to be between 0 and 1, but got \(dropout)")
        }
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.generator = generator
        // out_proj draws its weight first, as PyTorch constructs it before resetting the packed projection.
        outProj = try Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias, generator: generator)
        super.init()
        registerParameter("in_proj_weight", try Init.xavierUniform([3 * embedDim, embedDim], generator: generator))
        if bias {
            registerParameter("in_proj_bias", try Tensor.zeros([3 * embedDim]))
            if let b = outProj.bias { try b.copyFrom(Tensor.zeros([embedDim])) }
        }
        registerModule("out_proj", outProj)
    }

    override public var typeName: String { "multihead_attention" }

    /// Per-sample `[L, E]` (one sequence) keeps its shape.
    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == embedDim else {
            throw layerShapeError(typeName, input, expected: "a per-sample sequence [L, embed_dim] with embed_dim = \(embedDim)")
        }
        return input
    }

    /// Self-attention: `attention(x, x, x).output`.
    override public func forward(_ x: Tensor) throws -> Tensor { try attention(query: x, key: x, value: x, needWeights: false).output }

    /// `[query, key, value]` (or `[query]` for self-attention); returns the attended output.
    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        switch inputs.count {
        case 1: return try forward(inputs[0])
        case 3: return try attention(query: inputs[0], key: inputs[1], value: inputs[2], needWeights: false).output
        default: throw TensorError.invalidArgument(op: typeName, message: "expects [query] or [query, key, value], got \(inputs.count) tensors")
        }
    }

    /// PyTorch's `forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)`.
    ///
    /// - Parameters:
    ///   - keyPaddingMask: `[N, S]` (or `[S]`); bool true (or float −inf) marks keys to ignore.
    ///   - attnMask: `[L, S]` or `[N·heads, L, S]`; bool true marks disallowed pairs, a float mask is added.
    /// - Returns: the output, shaped like `query`, and, with `needWeights`, the
    ///   attention weights `[N, L, S]` (`[N, heads, L, S]` when not averaged).
    public func attention(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
                          attnMask: Tensor? = nil, averageAttnWeights: Bool = true, isCausal: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        let unbatched = query.rank == 2
        guard (query.rank == 3 || unbatched), key.rank == query.rank, value.rank == query.rank,
              query.shape.last == embedDim, key.shape.last == embedDim, value.shape.last == embedDim else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [query.shape, key.shape, value.shape],
                                            detail: "expected query, key and value of rank 3 (or 2 unbatched) ending in embed_dim = \(embedDim)")
        }
        func timeMajor(_ t: Tensor) throws -> Tensor { unbatched ? try t.unsqueeze(1) : (batchFirst ? try t.transpose(0, 1) : t) }
        let q = try timeMajor(query), k = try timeMajor(key), v = try timeMajor(value)
        let l = q.shape[0], n = q.shape[1], s = k.shape[0], heads = numHeads, headDim = embedDim / numHeads
        guard k.shape[1] == n, v.shape[1] == n, v.shape[0] == s else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [query.shape, key.shape, value.shape], detail: "batch sizes and key/value lengths must agree")
        }
        guard let w = parameter("in_proj_weight") else { throw TensorError.invalidArgument(op: typeName, message: "in_proj_weight is missing") }
        let b = parameter("in_proj_bias")
        func project(_ x: Tensor, _ i: Int) throws -> Tensor {
            let wi = try w.narrow(0, start: i * embedDim, length: embedDim)
            let bi = try b.map { try $0.narrow(0, start: i * embedDim, length: embedDim) }
            return try Functional.linear(x, weight: wi, bias: bi)
        }
        // [T, N, E]: head h of sample n is columns h·head_dim ..< (h+1)·head_dim of row (t, n).
        let qp = try project(q, 0), kp = try project(k, 1), vp = try project(v, 2)
        let negInf = try Tensor.full([], -.infinity, dtype: qp.dtype), zero = try Tensor.zeros([], dtype: qp.dtype)
        // Masks are added as 0 / −inf, as PyTorch turns boolean masks into float ones: one pass
        // forward and none backward (the gradient passes through the sum unchanged).
        let additiveMask = try attnMask.map { mask in
            guard mask.shape == [l, s] || mask.shape == [n * heads, l, s] else {
                throw TensorError.shapeMismatch(op: typeName, shapes: [mask.shape, [l, s]], detail: "attn_mask must be [L, S] or [N·num_heads, L, S]")
            }
            return mask.dtype == .bool ? try Tensor.whereMask(mask, negInf, zero) : mask
        }
        let paddingMask = try keyPaddingMask.map { mask in
            let perSample = unbatched ? try mask.unsqueeze(0) : mask
            guard perSample.shape == [n, s] else {
                throw TensorError.shapeMismatch(op: typeName, shapes: [mask.shape, [n, s]], detail: "key_padding_mask must be [N, S]")
            }
            return perSample.dtype == .bool ? try Tensor.whereMask(perSample, negInf, zero) : perSample
        }
        let causal = isCausal && attnMask == nil, dropoutP = training ? dropout : 0
        let masks = [additiveMask, paddingMask].compactMap { $0 }
        // The fused kernel covers float32 without weights, masks that need no gradient and dropout below 1;
        // it draws the same dropout mask as the composite path below.
        let fused = !needWeights && qp.dtype == .float32 && dropoutP < 1 && l > 0 && s > 0 && n > 0
            && masks.allSatisfy { $0.dtype == .float32 && !$0.requiresGrad }
        let attended: Tensor, weights: Tensor?
        if fused {
            attended = try Tensor.fusedAttention(qp, kp, vp, layout: .timeMajor(heads: heads), mask: additiveMask, keyMask: paddingMask,
                                                 causal: causal, scale: 1 / Double(headDim).squareRoot(), dropoutP: dropoutP,
                                                 generator: generator)
            weights = nil
        } else {
            // [T, N, E] -> [T, N·heads, head_dim] -> [N·heads, T, head_dim]
            func split(_ x: Tensor, _ length: Int) throws -> Tensor { try x.reshape([length, n * heads, headDim]).transpose(0, 1) }
            var scores = try (split(qp, l) * (1 / Double(headDim).squareRoot())).bmm(split(kp, s).transpose(1, 2))
            if causal { scores = try scores + Tensor.full([l, s], -.infinity, dtype: scores.dtype).triu(1) }
            if let additiveMask { scores = try scores + additiveMask }
            if let paddingMask {
                scores = try (scores.reshape([n, heads, l, s]) + paddingMask.reshape([n, 1, 1, s])).reshape([n * heads, l, s])
            }
            let probabilities = try scores.softmax(dim: -1)
            let dropped = try probabilities.dropout(p: dropout, training: training && dropout > 0, generator: generator)
            attended = try dropped.bmm(split(vp, s)).transpose(0, 1)
            weights = probabilities
        }
        var output = try outProj(attended.reshape([l * n, embedDim])).reshape([l, n, embedDim])
        output = unbatched ? try output.squeeze(1) : (batchFirst ? try output.transpose(0, 1) : output)
        guard needWeights, let weights else { return (output, nil) }
        var perHead = try weights.reshape([n, heads, l, s])
        if averageAttnWeights { perHead = try perHead.mean(dim: 1) }
        return (output, unbatched ? try perHead.squeeze(0) : perHead)
    }
}
