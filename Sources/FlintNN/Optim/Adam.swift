import Foundation
import Flint

/// The Adam family (`torch.optim.Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`):
/// first and second moment estimates with bias correction. Each update is one
/// fused loop per parameter that repeats PyTorch's single-tensor arithmetic in
/// the parameter's precision, so the two agree step for step.

/// The options every member of the family shares.
private func adamDefaults(_ lr: Double, _ betas: (Double, Double), _ eps: Double, _ weightDecay: Double,
                          _ maximize: Bool) -> [String: Double] {
    ["lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weight_decay": weightDecay, "maximize": maximize ? 1 : 0]
}

private func adamValidate(_ op: String) -> ([String: Double]) throws -> Void {
    { try Optimizer.check($0, op: op, nonNegative: ["eps", "weight_decay", "momentum_decay"], unitInterval: ["beta1", "beta2"]) }
}

/// The gradient as the update sees it: negated under `maximize`, plus
/// L2 weight decay `wd·p` unless the decay is decoupled (applied to p instead).
@inline(__always)
private func effectiveGradient<T: FloatElement>(_ g: T, _ w: T, sign: T, decay: T, coupled: Bool) -> T {
    let d = sign * g
    return coupled ? d + decay * w : d
}

/// `torch.optim.Adam` (and, with decoupled weight decay, `AdamW`), with AMSGrad.
public class Adam: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false,
                            decoupledWeightDecay: Bool = false) {
        let d = Adam.defaults(lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false,
                            decoupledWeightDecay: Bool = false) throws {
        let d = Adam.defaults(lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "adam", validate: adamValidate("adam")), defaults: d)
    }

    static func defaults(_ lr: Double, _ betas: (Double, Double), _ eps: Double, _ weightDecay: Double, _ amsgrad: Bool,
                         _ maximize: Bool, _ decoupled: Bool) -> [String: Double] {
        adamDefaults(lr, betas, eps, weightDecay, maximize).merging(
            ["amsgrad": amsgrad ? 1 : 0, "decoupled_weight_decay": decoupled ? 1 : 0]) { $1 }
    }

    override public var typeName: String { "adam" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            let step = incrementStep(for: p)
            if p.dtype == .float64 {
                try update(Double.self, group, p, grad, step)
            } else {
                try update(Float.self, group, p, grad, step)
            }
        }
    }

    /// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; v̂max = max(v̂max, v) (AMSGrad);
    /// p += −(lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor, _ step: Double) throws {
        let lr = group.lr, beta1 = group.option("beta1", 0.9), beta2 = group.option("beta2", 0.999)
        let wd = group.option("weight_decay", 0), decoupled = group.flag("decoupled_weight_decay")
        let amsgrad = group.flag("amsgrad")
        let sign: T = group.flag("maximize") ? -1 : 1
        let decay = T(flintDouble: wd), shrink = T(flintDouble: 1 - lr * wd)
        let w1 = T(flintDouble: 1 - beta1), b2 = T(flintDouble: beta2), w2 = T(flintDouble: 1 - beta2)
        let stepSize = T(flintDouble: -(lr / (1 - Foundation.pow(beta1, step))))
        let bc2Sqrt = T(flintDouble: Foundation.pow(1 - Foundation.pow(beta2, step), 0.5))
        let eps = T(flintDouble: group.option("eps", 1e-8))
        let m = buffer("exp_avg", for: p).tensor, v = buffer("exp_avg_sq", for: p).tensor
        let vMax = amsgrad ? buffer("max_exp_avg_sq", for: p).tensor : v
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try m.withUnsafeMutableElements(T.self) { m in
                    try v.withUnsafeMutableElements(T.self) { v in
                        try vMax.withUnsafeMutableElements(T.self) { vMax in
                            for i in 0..<w.count {
                                if decoupled && wd != 0 { w[i] *= shrink }
                                let d = effectiveGradient(g[i], w[i], sign: sign, decay: decay, coupled: !decoupled && wd != 0)
                                m[i] = lerp(m[i], d, w1)
                                v[i] = v[i] * b2 + w2 * d * d
                                if amsgrad { vMax[i] = Swift.max(vMax[i], v[i]) }
                                let denom = T.fsqrt(amsgrad ? vMax[i] : v[i]) / bc2Sqrt + eps
                                w[i] += stepSize * m[i] / denom
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `torch.optim.AdamW`: Adam with weight decay applied to the parameters
/// directly (`p *= 1 − lr·wd`) rather than added to the gradient.
public final class AdamW: Adam {
    public convenience init(params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false) {
        let d = Adam.defaults(lr, betas, eps, weightDecay, amsgrad, maximize, true)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false) throws {
        let d = Adam.defaults(lr, betas, eps, weightDecay, amsgrad, maximize, true)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "adamw", validate: adamValidate("adamw")), defaults: d)
    }

    override public var typeName: String { "adamw" }
}

/// `torch.optim.Adamax`: Adam with the infinity norm in place of the second moment.
public final class Adamax: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, maximize: Bool = false) {
        let d = adamDefaults(lr, betas, eps, weightDecay, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) throws {
        let d = adamDefaults(lr, betas, eps, weightDecay, maximize)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "adamax", validate: adamValidate("adamax")), defaults: d)
    }

    override public var typeName: String { "adamax" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            let step = incrementStep(for: p)
            if p.dtype == .float64 {
                try update(Double.self, group, p, grad, step)
            } else {
                try update(Float.self, group, p, grad, step)
            }
        }
    }

    /// m = lerp(m, g, 1−β₁); u = max(β₂·u, |g| + ε); p += −(lr / (1−β₁ᵗ)) · m / u.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor, _ step: Double) throws {
        let beta1 = group.option("beta1", 0.9), wd = group.option("weight_decay", 0)
        let sign: T = group.flag("maximize") ? -1 : 1, decay = T(flintDouble: wd)
        let w1 = T(flintDouble: 1 - beta1), b2 = T(flintDouble: group.option("beta2", 0.999)), eps = T(flintDouble: group.option("eps", 1e-8))
        let clr = T(flintDouble: -(group.lr / (1 - Foundation.pow(beta1, step))))
        let m = buffer("exp_avg", for: p).tensor, u = buffer("exp_inf", for: p).tensor
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try m.withUnsafeMutableElements(T.self) { m in
                    try u.withUnsafeMutableElements(T.self) { u in
                        for i in 0..<w.count {
                            let d = effectiveGradient(g[i], w[i], sign: sign, decay: decay, coupled: wd != 0)
                            m[i] = lerp(m[i], d, w1)
                            u[i] = Swift.max(u[i] * b2, Swift.abs(d) + eps)
                            w[i] += clr * m[i] / u[i]
                        }
                    }
                }
            }
        }
    }
}

