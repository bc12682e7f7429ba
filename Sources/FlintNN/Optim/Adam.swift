import Foundation
import CFlintKernels
import Flint

/// The Adam family (`torch.optim.Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`):
/// first and second moment estimates with bias correction. Each update is one
/// fused loop per parameter that repeats PyTorch's single-tensor arithmetic in
/// the parameter's precision, so the two agree step for step.

/// The checks every member of the family shares.
private func checkAdamFamily(_ op: String, lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double) throws {
    let check = OptionCheck(op)
    try check.nonNegative("lr", lr)
    try check.nonNegative("eps", eps)
    try check.nonNegative("weight_decay", weightDecay)
    try check.unitInterval("beta1", betas.0)
    try check.unitInterval("beta2", betas.1)
}

/// The gradient as the update sees it: negated under `maximize`, plus
/// L2 weight decay `wd·p` unless the decay is decoupled (applied to p instead).
@inline(__always)
private func effectiveGradient<T: FloatElement>(_ g: T, _ w: T, sign: T, decay: T, coupled: Bool) -> T {
    let d = sign * g
    return coupled ? d + decay * w : d
}

/// Options with PyTorch's `betas`, whose first `OneCycleLR` cycles as the momentum.
public protocol AdamFamilyOptions: OptimizerOptions {
    var betas: (Double, Double) { get set }
}

extension AdamFamilyOptions {
    public var cycledMomentum: Double? {
        get { betas.0 }
        set { if let newValue { betas.0 = newValue } }
    }
}

/// `torch.optim.Adam`'s arguments and defaults.
public struct AdamOptions: AdamFamilyOptions {
    public var lr: Double
    public var betas: (Double, Double)
    public var eps: Double
    public var weightDecay: Double
    public var amsgrad: Bool
    public var maximize: Bool
    public var decoupledWeightDecay: Bool

    public static let fields: [OptionField<AdamOptions>] = [
        .number("lr", \.lr),
        .pair("betas", \.betas),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .flag("amsgrad", \.amsgrad),
        .flag("maximize", \.maximize),
        .flag("decoupled_weight_decay", \.decoupledWeightDecay),
    ]

