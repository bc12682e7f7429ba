/// The functional forms of common layers (`torch.nn.functional`): linear,
/// dropout, embedding and normalisations (attention: Tensor+Attention.swift).

extension Tensor {
    /// `F.linear(input, weight, bias)`: `input @ weightᵀ + bias`.
    ///
    /// - Parameters:
    ///   - self: `[*, in_features]`.
    ///   - weight: `[out_features, in_features]`.
    ///   - bias: `[out_features]`.
    public func linear(_ weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        guard weight.rank == 2, rank >= 1, shape[rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", shapes: [shape, weight.shape], detail: "input's last dim must equal weight.shape[1]")
        }
        if rank == 2, let bias { return try Tensor.addmm(bias, self, weight.t()) }
        if rank > 2, let bias {
            // [*, in] as rows of one GEMM with the bias in its output, as for 2-D inputs.
            let rows = try reshape([-1, weight.shape[1]])
            return try Tensor.addmm(bias, rows, weight.t()).reshape(Array(shape.dropLast()) + [weight.shape[0]])
        }
        let y = try matmul(weight.t())
        return try bias.map { try y + $0 } ?? y
    }

    /// `F.bilinear(input1, input2, weight, bias)`: `y_k = x1ᵀ W_k x2 + b_k`; weight `[out, in1, in2]`.
    public func bilinear(_ other: Tensor, _ weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        guard weight.rank == 3, rank >= 1, other.rank >= 1, shape[rank - 1] == weight.shape[1], other.shape[other.rank - 1] == weight.shape[2] else {
            throw TensorError.shapeMismatch(op: "bilinear", shapes: [shape, other.shape, weight.shape])
        }
        // [*, 1, 1, in1] @ [out, in1, in2] -> [*, out, 1, in2], then · x2.
        let left = try unsqueeze(-2).unsqueeze(-3).matmul(weight)
        let y = try (left.squeeze(-2) * other.unsqueeze(-2)).sum(dim: -1)
        return try bias.map { try y + $0 } ?? y
    }

    /// `F.dropout(input, p, training)`: zeroes each element with probability
    /// `p` and scales the rest by `1 / (1 − p)`; the identity when not training.
    public func dropout(p: Double = 0.5, training: Bool = true, generator: Generator = .default) throws -> Tensor {
        guard p >= 0 && p <= 1 else { throw TensorError.invalidArgument(op: "dropout", message: "dropout probability has to be between 0 and 1, but got \(p)") }
        if !training || p == 0 { return self }
        if p == 1 { return try self * Tensor.zeros([], dtype: dtype) }
        if dtype == .float32 || dtype == .float64 {
            let (mask, output) = Tensor.dropoutMasked(contiguous(), p: p, generator: generator)
            return Autograd.record(output, .mul(self, mask), inputs: [self, mask])
        }
        let keep = try Tensor.rand(shape, dtype: .float32, generator: generator).lt(1 - p)
        return try self * (keep.casted(to: dtype) / (1 - p))
    }

