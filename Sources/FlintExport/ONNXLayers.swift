import Foundation
import FlintTrain
import Flint
import FlintNN
import ONNXProto

/// What a layer's ONNX mapping sees: the module, where it sits in the
/// state dict, the values flowing in and the per-sample shapes (without the
/// batch dimension, which stays dynamic) on both sides.
public struct ONNXLayerContext {
    public let module: Module
    /// State-dict prefix with its trailing dot (`"3."`), empty for the root.
    public let prefix: String
    /// One value for most layers; several for merges (`add`, `cat`).
    public let inputs: [String]
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    public let graph: ONNXGraphBuilder
    let exporter: ONNXExporter

    public var input: String { inputs[0] }
    public var inputShape: [Int] { inputShapes[0] }
    /// Rank of the batched input, for normalising negative dims.
    public var batchedRank: Int { inputShape.count + 1 }

    /// The layer's name for nodes and messages: its state-dict path, or its type at the root.
    public var name: String { prefix.isEmpty ? module.typeName : String(prefix.dropLast()) }

    /// A parameter or buffer of this module as a graph weight named by its
    /// state-dict key (`3.weight`), or nil when the module has none of that name.
    public func weight(_ local: String) throws -> String? {
        guard module.parameter(local) ?? module.buffer(local) != nil else { return nil }
        return try requiredWeight(local)
    }

    /// A weight that the mapping cannot do without.
    public func requiredWeight(_ local: String) throws -> String {
        try graph.initializer(prefix + local, try requiredTensor(local))
    }

    /// The value of a parameter or buffer that the mapping cannot do without,
    /// for weights the graph needs rearranged.
    public func requiredTensor(_ local: String) throws -> Tensor {
        guard let tensor = module.parameter(local) ?? module.buffer(local) else {
            throw TrainError.runtime("onnx export: layer '\(self.name)' (\(module.typeName)) has no '\(local)' to export")
        }
        return tensor.detach()
    }

    /// Exports a child of a container and returns its output value and per-sample shape.
    public func emit(_ child: Module, named childName: String, inputs: [String], shapes: [[Int]]) throws -> (value: String, shape: [Int]) {
        try exporter.emit(child, prefix: prefix + childName + ".", inputs: inputs, shapes: shapes, graph: graph)
    }

    /// An error for a setting of this layer that ONNX (opset 17) cannot express.
    public func unsupported(_ what: String) -> TrainError {
        .badInput("onnx export: layer '\(name)' (\(module.typeName)): \(what) has no ONNX opset \(ONNXExporter.opset) equivalent")
    }

    /// The module as the class its type name promises, or an error naming the layer.
    public func module<M: Module>(as type: M.Type) throws -> M {
        guard let m = module as? M else {
            throw TrainError.runtime("onnx export: layer '\(name)' calls itself \(module.typeName) but is a \(Swift.type(of: module)), not \(M.self)")
        }
        return m
    }

    /// A weight made for the graph from this layer's own (gates reordered,
    /// a matrix transposed), named `<layer>.<suffix>`.
    public func derivedWeight(_ suffix: String, _ tensor: Tensor) throws -> String {
        try graph.initializer(name + "." + suffix, tensor.detach())
    }

    /// A float32 constant weight, for operands such as fixed scales.
    public func constant(_ suffix: String, _ values: [Float], shape: [Int]) throws -> String {
        try derivedWeight(suffix, try Tensor(values, shape: shape))
    }

    /// An int64 vector, for shape and axes operands (`Reshape`, `ReduceSum`).
    public func int64s(_ suffix: String, _ values: [Int]) throws -> String {
        try graph.constant(name + "." + suffix, int64s: values.map { Int64($0) })
    }

    /// A child module that the mapping cannot do without.
    public func child(_ childName: String) throws -> Module {
        guard let child = module.child(childName) else {
            throw TrainError.runtime("onnx export: layer '\(name)' (\(module.typeName)) has no child '\(childName)' to export")
        }
        return child
    }

    /// Exports the child `childName` on one input and returns its output value and per-sample shape.
    public func emit(child childName: String, input: String, shape: [Int]) throws -> (value: String, shape: [Int]) {
        try emit(try child(childName), named: childName, inputs: [input], shapes: [shape])
    }

    /// `dim` of the batched tensors as a non-negative axis.
    public func axis(_ dim: Int) -> Int { dim < 0 ? dim + batchedRank : dim }

    /// Appends a node named after this layer and returns its output value.
    @discardableResult
    public func node(_ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []) -> String {
        graph.node(op, inputs, name: name, attributes: attributes)
    }

    /// Appends a node with several outputs (`Split`) and returns them in order.
    public func node(_ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = [], outputs: Int) -> [String] {
        graph.node(op, inputs, name: name, attributes: attributes, outputs: outputs)
    }

    /// `Reshape` of `value` to `[batch] + shape`, the batch size copied (0) so it stays dynamic.
    public func reshape(_ value: String, to shape: [Int]) throws -> String {
        node("Reshape", [value, try int64s("shape", [0] + shape)])
    }

    /// `Transpose` of `value` by `perm`.
    public func transpose(_ value: String, _ perm: [Int]) -> String {
        node("Transpose", [value], [ONNXAttribute.ints("perm", perm)])
    }
}

/// Emits the ONNX nodes of one layer and returns the value it produces.
public typealias ONNXLayerMapping = (_ layer: ONNXLayerContext) throws -> String

