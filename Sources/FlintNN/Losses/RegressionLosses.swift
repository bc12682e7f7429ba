import Flint

/// Pointwise regression losses over inputs and targets of one shape:
/// `MSELoss`, `L1Loss`, `SmoothL1Loss`, `HuberLoss`. All composite.

/// `torch.nn.MSELoss`: (x − y)².
public struct MSELoss: Loss {
    public var reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    public var typeName: String { "mse_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        return try (input - target).square().reduced(reduction)
    }
}

/// `torch.nn.L1Loss`: |x − y|.
public struct L1Loss: Loss {
    public var reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    public var typeName: String { "l1_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        return try (input - target).abs().reduced(reduction)
    }
}

/// `torch.nn.SmoothL1Loss(beta)`: ½d²/β where |d| < β, else |d| − ½β (L1 when β = 0).
public struct SmoothL1Loss: Loss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let beta = 1.0
    }

    public var reduction: Reduction
    public var beta: Double

    public init(reduction: Reduction = .mean, beta: Double = Defaults.beta) {
        self.reduction = reduction
        self.beta = beta
    }

    public var typeName: String { "smooth_l1_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        guard beta >= 0 else { throw TensorError.invalidArgument(op: typeName, message: "beta must be non-negative, got \(beta)") }
        let d = try input - target, a = try d.abs()
        if beta == 0 { return try a.reduced(reduction) }
        let quadratic = try d.square() * (0.5 / beta)
        return try Tensor.whereMask(a.lt(beta), quadratic, a - 0.5 * beta).reduced(reduction)
    }
}

/// `torch.nn.HuberLoss(delta)`: ½d² where |d| < δ, else δ·(|d| − ½δ).
public struct HuberLoss: Loss {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let delta = 1.0
    }

    public var reduction: Reduction
    public var delta: Double

    public init(reduction: Reduction = .mean, delta: Double = Defaults.delta) {
        self.reduction = reduction
        self.delta = delta
    }

    public var typeName: String { "huber_loss" }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try checkSameShape(input, target, typeName)
        guard delta > 0 else { throw TensorError.invalidArgument(op: typeName, message: "delta must be positive, got \(delta)") }
        let d = try input - target, a = try d.abs()
        return try Tensor.whereMask(a.lt(delta), d.square() * 0.5, (a - 0.5 * delta) * delta).reduced(reduction)
    }
}
