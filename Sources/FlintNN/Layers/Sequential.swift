import Flint

/// `torch.nn.Sequential`: children applied in order; each child's name is
/// its state-dict prefix (`0`, `1`, ... unless named).
public final class Sequential: Module {
    public init(_ layers: [(name: String, module: Module)]) {
        super.init()
        for (name, m) in layers { registerModule(name, m) }
    }

    public convenience init(_ modules: [Module]) {
        self.init(modules.enumerated().map { (String($0.offset), $0.element) })
    }

    override public var typeName: String { "sequential" }

    override public func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        for (_, m) in childSlots { h = try m.forward(h) }
        return h
    }
}
