/// Functions of `torch.nn.functional` that the core computes itself:
/// softmax, log-softmax and the fused cross-entropy.

/// How a loss reduces over the batch (`reduction=` in PyTorch).
public enum Reduction: String, Sendable, CaseIterable {
    case none, mean, sum
}

extension Tensor {
    private func softmaxImpl(dim: Int, log: Bool) throws -> Tensor {
        let op = log ? "log_softmax" : "softmax"
        let d = try normalizeDim(dim, rank: rank, op: op, shape: shape)
        let src = dtype.isFloatingPoint ? self : casted(to: .float32)
        let x = src.contiguous()
        let out = Tensor(empty: shape, dtype: src.dtype)
        let rs = rank == 0 ? ReduceShape([1], dim: 0) : ReduceShape(shape, dim: d)
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            if src.dtype == .float64 {
                softmaxKernel(x.pointer(Double.self), out.pointer(Double.self), rs, log: log)
            } else {
                softmaxKernel(x.pointer(Float.self), out.pointer(Float.self), rs, log: log)
            }
        }
        return Autograd.record(out, log ? .logSoftmax(dim: d, out: out) : .softmax(dim: d, out: out), inputs: [self])
    }

    /// `softmax(dim)`.
    public func softmax(dim: Int) throws -> Tensor { try softmaxImpl(dim: dim, log: false) }

    /// `log_softmax(dim)`, computed stably in one pass.
    public func logSoftmax(dim: Int) throws -> Tensor { try softmaxImpl(dim: dim, log: true) }

    /// `F.cross_entropy(self, target, ...)` with class-index targets: log-softmax
    /// and negative log-likelihood fused into one kernel and one backward rule.
    ///
    /// - Parameters:
    ///   - target: int64 class indices, `[N]` for input `[N, C]` (or `[N, d1, ...]` for `[N, C, d1, ...]`).
    ///   - weight: optional per-class weights `[C]`.
    public func crossEntropy(_ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                             reduction: Reduction = .mean, labelSmoothing: Double = 0) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument(op: "cross_entropy", message: "input must have at least 1 dimension") }
        guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
            throw TensorError.invalidArgument(op: "cross_entropy", message: "label_smoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
        }
        // Bring the class dim last and flatten the rest: [M, C].
        let logits: Tensor, flatTarget: Tensor, outShape: [Int]
        if rank == 1 {
            guard target.rank == 0 else { throw TensorError.shapeMismatch(op: "cross_entropy", shapes: [shape, target.shape]) }
            logits = try unsqueeze(0); flatTarget = try target.reshape([1]); outShape = []
        } else {
            let expected = [shape[0]] + Array(shape.dropFirst(2))
            guard target.shape == expected else {
                throw TensorError.shapeMismatch(op: "cross_entropy", shapes: [shape, target.shape], detail: "expected target of shape \(expected)")
            }
            if rank == 2 {
                logits = self
            } else {
                logits = try permute([0] + Array(2..<rank) + [1]).reshape([-1, shape[1]])
            }
            flatTarget = try target.reshape([-1]); outShape = expected
        }
        let classes = logits.shape[1]
        if let weight, weight.shape != [classes] {
            throw TensorError.shapeMismatch(op: "cross_entropy", shapes: [weight.shape, [classes]], detail: "weight must have one entry per class")
        }
        guard target.dtype == .int64 || target.dtype == .int32 || target.dtype == .uint8 else {
            throw TensorError.badDType(op: "cross_entropy", dtype: target.dtype, detail: "class-index targets must be integers")
        }
        let labels = flatTarget.toArray(Int64.self).map(Int.init)
        for l in labels where l != ignoreIndex && (l < 0 || l >= classes) {
            throw TensorError.indexOutOfRange(op: "cross_entropy", index: l, size: classes)
        }
        let dtype: DType = self.dtype == .float64 ? .float64 : .float32
        let logp = try noGrad { try logits.detach().casted(to: dtype).logSoftmax(dim: 1) }
        let w = weight.map { $0.toArray(Double.self) } ?? [Double](repeating: 1, count: classes)
        let rows = labels.count
        let eps = labelSmoothing
        let totalW = w.reduce(0, +)
        var nll = [Double](repeating: 0, count: rows), smooth = [Double](repeating: 0, count: rows)
        var denominator = 0.0
        // log p read in place (a row's every entry only under label smoothing), each entry widened to double.
        func accumulate<T: FloatElement>(_ lp: UnsafeMutablePointer<T>) {
            for i in 0..<rows where labels[i] != ignoreIndex {
                let y = labels[i]
                nll[i] = -w[y] * lp[i * classes + y].flintDouble
                if eps > 0 {
                    var s = 0.0
                    for c in 0..<classes { s -= w[c] * lp[i * classes + c].flintDouble }
                    smooth[i] = s
                }
                denominator += weight == nil ? 1 : w[y]
            }
        }
        withExtendedLifetime(logp) {
            if dtype == .float64 { accumulate(logp.pointer(Double.self)) } else { accumulate(logp.pointer(Float.self)) }
        }
        let perRow = (0..<rows).map { (1 - eps) * nll[$0] + eps / Double(classes) * smooth[$0] }
        let out: Tensor
        let scale: Double
        switch reduction {
        case .none:
            out = try Tensor.zeros([rows], dtype: dtype)
            out.assign(perRow)
            scale = 1
        case .sum:
            out = Tensor.scalar(perRow.reduce(0, +), dtype: dtype)
            scale = 1
        case .mean:
            // PyTorch divides by the summed weight of the non-ignored targets (NaN when there are none).
            out = Tensor.scalar(perRow.reduce(0, +) / denominator, dtype: dtype)
            scale = 1 / denominator
        }
        let saved = CrossEntropySaved(logp: logp, labels: labels, weight: w, totalWeight: totalW, ignoreIndex: ignoreIndex,
                                      smoothing: eps, scale: scale, perRow: reduction == .none)
        let recorded = Autograd.record(out, .crossEntropy(saved), inputs: [logits])
        return reduction == .none ? try recorded.reshape(outShape) : recorded
    }
}

