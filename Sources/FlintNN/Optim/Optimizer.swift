import Flint

/// The hyperparameters of one optimizer, as its PyTorch constructor takes
/// them: the memberwise initialiser's defaults are PyTorch's, and the only
/// place they are written (`AdamOptions(lr: 0.01)` is `torch.optim.Adam(lr=0.01)`;
/// the spec's defaults are read from `AdamOptions()`).
public protocol OptimizerOptions {
    /// Every option by its PyTorch argument name, for readers of specs and fixtures.
    static var fields: [OptionField<Self>] { get }
    /// `lr`: what schedulers change.
    var lr: Double { get set }
    /// What `OneCycleLR` cycles: `momentum` (SGD, RMSprop) or `betas[0]` (the
    /// Adam family); nil for an optimizer that has neither.
    var cycledMomentum: Double? { get set }
    /// PyTorch's constructor checks, naming the optimizer `op`.
    func validate(op: String) throws
}

extension OptimizerOptions {
    public var cycledMomentum: Double? {
        get { nil }
        set {}
    }
}

/// One option of an optimizer: its PyTorch argument name and where it lives in the options struct.
public enum OptionField<Options> {
    case number(String, WritableKeyPath<Options, Double>)
    case flag(String, WritableKeyPath<Options, Bool>)
    /// `betas`: two numbers.
    case pair(String, WritableKeyPath<Options, (Double, Double)>)

    public var name: String {
        switch self {
        case .number(let name, _), .flag(let name, _), .pair(let name, _): return name
        }
    }
}

/// One group of `optimizer.param_groups`: parameters and their hyperparameters.
public struct OptimizerGroup<Options: OptimizerOptions> {
    public var params: [Tensor]
    public var options: Options
    /// `initial_lr`: the rate the first scheduler attached to this optimizer
    /// found, which later schedulers take as their base rate (as in PyTorch).
    public var initialLR: Double?

    public init(params: [Tensor], options: Options) {
        self.params = params
        self.options = options
    }
}

/// What a learning-rate scheduler sees of a parameter group, whatever the
/// optimizer: the rate, `initial_lr` and the momentum `OneCycleLR` cycles.
public struct ParamGroup {
    public var params: [Tensor]
    public var lr: Double
    public var initialLR: Double?
    public var momentum: Double?
}

/// Any optimizer, like `torch.optim.Optimizer`: what the training loop and the
/// schedulers use. Every optimizer is a `TypedOptimizer` over its options.
public protocol Optimizer: AnyObject {
    /// The spec's (and PyTorch's lower-case) name: `sgd`, `adam`.
    var typeName: String { get }
    /// The groups as schedulers read and change them.
    var paramGroups: [ParamGroup] { get set }
    /// Whether `OneCycleLR` can cycle a momentum (`momentum` or `betas[0]`).
    var cyclesMomentum: Bool { get }
    /// Steps taken, saved in checkpoints.
    var stepCount: Int { get set }
    /// One update of every parameter that has a gradient.
    func step() throws
    /// Per-parameter state as `state.<index>.<name>`.
    func stateDict() -> [(name: String, tensor: Tensor)]
    /// Restores what `stateDict` saved, into the same parameters in the same order.
    func loadStateDict(_ entries: [String: Tensor]) throws
}

extension Optimizer {
    public func zeroGrad() {
        for g in paramGroups { for p in g.params { p.grad = nil } }
    }

    /// The learning rate of the first group (what schedulers report).
    public var lr: Double {
        get { paramGroups.first?.lr ?? 0 }
        set {
            var groups = paramGroups
            for i in groups.indices { groups[i].lr = newValue }
            paramGroups = groups
        }
    }

    /// Every parameter in group order: its index is its key in the state dict, as in PyTorch.
    public var orderedParams: [Tensor] { paramGroups.flatMap { $0.params } }
}

/// The base of every optimizer: typed parameter groups, per-parameter state,
/// a state dict for checkpoints, and the one dtype dispatch of `step()`.
/// A subclass names its options and writes `update` once, generically.
open class TypedOptimizer<Options: OptimizerOptions>: Optimizer {
    public var groups: [OptimizerGroup<Options>]
    /// The constructor's options (`optimizer.defaults`).
    public let defaults: Options
    /// Per-parameter state (momentum buffers, moments, `step`), keyed by
    /// parameter identity and named as in PyTorch's `optimizer.state`.
    public var state: [ObjectIdentifier: [String: Tensor]] = [:]
    public var stepCount = 0

