import Foundation
import Flint
import FlintNN

/// Accumulates a language model's metrics over batches of logits `[B, L, V]`
/// and next-token targets `[B, L]`: the mean per-token cross-entropy (in nats,
/// positions whose target is `ignoreIndex` left out), and from it
/// `perplexity` = exp(mean) and `bits_per_token` = mean / ln 2, with the
/// per-token `accuracy` (argmax equals the target).
public struct LanguageModelAccumulator {
    public let ignoreIndex: Int
    private var nats = 0.0
    private var tokens = 0
    private var correct = 0

    public init(ignoreIndex: Int = CrossEntropyLoss.Defaults.ignoreIndex) { self.ignoreIndex = ignoreIndex }

    /// Every rank's sums, gathered with `gather`, added into this one (a data-parallel job's shards).
    mutating func merge(_ gather: ([Double]) throws -> [[Double]]) rethrows {
        let parts = try gather([nats, Double(tokens), Double(correct)])
        nats = parts.reduce(0) { $0 + $1[0] }
        tokens = Int(parts.reduce(0) { $0 + $1[1] })
        correct = Int(parts.reduce(0) { $0 + $1[2] })
    }

    public mutating func add(logits: Tensor, targets: Tensor) throws {
        guard logits.rank == 3, targets.shape == Array(logits.shape.dropLast()) else {
            throw TrainError.runtime("language-model metrics: logits \(logits.shape) and targets \(targets.shape) do not pair up")
        }
        let loss = CrossEntropyLoss(ignoreIndex: ignoreIndex, reduction: .none, classesLast: true)
        let perToken = try loss(logits, targets).casted(to: .float64).toArray(Double.self)
        let labels = targets.toArray(Int64.self)
        let predicted = try logits.argmax(dim: -1).toArray(Int64.self)
        for i in labels.indices where labels[i] != Int64(ignoreIndex) {
            nats += perToken[i]
            tokens += 1
            if predicted[i] == labels[i] { correct += 1 }
        }
    }

    /// `perplexity`, `bits_per_token` and `accuracy` over every token seen.
    public var metrics: [String: Double] {
        guard tokens > 0 else { return ["perplexity": .nan, "bits_per_token": .nan, "accuracy": .nan] }
        let mean = nats / Double(tokens)
        return ["perplexity": exp(mean), "bits_per_token": mean / log(2), "accuracy": Double(correct) / Double(tokens)]
    }
}