    public init(lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                amsgrad: Bool = false, maximize: Bool = false, decoupledWeightDecay: Bool = false) {
        (self.lr, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
        (self.amsgrad, self.maximize, self.decoupledWeightDecay) = (amsgrad, maximize, decoupledWeightDecay)
    }

    public func validate(op: String) throws {
        try checkAdamFamily(op, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
    }
}

/// `torch.optim.AdamW`'s arguments and defaults: Adam's, with a weight decay of 1e-2, always decoupled.
public struct AdamWOptions: AdamFamilyOptions {
    public var lr: Double
    public var betas: (Double, Double)
    public var eps: Double
    public var weightDecay: Double
    public var amsgrad: Bool
    public var maximize: Bool

    public static let fields: [OptionField<AdamWOptions>] = [
        .number("lr", \.lr),
        .pair("betas", \.betas),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .flag("amsgrad", \.amsgrad),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 1e-2,
                amsgrad: Bool = false, maximize: Bool = false) {
        (self.lr, self.betas, self.eps, self.weightDecay, self.amsgrad, self.maximize) = (lr, betas, eps, weightDecay, amsgrad, maximize)
    }

    /// The same update as Adam with decoupled weight decay.
    public var adam: AdamOptions {
        AdamOptions(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize,
                    decoupledWeightDecay: true)
    }

    public func validate(op: String) throws { try adam.validate(op: op) }
}

/// `torch.optim.Adamax`'s arguments and defaults.
public struct AdamaxOptions: AdamFamilyOptions {
    public var lr: Double
    public var betas: (Double, Double)
    public var eps: Double
    public var weightDecay: Double
    public var maximize: Bool

    public static let fields: [OptionField<AdamaxOptions>] = [
        .number("lr", \.lr),
        .pair("betas", \.betas),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                maximize: Bool = false) {
        (self.lr, self.betas, self.eps, self.weightDecay, self.maximize) = (lr, betas, eps, weightDecay, maximize)
    }

    public func validate(op: String) throws {
        try checkAdamFamily(op, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
    }
}

/// `torch.optim.NAdam`'s arguments and defaults.
public struct NAdamOptions: AdamFamilyOptions {
    public var lr: Double
    public var betas: (Double, Double)
    public var eps: Double
    public var weightDecay: Double
    public var momentumDecay: Double
    public var decoupledWeightDecay: Bool
    public var maximize: Bool

    public static let fields: [OptionField<NAdamOptions>] = [
        .number("lr", \.lr),
        .pair("betas", \.betas),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .number("momentum_decay", \.momentumDecay),
        .flag("decoupled_weight_decay", \.decoupledWeightDecay),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        (self.lr, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
        (self.momentumDecay, self.decoupledWeightDecay, self.maximize) = (momentumDecay, decoupledWeightDecay, maximize)
    }

    public func validate(op: String) throws {
        try checkAdamFamily(op, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
        try OptionCheck(op).nonNegative("momentum_decay", momentumDecay)
    }
}

/// `torch.optim.RAdam`'s arguments and defaults.
public struct RAdamOptions: AdamFamilyOptions {
    public var lr: Double
    public var betas: (Double, Double)
    public var eps: Double
    public var weightDecay: Double
    public var decoupledWeightDecay: Bool
    public var maximize: Bool

    public static let fields: [OptionField<RAdamOptions>] = [
        .number("lr", \.lr),
        .pair("betas", \.betas),
        .number("eps", \.eps),
        .number("weight_decay", \.weightDecay),
        .flag("decoupled_weight_decay", \.decoupledWeightDecay),
        .flag("maximize", \.maximize),
    ]

    public init(lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        (self.lr, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
        (self.decoupledWeightDecay, self.maximize) = (decoupledWeightDecay, maximize)
    }

    public func validate(op: String) throws {
        try checkAdamFamily(op, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
    }
}

/// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; v̂max = max(v̂max, v) (AMSGrad);
/// p += −(lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
private func adamUpdate<T: FloatElement, O>(_: T.Type, _ opt: TypedOptimizer<O>, _ o: AdamOptions, _ p: Tensor, _ grad: Tensor) throws {
    let step = opt.incrementStep(for: p)
    let lr = o.lr, (beta1, beta2) = o.betas, wd = o.weightDecay
    let m = opt.buffer("exp_avg", for: p).tensor, v = opt.buffer("exp_avg_sq", for: p).tensor
    let vMax = o.amsgrad ? opt.buffer("max_exp_avg_sq", for: p).tensor : nil
    // Each constant rounded to the parameter's precision, as PyTorch's Python scalars are.
    let sign: Double = o.maximize ? -1 : 1, shrink = 1 - lr * wd, w1 = 1 - beta1, w2 = 1 - beta2
    let stepSize = -(lr / (1 - Foundation.pow(beta1, step)))
    let bc2Sqrt = Foundation.pow(1 - Foundation.pow(beta2, step), 0.5)
    let coupled: Int32 = !o.decoupledWeightDecay && wd != 0 ? 1 : 0, decoupled: Int32 = o.decoupledWeightDecay && wd != 0 ? 1 : 0
    let near: Int32 = Swift.abs(T(flintDouble: w1)) < 0.5 ? 1 : 0
    try grad.withUnsafeElements(T.self) { gb in
        try p.withUnsafeMutableElements(T.self) { wb in
            try m.withUnsafeMutableElements(T.self) { mb in
                try v.withUnsafeMutableElements(T.self) { vb in
                    guard let g = gb.baseAddress, let w = wb.baseAddress, let m = mb.baseAddress,
                          let v = vb.baseAddress else { return }
                    let n = wb.count
                    func run(_ x: UnsafeMutablePointer<T>?) {
                        if T.self == Double.self {
                            var k = flint_adam_f64_step(sign: sign, decay: wd, shrink: shrink, w1: w1, b2: beta2, w2: w2,
                                                        step_size: stepSize, bc2_sqrt: bc2Sqrt, eps: o.eps,
                                                        coupled: coupled, decoupled: decoupled, near: near)
                            flint_adam_f64(kernelPointer(w), kernelPointer(g), kernelPointer(m), kernelPointer(v),
                                           kernelPointer(x), n, &k)
                        } else {
                            var k = flint_adam_f32_step(sign: Float(sign), decay: Float(wd), shrink: Float(shrink), w1: Float(w1),
                                                        b2: Float(beta2), w2: Float(w2), step_size: Float(stepSize),
                                                        bc2_sqrt: Float(bc2Sqrt), eps: Float(o.eps),
                                                        coupled: coupled, decoupled: decoupled, near: near)
                            flint_adam_f32(kernelPointer(w), kernelPointer(g), kernelPointer(m), kernelPointer(v),
                                           kernelPointer(x), n, &k)
                        }
                    }
                    guard let vMax else { return run(nil) }
                    try vMax.withUnsafeMutableElements(T.self) { run($0.baseAddress) }
                }
            }
        }
    }
}

/// `torch.optim.Adam` (and, with decoupled weight decay, AdamW's update), with AMSGrad.
public final class Adam: TypedOptimizer<AdamOptions> {
    override public class var name: String { "adam" }

    @_specialize(where T == Float)

    @_specialize(where T == Double)

    override public func update<T: FloatElement>(_: T.Type, _ o: AdamOptions, _ p: Tensor, _ grad: Tensor) throws {
        try adamUpdate(T.self, self, o, p, grad)
    }
}

/// `torch.optim.AdamW`: Adam with weight decay applied to the parameters
/// directly (`p *= 1 − lr·wd`) rather than added to the gradient.
public final class AdamW: TypedOptimizer<AdamWOptions> {
    override public class var name: String { "adamw" }

    @_specialize(where T == Float)

    @_specialize(where T == Double)

    override public func update<T: FloatElement>(_: T.Type, _ o: AdamWOptions, _ p: Tensor, _ grad: Tensor) throws {
        try adamUpdate(T.self, self, o.adam, p, grad)
    }
}

/// `torch.optim.Adamax`: Adam with the infinity norm in place of the second moment.
public final class Adamax: TypedOptimizer<AdamaxOptions> {
    override public class var name: String { "adamax" }

    /// m = lerp(m, g, 1−β₁); u = max(β₂·u, |g| + ε); p += −(lr / (1−β₁ᵗ)) · m / u.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: AdamaxOptions, _ p: Tensor, _ grad: Tensor) throws {
        let step = incrementStep(for: p)
        let beta1 = o.betas.0, wd = o.weightDecay
        let sign: T = o.maximize ? -1 : 1, decay = T(flintDouble: wd)
        let w1 = T(flintDouble: 1 - beta1), b2 = T(flintDouble: o.betas.1), eps = T(flintDouble: o.eps)
        let clr = T(flintDouble: -(o.lr / (1 - Foundation.pow(beta1, step))))
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
public final class NAdam: TypedOptimizer<NAdamOptions> {
    override public class var name: String { "nadam" }

    @_specialize(where T == Float)

    @_specialize(where T == Double)

    override public func update<T: FloatElement>(_: T.Type, _ o: NAdamOptions, _ p: Tensor, _ grad: Tensor) throws {
        let step = incrementStep(for: p)
        let beta1 = o.betas.0, psi = o.momentumDecay
        let mu = beta1 * (1 - 0.5 * Foundation.pow(0.96, step * psi))
        let muNext = beta1 * (1 - 0.5 * Foundation.pow(0.96, (step + 1) * psi))
        // PyTorch keeps the running product of μ in a float32 tensor.
        let muProduct = Double(Float(scalarState("mu_product", for: p, initial: 1)) * Float(mu))
        setScalarState("mu_product", for: p, muProduct)
        let coefficients = (grad: -o.lr * (1 - mu) / (1 - muProduct), avg: (-o.lr * muNext) / (1 - muProduct * muNext))
        try fusedUpdate(T.self, o, p, grad, step, coefficients)
    }

    /// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; d = √(v / (1−β₂ᵗ)) + ε;
    /// p += c_g · g / d + c_m · m / d with the μ-schedule coefficients.
    private func fusedUpdate<T: FloatElement>(_: T.Type, _ o: NAdamOptions, _ p: Tensor, _ grad: Tensor, _ step: Double,
                                              _ c: (grad: Double, avg: Double)) throws {
        let wd = o.weightDecay, decoupled = o.decoupledWeightDecay
        let sign: T = o.maximize ? -1 : 1
        let decay = T(flintDouble: wd), shrink = T(flintDouble: 1 - o.lr * wd)
        let beta2 = o.betas.1
        let w1 = T(flintDouble: 1 - o.betas.0), b2 = T(flintDouble: beta2), w2 = T(flintDouble: 1 - beta2)
        let bc2 = T(flintDouble: 1 - Foundation.pow(beta2, step)), eps = T(flintDouble: o.eps)
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
                            let denom = (v[i] / bc2).squareRoot() + eps
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
public final class RAdam: TypedOptimizer<RAdamOptions> {
    override public class var name: String { "radam" }

    /// m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; with m̂ = m / (1−β₁ᵗ):
    /// p −= m̂·lr·r·√(1−β₂ᵗ)/(√v + ε) when ρₜ > 5, else p −= m̂·lr.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: RAdamOptions, _ p: Tensor, _ grad: Tensor) throws {
        let step = incrementStep(for: p)
        let lr = o.lr, wd = o.weightDecay, decoupled = o.decoupledWeightDecay
        let (beta1, beta2) = o.betas
        let sign: T = o.maximize ? -1 : 1
        let decay = T(flintDouble: wd), shrink = T(flintDouble: 1 - lr * wd)
        let w1 = T(flintDouble: 1 - beta1), b2 = T(flintDouble: beta2), w2 = T(flintDouble: 1 - beta2)
        let bc1 = 1 - Foundation.pow(beta1, step), bc2 = 1 - Foundation.pow(beta2, step)
        let rhoInf = 2 / (1 - beta2) - 1
        let rhoT = rhoInf - 2 * step * Foundation.pow(beta2, step) / bc2
        let rectified = rhoT > 5
        let rect = rectified ? T(flintDouble: (((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)).squareRoot()) : 0
        let bc1T = T(flintDouble: bc1), lrT = T(flintDouble: lr), bc2Sqrt = T(flintDouble: Foundation.pow(bc2, 0.5))
        let eps = T(flintDouble: o.eps)
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
                                let adaptive = bc2Sqrt / (v[i].squareRoot() + eps)
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
