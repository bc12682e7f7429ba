import Flint

/// `torch.optim.RMSprop`, `Adagrad` and `Adadelta`: per-element step sizes
/// from running squared gradients, each one fused loop per parameter in the
/// parameter's precision, in PyTorch's order of operations.

/// `torch.optim.RMSprop`'s arguments and defaults.
public struct RMSpropOptions: OptimizerOptions {
    public var lr: Double
    public var alpha: Double
    public var eps: Double
    public var weightDecay: Double
    public var momentum: Double
    public var centered: Bool
    public var maximize: Bool

    public static let fields: [OptionField<RMSpropOptions>] = [
        .number("lr", \.lr),
        .number("alpha", \.alpha),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .number("momentum", \.momentum),
        .flag("centered", \.centered),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
                centered: Bool = false, maximize: Bool = false) {
        (self.lr, self.alpha, self.eps, self.weightDecay) = (lr, alpha, eps, weightDecay)
        (self.momentum, self.centered, self.maximize) = (momentum, centered, maximize)
    }

    public var cycledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }

    public func validate(op: String) throws {
        let check = OptionCheck(op)
        for (name, value) in [("lr", lr), ("eps", eps), ("momentum", momentum), ("weight_decay", weightDecay), ("alpha", alpha)] {
            try check.nonNegative(name, value)
        }
    }
}

/// `torch.optim.RMSprop`, optionally centered and with momentum.
public final class RMSprop: TypedOptimizer<RMSpropOptions> {
    override public class var name: String { "rmsprop" }

