import Flint

/// Losses over class scores and probabilities: `CrossEntropyLoss`, `NLLLoss`,
/// `BCELoss`, `BCEWithLogitsLoss`, `KLDivLoss`.

/// The class dimension of a loss input: 0 for unbatched `[C]`, else 1 (`[N, C, d1, ...]`).
private func classDim(_ input: Tensor) -> Int { input.rank == 1 ? 0 : 1 }

/// `[1, C, 1, ...]`: a per-class tensor shaped to broadcast against `input`.
private func perClass(_ weight: Tensor, _ input: Tensor, _ loss: String) throws -> Tensor {
    let c = input.shape[classDim(input)]
    guard weight.shape == [c] else {
        throw TensorError.shapeMismatch(op: loss, shapes: [weight.shape, [c]], detail: "weight must have one entry per class")
    }
    var shape = [Int](repeating: 1, count: input.rank)
    shape[classDim(input)] = c
    return try weight.reshape(shape)
}

/// `torch.nn.CrossEntropyLoss`: log-softmax over the class dimension then
/// negative log-likelihood.
///
/// - Input: `[N, C]`, `[N, C, d1, ...]` or unbatched `[C]`; with `classesLast`,
///   `[N, d1, ..., C]` (a sequence model's `[N, L, C]`, which PyTorch wants as `[N, C, L]`).
/// - Target: class indices (int) of shape `[N]` / `[N, d1, ...]` / `[]`,
///   fused into one kernel; or class probabilities (float) of the input's shape.
public struct CrossEntropyLoss: Loss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let ignoreIndex = -100
        public static let labelSmoothing = 0.0
    }

    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction
    public var labelSmoothing: Double
    /// Classes in the last dimension of inputs of rank 3 or more, as a spec's
    /// batch-first sequences hold them; PyTorch's layout (dim 1) when false.
    public var classesLast: Bool

    public init(weight: Tensor? = nil, ignoreIndex: Int = Defaults.ignoreIndex, reduction: Reduction = .mean,
                labelSmoothing: Double = Defaults.labelSmoothing,
                classesLast: Bool = false) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
        self.classesLast = classesLast
    }

    public var typeName: String { "cross_entropy_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        if classesLast && input.rank >= 3 { return try classesLastLoss(input, target) }
        guard target.dtype.isFloatingPoint else {
            return try input.crossEntropy(target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
        }
        return try probabilityTargets(input, target)
    }

    /// `[N, d1, ..., C]` with index targets `[N, d1, ...]` is the same loss as `[M, C]`
    /// with `[M]` (a view, no copy); probability targets move their classes to dim 1.
    private func classesLastLoss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        var standard = self
        standard.classesLast = false
        guard !target.dtype.isFloatingPoint else {
            let order = [0, input.rank - 1] + Array(1..<(input.rank - 1))
            return try standard(input.permute(order), target.permute(order))
        }
        guard Array(input.shape.dropLast()) == target.shape, let classes = input.shape.last else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [input.shape, target.shape],
                                            detail: "expected target of shape \(Array(input.shape.dropLast())) for classes last")
        }
        let flat = try standard(input.reshape([-1, classes]), target.reshape([-1]))
        return reduction == .none ? try flat.reshape(target.shape) : flat
    }

    /// −Σ_c w_c·t_c·log softmax(x)_c, with t smoothed towards uniform; the
    /// mean divides by the number of samples (not by the weights), as PyTorch does.
    private func probabilityTargets(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        guard input.shape == target.shape, input.rank >= 1 else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [input.shape, target.shape],
                                            detail: "probability targets must have the input's shape")
        }
        guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
            throw TensorError.invalidArgument(op: typeName, message: "label_smoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
        }
        let dim = classDim(input), classes = input.shape[dim]
        let logp = try input.logSoftmax(dim: dim)
        let t = labelSmoothing > 0 ? try target * (1 - labelSmoothing) + labelSmoothing / Double(classes) : target
        var terms = try logp * t
        if let weight { terms = try terms * perClass(weight, input, typeName) }
        let perSample = try terms.sum(dim: dim).neg()
        switch reduction {
        case .none: return perSample
        case .sum: return try perSample.sum()
        case .mean: return try perSample.sum() / Double(Swift.max(input.count / Swift.max(classes, 1), 1))
        }
    }
}

