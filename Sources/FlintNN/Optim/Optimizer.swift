import Flint

/// A group of parameters sharing hyperparameters (`optimizer.param_groups[i]`).
public struct ParamGroup {
    public var params: [Tensor]
    public var lr: Double
    /// The remaining hyperparameters by their PyTorch names (momentum, weight_decay, betas...).
    public var options: [String: Double]

    public init(params: [Tensor], lr: Double, options: [String: Double] = [:]) {
        self.params = params
        self.lr = lr
        self.options = options
    }

    public func option(_ name: String, _ fallback: Double) -> Double { options[name] ?? fallback }
}

/// The base of every optimizer, like `torch.optim.Optimizer`: parameter
/// groups, per-parameter state, and a state dict for checkpoints.
open class Optimizer {
    public var paramGroups: [ParamGroup]
    /// Per-parameter state (momentum buffers, moments), keyed by parameter identity.
    public var state: [ObjectIdentifier: [String: Tensor]] = [:]
    /// Steps taken, saved in checkpoints.
    public var stepCount = 0

    public init(groups: [ParamGroup]) { self.paramGroups = groups }

    open var typeName: String { "optimizer" }

    /// One update of every parameter that has a gradient.
    open func step() throws { stepCount += 1 }

    public func zeroGrad() {
        for g in paramGroups { for p in g.params { p.grad = nil } }
    }

    /// The learning rate of the first group (what schedulers report).
    public var lr: Double {
        get { paramGroups.first?.lr ?? 0 }
        set { for i in paramGroups.indices { paramGroups[i].lr = newValue } }
    }

    /// Every parameter in group order: its index is its key in the state dict, as in PyTorch.
    public var orderedParams: [Tensor] { paramGroups.flatMap { $0.params } }

    /// Per-parameter state as `state.<index>.<name>` plus group learning rates.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, p) in orderedParams.enumerated() {
            for (k, v) in (state[ObjectIdentifier(p)] ?? [:]).sorted(by: { $0.key < $1.key }) {
                out.append(("state.\(i).\(k)", v))
            }
        }
        return out
    }

    /// Restores what `stateDict` saved, into the same parameters in the same order.
    public func loadStateDict(_ entries: [String: Tensor]) throws {
        let params = orderedParams
        state = [:]
        for (key, value) in entries {
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == "state", let i = Int(parts[1]), i >= 0, i < params.count else {
                throw TensorError.invalidArgument(op: "optimizer.load_state_dict", message: "unexpected key '\(key)'")
            }
            guard value.shape == params[i].shape || value.rank == 0 else {
                throw TensorError.shapeMismatch(op: "optimizer.load_state_dict", shapes: [value.shape, params[i].shape], detail: "for '\(key)'")
            }
            state[ObjectIdentifier(params[i]), default: [:]][parts[2]] = value.clone().detach()
        }
    }

    /// The state tensor `name` of `param`, created zero-filled on first use.
    public func buffer(_ name: String, for param: Tensor) -> (tensor: Tensor, isNew: Bool) {
        let key = ObjectIdentifier(param)
        if let t = state[key]?[name] { return (t, false) }
        let t = Tensor.zeros(param.shape, dtype: param.dtype)
        state[key, default: [:]][name] = t
        return (t, true)
    }
}

/// `torch.optim.SGD` with momentum, dampening, Nesterov and weight decay.
public final class SGD: Optimizer {
    public init(params: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        super.init(groups: [ParamGroup(params: params, lr: lr, options: [
            "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay, "nesterov": nesterov ? 1 : 0,
        ])])
    }

    public override init(groups: [ParamGroup]) { super.init(groups: groups) }

    override public var typeName: String { "sgd" }

    override public func step() throws {
        try super.step()
        for group in paramGroups {
            let lr = group.lr
            let momentum = group.option("momentum", 0), dampening = group.option("dampening", 0)
            let wd = group.option("weight_decay", 0), nesterov = group.option("nesterov", 0) != 0
            for p in group.params {
                guard let grad = p.grad else { continue }
                if p.dtype == .float64 {
                    try update(Double.self, p, grad, lr, momentum, dampening, wd, nesterov)
                } else {
                    try update(Float.self, p, grad, lr, momentum, dampening, wd, nesterov)
                }
            }
        }
    }

    /// One fused pass per parameter: d = g + wd·p; buf = μ·buf + (1−τ)·d
    /// (buf = d on the first step); d = d + μ·buf (Nesterov) or buf; p −= lr·d.
    private func update<T: FloatElement>(_: T.Type, _ p: Tensor, _ grad: Tensor, _ lr: Double, _ momentum: Double,
                                         _ dampening: Double, _ wd: Double, _ nesterov: Bool) throws {
        let lrT = T(flintDouble: lr), mu = T(flintDouble: momentum), damp = T(flintDouble: 1 - dampening), decay = T(flintDouble: wd)
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                if momentum == 0 {
                    for i in 0..<w.count { w[i] -= lrT * (g[i] + decay * w[i]) }
                    return
                }
                let (buf, isNew) = buffer("momentum_buffer", for: p)
                try buf.withUnsafeMutableElements(T.self) { b in
                    for i in 0..<w.count {
                        let d = g[i] + decay * w[i]
                        b[i] = isNew ? d : mu * b[i] + damp * d
                        let step = nesterov ? d + mu * b[i] : b[i]
                        w[i] -= lrT * step
                    }
                }
            }
        }
    }
}
