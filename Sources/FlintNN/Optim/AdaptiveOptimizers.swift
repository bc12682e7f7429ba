import Flint

/// `torch.optim.RMSprop`, `Adagrad` and `Adadelta`: per-element step sizes
/// from running squared gradients, each one fused loop per parameter in the
/// parameter's precision, in PyTorch's order of operations.

/// `torch.optim.RMSprop`, optionally centered and with momentum.
public final class RMSprop: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
                            weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        let d = RMSprop.defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
                            weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) throws {
        let d = RMSprop.defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)
        let validate: ([String: Double]) throws -> Void = {
            try Optimizer.check($0, op: "rmsprop", nonNegative: ["eps", "momentum", "weight_decay", "alpha"])
        }
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "rmsprop", validate: validate), defaults: d)
    }

    private static func defaults(_ lr: Double, _ alpha: Double, _ eps: Double, _ weightDecay: Double, _ momentum: Double,
                                 _ centered: Bool, _ maximize: Bool) -> [String: Double] {
        ["lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weightDecay, "momentum": momentum,
         "centered": centered ? 1 : 0, "maximize": maximize ? 1 : 0]
    }

    override public var typeName: String { "rmsprop" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            _ = incrementStep(for: p)
            if p.dtype == .float64 { try update(Double.self, group, p, grad) } else { try update(Float.self, group, p, grad) }
        }
    }

    /// s = α·s + (1−α)·g²; with centering ḡ = lerp(ḡ, g, 1−α) and s − ḡ² in
    /// place of s; a = √s + ε; then buf = μ·buf + g/a, p −= lr·buf, or p −= lr·g/a.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor) throws {
        let alpha = group.option("alpha", 0.99), momentum = group.option("momentum", 0), centered = group.flag("centered")
        let wd = group.option("weight_decay", 0)
        let sign: T = group.flag("maximize") ? -1 : 1, decay = T(flintDouble: wd)
        let a = T(flintDouble: alpha), oneMinusA = T(flintDouble: 1 - alpha), mu = T(flintDouble: momentum)
        let eps = T(flintDouble: group.option("eps", 1e-8)), negLR = T(flintDouble: -group.lr)
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

/// `torch.optim.Adagrad` with learning-rate decay. Its `sum` state starts at
/// `initial_accumulator_value` and exists from construction, as in PyTorch, which
/// takes that value from the constructor for every group (a group's own is ignored).
public final class Adagrad: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        let d = Adagrad.defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
        initializeState()
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) throws {
        let d = Adagrad.defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)
        let validate: ([String: Double]) throws -> Void = {
            try Optimizer.check($0, op: "adagrad", nonNegative: ["lr_decay", "weight_decay", "initial_accumulator_value", "eps"])
        }
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "adagrad", validate: validate), defaults: d)
        initializeState()
    }

    private static func defaults(_ lr: Double, _ lrDecay: Double, _ weightDecay: Double, _ initial: Double, _ eps: Double,
                                 _ maximize: Bool) -> [String: Double] {
        ["lr": lr, "lr_decay": lrDecay, "weight_decay": weightDecay, "initial_accumulator_value": initial,
         "eps": eps, "maximize": maximize ? 1 : 0]
    }

    private var initialAccumulatorValue: Double { defaults["initial_accumulator_value"] ?? 0 }

    private func initializeState() {
        for group in paramGroups {
            for p in group.params {
                setScalarState("step", for: p, 0)
                _ = buffer("sum", for: p, initial: initialAccumulatorValue)
            }
        }
    }

    override public var typeName: String { "adagrad" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            let step = incrementStep(for: p)
            let clr = group.lr / (1 + (step - 1) * group.option("lr_decay", 0))
            if p.dtype == .float64 {
                try update(Double.self, group, p, grad, clr)
            } else {
                try update(Float.self, group, p, grad, clr)
            }
        }
    }

    /// sum += g²; p −= clr · g / (√sum + ε), clr = lr / (1 + (t−1)·lr_decay).
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor, _ clr: Double) throws {
        let wd = group.option("weight_decay", 0)
        let sign: T = group.flag("maximize") ? -1 : 1, decay = T(flintDouble: wd)
        let eps = T(flintDouble: group.option("eps", 1e-10)), negCLR = T(flintDouble: -clr)
        let sum = buffer("sum", for: p, initial: initialAccumulatorValue).tensor
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

/// `torch.optim.Adadelta`: steps scaled by the ratio of running RMS of past
/// updates to running RMS of gradients.
public final class Adadelta: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1, rho: Double = 0.9, eps: Double = 1e-6,
                            weightDecay: Double = 0, maximize: Bool = false) {
        let d = Adadelta.defaults(lr, rho, eps, weightDecay, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1, rho: Double = 0.9, eps: Double = 1e-6,
                            weightDecay: Double = 0, maximize: Bool = false) throws {
        let d = Adadelta.defaults(lr, rho, eps, weightDecay, maximize)
        let validate: ([String: Double]) throws -> Void = {
            try Optimizer.check($0, op: "adadelta", nonNegative: ["eps", "weight_decay"])
            if let rho = $0["rho"], !(rho >= 0 && rho <= 1) {
                throw TensorError.invalidArgument(op: "adadelta", message: "invalid rho value: \(rho) (must be in [0, 1])")
            }
        }
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "adadelta", validate: validate), defaults: d)
    }

    private static func defaults(_ lr: Double, _ rho: Double, _ eps: Double, _ weightDecay: Double, _ maximize: Bool) -> [String: Double] {
        ["lr": lr, "rho": rho, "eps": eps, "weight_decay": weightDecay, "maximize": maximize ? 1 : 0]
    }

    override public var typeName: String { "adadelta" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            _ = incrementStep(for: p)
            if p.dtype == .float64 { try update(Double.self, group, p, grad) } else { try update(Float.self, group, p, grad) }
        }
    }

    /// s = ρ·s + (1−ρ)·g²; Δ = √(a + ε) / √(s + ε) · g; a = ρ·a + (1−ρ)·Δ²; p −= lr·Δ.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor) throws {
        let rho = group.option("rho", 0.9), wd = group.option("weight_decay", 0)
        let sign: T = group.flag("maximize") ? -1 : 1, decay = T(flintDouble: wd)
        let r = T(flintDouble: rho), oneMinusR = T(flintDouble: 1 - rho)
        let eps = T(flintDouble: group.option("eps", 1e-6)), negLR = T(flintDouble: -group.lr)
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
