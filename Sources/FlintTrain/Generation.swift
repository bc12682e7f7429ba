import Foundation
import Flint
import FlintData
import FlintNN

/// How `flint generate` samples: nanoGPT's `generate` with nucleus sampling.
public struct SamplingOptions: Sendable {
    /// Tokens to generate after the prompt.
    public var tokens: Int
    /// Logits are divided by it; 0 picks the most likely token every time.
    public var temperature: Double
    /// Sample only among the k most likely tokens.
    public var topK: Int?
    /// Sample only among the most likely tokens whose probabilities add up to p.
    public var topP: Double?
    public var seed: UInt64

    public init(tokens: Int = 200, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil, seed: UInt64 = 0) {
        self.tokens = tokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    func check() throws {
        guard tokens >= 0 else { throw TrainError.badInput("--tokens must be 0 or more, got \(tokens)") }
        guard temperature >= 0, temperature.isFinite else {
            throw TrainError.badInput("--temperature must be 0 (greedy) or positive, got \(temperature)")
        }
        if let k = topK, k < 1 { throw TrainError.badInput("--top-k must be at least 1, got \(k)") }
        if let p = topP, !(p > 0 && p <= 1) { throw TrainError.badInput("--top-p must be in (0, 1], got \(p)") }
    }
}

/// A prompt and what a language model wrote after it.
public struct GeneratedText: Sendable {
    public var prompt: String
    /// The continuation alone.
    public var text: String
    /// Ids of the prompt (unknown characters are `<unk>`, 0) and of the continuation.
    public var promptIDs: [Int]
    public var ids: [Int]
    /// The model's log-probability (natural log, temperature 1, before top-k/top-p)
    /// of each generated token given everything before it.
    public var logProbs: [Double]

    /// `{"prompt", "text", "tokens": [{"id", "text", "log_prob"}]}`.
    public func json(vocabulary: TextVocabulary) -> JSON {
        .object([
            ("prompt", .string(prompt)), ("text", .string(text)),
            ("tokens", .array(zip(ids, logProbs).map { id, logProb in
                .object([("id", .int(id)), ("text", .string(vocabulary.decode([id]))), ("log_prob", .number(logProb))])
            })),
        ])
    }
}

/// Samples text from a language model restored from a checkpoint alone: the
/// model from its config and weights, the vocabulary from `/data/vocab`.
/// The model reads ids `[1, L]` and returns logits `[1, L, V]`; the context
/// is the last `model.input[0]` tokens (the block size). Only the vocabulary's
/// ids are sampled when V is larger (`num_embeddings` rounded up).
public struct TextGenerator {
    public let model: RestoredModel
    public let vocabulary: TextVocabulary
    public let blockSize: Int

    public init(checkpoint: String) throws {
        model = try RestoredModel.load(checkpoint: checkpoint)
        guard let vocabulary = try Checkpoint.readVocabulary(from: model.path) else {
            throw TrainError.badInput("\(model.path): the checkpoint holds no vocabulary (/data/vocab); generate needs a model "
                                      + "trained on text imported with flint import text")
        }
        guard model.inputShape.count == 1, let blockSize = model.inputShape.first,
              model.outputShape.count == 2, let classes = model.outputShape.last, classes >= vocabulary.count else {
            throw TrainError.badInput("\(model.path): generate needs a language model reading [L] token ids and returning "
                                      + "[L, V] logits with V ≥ \(vocabulary.count) (the vocabulary); this one reads "
                                      + "\(model.inputShape) and returns \(model.outputShape)")
        }
        self.vocabulary = vocabulary
        self.blockSize = blockSize
    }

    /// Generates `options.tokens` tokens after `prompt`, calling `onText` with
    /// each new piece of text as soon as it is complete (for streaming).
    public func generate(prompt: String, options: SamplingOptions, onText: (String) -> Void = { _ in }) throws -> GeneratedText {
        try options.check()
        let promptIDs = vocabulary.encode(prompt)
        guard !promptIDs.isEmpty else { throw TrainError.badInput("--prompt must hold at least one token") }
        let generator = Generator(seed: options.seed)
        var context = promptIDs, ids: [Int] = [], logProbs: [Double] = []
        var shown = ""
        try noGrad {
            for _ in 0..<options.tokens {
                let window = Array(context.suffix(blockSize))
                let x = try Tensor(window.map(Int64.init), shape: [1, window.count])
                guard let logits = try model(x).first, logits.rank == 3, logits.shape[1] == window.count else {
                    throw TrainError.runtime("the model did not return logits [1, \(window.count), V]")
                }
                let last = try logits.select(1, window.count - 1).narrow(1, start: 0, length: vocabulary.count)
                    .reshape([vocabulary.count]).casted(to: .float64).toArray(Double.self)
                let id = Self.sample(last, options, generator)
                logProbs.append(Self.logSoftmax(last)[id])
                ids.append(id)
                context.append(id)
                // A byte-level piece may end inside a UTF-8 sequence: wait for the rest.
                let text = vocabulary.decode(ids)
                if text.hasPrefix(shown), !text.hasSuffix("\u{FFFD}") || vocabulary.level != .byte {
                    onText(String(text.dropFirst(shown.count)))
                    shown = text
                }
            }
        }
        let text = vocabulary.decode(ids)
        if text.count > shown.count, text.hasPrefix(shown) { onText(String(text.dropFirst(shown.count))) }
        return GeneratedText(prompt: prompt, text: text, promptIDs: promptIDs, ids: ids, logProbs: logProbs)
    }

    static func logSoftmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let total = log(logits.reduce(0) { $0 + exp($1 - top) }) + top
        return logits.map { $0 - total }
    }

    /// One id drawn from softmax(logits / T), restricted to the top k and then to
    /// the smallest set of most likely tokens whose mass reaches p (ties by id).
    static func sample(_ logits: [Double], _ options: SamplingOptions, _ generator: Generator) -> Int {
        let ranked = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        guard options.temperature > 0, let best = ranked.first else { return ranked.first ?? 0 }
        var kept = Array(ranked.prefix(options.topK ?? ranked.count))
        let scaled = kept.map { (logits[$0] - logits[best]) / options.temperature }
        var weights = scaled.map(exp)
        if let p = options.topP {
            let total = weights.reduce(0, +)
            var mass = 0.0, count = 0
            while count < weights.count && (count == 0 || mass < p * total) {
                mass += weights[count]
                count += 1
            }
            kept = Array(kept.prefix(count))
            weights = Array(weights.prefix(count))
        }
        var draw = generator.nextDouble() * weights.reduce(0, +)
        for (id, weight) in zip(kept, weights) {
            draw -= weight
            if draw < 0 { return id }
        }
        return kept.last ?? best
    }
}
