import Flint

/// The base of every layer, like `torch.nn.Module`: named parameters,
/// buffers and children, train/eval mode, and a `state_dict`.
///
/// Subclasses register what they own in `init` and override `forward`.
open class Module {
    public private(set) var parameterSlots: [(name: String, tensor: Tensor)] = []
    public private(set) var bufferSlots: [(name: String, tensor: Tensor)] = []
    public private(set) var childSlots: [(name: String, module: Module)] = []
    /// `module.training`; switched by `train()` and `eval()`.
    public private(set) var training = true

    public init() {}

    /// The PyTorch class name in snake_case, for summaries and errors.
    open var typeName: String { String(describing: type(of: self)).lowercased() }

    open func forward(_ x: Tensor) throws -> Tensor { x }

    /// Several-input forward; single-input modules take the first input.
    open func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 1 else {
            throw TensorError.invalidArgument(op: typeName, message: "expects 1 input, got \(inputs.count)")
        }
        return try forward(inputs[0])
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    /// The per-sample output shape (without the batch dimension) for a
    /// per-sample input shape, or an error naming the layer and the shape when
    /// the input does not fit. The spec builder chains these to infer sizes
    /// and check a model before any data flows.
    open func outputShape(input: [Int]) throws -> [Int] { input }

    /// The parameter registered as `name` on this module (not its children).
    public func parameter(_ name: String) -> Tensor? { parameterSlots.first { $0.name == name }?.tensor }

    /// The buffer registered as `name` on this module (not its children).
    public func buffer(_ name: String) -> Tensor? { bufferSlots.first { $0.name == name }?.tensor }

    /// The child registered as `name`.
    public func child(_ name: String) -> Module? { childSlots.first { $0.name == name }?.module }

    /// Registers a parameter (made to require grad) under `name`.
    @discardableResult
    public func registerParameter(_ name: String, _ tensor: Tensor) -> Tensor {
        tensor.requiresGrad = true
        if let i = parameterSlots.firstIndex(where: { $0.name == name }) {
            parameterSlots[i].tensor = tensor
        } else {
            parameterSlots.append((name, tensor))
        }
        return tensor
    }

    /// Registers a buffer (state that is saved but not trained, like running means).
    @discardableResult
    public func registerBuffer(_ name: String, _ tensor: Tensor) -> Tensor {
        if let i = bufferSlots.firstIndex(where: { $0.name == name }) {
            bufferSlots[i].tensor = tensor
        } else {
            bufferSlots.append((name, tensor))
        }
        return tensor
    }

    /// Registers a child module under `name` (its parameters get the `name.` prefix).
    @discardableResult
    public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
        childSlots.append((name, module))
        return module
    }

    /// Every parameter of this module and its children, with dotted PyTorch names.
    /// A tensor registered twice (tied weights) is listed once, under its first name,
    /// as PyTorch's `named_parameters()` does, so an optimizer steps it once.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var seen: Set<ObjectIdentifier> = []
        return allParameters(prefix: prefix).filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
    }

    private func allParameters(prefix: String) -> [(name: String, tensor: Tensor)] {
        var out = parameterSlots.map { (prefix + $0.name, $0.tensor) }
        for (name, child) in childSlots { out += child.allParameters(prefix: prefix + name + ".") }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map { $0.tensor } }

    public func namedBuffers(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out = bufferSlots.map { (prefix + $0.name, $0.tensor) }
        for (name, child) in childSlots { out += child.namedBuffers(prefix: prefix + name + ".") }
        return out
    }

    /// Parameters then buffers, by name: what a checkpoint stores.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        collectState(prefix: "", into: &out)
        return out
    }

    private func collectState(prefix: String, into out: inout [(String, Tensor)]) {
        for p in parameterSlots { out.append((prefix + p.name, p.tensor)) }
        for b in bufferSlots { out.append((prefix + b.name, b.tensor)) }
        for (name, child) in childSlots { child.collectState(prefix: prefix + name + ".", into: &out) }
    }

    /// Copies values into parameters and buffers by name (`load_state_dict`).
    /// Strict: every key must match, with equal shapes.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        let own = stateDict()
        let ownNames = Set(own.map { $0.name })
        let missing = own.map { $0.name }.filter { state[$0] == nil }
        let unexpected = state.keys.filter { !ownNames.contains($0) }.sorted()
        if strict && (!missing.isEmpty || !unexpected.isEmpty) {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
            throw TensorError.invalidArgument(op: "load_state_dict", message: parts.joined(separator: "; "))
        }
        for (name, tensor) in own {
            guard let value = state[name] else { continue }
            guard value.shape == tensor.shape else {
                throw TensorError.shapeMismatch(op: "load_state_dict", shapes: [value.shape, tensor.shape], detail: "for '\(name)': checkpoint vs model")
            }
            try tensor.copyFrom(value)
        }
        return (missing, unexpected)
    }

    /// `train(mode)` on this module and every child.
    public func train(_ mode: Bool = true) {
        training = mode
        for (_, child) in childSlots { child.train(mode) }
    }

    /// `eval()`: inference behaviour for dropout and batch norm.
    public func eval() { train(false) }

    /// Sets `.grad` of every parameter to nil (`zero_grad(set_to_none=True)`).
    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }
}