/// What the fused cross-entropy keeps for its backward rule.
struct CrossEntropySaved {
    let logp: Tensor
    let labels: [Int]
    let weight: [Double]
    let totalWeight: Double
    let ignoreIndex: Int
    let smoothing: Double
    let scale: Double
    let perRow: Bool

    /// d loss / d logits: for row i, `a·(p − onehot(y)) + b·(W·p − w)`,
    /// with a = (1−ε)·w[y] and b = ε/C, times the incoming gradient.
    func gradient(_ g: Tensor) -> Tensor {
        let rows = labels.count, classes = logp.shape[1]
        let gv = g.toArray(Double.self)
        let out = Tensor.zerosLike(logp)
        let src = logp.contiguous()
        func fill<T: FloatElement>(_: T.Type) {
            let p = src.pointer(T.self), o = out.pointer(T.self)
            let b = smoothing / Double(classes)
            for i in 0..<rows where labels[i] != ignoreIndex {
                let y = labels[i]
                let gi = (perRow ? gv[i] : gv[0]) * scale
                let a = (1 - smoothing) * weight[y]
                let coefP = T(flintDouble: (a + b * totalWeight) * gi)
                let row = p + i * classes, orow = o + i * classes
                for c in 0..<classes { orow[c] = T.fexp(row[c]) * coefP }
                if b != 0 { for c in 0..<classes { orow[c] -= T(flintDouble: b * weight[c] * gi) } }
                orow[y] -= T(flintDouble: a * gi)
            }
        }
        withExtendedLifetime(src) {
            if logp.dtype == .float64 { fill(Double.self) } else { fill(Float.self) }
        }
        return out
    }
}
