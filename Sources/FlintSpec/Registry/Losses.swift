import Flint
import FlintNN

/// How a loss type builds: a loss of one model output, or of two (PyTorch's `(input1, input2, target)`).
public enum LossBuild {
    case single((SpecEntry) throws -> Loss)
    case pair((SpecEntry) throws -> PairwiseLoss)
}

public typealias LossType = Registration<LossBuild>

extension Registration where Build == LossBuild {
    /// Whether the loss reads two model outputs.
    public var isPairwise: Bool {
        if case .pair = build { return true }
        return false
    }
}

/// Every loss of the spec, named after its `torch.nn` class.
public enum LossTypes {
    public static let all: [LossType] = [
        LossType(TypeSchema("cross_entropy_loss", pytorch: "torch.nn.CrossEntropyLoss",
                            doc: "Log-softmax and negative log-likelihood over raw class scores `[N, C]` and labels `[N]` "
                                + "(or class probabilities `[N, C]`). Over a sequence output `[N, L, C]` and labels `[N, L]` "
                                + "(a language model's) it applies per position, classes last as the spec's layers make them; "
                                + "PyTorch's `CrossEntropyLoss` wants `[N, C, L]` there (`logits.transpose(1, 2)`).",
                            fields: [
            classWeight, ignoreIndex, reduction,
            FieldSchema("label_smoothing", .float, .defaulted(.double(CrossEntropyLoss.Defaults.labelSmoothing)), range: .unitClosed,
                        doc: "Mass moved from the target class to a uniform distribution."),
        ]), build: .single { e in
            CrossEntropyLoss(weight: try tensor(e, "weight"), ignoreIndex: try e.intValue("ignore_index"),
                             reduction: try e.choiceValue("reduction", as: Reduction.self),
                             labelSmoothing: try e.doubleValue("label_smoothing"), classesLast: true)
        }),
        LossType(TypeSchema("nll_loss", pytorch: "torch.nn.NLLLoss",
                            doc: "Negative log-likelihood over log-probabilities `[N, C]` and labels `[N]`.",
                            fields: [classWeight, ignoreIndex, reduction]), build: .single { e in
            NLLLoss(weight: try tensor(e, "weight"), ignoreIndex: try e.intValue("ignore_index"),
                    reduction: try e.choiceValue("reduction", as: Reduction.self))
        }),
        LossType(TypeSchema("bce_loss", pytorch: "torch.nn.BCELoss",
                            doc: "Binary cross-entropy over probabilities in [0, 1] and targets of the same shape.", fields: [
            FieldSchema("weight", .floats(count: nil), .optional, range: .nonNegative,
                        doc: "Weights broadcast over the last dimension; 1 when omitted."),
            reduction,
        ]), build: .single { e in
            BCELoss(weight: try tensor(e, "weight"), reduction: try e.choiceValue("reduction", as: Reduction.self))
        }),
        LossType(TypeSchema("bce_with_logits_loss", pytorch: "torch.nn.BCEWithLogitsLoss",
                            doc: "Sigmoid and binary cross-entropy in one numerically stable step.", fields: [
            FieldSchema("weight", .floats(count: nil), .optional, range: .nonNegative,
                        doc: "Weights broadcast over the last dimension; 1 when omitted."),
            reduction,
            FieldSchema("pos_weight", .floats(count: nil), .optional, range: .nonNegative,
                        doc: "Weight of the positive term, one per class (last dimension)."),
        ]), build: .single { e in
            BCEWithLogitsLoss(weight: try tensor(e, "weight"), reduction: try e.choiceValue("reduction", as: Reduction.self),
                              posWeight: try tensor(e, "pos_weight"))
        }),
        LossType(TypeSchema("kl_div_loss", pytorch: "torch.nn.KLDivLoss",
                            doc: "Kullback-Leibler divergence of log-probabilities from target probabilities.", fields: [
            FieldSchema("reduction", .choice(["mean", "batchmean", "sum", "none"]), .defaulted(.string("mean")),
                        doc: "How per-element losses are combined."),
            FieldSchema("log_target", .bool, .defaulted(.bool(KLDivLoss.Defaults.logTarget)), doc: "The targets are log-probabilities."),
        ]), build: .single { e in
            KLDivLoss(reduction: try e.choiceValue("reduction", as: KLDivLoss.Reduction.self),
                      logTarget: try e.boolValue("log_target"))
        }),
        LossType(TypeSchema("mse_loss", pytorch: "torch.nn.MSELoss", doc: "Mean squared error.", fields: [reduction]),
                 build: .single { e in MSELoss(reduction: try e.choiceValue("reduction", as: Reduction.self)) }),
        LossType(TypeSchema("l1_loss", pytorch: "torch.nn.L1Loss", doc: "Mean absolute error.", fields: [reduction]),
                 build: .single { e in L1Loss(reduction: try e.choiceValue("reduction", as: Reduction.self)) }),
        LossType(TypeSchema("smooth_l1_loss", pytorch: "torch.nn.SmoothL1Loss",
                            doc: "Squared error below beta, absolute error above, joined smoothly.", fields: [
            reduction,
            FieldSchema("beta", .float, .defaulted(.double(SmoothL1Loss.Defaults.beta)), range: .nonNegative,
                        doc: "Where the loss turns from squared to absolute."),
        ]), build: .single { e in
            SmoothL1Loss(reduction: try e.choiceValue("reduction", as: Reduction.self), beta: try e.doubleValue("beta"))
        }),
        LossType(TypeSchema("huber_loss", pytorch: "torch.nn.HuberLoss",
                            doc: "Squared error below delta, delta-scaled absolute error above.", fields: [
            reduction,
            FieldSchema("delta", .float, .defaulted(.double(HuberLoss.Defaults.delta)), range: .positive,
                        doc: "Where the loss turns from squared to absolute."),
        ]), build: .single { e in
            HuberLoss(reduction: try e.choiceValue("reduction", as: Reduction.self), delta: try e.doubleValue("delta"))
        }),
        LossType(TypeSchema("cosine_embedding_loss", pytorch: "torch.nn.CosineEmbeddingLoss",
                            doc: "Over two outputs `[N, D]` and targets ±1 `[N]`: 1 − cos(x1, x2) for pairs that should be "
                                + "alike (1), max(0, cos(x1, x2) − margin) for pairs that should not (−1).", fields: [
            FieldSchema("margin", .float, .defaulted(.double(CosineEmbeddingLoss.Defaults.margin)),
                        range: ValueRange(lower: -1, lowerInclusive: true, upper: 1, upperInclusive: true),
                        doc: "Cosine similarity below which unlike pairs cost nothing."),
            reduction,
        ]), build: .pair { e in
            CosineEmbeddingLoss(margin: try e.doubleValue("margin"), reduction: try e.choiceValue("reduction", as: Reduction.self))
        }),
        LossType(TypeSchema("margin_ranking_loss", pytorch: "torch.nn.MarginRankingLoss",
                            doc: "Over two outputs `[N]` and targets ±1 `[N]`: max(0, −y·(x1 − x2) + margin), for x1 ranked "
                                + "above x2 (1) or below it (−1).", fields: [
            FieldSchema("margin", .float, .defaulted(.double(MarginRankingLoss.Defaults.margin)), doc: "Least difference a correct ranking needs."),
            reduction,
        ]), build: .pair { e in
            MarginRankingLoss(margin: try e.doubleValue("margin"), reduction: try e.choiceValue("reduction", as: Reduction.self))
        }),
    ]

    public static let byName: [String: LossType] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    private static let reduction = FieldSchema(
        "reduction", .choice(["mean", "sum", "none"]), .defaulted(.string("mean")),
        doc: "How per-sample losses are combined.")

    private static let classWeight = FieldSchema(
        "weight", .floats(count: nil), .optional, range: .nonNegative,
        doc: "A weight per class; all classes weigh 1 when omitted.")

    private static let ignoreIndex = FieldSchema(
        "ignore_index", .int, .defaulted(.int(CrossEntropyLoss.Defaults.ignoreIndex)), doc: "Target value that contributes nothing to the loss.")

    /// A list field as a float32 tensor, nil when absent (PyTorch's `None`).
    private static func tensor(_ e: SpecEntry, _ field: String) throws -> Tensor? {
        try e.doubles(field).map { try Tensor($0.map { Float($0) }) }
    }
}