/// `torch.nn.NLLLoss`: −w[y]·x[y] for log-probabilities x and class indices y;
/// the mean divides by the summed weights of the targets not ignored.
///
/// - Input: `[N, C]`, `[N, C, d1, ...]` or `[C]`; target `[N]`, `[N, d1, ...]` or `[]`.
public struct NLLLoss: Loss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let ignoreIndex = CrossEntropyLoss.Defaults.ignoreIndex
    }

    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction

    public init(weight: Tensor? = nil, ignoreIndex: Int = Defaults.ignoreIndex, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
    }

    public var typeName: String { "nll_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        guard input.rank >= 1 else { throw TensorError.invalidArgument(op: typeName, message: "input must have at least 1 dimension") }
        let dim = classDim(input), classes = input.shape[dim]
        var expected = input.shape
        expected.remove(at: dim)
        guard target.shape == expected else {
            throw TensorError.shapeMismatch(op: typeName, shapes: [input.shape, target.shape], detail: "expected target of shape \(expected)")
        }
        guard !target.dtype.isFloatingPoint && target.dtype != .bool else {
            throw TensorError.badDType(op: typeName, dtype: target.dtype, detail: "targets must be class indices (integers)")
        }
        let labels = target.toArray(Int64.self).map(Int.init)
        for l in labels where l != ignoreIndex && (l < 0 || l >= classes) {
            throw TensorError.indexOutOfRange(op: typeName, index: l, size: classes)
        }
        let kept = labels.map { $0 == ignoreIndex ? 0.0 : 1.0 }
        let safe = try Tensor(labels.map { Int64($0 == ignoreIndex ? 0 : $0) }, shape: target.shape)
        let picked = try input.gather(dim, safe.unsqueeze(dim)).squeeze(dim)
        let keep = try Tensor(kept, shape: target.shape).casted(to: input.dtype)
        var w = keep
        if let weight {
            guard weight.shape == [classes] else {
                throw TensorError.shapeMismatch(op: typeName, shapes: [weight.shape, [classes]], detail: "weight must have one entry per class")
            }
            w = try weight.detach().casted(to: input.dtype).indexSelect(0, safe.reshape([-1])).reshape(target.shape) * keep
        }
        let losses = try (picked * w).neg()
        switch reduction {
        case .none: return losses
        case .sum: return try losses.sum()
        case .mean: return try losses.sum() / w.sum()
        }
    }
}

/// `torch.nn.BCELoss`: −w·(y·log x + (1 − y)·log(1 − x)) for probabilities x,
/// with each log clamped at −100 as PyTorch does.
public struct BCELoss: Loss {
    public var weight: Tensor?
    public var reduction: Reduction

    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }

    public var typeName: String { "bce_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        let outside = try noGrad { try input.detach().lt(0).logicalOr(input.detach().gt(1)).any().item() }
        guard outside == 0 else {
            throw TensorError.invalidArgument(op: typeName, message: "all elements of input should be between 0 and 1 (shape \(input.shape))")
        }
        let logX = try input.log().clampMin(-100), log1mX = try (1 - input).log().clampMin(-100)
        var loss = try (target * logX + (1 - target) * log1mX).neg()
        if let weight { loss = try loss * weight }
        return try loss.reduced(reduction)
    }
}

/// `torch.nn.BCEWithLogitsLoss`: sigmoid and binary cross-entropy in one
/// stable form, (1 − y)·x − (1 + (p − 1)·y)·log σ(x), with `pos_weight` p
/// weighting the positive term (broadcast over the last dimension).
public struct BCEWithLogitsLoss: Loss {
    public var weight: Tensor?
    public var reduction: Reduction
    public var posWeight: Tensor?

    public init(weight: Tensor? = nil, reduction: Reduction = .mean, posWeight: Tensor? = nil) {
        self.weight = weight
        self.reduction = reduction
        self.posWeight = posWeight
    }

    public var typeName: String { "bce_with_logits_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        var logSigmoid = try input.logsigmoid()
        if let posWeight {
            guard broadcastShapes(posWeight.shape, input.shape) == input.shape else {
                throw TensorError.shapeMismatch(op: typeName, shapes: [posWeight.shape, input.shape], detail: "pos_weight must broadcast to the input")
            }
            logSigmoid = try logSigmoid * ((posWeight - 1) * target + 1)
        }
        var loss = try (1 - target) * input - logSigmoid
        if let weight { loss = try loss * weight }
        return try loss.reduced(reduction)
    }
}

/// `torch.nn.KLDivLoss`: KL(target ‖ input) pointwise, for log-probabilities
/// `input` and probabilities (or, with `logTarget`, log-probabilities) `target`:
/// t·(log t − x), or eᵗ·(t − x).
public struct KLDivLoss: Loss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let logTarget = false
    }

    /// PyTorch's reductions for this loss: `batchmean` divides the sum by the
    /// batch size, which is the mathematical KL divergence.
    public enum Reduction: String, Sendable, CaseIterable { case none, mean, sum, batchmean }

    public var reduction: Reduction
    public var logTarget: Bool

    public init(reduction: Reduction = .mean, logTarget: Bool = Defaults.logTarget) {
        self.reduction = reduction
        self.logTarget = logTarget
    }

    public var typeName: String { "kl_div_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        let pointwise = logTarget ? try target.exp() * (target - input) : try target.xlogy(target) - target * input
        switch reduction {
        case .none: return pointwise
        case .mean: return try pointwise.mean()
        case .sum: return try pointwise.sum()
        case .batchmean: return try pointwise.sum() / Double(input.rank > 0 ? Swift.max(input.shape[0], 1) : 1)
        }
    }
}
