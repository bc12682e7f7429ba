/// Loss functions of `torch.nn.functional` (besides the fused
/// `cross_entropy`), as composites. `self` is the input (prediction).

extension Tensor {
    /// Applies `reduction` to elementwise losses.
    func reduced(_ reduction: Reduction) throws -> Tensor {
        switch reduction {
        case .none: return self
        case .sum: return try sum()
        case .mean: return try mean()
        }
    }

    private func sameShape(_ target: Tensor, op: String) throws {
        guard shape == target.shape else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, target.shape], detail: "input and target must have the same shape")
        }
    }

    /// `F.nll_loss(input, target, weight, ignore_index, reduction)`: input
    /// `[N, C, *]` of log-probabilities, target `[N, *]` of class indices.
    public func nllLoss(_ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) throws -> Tensor {
        let op = "nll_loss"
        guard rank >= 1 else { throw TensorError.invalidArgument(op: op, message: "input must have at least 1 dimension") }
        let classDim = rank == 1 ? 0 : 1
        let expected = rank == 1 ? [] : [shape[0]] + Array(shape.dropFirst(2))
        guard target.shape == expected else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, target.shape], detail: "expected target of shape \(expected)")
        }
        let c = shape[classDim]
        if let weight, weight.shape != [c] {
            throw TensorError.shapeMismatch(op: op, shapes: [weight.shape, [c]], detail: "weight must have one entry per class")
        }
        let keep = try target.ne(Double(ignoreIndex))
        let safe = try Tensor.whereMask(keep, target, Tensor.zeros([], dtype: target.dtype))
        for v in safe.toArray(Int64.self) where v < 0 || Int(v) >= c { throw TensorError.indexOutOfRange(op: op, index: Int(v), size: c) }
        let picked = try gather(classDim, safe.unsqueeze(classDim)).squeeze(classDim)
        let classWeight = try weight.map { try $0.indexSelect(0, safe.reshape([-1])).reshape(safe.shape) } ?? Tensor.ones(safe.shape, dtype: dtype)
        let w = try classWeight * keep.casted(to: dtype)
        let losses = try (picked * w).neg()
        switch reduction {
        case .none: return losses
        case .sum: return try losses.sum()
        case .mean: return try losses.sum() / w.sum()
        }
    }

    /// `F.mse_loss(input, target, reduction)`.
    public func mseLoss(_ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try sameShape(target, op: "mse_loss")
        let d = try self - target
        return try (d * d).reduced(reduction)
    }

    /// `F.l1_loss(input, target, reduction)`.
    public func l1Loss(_ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try sameShape(target, op: "l1_loss")
        return try (self - target).abs().reduced(reduction)
    }

    /// `F.smooth_l1_loss(input, target, reduction, beta)`: quadratic below `beta`, linear above.
    public func smoothL1Loss(_ target: Tensor, reduction: Reduction = .mean, beta: Double = 1) throws -> Tensor {
        try sameShape(target, op: "smooth_l1_loss")
        let d = try (self - target).abs()
        if beta == 0 { return try d.reduced(reduction) }
        return try Tensor.whereMask(d.lt(beta), d * d * (0.5 / beta), d - 0.5 * beta).reduced(reduction)
    }

    /// `F.huber_loss(input, target, reduction, delta)`.
    public func huberLoss(_ target: Tensor, reduction: Reduction = .mean, delta: Double = 1) throws -> Tensor {
        try sameShape(target, op: "huber_loss")
        let d = try (self - target).abs()
        return try Tensor.whereMask(d.lt(delta), d * d * 0.5, (d - 0.5 * delta) * delta).reduced(reduction)
    }

    /// `F.binary_cross_entropy(input, target, weight, reduction)`: input holds
    /// probabilities; each log is clamped at −100, as in PyTorch.
    public func binaryCrossEntropy(_ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) throws -> Tensor {
        try sameShape(target, op: "binary_cross_entropy")
        let logP = try log().clampMin(-100), logQ = try neg().log1p().clampMin(-100)
        var l = try (target * logP + (1 - target) * logQ).neg()
        if let weight { l = try l * weight }
        return try l.reduced(reduction)
    }

    /// `F.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)`, computed stably.
    public func binaryCrossEntropyWithLogits(_ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                                             posWeight: Tensor? = nil) throws -> Tensor {
        try sameShape(target, op: "binary_cross_entropy_with_logits")
        // log(1 + e^(−x)) = log1p(e^(−|x|)) + max(−x, 0)
        let softplusNeg = try abs().neg().exp().log1p() + neg().clampMin(0)
        let logWeight = try posWeight.map { try ($0 - 1) * target + 1 } ?? Tensor.ones([], dtype: dtype)
        var l = try (1 - target) * self + logWeight * softplusNeg
        if let weight { l = try l * weight }
        return try l.reduced(reduction)
    }

    /// `F.kl_div(input, target, reduction, log_target)`: input holds log-probabilities;
    /// `reduction` is `"none"`, `"sum"`, `"mean"` or `"batchmean"`.
    public func klDiv(_ target: Tensor, reduction: String = "mean", logTarget: Bool = false) throws -> Tensor {
        let l = logTarget ? try target.exp() * (target - self) : try target.xlogy(target) - target * self
        switch reduction {
        case "none": return l
        case "sum": return try l.sum()
        case "mean": return try l.mean()
        case "batchmean": return try l.sum() / Double(rank == 0 ? 1 : shape[0])
        default: throw TensorError.invalidArgument(op: "kl_div", message: "reduction '\(reduction)' is not one of none, sum, mean, batchmean")
        }
    }

    /// `F.soft_margin_loss(input, target, reduction)`: `log(1 + e^(−y·x))`.
    public func softMarginLoss(_ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try sameShape(target, op: "soft_margin_loss")
        return try (target * self).neg().exp().log1p().reduced(reduction)
    }

    /// `F.margin_ranking_loss(input1, input2, target, margin, reduction)`: `max(0, −y·(x1 − x2) + margin)`.
    public func marginRankingLoss(_ other: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean) throws -> Tensor {
        try ((target * (self - other)).neg() + margin).clampMin(0).reduced(reduction)
    }

    /// `F.hinge_embedding_loss(input, target, margin, reduction)`: `x` where y = 1, `max(0, margin − x)` where y = −1.
    public func hingeEmbeddingLoss(_ target: Tensor, margin: Double = 1, reduction: Reduction = .mean) throws -> Tensor {
        let zero = Tensor.scalar(0, dtype: dtype)
        let marginPart = try Tensor.whereMask(target.ne(1), (margin - self).clampMin(0), zero)
        let selfPart = try Tensor.whereMask(target.ne(-1), self, zero)
        return try (marginPart + selfPart).reduced(reduction)
    }

    /// `F.cosine_embedding_loss(x1, x2, y, margin, reduction)`: `1 − cos` where y = 1, `max(0, cos − margin)` where y = −1.
    public func cosineEmbeddingLoss(_ other: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean) throws -> Tensor {
        // PyTorch's formula: cos = Σx1x2 / √((Σx1² + ε)(Σx2² + ε)) with ε = 1e-12.
        let dim = rank - 1
        let prod = try (self * other).sum(dim: dim)
        let m1 = try (self * self).sum(dim: dim) + 1e-12, m2 = try (other * other).sum(dim: dim) + 1e-12
        let cos = try prod / (m1 * m2).sqrt()
        let zero = Tensor.scalar(0, dtype: dtype)
        let pos = try Tensor.whereMask(target.eq(1), 1 - cos, zero)
        let negative = try Tensor.whereMask(target.eq(-1), (cos - margin).clampMin(0), zero)
        return try (pos + negative).reduced(reduction)
    }
}
