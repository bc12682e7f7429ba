import Flint

/// `torch.nn.TransformerEncoderLayer`: self-attention and a feed-forward
/// block, each with a residual connection and layer norm, after
/// (post-norm, the default) or before (`normFirst`) the block. With `causal`,
/// position i attends only to positions ≤ i (PyTorch's `is_causal=True` with
/// a square subsequent mask), as a language model needs. A second input is
/// `src_key_padding_mask`: keys where it is true get −inf before the softmax.
///
/// - Input: `[S, N, d_model]` (`[N, S, d_model]` with `batchFirst`, `[S, d_model]` unbatched).
/// - Children, as PyTorch names them: `self_attn`, `linear1`, `dropout`,
///   `linear2`, `norm1`, `norm2`, `dropout1`, `dropout2`.
public final class TransformerEncoderLayer: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let dimFeedforward = 2048
        public static let dropout = 0.1
        public static let activation = "relu"
        public static let layerNormEps = 1e-5
        public static let batchFirst = false
        public static let normFirst = false
        public static let bias = true
        public static let causal = false
    }
    public let dModel: Int, nhead: Int, dimFeedforward: Int
    public let activation: String
    public let normFirst: Bool, batchFirst: Bool
    /// Every forward masks attention to later positions.
    public let causal: Bool
    public let selfAttn: MultiheadAttention
    let linear1: Linear, linear2: Linear
    let dropout: Dropout, dropout1: Dropout, dropout2: Dropout
    let norm1: LayerNorm, norm2: LayerNorm

    public init(dModel: Int, nhead: Int, dimFeedforward: Int = Defaults.dimFeedforward, dropout: Double = Defaults.dropout,
                activation: String = Defaults.activation, layerNormEps: Double = Defaults.layerNormEps,
                batchFirst: Bool = Defaults.batchFirst, normFirst: Bool = Defaults.normFirst, bias: Bool = Defaults.bias,
                causal: Bool = Defaults.causal, generator: Generator = .default) throws {
        guard activation == "relu" || activation == "gelu" else {
            throw TensorError.invalidArgument(op: "transformer_encoder_layer", message: "activation should be relu/gelu, not \(activation)")
        }
        guard dimFeedforward > 0 else {
            throw TensorError.invalidArgument(op: "transformer_encoder_layer", message: "dim_feedforward must be positive, got \(dimFeedforward)")
        }
        self.dModel = dModel
        self.nhead = nhead
        self.dimFeedforward = dimFeedforward
        self.activation = activation
        self.normFirst = normFirst
        self.batchFirst = batchFirst
        self.causal = causal
        selfAttn = try MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                                          generator: generator)
        linear1 = try Linear(inFeatures: dModel, outFeatures: dimFeedforward, bias: bias, generator: generator)
        self.dropout = try Dropout(p: dropout, generator: generator)
        linear2 = try Linear(inFeatures: dimFeedforward, outFeatures: dModel, bias: bias, generator: generator)
        norm1 = try LayerNorm(normalizedShape: [dModel], eps: layerNormEps, bias: bias)
        norm2 = try LayerNorm(normalizedShape: [dModel], eps: layerNormEps, bias: bias)
        dropout1 = try Dropout(p: dropout, generator: generator)
        dropout2 = try Dropout(p: dropout, generator: generator)
        super.init()
        registerModule("self_attn", selfAttn)
        registerModule("linear1", linear1)
        registerModule("dropout", self.dropout)
        registerModule("linear2", linear2)
        registerModule("norm1", norm1)
        registerModule("norm2", norm2)
        registerModule("dropout1", dropout1)
        registerModule("dropout2", dropout2)
    }

    override public var typeName: String { "transformer_encoder_layer" }

    /// Per-sample `[S, d_model]` keeps its shape.
    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == dModel else {
            throw layerShapeError(typeName, input, expected: "a per-sample sequence [S, d_model] with d_model = \(dModel)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor { try forward(x, mask: nil, keyPaddingMask: nil, isCausal: causal) }

    /// `[src]` or `[src, src_key_padding_mask]` (bool `[N, S]`, true at padding, as `PaddingMask` makes it).
    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        switch inputs.count {
        case 1: return try forward(inputs[0])
        case 2: return try forward(inputs[0], mask: nil, keyPaddingMask: inputs[1], isCausal: causal)
        default:
            throw TensorError.invalidArgument(op: typeName, message: "expects [src] or [src, src_key_padding_mask], got \(inputs.count) tensors")
        }
    }

    /// PyTorch's `forward(src, src_mask, src_key_padding_mask, is_causal)`.
    public func forward(_ src: Tensor, mask: Tensor?, keyPaddingMask: Tensor?, isCausal: Bool = false) throws -> Tensor {
        func attentionBlock(_ x: Tensor) throws -> Tensor {
            let out = try selfAttn.attention(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, needWeights: false,
                                             attnMask: mask, isCausal: isCausal).output
            return try dropout1(out)
        }
        func feedForward(_ x: Tensor) throws -> Tensor {
            let hidden = try linear1(x)
            let activated = activation == "gelu" ? try hidden.gelu() : try hidden.relu()
            return try dropout2(linear2(dropout(activated)))
        }
        if normFirst {
            let x = try src + attentionBlock(norm1(src))
            return try x + feedForward(norm2(x))
        }
        let x = try norm1(src + attentionBlock(src))
        return try norm2(x + feedForward(x))
    }
}
