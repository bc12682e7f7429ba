/// The metrics a run reports (`train.metrics`), named after their torchmetrics
/// classes and defined as torchmetrics and scikit-learn define them.
extension SpecSchema {
    // Defaults come from `MetricSpec`'s initialiser, where they are written once.
    static let average = FieldSchema(
        "average", .choice(MetricSpec.Average.allCases.map(\.rawValue)), .defaulted(.string(MetricSpec(.f1).average.rawValue)),
        doc: "`macro`: the unweighted mean over the classes that occur among targets or predictions; "
            + "`micro`: from the summed counts (the accuracy, for single-label classes); `weighted`: the mean weighted "
            + "by each class's support. Binary classifiers report the positive class.")

    public static let metrics = TypeCategory(
        name: "metric", plural: "metrics",
        doc: "A metric computed on every split (`train/NAME`, `val/NAME`, `test/NAME`) and by `flint eval`; "
            + "a bare name stands for the metric with its defaults (`metrics: [accuracy, f1]`). Classification "
            + "metrics read scores `[B, C]` with class-index targets, or one logit (or probability) per sample with "
            + "0/1 targets (binary); regression metrics read float targets. Any of them may be monitored "
            + "(`val/f1`, `val/top_5_accuracy`).",
        types: [
            TypeSchema("accuracy", pytorch: "torchmetrics.Accuracy", doc: "Share of samples whose top class is the target."),
            TypeSchema("top_k_accuracy", pytorch: "torchmetrics.Accuracy(top_k=k)",
                       doc: "Share of samples whose target is among the k highest scores (sklearn's "
                           + "`top_k_accuracy_score`); logged as `top_<k>_accuracy`.", fields: [
                FieldSchema("k", .int, .defaulted(.int(MetricSpec(.topKAccuracy).k)), range: .positive,
                            doc: "How many top classes count."),
            ]),
            TypeSchema("precision", pytorch: "torchmetrics.Precision",
                       doc: "TP / (TP + FP) per class, averaged; logged as `precision`, `micro_precision` or "
                           + "`weighted_precision`.", fields: [average]),
            TypeSchema("recall", pytorch: "torchmetrics.Recall",
                       doc: "TP / (TP + FN) per class, averaged; logged as `recall`, `micro_recall` or `weighted_recall`.",
                       fields: [average]),
            TypeSchema("f1", pytorch: "torchmetrics.F1Score",
                       doc: "2·TP / (2·TP + FP + FN) per class, averaged; logged as `f1`, `micro_f1` or `weighted_f1`.",
                       fields: [average]),
            TypeSchema("auroc", pytorch: "torchmetrics.AUROC",
                       doc: "Area under the ROC curve: of the positive class for binary classifiers, else one-vs-rest "
                           + "on softmax probabilities, averaged (sklearn's `roc_auc_score(multi_class='ovr')`).",
                       fields: [
                FieldSchema("average", .choice([MetricSpec.Average.macro, .weighted].map(\.rawValue)),
                            .defaulted(.string(MetricSpec(.auroc).average.rawValue)),
                            doc: "How the one-vs-rest areas are averaged; logged as `auroc` or `weighted_auroc`."),
            ]),
            TypeSchema("confusion", pytorch: "torchmetrics.ConfusionMatrix",
                       doc: "The confusion matrix (rows: true class, columns: predicted), written to "
                           + "`confusion.jsonl` in the run directory at every evaluation; not a scalar, so not monitorable."),
            TypeSchema("perplexity", pytorch: "torchmetrics.text.Perplexity",
                       doc: "A language model's exp of the mean per-token cross-entropy, over logits `[B, L, vocab]` and "
                           + "next-token targets `[B, L]`; positions whose target is the loss's `ignore_index` are left out."),
            TypeSchema("bits_per_token", pytorch: "log2(torchmetrics.text.Perplexity)",
                       doc: "A language model's mean per-token cross-entropy in bits (nats / ln 2): bits per character "
                           + "for a character-level model."),
            TypeSchema("mse", pytorch: "torchmetrics.MeanSquaredError", doc: "Mean squared error over every value."),
            TypeSchema("mae", pytorch: "torchmetrics.MeanAbsoluteError", doc: "Mean absolute error over every value."),
            TypeSchema("r2", pytorch: "torchmetrics.R2Score",
                       doc: "Coefficient of determination per output column, averaged (sklearn's `r2_score`)."),
        ],
        acceptsBareNames: true)
}

/// One metric of `train.metrics`, as the trainer computes and logs it.
public struct MetricSpec: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case accuracy, topKAccuracy = "top_k_accuracy", precision, recall, f1, auroc, confusion, mse, mae, r2
        case perplexity, bitsPerToken = "bits_per_token"
    }

    public enum Average: String, Sendable, CaseIterable {
        case macro, micro, weighted
    }

    public var kind: Kind
    /// k of `top_k_accuracy`.
    public var k: Int
    public var average: Average

    public init(_ kind: Kind, k: Int = 5, average: Average = .macro) {
        self.kind = kind
        self.k = k
        self.average = average
    }

    /// The metric of a validated entry: the fields its type has, over the initialiser's defaults.
    init?(_ entry: SpecEntry) {
        guard let kind = Kind(rawValue: entry.type) else { return nil }
        self.init(kind)
        if let k = entry.int("k") { self.k = k }
        if let average = entry.string("average").flatMap(Average.init) { self.average = average }
    }

    /// The name it is logged under (after `train/`, `val/`, `test/`): `f1`, `weighted_f1`, `top_5_accuracy`.
    public var name: String {
        switch kind {
        case .topKAccuracy: return "top_\(k)_accuracy"
        case .precision, .recall, .f1, .auroc: return average == .macro ? kind.rawValue : "\(average.rawValue)_\(kind.rawValue)"
        default: return kind.rawValue
        }
    }

    /// Whether it is a number that can be monitored (the confusion matrix is not).
    public var isScalar: Bool { kind != .confusion }

    /// Whether it reads class scores (else regression outputs).
    public var isClassification: Bool { ![Kind.mse, .mae, .r2].contains(kind) }

    /// Whether a language model's logits `[B, L, vocab]` give it (per token).
    public var isLanguageModel: Bool { [Kind.accuracy, .perplexity, .bitsPerToken].contains(kind) }

    /// Whether only a language model's logits give it.
    public var isLanguageModelOnly: Bool { kind == .perplexity || kind == .bitsPerToken }

    /// The scalar metrics of a spec's `train.metrics` entries, by logged name.
    public static func names(of entries: [SpecEntry]) -> [String] {
        entries.compactMap(MetricSpec.init).filter(\.isScalar).map(\.name)
    }
}