    /// The mask `(rand(x.shape) < 1 − p) / (1 − p)` and `x * mask` for a contiguous float32 or float64 `x`,
    /// in one pass: the same draws, comparisons and values as those ops, without the uniform and bool tensors.
    static func dropoutMasked(_ x: Tensor, p: Double, generator: Generator) -> (mask: Tensor, output: Tensor) {
        let mask = Tensor(empty: x.shape, dtype: x.dtype), output = Tensor(empty: x.shape, dtype: x.dtype)
        let count = mask.count
        // A uniform draw is r·2⁻ᵇ for a b-bit integer r (24 bits for float32, 53 for float64), so
        // `draw < keep` is `r < ⌈keep·2ᵇ⌉` exactly; the comparison becomes a sign bit and the
        // select a mask of the scale's bits (a branch here mispredicts on every dropped element).
        withExtendedLifetime((x, mask, output)) {
            if x.dtype == .float64 {
                let keep = 1 - p, scale = (1 / keep).bitPattern
                let threshold = UInt64((keep * 0x1p53).rounded(.up))
                let m = mask.pointer(UInt64.self), xp = x.pointer(Double.self), y = output.pointer(Double.self)
                generator.withDraws { rng in
                    for i in 0..<count {
                        let bits = scale & (0 &- (((rng.next() >> 11) &- threshold) >> 63))
                        m[i] = bits
                        y[i] = xp[i] * Double(bitPattern: bits)
                    }
                }
            } else {
                // As `lt` and `div` take the Python scalar 1 − p: rounded to float32 first.
                let keep = Float(1 - p), scale = (1 / keep).bitPattern
                let threshold = UInt64((Double(keep) * 0x1p24).rounded(.up))
                let m = mask.pointer(UInt32.self), xp = x.pointer(Float.self), y = output.pointer(Float.self)
                generator.withDraws { rng in
                    for i in 0..<count {
                        let bits = scale & (0 &- UInt32(truncatingIfNeeded: ((rng.next() >> 40) &- threshold) >> 63))
                        m[i] = bits
                        y[i] = xp[i] * Float(bitPattern: bits)
                    }
                }
            }
        }
        return (mask, output)
    }

    /// `F.dropout2d(input, p, training)`: drops whole channels of `[N, C, H, W]` (or `[C, H, W]`).
    public func dropout2d(p: Double = 0.5, training: Bool = true, generator: Generator = .default) throws -> Tensor {
        guard p >= 0 && p <= 1 else { throw TensorError.invalidArgument(op: "dropout2d", message: "dropout probability has to be between 0 and 1, but got \(p)") }
        guard rank == 3 || rank == 4 else { throw TensorError.invalidArgument(op: "dropout2d", message: "expected a 3-D or 4-D input, got shape \(shape)") }
        if !training || p == 0 { return self }
        let maskShape = Array(shape.prefix(rank - 2)) + [1, 1]
        let keep = try Tensor.rand(maskShape, generator: generator).lt(1 - p)
        return try self * (keep.casted(to: dtype) / (1 - p))
    }

    /// `F.embedding(input, weight, padding_idx)`: rows of `weight` picked by
    /// the integer indices in `self`. The row at `paddingIdx` gets no gradient.
    ///
    /// - Parameters:
    ///   - self: integer indices of any shape `S`.
    ///   - weight: `[num_embeddings, embedding_dim]`.
    /// - Returns: `S + [embedding_dim]`.
    public func embedding(_ weight: Tensor, paddingIdx: Int? = nil) throws -> Tensor {
        guard weight.rank == 2 else { throw TensorError.shapeMismatch(op: "embedding", shapes: [shape, weight.shape], detail: "weight must be 2-D") }
        guard !dtype.isFloatingPoint && dtype != .bool else {
            throw TensorError.badDType(op: "embedding", dtype: dtype, detail: "indices must be integers (shape \(shape))")
        }
        let rows = try weight.indexSelect(0, reshape([-1]))
        var out = rows
        if var pad = paddingIdx {
            if pad < 0 { pad += weight.shape[0] }
            // Same values, but the padding rows take their value from a detached copy.
            let isPad = try reshape([-1, 1]).eq(Double(pad))
            out = try Tensor.whereMask(isPad, rows.detach(), rows)
        }
        return try out.reshape(shape + [weight.shape[1]])
    }

    /// Mean and biased variance over `dims`, kept for broadcasting.
    private func momentsKeepdim(_ dims: [Int]) throws -> (mean: Tensor, variance: Tensor) {
        let mean = try self.mean(dims: dims, keepdim: true)
        let centered = try self - mean
        return (mean, try (centered * centered).mean(dims: dims, keepdim: true))
    }

