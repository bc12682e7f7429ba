import Flint

/// A group of parameters sharing hyperparameters (`optimizer.param_groups[i]`).
public struct ParamGroup {
    public var params: [Tensor]
    public var lr: Double
    /// The remaining hyperparameters by their PyTorch names (`momentum`,
    /// `weight_decay`, ...). Booleans are 0 or 1; PyTorch's `betas` tuple is
    /// `beta1` and `beta2`, so that OneCycleLR can cycle `beta1` as it does.
    public var options: [String: Double]
    /// `initial_lr`: the rate the first scheduler attached to this optimizer
    /// found, which later schedulers take as their base rate (as in PyTorch).
    public var initialLR: Double?

    public init(params: [Tensor], lr: Double, options: [String: Double] = [:]) {
        self.params = params
        self.lr = lr
        self.options = options
    }

    public func option(_ name: String, _ fallback: Double) -> Double { options[name] ?? fallback }

    /// A boolean hyperparameter (`nesterov`, `amsgrad`, `maximize`, ...).
    public func flag(_ name: String) -> Bool { (options[name] ?? 0) != 0 }
}

/// One entry of the parameter list PyTorch optimizers accept
/// (`[{"params": ..., "weight_decay": 0}, ...]`): parameters with the
/// hyperparameters they override; the rest come from the constructor.
public struct ParamGroupSpec {
    public var params: [Tensor]
    /// Overridden hyperparameters by PyTorch name, `lr` included.
    public var overrides: [String: Double]

    public init(params: [Tensor], overrides: [String: Double] = [:]) {
        self.params = params
        self.overrides = overrides
    }
}

/// The base of every optimizer, like `torch.optim.Optimizer`: parameter
/// groups, per-parameter state, and a state dict for checkpoints.
open class Optimizer {
    public var paramGroups: [ParamGroup]
    /// Per-parameter state (momentum buffers, moments, `step`), keyed by
    /// parameter identity and named as in PyTorch's `optimizer.state`.
    public var state: [ObjectIdentifier: [String: Tensor]] = [:]
    /// Steps taken, saved in checkpoints.
    public var stepCount = 0
    /// The constructor's hyperparameters (`optimizer.defaults`), which groups
    /// fall back to; schedulers read it to see what an optimizer supports.
    public let defaults: [String: Double]

    public init(groups: [ParamGroup], defaults: [String: Double] = [:]) {
        self.paramGroups = groups
        self.defaults = defaults
    }

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

    /// Per-parameter state as `state.<index>.<name>`.
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
                throw TensorError.invalidArgument(op: "\(typeName).load_state_dict", message: "unexpected key '\(key)'")
            }
            guard value.shape == params[i].shape || value.rank == 0 else {
                throw TensorError.shapeMismatch(op: "\(typeName).load_state_dict", shapes: [value.shape, params[i].shape], detail: "for '\(key)'")
            }
            state[ObjectIdentifier(params[i]), default: [:]][parts[2]] = value.clone().detach()
        }
    }

    /// The state tensor `name` of `param`, created filled with `initial` on first use.
    public func buffer(_ name: String, for param: Tensor, initial: Double = 0) -> (tensor: Tensor, isNew: Bool) {
        let key = ObjectIdentifier(param)
        if let t = state[key]?[name] { return (t, false) }
        let t = Tensor.fullLike(param, initial)
        state[key, default: [:]][name] = t
        return (t, true)
    }

    /// A 0-dim float32 state value (`step`, `mu_product`), as PyTorch keeps them.
    public func scalarState(_ name: String, for param: Tensor, initial: Double) -> Double {
        guard let t = state[ObjectIdentifier(param)]?[name], let v = try? t.item() else { return initial }
        return v
    }

    public func setScalarState(_ name: String, for param: Tensor, _ value: Double) {
        state[ObjectIdentifier(param), default: [:]][name] = Tensor.scalar(value, dtype: .float32)
    }

    /// Advances `state[param]["step"]` and returns the new count.
    public func incrementStep(for param: Tensor) -> Double {
        let step = scalarState("step", for: param, initial: 0) + 1
        setScalarState("step", for: param, step)
        return step
    }

    /// The parameters of every group that have a gradient, with the group,
    /// checked to be floating point with a gradient of the same shape.
    public func parametersWithGradients() throws -> [(group: ParamGroup, param: Tensor, grad: Tensor)] {
        var out: [(ParamGroup, Tensor, Tensor)] = []
        for group in paramGroups {
            for p in group.params {
                guard let g = p.grad else { continue }
                guard p.dtype == .float32 || p.dtype == .float64 else {
                    throw TensorError.badDType(op: typeName, dtype: p.dtype, detail: "parameters must be float32 or float64 (shape \(p.shape))")
                }
                guard g.shape == p.shape else {
                    throw TensorError.shapeMismatch(op: typeName, shapes: [g.shape, p.shape], detail: "gradient and parameter")
                }
                out.append((group, p, g))
            }
        }
        return out
    }

    /// The groups of the per-group constructor form: each spec's overrides
    /// over `defaults`, with unknown names and invalid values reported.
    public static func resolve(_ specs: [ParamGroupSpec], defaults: [String: Double], op: String,
                               validate: ([String: Double]) throws -> Void) throws -> [ParamGroup] {
        try specs.enumerated().map { i, spec in
            for key in spec.overrides.keys where defaults[key] == nil {
                let known = defaults.keys.sorted().joined(separator: ", ")
                throw TensorError.invalidArgument(op: op, message: "parameter group \(i) sets unknown option '\(key)'; \(op) has \(known)")
            }
            var options = defaults.merging(spec.overrides) { $1 }
            try validate(options)
            let lr = options.removeValue(forKey: "lr") ?? 0
            return ParamGroup(params: spec.params, lr: lr, options: options)
        }
    }

    /// PyTorch's constructor checks, shared by every optimizer: each named
    /// option must lie in its range.
    public static func check(_ options: [String: Double], op: String, nonNegative: [String] = [],
                             unitInterval: [String] = []) throws {
        for name in ["lr"] + nonNegative {
            if let v = options[name], !(v >= 0) {
                throw TensorError.invalidArgument(op: op, message: "invalid \(name) value: \(v) (must be >= 0)")
            }
        }
        for name in unitInterval {
            if let v = options[name], !(v >= 0 && v < 1) {
                throw TensorError.invalidArgument(op: op, message: "invalid \(name) value: \(v) (must be in [0, 1))")
            }
        }
    }
}

// MARK: - Element helpers shared by the fused update loops

/// `torch.lerp(a, b, w)` as PyTorch's CPU kernel computes it (two forms, for
/// accuracy at either end), so moments match its rounding.
@inline(__always)
func lerp<T: FloatElement>(_ a: T, _ b: T, _ w: T) -> T {
    Swift.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}


extension ParamGroup {
    /// The single group of the plain constructor form: `defaults` without `lr`.
    static func single(_ params: [Tensor], _ defaults: [String: Double]) -> [ParamGroup] {
        var options = defaults
        let lr = options.removeValue(forKey: "lr") ?? 0
        return [ParamGroup(params: params, lr: lr, options: options)]
    }
}