/// How each module type becomes ONNX (opset 17) nodes, keyed by the module's
/// `typeName` — the same snake_case PyTorch names as the spec's layer types.
/// A module type missing here makes the export fail with a message naming the
/// layer; a new layer adds its entry to the group it belongs to.
public enum ONNXLayers {
    nonisolated(unsafe) public static var table: [String: ONNXLayerMapping] =
        structure.merging(activations) { a, _ in a }.merging(spatial) { a, _ in a }.merging(sequence) { a, _ in a }

    /// Containers, linear maps, reshapes, merges and inference no-ops.
    static let structure: [String: ONNXLayerMapping] = [
        "sequential": { layer in
            var value = layer.input, shape = layer.inputShape
            for (childName, child) in layer.module.childSlots {
                (value, shape) = try layer.emit(child, named: childName, inputs: [value], shapes: [shape])
            }
            return value
        },
        "graph": { layer in
            guard let first = try graphOutputs(layer).first else {
                throw TrainError.runtime("onnx export: graph '\(layer.name)' has no outputs")
            }
            return first.value
        },
        "linear": { layer in
            let weight = try layer.requiredWeight("weight")
            let bias = try layer.weight("bias")
            // Gemm takes 2-D inputs only: [batch, in] · Wᵀ + b.
            if layer.inputShape.count == 1 {
                return layer.node("Gemm", [layer.input, weight] + (bias.map { [$0] } ?? []), [ONNXAttribute.int("transB", 1)])
            }
            let transposed = layer.node("Transpose", [weight], [ONNXAttribute.ints("perm", [1, 0])])
            let product = layer.node("MatMul", [layer.input, transposed])
            return bias.map { layer.node("Add", [product, $0]) } ?? product
        },
        "identity": { layer in layer.node("Identity", [layer.input]) },
        // Inference graphs: dropout is the identity in eval mode.
        "dropout": { layer in layer.node("Identity", [layer.input]) },
        "dropout2d": { layer in layer.node("Identity", [layer.input]) },
        "flatten": { layer in
            let flatten = try layer.module(as: Flatten.self)
            let end = layer.axis(flatten.endDim)
            // ONNX Flatten always makes 2-D [d0·…·d(axis-1), rest]; that is
            // torch's flatten only for start_dim 1 through the last dim.
            if flatten.startDim == 1 && end == layer.batchedRank - 1 {
                return layer.node("Flatten", [layer.input], [ONNXAttribute.int("axis", 1)])
            }
            return try reshape(layer)
        },
        "unflatten": { layer in try reshape(layer) },
        "add": { layer in layer.node("Sum", layer.inputs) },
        "mul": { layer in
            var product = layer.input
            for other in layer.inputs.dropFirst() { product = layer.node("Mul", [product, other]) }
            return product
        },
        "cat": { layer in
            layer.node("Concat", layer.inputs, [ONNXAttribute.int("axis", layer.axis(try layer.module(as: Cat.self).dim))])
        },
        // y = x₁ᵀ A x₂ + b as two products: t = x₁ · A' with A' = A as [in1, out·in2],
        // then y_o = Σ_j t_oj · x₂_j over the last axis.
        "bilinear": { layer in
            let bilinear = try layer.module(as: Bilinear.self)
            guard layer.inputs.count == 2 else { throw TrainError.runtime("onnx export: bilinear layer '\(layer.name)' is given \(layer.inputs.count) inputs") }
            let (o, i1, i2) = (bilinear.outFeatures, bilinear.in1Features, bilinear.in2Features)
            let weight = try layer.requiredTensor("weight")
            let matrix = try layer.derivedWeight("weight_as_matrix", try weight.permute([1, 0, 2]).contiguous().reshape([i1, o * i2]))
            let leading = Array(layer.inputShape.dropLast())
            let t = try layer.reshape(layer.node("MatMul", [layer.input, matrix]), to: leading + [o, i2])
            let x2 = try layer.reshape(layer.inputs[1], to: leading + [1, i2])
            let y = layer.node("ReduceSum", [layer.node("Mul", [t, x2]), try layer.int64s("last_axis", [-1])], [ONNXAttribute.int("keepdims", 0)])
            return try layer.weight("bias").map { layer.node("Add", [y, $0]) } ?? y
        },
    ]

    /// Emits every node of a `Graph` and returns each of its outputs, in
    /// order, with its per-sample shape: the first is what the graph's
    /// `forward` returns, all of them are what `forwardOutputs` returns.
    static func graphOutputs(_ layer: ONNXLayerContext) throws -> [(value: String, shape: [Int])] {
        let graph = try layer.module(as: Graph.self)
        var values: [String: (value: String, shape: [Int])] = [:]
        func lookup(_ source: Graph.Source) throws -> (value: String, shape: [Int]) {
            switch source {
            case .input: return (layer.input, layer.inputShape)
            case .node(let n):
                guard let v = values[n] else { throw TrainError.runtime("onnx export: graph node '\(n)' is read before it is made") }
                return v
            }
        }
        for node in graph.nodes {
            let ins = try node.inputs.map(lookup)
            values[node.name] = try layer.emit(node.module, named: node.name, inputs: ins.map(\.value), shapes: ins.map(\.shape))
        }
        return try graph.outputs.map(lookup)
    }

    /// Reshape to the known per-sample output shape, copying the batch size (0).
    static func reshape(_ layer: ONNXLayerContext) throws -> String {
        try layer.reshape(layer.input, to: layer.outputShape)
    }
}
