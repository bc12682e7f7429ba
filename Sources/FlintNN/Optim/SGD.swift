import Flint

/// `torch.optim.SGD`'s arguments and defaults.
public struct SGDOptions: OptimizerOptions {
    public var lr: Double
    public var momentum: Double
    public var dampening: Double
    public var weightDecay: Double
    public var nesterov: Bool
    public var maximize: Bool

    public static let fields: [OptionField<SGDOptions>] = [
        .number("lr", \.lr),
        .number("momentum", \.momentum),
        .number("dampening", \.dampening),
        .number("weight_decay", \.weightDecay),
        .flag("nesterov", \.nesterov),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
                nesterov: Bool = false, maximize: Bool = false) {
        (self.lr, self.momentum, self.dampening, self.weightDecay, self.nesterov, self.maximize) =
            (lr, momentum, dampening, weightDecay, nesterov, maximize)
    }

    public var cycledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }

    public func validate(op: String) throws {
        let check = OptionCheck(op)
        try check.nonNegative("lr", lr)
        try check.nonNegative("momentum", momentum)
        try check.nonNegative("weight_decay", weightDecay)
        try check.require(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
    }
}

/// `torch.optim.SGD` with momentum, dampening, Nesterov, weight decay and `maximize`.
public final class SGD: TypedOptimizer<SGDOptions> {
    override public class var name: String { "sgd" }

    /// One fused pass per parameter: d = ±g + wd·p; buf = μ·buf + (1−τ)·d
    /// (buf = d on the first step); d = d + μ·buf (Nesterov) or buf; p −= lr·d.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: SGDOptions, _ p: Tensor, _ grad: Tensor) throws {
        let momentum = o.momentum, nesterov = o.nesterov
        let lr = T(flintDouble: o.lr), mu = T(flintDouble: momentum)
        let damp = T(flintDouble: 1 - o.dampening), decay = T(flintDouble: o.weightDecay)
        let sign: T = o.maximize ? -1 : 1
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
