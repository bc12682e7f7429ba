/// Activation functions of `torch.nn.functional`. Each is a composite of
/// differentiable primitives, so none needs backward code (exact GELU, hot in
/// transformers, is a primitive of its own); branches that could overflow are
/// clamped first so that masked-out gradients stay finite.

extension Tensor {
    private func zero() -> Tensor { Tensor.scalar(0, dtype: dtype) }

    private func floatingInput(_ op: String) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: op, dtype: dtype, detail: "floating point input expected, shape \(shape)") }
        return self
    }

    /// `F.relu6(x)`: `min(max(x, 0), 6)`.
    public func relu6() throws -> Tensor { try hardtanh(minVal: 0, maxVal: 6) }

    /// `F.leaky_relu(x, negative_slope)`.
    public func leakyRelu(negativeSlope: Double = 0.01) throws -> Tensor {
        try Tensor.whereMask(gt(0), self, self * negativeSlope)
    }

    /// `F.elu(x, alpha)`: `x` for x > 0, else `alpha·(eˣ − 1)`.
    public func elu(alpha: Double = 1) throws -> Tensor {
        try Tensor.whereMask(gt(0), self, try clampMax(0).expm1() * alpha)
    }

    /// `F.selu(x)`: `scale · elu(x, alpha)` with the self-normalising constants.
    public func selu() throws -> Tensor {
        try elu(alpha: 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946
    }

    /// `F.celu(x, alpha)`: `max(0, x) + min(0, alpha·(e^(x/alpha) − 1))`.
    public func celu(alpha: Double = 1) throws -> Tensor {
        guard alpha != 0 else { throw TensorError.invalidArgument(op: "celu", message: "ZeroDivisionError: alpha cannot be 0 (shape \(shape))") }
        return try Tensor.whereMask(gt(0), self, try (clampMax(0) / alpha).expm1() * alpha)
    }

    /// `F.gelu(x, approximate)`: `x·Φ(x)` exactly (`"none"`) or with the tanh approximation (`"tanh"`).
    public func gelu(approximate: String = "none") throws -> Tensor {
        switch approximate {
        case "none":
            if dtype.isFloatingPoint { return Tensor.geluExact(self) }
            return try self * ((self * 0.7071067811865476).erf() + 1) * 0.5
        case "tanh":
            let inner = try (self + self * self * self * 0.044715) * 0.7978845608028654
            return try self * (inner.tanh() + 1) * 0.5
        default: throw TensorError.invalidArgument(op: "gelu", message: "approximate must be 'none' or 'tanh', got '\(approximate)'")
        }
    }

    /// `F.silu(x)`: `x·σ(x)`.
    public func silu() throws -> Tensor { try self * sigmoid() }

    /// `F.mish(x)`: `x·tanh(softplus(x))`.
    public func mish() throws -> Tensor { try self * softplus().tanh() }

    /// `F.softplus(x, beta, threshold)`: `log(1 + e^(βx))/β`, and `x` where `βx > threshold`.
    public func softplus(beta: Double = 1, threshold: Double = 20) throws -> Tensor {
        let bx = try floatingInput("softplus") * beta
        let smooth = try bx.clampMax(threshold).exp().log1p() / beta
        return try Tensor.whereMask(bx.gt(threshold), self, smooth)
    }

    /// `F.softsign(x)`: `x / (1 + |x|)`.
    public func softsign() throws -> Tensor { try self / (abs() + 1) }

    /// `F.hardtanh(x, min_val, max_val)`.
    public func hardtanh(minVal: Double = -1, maxVal: Double = 1) throws -> Tensor {
        guard minVal <= maxVal else {
            throw TensorError.invalidArgument(op: "hardtanh", message: "min_val \(minVal) cannot be greater than max_val \(maxVal)")
        }
        return try clamp(min: minVal, max: maxVal)
    }

    /// `F.hardsigmoid(x)`: `clamp(x/6 + 1/2, 0, 1)`.
    public func hardsigmoid() throws -> Tensor { try (floatingInput("hardsigmoid") / 6 + 0.5).clamp(min: 0, max: 1) }

    /// `F.hardswish(x)`: `x · hardsigmoid(x)`.
    public func hardswish() throws -> Tensor { try self * hardsigmoid() }

    /// `F.logsigmoid(x)`: `log σ(x) = −softplus(−x)`.
    public func logsigmoid() throws -> Tensor { try floatingInput("logsigmoid").neg().softplus().neg() }

    /// `F.tanhshrink(x)`: `x − tanh(x)`.
    public func tanhshrink() throws -> Tensor { try self - tanh() }

    /// `F.softshrink(x, lambd)`: `x − λ` above λ, `x + λ` below −λ, else 0.
    public func softshrink(lambd: Double = 0.5) throws -> Tensor {
        guard lambd >= 0 else { throw TensorError.invalidArgument(op: "softshrink", message: "lambda must be greater or equal to 0, but found to be \(lambd)") }
        let shrunk = try Tensor.whereMask(gt(lambd), self - lambd, Tensor.whereMask(lt(-lambd), self + lambd, zero()))
        return shrunk
    }

    /// `F.hardshrink(x, lambd)`: `x` where `|x| > λ`, else 0.
    public func hardshrink(lambd: Double = 0.5) throws -> Tensor {
        try Tensor.whereMask(abs().gt(lambd), self, zero())
    }

    /// `F.threshold(x, threshold, value)`: `x` where `x > threshold`, else `value`.
    public func threshold(_ threshold: Double, value: Double) throws -> Tensor {
        try Tensor.whereMask(gt(threshold), self, Tensor.full([], value, dtype: dtype))
    }

    /// `F.glu(x, dim)`: `a · σ(b)` for the two halves `a`, `b` of `dim`.
    public func glu(dim: Int = -1) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "glu")
        guard rank > 0, shape[d] % 2 == 0 else {
            throw TensorError.invalidArgument(op: "glu", message: "halving dimension must be even, but dimension \(d) is size \(rank > 0 ? shape[d] : 0) (shape \(shape))")
        }
        let half = shape[d] / 2
        return try narrow(d, start: 0, length: half) * narrow(d, start: half, length: half).sigmoid()
    }

    /// `F.prelu(x, weight)`: `x` for x > 0, else `weight·x`, with one weight or one per channel (dim 1).
    public func prelu(_ weight: Tensor) throws -> Tensor {
        var w = weight
        if weight.count > 1 {
            guard rank >= 2, weight.rank == 1, weight.shape[0] == shape[1] else {
                throw TensorError.shapeMismatch(op: "prelu", shapes: [shape, weight.shape], detail: "weight must have one entry or one per channel")
            }
            var s = [Int](repeating: 1, count: rank)
            s[1] = shape[1]
            w = try weight.reshape(s)
        }
        return try Tensor.whereMask(gt(0), self, self * w)
    }

    /// `F.rrelu(x, lower, upper, training=False)`: leaky ReLU with slope `(lower + upper) / 2`.
    public func rrelu(lower: Double = 1.0 / 8, upper: Double = 1.0 / 3) throws -> Tensor {
        try leakyRelu(negativeSlope: (lower + upper) / 2)
    }

    /// `F.softmin(x, dim)`: `softmax(−x)`.
    public func softmin(dim: Int) throws -> Tensor { try neg().softmax(dim: dim) }

    /// `F.normalize(x, p, dim, eps)`: `x / max(‖x‖_p, eps)` along `dim`.
    public func normalize(p: Double = 2, dim: Int = 1, eps: Double = 1e-12) throws -> Tensor {
        try self / norm(p: p, dims: [dim], keepdim: true).clampMin(eps)
    }

    /// `F.cosine_similarity(x1, x2, dim, eps)`: `x1·x2 / max(‖x1‖·‖x2‖, eps)`.
    public func cosineSimilarity(_ other: Tensor, dim: Int = 1, eps: Double = 1e-8) throws -> Tensor {
        let dot = try (self * other).sum(dim: dim)
        let n1 = try (self * self).sum(dim: dim), n2 = try (other * other).sum(dim: dim)
        return try dot / (n1 * n2).clampMin(eps * eps).sqrt()
    }

    /// `F.pairwise_distance(x1, x2, p, eps)`: `‖x1 − x2 + eps‖_p` over the last dim.
    public func pairwiseDistance(_ other: Tensor, p: Double = 2, eps: Double = 1e-6) throws -> Tensor {
        try (self - other + eps).norm(p: p, dims: [-1])
    }
}