    /// `F.layer_norm(input, normalized_shape, weight, bias, eps)`: normalises
    /// over the last `normalizedShape.count` dims with the biased variance.
    public func layerNorm(_ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        let k = normalizedShape.count
        guard k >= 1, k <= rank, Array(shape.suffix(k)) == normalizedShape else {
            throw TensorError.shapeMismatch(op: "layer_norm", shapes: [shape, normalizedShape], detail: "normalized_shape must match the input's trailing dims")
        }
        for p in [weight, bias].compactMap({ $0 }) where p.shape != normalizedShape {
            throw TensorError.shapeMismatch(op: "layer_norm", shapes: [p.shape, normalizedShape], detail: "weight and bias must have normalized_shape")
        }
        let width = normalizedShape.reduce(1, *)
        if dtype.isFloatingPoint, width > 0, [weight, bias].allSatisfy({ $0 == nil || $0?.dtype == dtype }) {
            // The fused primitive (Tensor+LayerNorm.swift); the composite below stays for other dtypes.
            return layerNormRows(normalizedShape, weight: weight, bias: bias, eps: eps)
        }
        let (mean, variance) = try momentsKeepdim(Array((rank - k)..<rank))
        var y = try (self - mean) * (variance + eps).rsqrt()
        if let weight { y = try y * weight }
        if let bias { y = try y + bias }
        return y
    }

    /// `F.rms_norm(input, normalized_shape, weight, eps)`.
    public func rmsNorm(_ normalizedShape: [Int], weight: Tensor? = nil, eps: Double? = nil) throws -> Tensor {
        let k = normalizedShape.count
        guard k >= 1, k <= rank, Array(shape.suffix(k)) == normalizedShape else {
            throw TensorError.shapeMismatch(op: "rms_norm", shapes: [shape, normalizedShape], detail: "normalized_shape must match the input's trailing dims")
        }
        let e = eps ?? (dtype == .float64 ? 2.220446049250313e-16 : 1.1920928955078125e-07)
        let ms = try (self * self).mean(dims: Array((rank - k)..<rank), keepdim: true)
        let y = try self * (ms + e).rsqrt()
        return try weight.map { try y * $0 } ?? y
    }

    /// Shape `[1, C, 1, ...]` for per-channel parameters of an `[N, C, ...]` input.
    private func channelShape() -> [Int] {
        var s = [Int](repeating: 1, count: rank)
        s[1] = shape[1]
        return s
    }

