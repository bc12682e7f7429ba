import Flint
import FlintNN

/// What training minimises: one loss of the model's output and the targets, or a
/// weighted sum of losses, each over the model outputs it names and the targets
/// (`y`) or the inputs (`x`) of the batch.
///
///     let objective = Objective(CrossEntropyLoss())            // loss(model(x), y)
///     let value = try objective(try objective.outputs(of: model, x), x: x, y: y)
public struct Objective {
    /// A loss of one output, or of two (`CosineEmbeddingLoss`, `MarginRankingLoss`).
    public enum Criterion {
        case single(Loss)
        case pair(PairwiseLoss)

        /// How many model outputs the loss reads.
        public var arity: Int {
            if case .pair = self { return 2 }
            return 1
        }

        /// The `ignore_index` of a cross-entropy or NLL loss: targets equal to it count for nothing.
        public var ignoreIndex: Int? {
            guard case .single(let loss) = self else { return nil }
            return (loss as? CrossEntropyLoss)?.ignoreIndex ?? (loss as? NLLLoss)?.ignoreIndex
        }

        public var typeName: String {
            switch self {
            case .single(let loss): return loss.typeName
            case .pair(let loss): return loss.typeName
            }
        }
    }

    /// What an output is compared with.
    public enum Target: String, Sendable, CaseIterable {
        case y, x
    }

    public struct Term {
        public var criterion: Criterion
        /// Indices into the model's outputs: one, or two for a pairwise loss.
        public var outputs: [Int]
        public var target: Target
        public var weight: Double

        public init(_ criterion: Criterion, outputs: [Int] = [0], target: Target = .y, weight: Double = 1) {
            self.criterion = criterion
            self.outputs = outputs
            self.target = target
            self.weight = weight
        }
    }

    public var terms: [Term]

    public init(terms: [Term]) {
        self.terms = terms
    }

    /// The single loss of a one-output model against `y`.
    public init(_ loss: Loss) {
        self.init(terms: [Term(.single(loss))])
    }

    /// The output that accuracy and the other evaluation metrics read: the first
    /// term's, when it compares one output with `y`; nil otherwise.
    public var metricOutput: Int? {
        guard let first = terms.first, case .single = first.criterion, first.target == .y else { return nil }
        return first.outputs.first
    }

    /// The `ignore_index` of the first term when it is a cross-entropy or NLL loss,
    /// which metrics over its output leave out too.
    public var metricIgnoreIndex: Int? {
        terms.first?.criterion.ignoreIndex
    }

    /// Every output of `model` on `x`: a graph's outputs in order, else its one output.
    public func outputs(of model: Module, _ x: Tensor) throws -> [Tensor] {
        if let graph = model as? Graph { return try graph.forwardOutputs(x) }
        return [try model(x)]
    }

    /// Σ weight · loss over the terms (a single unweighted term is the loss itself).
    public func callAsFunction(_ outputs: [Tensor], x: Tensor, y: Tensor) throws -> Tensor {
        var total: Tensor?
        for term in terms {
            let picked = try term.outputs.map { index -> Tensor in
                guard outputs.indices.contains(index) else {
                    throw TensorError.invalidArgument(op: term.criterion.typeName,
                                                      message: "reads output \(index) of a model with \(outputs.count)")
                }
                return outputs[index]
            }
            let target = term.target == .x ? x : y
            var value: Tensor
            switch term.criterion {
            case .single(let loss): value = try loss(picked[0], target)
            case .pair(let loss):
                guard picked.count == 2 else {
                    throw TensorError.invalidArgument(op: loss.typeName, message: "reads two outputs, got \(picked.count)")
                }
                value = try loss(picked[0], picked[1], target)
            }
            if term.weight != 1 { value = value * term.weight }
            total = try total.map { try $0 + value } ?? value
        }
        guard let total else { throw TensorError.invalidArgument(op: "objective", message: "there are no loss terms") }
        return total
    }
}