    /// s = α·s + (1−α)·g²; with centering ḡ = lerp(ḡ, g, 1−α) and s − ḡ² in
    /// place of s; a = √s + ε; then buf = μ·buf + g/a, p −= lr·buf, or p −= lr·g/a.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: RMSpropOptions, _ p: Tensor, _ grad: Tensor) throws {
        _ = incrementStep(for: p)
        let alpha = o.alpha, momentum = o.momentum, centered = o.centered
        let wd = o.weightDecay
        let sign: T = o.maximize ? -1 : 1, decay = T(flintDouble: wd)
        let a = T(flintDouble: alpha), oneMinusA = T(flintDouble: 1 - alpha), mu = T(flintDouble: momentum)
        let eps = T(flintDouble: o.eps), negLR = T(flintDouble: -o.lr)
        let squareAvg = buffer("square_avg", for: p).tensor
        // Unused buffers alias square_avg so one loop serves every variant; they are never written then.
        let gradAvg = centered ? buffer("grad_avg", for: p).tensor : squareAvg
        let momentumBuffer = momentum > 0 ? buffer("momentum_buffer", for: p).tensor : squareAvg
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try squareAvg.withUnsafeMutableElements(T.self) { s in
                    try gradAvg.withUnsafeMutableElements(T.self) { ga in
                        try momentumBuffer.withUnsafeMutableElements(T.self) { buf in
                            for i in 0..<w.count {
                                let d = wd != 0 ? sign * g[i] + decay * w[i] : sign * g[i]
                                s[i] = s[i] * a + oneMinusA * d * d
                                var avg: T
                                if centered {
                                    ga[i] = lerp(ga[i], d, oneMinusA)
                                    avg = T.fsqrt(s[i] + (-1 * ga[i]) * ga[i])
                                } else {
                                    avg = T.fsqrt(s[i])
                                }
                                avg += eps
                                if momentum > 0 {
                                    buf[i] = buf[i] * mu + d / avg
                                    w[i] += negLR * buf[i]
                                } else {
                                    w[i] += negLR * d / avg
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `torch.optim.Adagrad`'s arguments and defaults.
public struct AdagradOptions: OptimizerOptions {
    public var lr: Double
    public var lrDecay: Double
    public var weightDecay: Double
    /// Taken from the constructor for every group, as PyTorch does (a group's own is ignored).
    public var initialAccumulatorValue: Double
    public var eps: Double
    public var maximize: Bool

    public static let fields: [OptionField<AdagradOptions>] = [
        .number("lr", \.lr),
        .number("lr_decay", \.lrDecay),
        .number("weight_decay", \.weightDecay),
        .number("initial_accumulator_value", \.initialAccumulatorValue),
        .number("eps", \.eps),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0, initialAccumulatorValue: Double = 0,
                eps: Double = 1e-10, maximize: Bool = false) {
        (self.lr, self.lrDecay, self.weightDecay) = (lr, lrDecay, weightDecay)
        (self.initialAccumulatorValue, self.eps, self.maximize) = (initialAccumulatorValue, eps, maximize)
    }

    public func validate(op: String) throws {
        let check = OptionCheck(op)
        for (name, value) in [("lr", lr), ("lr_decay", lrDecay), ("weight_decay", weightDecay),
                              ("initial_accumulator_value", initialAccumulatorValue), ("eps", eps)] {
            try check.nonNegative(name, value)
        }
    }
}

/// `torch.optim.Adagrad` with learning-rate decay. Its `sum` state starts at
/// `initial_accumulator_value` and exists from construction, as in PyTorch, which
/// takes that value from the constructor for every group (a group's own is ignored).
public final class Adagrad: TypedOptimizer<AdagradOptions> {
    override public class var name: String { "adagrad" }

    public required init(groups: [OptimizerGroup<AdagradOptions>], defaults: AdagradOptions) throws {
        try super.init(groups: groups, defaults: defaults)
        for group in groups {
            for p in group.params {
                setScalarState("step", for: p, 0)
                _ = buffer("sum", for: p, initial: defaults.initialAccumulatorValue)
            }
        }
    }

    @_specialize(where T == Float)

    @_specialize(where T == Double)

    override public func update<T: FloatElement>(_: T.Type, _ o: AdagradOptions, _ p: Tensor, _ grad: Tensor) throws {
        let step = incrementStep(for: p)
        try fusedUpdate(T.self, o, p, grad, o.lr / (1 + (step - 1) * o.lrDecay))
    }

    /// sum += g²; p −= clr · g / (√sum + ε), clr = lr / (1 + (t−1)·lr_decay).
    private func fusedUpdate<T: FloatElement>(_: T.Type, _ o: AdagradOptions, _ p: Tensor, _ grad: Tensor, _ clr: Double) throws {
        let wd = o.weightDecay
        let sign: T = o.maximize ? -1 : 1, decay = T(flintDouble: wd)
        let eps = T(flintDouble: o.eps), negCLR = T(flintDouble: -clr)
        let sum = buffer("sum", for: p, initial: defaults.initialAccumulatorValue).tensor
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try sum.withUnsafeMutableElements(T.self) { s in
                    for i in 0..<w.count {
                        let d = wd != 0 ? sign * g[i] + decay * w[i] : sign * g[i]
                        s[i] += d * d
                        w[i] += negCLR * d / (T.fsqrt(s[i]) + eps)
                    }
                }
            }
        }
    }
}

/// `torch.optim.Adadelta`'s arguments and defaults.
public struct AdadeltaOptions: OptimizerOptions {
    public var lr: Double
    public var rho: Double
    public var eps: Double
    public var weightDecay: Double
    public var maximize: Bool

    public static let fields: [OptionField<AdadeltaOptions>] = [
        .number("lr", \.lr),
        .number("rho", \.rho),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1, rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0, maximize: Bool = false) {
        (self.lr, self.rho, self.eps, self.weightDecay, self.maximize) = (lr, rho, eps, weightDecay, maximize)
    }

    public func validate(op: String) throws {
        let check = OptionCheck(op)
        for (name, value) in [("lr", lr), ("eps", eps), ("weight_decay", weightDecay)] { try check.nonNegative(name, value) }
        try check.require(rho >= 0 && rho <= 1, "invalid rho value: \(rho) (must be in [0, 1])")
    }
}

/// `torch.optim.Adadelta`: steps scaled by the ratio of running RMS of past
/// updates to running RMS of gradients.
public final class Adadelta: TypedOptimizer<AdadeltaOptions> {
    override public class var name: String { "adadelta" }

    /// s = ρ·s + (1−ρ)·g²; Δ = √(a + ε) / √(s + ε) · g; a = ρ·a + (1−ρ)·Δ²; p −= lr·Δ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: AdadeltaOptions, _ p: Tensor, _ grad: Tensor) throws {
        _ = incrementStep(for: p)
        let rho = o.rho, wd = o.weightDecay
        let sign: T = o.maximize ? -1 : 1, decay = T(flintDouble: wd)
        let r = T(flintDouble: rho), oneMinusR = T(flintDouble: 1 - rho)
        let eps = T(flintDouble: o.eps), negLR = T(flintDouble: -o.lr)
        let squareAvg = buffer("square_avg", for: p).tensor, accDelta = buffer("acc_delta", for: p).tensor
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try squareAvg.withUnsafeMutableElements(T.self) { s in
                    try accDelta.withUnsafeMutableElements(T.self) { acc in
                        for i in 0..<w.count {
                            let d = wd != 0 ? sign * g[i] + decay * w[i] : sign * g[i]
                            s[i] = s[i] * r + oneMinusR * d * d
                            let std = T.fsqrt(s[i] + eps)
                            let delta = T.fsqrt(acc[i] + eps) / std * d
                            acc[i] = acc[i] * r + oneMinusR * delta * delta
                            w[i] += negLR * delta
                        }
                    }
                }
            }
        }
    }
}