    /// `F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)`.
    ///
    /// Input `[N, C, *]`. In training, normalises with the batch statistics
    /// (biased variance) and updates the running statistics in place with the
    /// unbiased variance; otherwise uses the running statistics.
    ///
    /// `sumAcross`, when given, sums a tensor over the processes that share the
    /// batch (differentiably): the statistics are then the whole batch's,
    /// `torch.nn.SyncBatchNorm`'s. nil: this process's batch alone.
    public func batchNorm(runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                          training: Bool, momentum: Double = 0.1, eps: Double = 1e-5,
                          sumAcross: ((Tensor) throws -> Tensor)? = nil) throws -> Tensor {
        guard rank >= 2 else { throw TensorError.invalidArgument(op: "batch_norm", message: "expected at least 2-D input, got shape \(shape)") }
        let c = shape[1]
        for p in [runningMean, runningVar, weight, bias].compactMap({ $0 }) where p.shape != [c] {
            throw TensorError.shapeMismatch(op: "batch_norm", shapes: [shape, p.shape], detail: "per-channel tensors must have shape [\(c)]")
        }
        let cs = channelShape()
        let mean: Tensor, variance: Tensor
        if (training || runningMean == nil || runningVar == nil) && dtype.isFloatingPoint && count > c && c > 0
            && [weight, bias].allSatisfy({ $0 == nil || $0?.dtype == dtype }) && sumAcross == nil {
            // The fused primitive (Tensor+BatchNorm.swift); the composite below stays for other dtypes and for
            // statistics summed across processes.
            let (y, batchMean, batchVar) = try batchNormBatchStatistics(weight: weight, bias: bias, eps: eps)
            if training, let runningMean, let runningVar {
                let n = Double(count / c)
                try noGrad {
                    let m = Tensor.fromDoubles(batchMean, dtype: runningMean.dtype)
                    let unbiased = Tensor.fromDoubles(batchVar.map { $0 * n / Swift.max(n - 1, 1) }, dtype: runningVar.dtype)
                    try runningMean.copyFrom(runningMean * (1 - momentum) + m * momentum)
                    try runningVar.copyFrom(runningVar * (1 - momentum) + unbiased * momentum)
                }
            }
            return y
        }
        if training || runningMean == nil || runningVar == nil {
            let dims = [0] + Array(2..<rank)
            var n = count / Swift.max(c, 1)
            if let sumAcross { n = Int(try noGrad { try sumAcross(Tensor.scalar(Double(n), dtype: .float64)).item() }) }
            guard n > 1 || !training else {
                throw TensorError.invalidArgument(op: "batch_norm", message: "expected more than 1 value per channel when training, got input size \(shape)")
            }
            if let sumAcross {
                let m = try sumAcross(try sum(dims: dims, keepdim: true)) / Double(n)
                let centered = try self - m
                (mean, variance) = (m, try sumAcross(try (centered * centered).sum(dims: dims, keepdim: true)) / Double(n))
            } else {
                (mean, variance) = try momentsKeepdim(dims)
            }
            if training, let runningMean, let runningVar {
                try noGrad {
                    let unbiased = try variance.detach().reshape([c]) * (Double(n) / Double(Swift.max(n - 1, 1)))
                    try runningMean.copyFrom(runningMean * (1 - momentum) + mean.detach().reshape([c]) * momentum)
                    try runningVar.copyFrom(runningVar * (1 - momentum) + unbiased * momentum)
                }
            }
        } else if let runningMean, let runningVar {
            mean = try runningMean.reshape(cs)
            variance = try runningVar.reshape(cs)
        } else {
            throw TensorError.invalidArgument(op: "batch_norm", message: "running_mean and running_var must be given when not training")
        }
        var y = try (self - mean) * (variance + eps).rsqrt()
        if let weight { y = try y * weight.reshape(cs) }
        if let bias { y = try y + bias.reshape(cs) }
        return y
    }

    /// `F.instance_norm(input, running_mean=None, running_var=None, weight, bias, eps)`: per-sample, per-channel statistics.
    public func instanceNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        guard rank >= 3 else { throw TensorError.invalidArgument(op: "instance_norm", message: "expected at least 3-D input, got shape \(shape)") }
        let (mean, variance) = try momentsKeepdim(Array(2..<rank))
        var y = try (self - mean) * (variance + eps).rsqrt()
        if let weight { y = try y * weight.reshape(channelShape()) }
        if let bias { y = try y + bias.reshape(channelShape()) }
        return y
    }

    /// `F.group_norm(input, num_groups, weight, bias, eps)`: input `[N, C, *]`,
    /// statistics over each group of `C / numGroups` channels and all positions.
    public func groupNorm(numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        guard rank >= 2, numGroups > 0, shape[1] % numGroups == 0 else {
            throw TensorError.invalidArgument(op: "group_norm", message: "expected input [N, C, *] with C divisible by num_groups=\(numGroups), got shape \(shape)")
        }
        let grouped = try reshape([shape[0], numGroups, -1])
        let (mean, variance) = try grouped.momentsKeepdim([2])
        var y = try ((grouped - mean) * (variance + eps).rsqrt()).reshape(shape)
        if let weight { y = try y * weight.reshape(channelShape()) }
        if let bias { y = try y + bias.reshape(channelShape()) }
        return y
    }

    /// A 1-D tensor of `dtype` holding `values`.
    static func fromDoubles(_ values: [Double], dtype: DType) -> Tensor {
        let t = Tensor(empty: [values.count], dtype: dtype)
        t.assign(values)
        return t
    }
}
