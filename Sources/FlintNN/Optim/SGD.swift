import CFlintKernels
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

    /// One fused pass per parameter (a C loop per setting, `flint_sgd_*`): d = ±g + wd·p;
    /// buf = μ·buf + (1−τ)·d (buf = d on the first step); d = d + μ·buf (Nesterov) or buf; p −= lr·d.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    override public func update<T: FloatElement>(_: T.Type, _ o: SGDOptions, _ p: Tensor, _ grad: Tensor) throws {
        let (buf, isNew) = o.momentum == 0 ? (nil, false) : buffer("momentum_buffer", for: p)
        let fresh: Int32 = isNew ? 1 : 0, nesterov: Int32 = o.nesterov ? 1 : 0, sign: Double = o.maximize ? -1 : 1
        try grad.withUnsafeElements(T.self) { gb in
            try p.withUnsafeMutableElements(T.self) { wb in
                guard let g = gb.baseAddress, let w = wb.baseAddress else { return }
                let n = wb.count
                func run(_ b: UnsafeMutablePointer<T>?) {
                    if T.self == Double.self {
                        flint_sgd_f64(kernelPointer(w), kernelPointer(g), kernelPointer(b), n, o.lr, o.momentum,
                                      1 - o.dampening, o.weightDecay, sign, fresh, nesterov)
                    } else {
                        flint_sgd_f32(kernelPointer(w), kernelPointer(g), kernelPointer(b), n, Float(o.lr), Float(o.momentum),
                                      Float(1 - o.dampening), Float(o.weightDecay), Float(sign), fresh, nesterov)
                    }
                }
                guard let buf else { return run(nil) }
                try buf.withUnsafeMutableElements(T.self) { run($0.baseAddress) }
            }
        }
    }
}