/// `torch.optim.NAdam`: Adam with Nesterov momentum and the momentum-decay schedule
/// μₜ = β₁·(1 − ½·0.96^(t·ψ)).
public final class NAdam: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false,
                            maximize: Bool = false) {
        let d = NAdam.defaults(lr, betas, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 4e-3,
                            decoupledWeightDecay: Bool = false, maximize: Bool = false) throws {
        let d = NAdam.defaults(lr, betas, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "nadam", validate: adamValidate("nadam")), defaults: d)
    }

    private static func defaults(_ lr: Double, _ betas: (Double, Double), _ eps: Double, _ weightDecay: Double,
                                 _ momentumDecay: Double, _ decoupled: Bool, _ maximize: Bool) -> [String: Double] {
        adamDefaults(lr, betas, eps, weightDecay, maximize).merging(
            ["momentum_decay": momentumDecay, "decoupled_weight_decay": decoupled ? 1 : 0]) { $1 }
    }

    override public var typeName: String { "nadam" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            let step = incrementStep(for: p)
            let beta1 = group.option("beta1", 0.9), psi = group.option("momentum_decay", 4e-3)
            let mu = beta1 * (1 - 0.5 * Foundation.pow(0.96, step * psi))
            let muNext = beta1 * (1 - 0.5 * Foundation.pow(0.96, (step + 1) * psi))
            // PyTorch keeps the running product of μ in a float32 tensor.
            let muProduct = Double(Float(scalarState("mu_product", for: p, initial: 1)) * Float(mu))
            setScalarState("mu_product", for: p, muProduct)
            let coefficients = (grad: -group.lr * (1 - mu) / (1 - muProduct), avg: (-group.lr * muNext) / (1 - muProduct * muNext))
            if p.dtype == .float64 {
                try update(Double.self, group, p, grad, step, coefficients)
            } else {
                try update(Float.self, group, p, grad, step, coefficients)
            }
        }
    }

    /// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; d = √(v / (1−β₂ᵗ)) + ε;
    /// p += c_g · g / d + c_m · m / d with the μ-schedule coefficients.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor, _ step: Double,
                                         _ c: (grad: Double, avg: Double)) throws {
        let wd = group.option("weight_decay", 0), decoupled = group.flag("decoupled_weight_decay")
        let sign: T = group.flag("maximize") ? -1 : 1
        let decay = T(flintDouble: wd), shrink = T(flintDouble: 1 - group.lr * wd)
        let beta2 = group.option("beta2", 0.999)
        let w1 = T(flintDouble: 1 - group.option("beta1", 0.9)), b2 = T(flintDouble: beta2), w2 = T(flintDouble: 1 - beta2)
        let bc2 = T(flintDouble: 1 - Foundation.pow(beta2, step)), eps = T(flintDouble: group.option("eps", 1e-8))
        let cg = T(flintDouble: c.grad), cm = T(flintDouble: c.avg)
        let m = buffer("exp_avg", for: p).tensor, v = buffer("exp_avg_sq", for: p).tensor
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try m.withUnsafeMutableElements(T.self) { m in
                    try v.withUnsafeMutableElements(T.self) { v in
                        for i in 0..<w.count {
                            if decoupled && wd != 0 { w[i] *= shrink }
                            let d = effectiveGradient(g[i], w[i], sign: sign, decay: decay, coupled: !decoupled && wd != 0)
                            m[i] = lerp(m[i], d, w1)
                            v[i] = v[i] * b2 + w2 * d * d
                            let denom = T.fsqrt(v[i] / bc2) + eps
                            w[i] += cg * d / denom
                            w[i] += cm * m[i] / denom
                        }
                    }
                }
            }
        }
    }
}