    /// `params` in one group with `options`, checked as PyTorch's constructor checks them.
    public convenience init(params: [Tensor], options: Options) throws {
        try self.init(groups: [OptimizerGroup(params: params, options: options)], defaults: options)
    }

    /// PyTorch's per-group form: each group's own options (usually `defaults`
    /// with some fields changed), each checked.
    public required init(groups: [OptimizerGroup<Options>], defaults: Options) throws {
        let op = Self.name
        try defaults.validate(op: op)
        for (i, group) in groups.enumerated() {
            do {
                try group.options.validate(op: op)
            } catch TensorError.invalidArgument(_, let message) {
                throw TensorError.invalidArgument(op: op, message: "parameter group \(i): \(message)")
            }
        }
        self.groups = groups
        self.defaults = defaults
    }

    /// The type name before an instance exists (for constructor errors).
    open class var name: String { "optimizer" }

    public var typeName: String { Self.name }

    public var paramGroups: [ParamGroup] {
        get { groups.map { ParamGroup(params: $0.params, lr: $0.options.lr, initialLR: $0.initialLR, momentum: $0.options.cycledMomentum) } }
        set {
            for (i, view) in newValue.enumerated() where i < groups.count {
                groups[i].options.lr = view.lr
                groups[i].initialLR = view.initialLR
                if let momentum = view.momentum, groups[i].options.cycledMomentum != nil { groups[i].options.cycledMomentum = momentum }
            }
        }
    }

    public var cyclesMomentum: Bool { defaults.cycledMomentum != nil }

    public func step() throws {
        stepCount += 1
        for group in groups {
            for p in group.params {
                guard let grad = p.grad else { continue }
                guard p.dtype == .float32 || p.dtype == .float64 else {
                    throw TensorError.badDType(op: typeName, dtype: p.dtype, detail: "parameters must be float32 or float64 (shape \(p.shape))")
                }
                guard grad.shape == p.shape else {
                    throw TensorError.shapeMismatch(op: typeName, shapes: [grad.shape, p.shape], detail: "gradient and parameter")
                }
                if p.dtype == .float64 {
                    try update(Double.self, group.options, p, grad)
                } else {
                    try update(Float.self, group.options, p, grad)
                }
            }
        }
    }

    /// One update of parameter `p` from its gradient, in the parameter's precision.
    open func update<T: FloatElement>(_: T.Type, _ options: Options, _ p: Tensor, _ grad: Tensor) throws {}

    public func stateDict() -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, p) in orderedParams.enumerated() {
            for (k, v) in (state[ObjectIdentifier(p)] ?? [:]).sorted(by: { $0.key < $1.key }) {
                out.append(("state.\(i).\(k)", v))
            }
        }
        return out
    }

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
}

/// PyTorch's constructor checks of one optimizer's options, with its messages.
public struct OptionCheck {
    let op: String

    public init(_ op: String) { self.op = op }

    public func nonNegative(_ name: String, _ value: Double) throws {
        if !(value >= 0) { throw TensorError.invalidArgument(op: op, message: "invalid \(name) value: \(value) (must be >= 0)") }
    }

    /// `[0, 1)`, as PyTorch requires of `betas`.
    public func unitInterval(_ name: String, _ value: Double) throws {
        if !(value >= 0 && value < 1) {
            throw TensorError.invalidArgument(op: op, message: "invalid \(name) value: \(value) (must be in [0, 1))")
        }
    }

    public func require(_ condition: Bool, _ message: String) throws {
        if !condition { throw TensorError.invalidArgument(op: op, message: message) }
    }
}

// MARK: - Element helpers shared by the fused update loops

/// `torch.lerp(a, b, w)` as PyTorch's CPU kernel computes it (two forms, for
/// accuracy at either end), so moments match its rounding.
@inline(__always)
func lerp<T: FloatElement>(_ a: T, _ b: T, _ w: T) -> T {
    Swift.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// `p` as the C update kernels take it: `T` is `Float` or `Double`, the caller picks the kernel for it.
@inline(__always)
func kernelPointer<T, U>(_ p: UnsafeMutablePointer<T>?) -> UnsafeMutablePointer<U>? {
    p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: U.self) }
}

@inline(__always)
func kernelPointer<T, U>(_ p: UnsafePointer<T>) -> UnsafePointer<U> {
    UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
}
