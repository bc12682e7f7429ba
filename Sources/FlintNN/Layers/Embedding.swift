import Foundation
import Flint

/// `torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx)`: a lookup
/// table of rows, initialised N(0, 1), with the `padding_idx` row zero and
/// never updated by gradients.
///
/// - Input: integer indices of any shape `S`; output `S + [embedding_dim]`.
public final class Embedding: Module {
    public let numEmbeddings: Int, embeddingDim: Int
    /// Normalised to a non-negative row, as PyTorch stores it.
    public let paddingIdx: Int?

    public init(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil, generator: Generator = .default) throws {
        guard numEmbeddings > 0, embeddingDim > 0 else {
            throw TensorError.invalidArgument(op: "embedding", message: "num_embeddings and embedding_dim must be positive, got \(numEmbeddings) and \(embeddingDim)")
        }
        if let p = paddingIdx, !(p >= -numEmbeddings && p < numEmbeddings) {
            throw TensorError.invalidArgument(op: "embedding", message: "padding_idx \(p) must be within num_embeddings (\(numEmbeddings))")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        super.init()
        let weight = try Init.normal([numEmbeddings, embeddingDim], generator: generator)
        if let pad = self.paddingIdx { try weight.narrow(0, start: pad, length: 1).copyFrom(Tensor.zeros([1, embeddingDim])) }
        registerParameter("weight", weight)
    }

    override public var typeName: String { "embedding" }

    override public func outputShape(input: [Int]) throws -> [Int] { input + [embeddingDim] }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard let weight = parameter("weight") else { throw TensorError.invalidArgument(op: typeName, message: "weight is missing") }
        let (lo, hi) = try noGrad { (try x.min().item(), try x.max().item()) }
        if x.count > 0 && (lo < 0 || hi >= Double(numEmbeddings)) {
            throw TensorError.indexOutOfRange(op: typeName, index: Int(lo < 0 ? lo : hi), size: numEmbeddings)
        }
        return try x.embedding(weight, paddingIdx: paddingIdx)
    }
}

/// Adds a vector per position to a batch-first sequence: `x + table[0..<L]`
/// (GPT's learned `wpe`, or the fixed sines and cosines of "Attention Is All
/// You Need"). PyTorch has no class for it; the learned table is an
/// `nn.Embedding(max_len, d)` indexed by `arange(L)` and named `weight`.
///
/// - Input: `[N, L, d]` (or `[L, d]`) with `L ≤ maxLen`; output the same shape.
/// - Parameter: `weight` `[max_len, d]`, N(0, 1) as `nn.Embedding`, when learned;
///   the sinusoidal table is computed, not a parameter or buffer.
public final class PositionalEmbedding: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let sinusoidal = false
    }
    public let maxLen: Int, embeddingDim: Int
    public let sinusoidal: Bool
    /// The fixed table `[max_len, d]` when sinusoidal.
    private let fixedTable: Tensor?

    public init(maxLen: Int, embeddingDim: Int, sinusoidal: Bool = Defaults.sinusoidal, generator: Generator = .default) throws {
        guard maxLen > 0, embeddingDim > 0 else {
            throw TensorError.invalidArgument(op: "positional_embedding", message: "max_len and embedding_dim must be positive, got \(maxLen) and \(embeddingDim)")
        }
        self.maxLen = maxLen
        self.embeddingDim = embeddingDim
        self.sinusoidal = sinusoidal
        fixedTable = sinusoidal ? try Self.sinusoidTable(maxLen: maxLen, dim: embeddingDim) : nil
        super.init()
        if !sinusoidal { registerParameter("weight", try Init.normal([maxLen, embeddingDim], generator: generator)) }
    }

    override public var typeName: String { "positional_embedding" }

    /// PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), as PyTorch's
    /// transformer tutorial computes it (exponent in float64 here, stored as float32).
    static func sinusoidTable(maxLen: Int, dim: Int) throws -> Tensor {
        var values = [Float](repeating: 0, count: maxLen * dim)
        for p in 0..<maxLen {
            for i in stride(from: 0, to: dim, by: 2) {
                let angle = Double(p) * Foundation.exp(Double(i) * -Foundation.log(10000.0) / Double(dim))
                values[p * dim + i] = Float(Foundation.sin(angle))
                if i + 1 < dim { values[p * dim + i + 1] = Float(Foundation.cos(angle)) }
            }
        }
        return try Tensor(values, shape: [maxLen, dim])
    }

    /// The table `[max_len, d]`: the learned weight, or the sinusoids.
    public func table() throws -> Tensor {
        if let fixedTable { return fixedTable }
        guard let weight = parameter("weight") else { throw TensorError.invalidArgument(op: typeName, message: "weight is missing") }
        return weight
    }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == embeddingDim, input[0] <= maxLen else {
            throw layerShapeError(typeName, input, expected: "a per-sample sequence [L, \(embeddingDim)] with L ≤ max_len = \(maxLen)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape[x.rank - 1] == embeddingDim, x.shape[x.rank - 2] <= maxLen else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [x.shape],
                                            detail: "expected [N, L, \(embeddingDim)] with L ≤ max_len = \(maxLen)")
        }
        return try x + table().narrow(0, start: 0, length: x.shape[x.rank - 2])
    }
}
