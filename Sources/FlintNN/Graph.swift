import Flint

/// A network whose layers form a directed acyclic graph rather than a chain:
/// residual connections, branches joined by `Add`, `Mul` or `Cat`, several outputs.
///
/// Each node is a named child module (its name is its state-dict prefix, as in
/// `Sequential`: `block1.0.weight`) with a list of inputs, each either the graph's
/// input or another node. Nodes run in the order given, which must be topological
/// (every input defined before it is used); `init` checks this, so a cycle or a
/// dangling name is an error when the graph is made, not when it runs.
///
///     let graph = try Graph(nodes: [
///         .init("conv", Conv2d(...), inputs: [.input]),
///         .init("add", Add(), inputs: [.input, .node("conv")]),
///     ])
public final class Graph: Module {
    /// Where a node's input comes from.
    public enum Source: Hashable, Sendable, CustomStringConvertible {
        /// The tensor passed to `forward`.
        case input
        /// The output of the node of that name.
        case node(String)

        public var description: String {
            switch self {
            case .input: return "input"
            case .node(let name): return name
            }
        }
    }

    /// One layer of the graph.
    public struct Node {
        public let name: String
        public let module: Module
        public let inputs: [Source]

        public init(_ name: String, _ module: Module, inputs: [Source]) {
            self.name = name
            self.module = module
            self.inputs = inputs
        }
    }

    /// The nodes in execution order.
    public let nodes: [Node]
    /// What `forwardOutputs` returns, in order; `forward` returns the first.
    public let outputs: [Source]
    /// For each node, the slot of each of its inputs in the value table (0 is the graph's input).
    private let inputSlots: [[Int]]
    private let outputSlots: [Int]
    /// The last node that reads each slot, so intermediate values are released as soon as possible.
    private let lastUse: [Int]

    /// - Parameters:
    ///   - nodes: in topological order; names unique.
    ///   - outputs: the graph's results; the last node when omitted.
    public init(nodes: [Node], outputs: [Source]? = nil) throws {
        var slot: [String: Int] = [:]
        var slots: [[Int]] = []
        for node in nodes {
            guard slot[node.name] == nil else {
                throw TensorError.invalidArgument(op: "graph", message: "duplicate node name '\(node.name)'")
            }
            guard !node.inputs.isEmpty else {
                throw TensorError.invalidArgument(op: "graph", message: "node '\(node.name)' has no inputs")
            }
            slots.append(try node.inputs.map { source in
                switch source {
                case .input: return 0
                case .node(let name):
                    guard let index = slot[name] else {
                        throw TensorError.invalidArgument(
                            op: "graph", message: "node '\(node.name)' reads '\(name)', which is not defined before it")
                    }
                    return index
                }
            })
            slot[node.name] = slot.count + 1
        }
        let outputs = outputs ?? nodes.last.map { [.node($0.name)] } ?? [.input]
        let outputSlots = try outputs.map { source -> Int in
            switch source {
            case .input: return 0
            case .node(let name):
                guard let index = slot[name] else {
                    throw TensorError.invalidArgument(op: "graph", message: "unknown output '\(name)'")
                }
                return index
            }
        }
        var lastUse = [Int](repeating: -1, count: nodes.count + 1)
        for (position, inputs) in slots.enumerated() {
            for index in inputs { lastUse[index] = position }
        }
        for index in outputSlots { lastUse[index] = Int.max }
        self.nodes = nodes
        self.outputs = outputs
        self.inputSlots = slots
        self.outputSlots = outputSlots
        self.lastUse = lastUse
        super.init()
        for node in nodes { registerModule(node.name, node.module) }
    }

    override public var typeName: String { "graph" }

    /// The first output.
    override public func forward(_ x: Tensor) throws -> Tensor {
        let results = try forwardOutputs(x)
        guard let first = results.first else {
            throw TensorError.invalidArgument(op: "graph", message: "the graph has no outputs")
        }
        return first
    }

    /// Every output, in the order of `outputs`.
    public func forwardOutputs(_ x: Tensor) throws -> [Tensor] {
        var values = [Tensor?](repeating: nil, count: nodes.count + 1)
        values[0] = x
        for (position, node) in nodes.enumerated() {
            let inputs = try inputSlots[position].map { index -> Tensor in
                guard let value = values[index] else {
                    throw TensorError.invalidArgument(op: "graph", message: "node '\(node.name)' read a released value")
                }
                return value
            }
            values[position + 1] = inputs.count == 1 ? try node.module.forward(inputs[0]) : try node.module.forward(inputs)
            for index in inputSlots[position] where lastUse[index] == position { values[index] = nil }
        }
        return try outputSlots.map { index in
            guard let value = values[index] else {
                throw TensorError.invalidArgument(op: "graph", message: "an output was released before the end")
            }
            return value
        }
    }
}

/// `torch.add` of several branches, as a layer (the join of a residual connection).
/// Inputs broadcast as in PyTorch.
public final class Add: Module {
    override public var typeName: String { "add" }

    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard var sum = inputs.first else {
            throw TensorError.invalidArgument(op: "add", message: "expects at least 1 input, got 0")
        }
        for input in inputs.dropFirst() { sum = try sum + input }
        return sum
    }
}

/// `torch.mul` of several branches, elementwise (gating). Inputs broadcast as in PyTorch.
public final class Mul: Module {
    override public var typeName: String { "mul" }

    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard var product = inputs.first else {
            throw TensorError.invalidArgument(op: "mul", message: "expects at least 1 input, got 0")
        }
        for input in inputs.dropFirst() { product = try product * input }
        return product
    }
}

/// `torch.cat` of several branches along `dim` (of the batched tensors: 1 is the channels of `[N, C, H, W]`).
public final class Cat: Module {
    /// The default, written once: the initialiser's argument and the spec's schema read it. Dimension 1 of the
    /// batched tensors (torch.cat's default, 0, would be the batch).
    public enum Defaults {
        public static let dim = 1
    }
    public let dim: Int

    public init(dim: Int = Defaults.dim) {
        self.dim = dim
        super.init()
    }

    override public var typeName: String { "cat" }

    override public func forward(_ inputs: [Tensor]) throws -> Tensor {
        try Tensor.cat(inputs, dim: dim)
    }
}
