import Flint

/// `torch.nn.ReLU`.
public final class ReLU: Module {
    override public var typeName: String { "relu" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// `torch.nn.Tanh`.
public final class Tanh: Module {
    override public var typeName: String { "tanh" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.tanh() }
}

/// `torch.nn.Sigmoid`.
public final class Sigmoid: Module {
    override public var typeName: String { "sigmoid" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
}

/// `torch.nn.Identity`.
public final class Identity: Module {
    override public var typeName: String { "identity" }
}

/// `torch.nn.Softmax(dim)`.
public final class Softmax: Module {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    override public var typeName: String { "softmax" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.softmax(dim: dim) }
}

/// `torch.nn.LogSoftmax(dim)`.
public final class LogSoftmax: Module {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    override public var typeName: String { "log_softmax" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.logSoftmax(dim: dim) }
}

/// `torch.nn.Flatten(start_dim=1, end_dim=-1)`.
public final class Flatten: Module {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }
    override public var typeName: String { "flatten" }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.flatten(startDim: startDim, endDim: endDim) }
}