/// `torch.optim.RAdam`: Adam whose adaptive term is switched on, with a
/// rectification factor, once the variance estimate is tractable (ρₜ > 5).
public final class RAdam: Optimizer {
    public convenience init(params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        let d = RAdam.defaults(lr, betas, eps, weightDecay, decoupledWeightDecay, maximize)
        self.init(groups: ParamGroup.single(params, d), defaults: d)
    }

    public convenience init(paramGroups: [ParamGroupSpec], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
                            maximize: Bool = false) throws {
        let d = RAdam.defaults(lr, betas, eps, weightDecay, decoupledWeightDecay, maximize)
        self.init(groups: try Optimizer.resolve(paramGroups, defaults: d, op: "radam", validate: adamValidate("radam")), defaults: d)
    }

    private static func defaults(_ lr: Double, _ betas: (Double, Double), _ eps: Double, _ weightDecay: Double,
                                 _ decoupled: Bool, _ maximize: Bool) -> [String: Double] {
        adamDefaults(lr, betas, eps, weightDecay, maximize).merging(["decoupled_weight_decay": decoupled ? 1 : 0]) { $1 }
    }

    override public var typeName: String { "radam" }

    override public func step() throws {
        try super.step()
        for (group, p, grad) in try parametersWithGradients() {
            let step = incrementStep(for: p)
            if p.dtype == .float64 {
                try update(Double.self, group, p, grad, step)
            } else {
                try update(Float.self, group, p, grad, step)
            }
        }
    }

    /// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; with m̂ = m / (1−β₁ᵗ):
    /// p −= m̂·lr·r·√(1−β₂ᵗ)/(√v + ε) when ρₜ > 5, else p −= m̂·lr.
    private func update<T: FloatElement>(_: T.Type, _ group: ParamGroup, _ p: Tensor, _ grad: Tensor, _ step: Double) throws {
        let lr = group.lr, wd = group.option("weight_decay", 0), decoupled = group.flag("decoupled_weight_decay")
        let beta1 = group.option("beta1", 0.9), beta2 = group.option("beta2", 0.999)
        let sign: T = group.flag("maximize") ? -1 : 1
        let decay = T(flintDouble: wd), shrink = T(flintDouble: 1 - lr * wd)
        let w1 = T(flintDouble: 1 - beta1), b2 = T(flintDouble: beta2), w2 = T(flintDouble: 1 - beta2)
        let bc1 = 1 - Foundation.pow(beta1, step), bc2 = 1 - Foundation.pow(beta2, step)
        let rhoInf = 2 / (1 - beta2) - 1
        let rhoT = rhoInf - 2 * step * Foundation.pow(beta2, step) / bc2
        let rectified = rhoT > 5
        let rect = rectified ? T(flintDouble: (((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)).squareRoot()) : 0
        let bc1T = T(flintDouble: bc1), lrT = T(flintDouble: lr), bc2Sqrt = T(flintDouble: Foundation.pow(bc2, 0.5))
        let eps = T(flintDouble: group.option("eps", 1e-8))
        let m = buffer("exp_avg", for: p).tensor, v = buffer("exp_avg_sq", for: p).tensor
        try grad.withUnsafeElements(T.self) { g in
            try p.withUnsafeMutableElements(T.self) { w in
                try m.withUnsafeMutableElements(T.self) { m in
                    try v.withUnsafeMutableElements(T.self) { v in
                        for i in 0..<w.count {
                            if decoupled && wd != 0 { w[i] *= shrink }
                            let d = effectiveGradient(g[i], w[i], sign: sign, decay: decay, coupled: !decoupled && wd != 0)
                            m[i] = lerp(m[i], d, w1)
                            v[i] = v[i] * b2 + w2 * d * d
                            let corrected = m[i] / bc1T
                            if rectified {
                                let adaptive = bc2Sqrt / (T.fsqrt(v[i]) + eps)
                                w[i] -= corrected * lrT * adaptive * rect
                            } else {
                                w[i] -= corrected * lrT
                            }
                        }
                    }
                }
            }
        }
    }
}
