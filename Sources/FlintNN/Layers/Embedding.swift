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
        let weight = try Tensor.randn([numEmbeddings, embeddingDim], generator: generator)
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
