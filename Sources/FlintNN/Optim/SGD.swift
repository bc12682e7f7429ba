import Flint

/// `torch.optim.SGD` with momentum, dampening, Nesterov, weight decay and `maximize`.
public final class SGD: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        let d = SGD.defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    /// Per-group form: each group's overrides (PyTorch option names) over these defaults.
    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) throws {
        let d = SGD.defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "sgd", validate: SGD.validate), defaults: d)
    }

    private static func defaults(_ lr: Double, _ momentum: Double, _ dampening: Double, _ weightDecay: Double,
                                 _ nesterov: Bool, _ maximize: Bool) -> [String: Double] {
        ["lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay,
         "nesterov": nesterov ? 1 : 0, "maximize": maximize ? 1 : 0]
    }

    private static func validate(_ o: [String: Double]) throws {
        try Optimizer.check(o, op: "sgd", nonNegative: ["momentum", "weight_decay"])
        if (o["nesterov"] ?? 0) != 0 && ((o["momentum"] ?? 0) <= 0 || (o["dampening"] ?? 0) != 0) {
            throw TensorError.invalidArgument(op: "sgd", message: "Nesterov momentum requires a momentum and zero dampening")
        }
    }

    override public var typeName: String { "sgd" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            if p.dtype == .float64 { try update(Double.self, group, p, grad) } else { try update(Float.self, group, p, grad) }
        }
    }

    /// One fused pass per parameter: d = ±g + wd·p; buf = μ·buf + (1−τ)·d
    /// (buf = d on the first step); d = d + μ·buf (Nesterov) or buf; p −= lr·d.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor) throws {
        let momentum = group.option("momentum", 0), nesterov = group.flag("nesterov")
        let lr = T(flintDouble: group.lr), mu = T(flintDouble: momentum)
        let damp = T(flintDouble: 1 - group.option("dampening", 0)), decay = T(flintDouble: group.option("weight_decay", 0))
        let sign: T = group.flag("maximize") ? -1 : 1
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                if momentum == 0 {
                    for i in 0..<w.count { w[i] -= lr * (sign * g[i] + decay * w[i]) }
                    return
                }
                let (buf, isNew) = buffer("momentum_buffer", for: p)
                try buf.withUnsafeMutableElements(T.self) { b in
                    for i in 0..<w.count {
                        let d = sign * g[i] + decay * w[i]
                        b[i] = isNew ? d : mu * b[i] + damp * d
                        w[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                    }
                }
            }
        }
    }
}
