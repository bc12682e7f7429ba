import Foundation
import FlintTrain
import Flint
import ONNXProto

/// An ONNX graph under construction: nodes in execution order and the
/// initializers (weights) they read. Value names are unique; weights keep
/// their PyTorch state-dict names, so the graph reads like the `state_dict`.
public final class ONNXGraphBuilder {
    public private(set) var nodes: [Onnx_NodeProto] = []
    public private(set) var initializers: [Onnx_TensorProto] = []
    private var names: Set<String> = []

    public init(reserving reserved: [String] = []) {
        names = Set(reserved)
    }

    /// `base`, or `base_1`, `base_2`, … if taken; reserves the result.
    public func fresh(_ base: String) -> String {
        var name = base.isEmpty ? "v" : base
        var n = 1
        while names.contains(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        names.insert(name)
        return name
    }

    /// Adds `tensor` as a weight named `name` (exactly, when free) and returns the value name.
    @discardableResult
    public func initializer(_ name: String, _ tensor: Tensor) throws -> String {
        let unique = fresh(name)
        var proto = Onnx_TensorProto()
        proto.name = unique
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = Self.dataType(tensor.dtype)
        // raw_data is little-endian, as Flint's storage is on every platform it builds for.
        proto.rawData = tensor.withContiguousBytes { Data($0) }
        initializers.append(proto)
        return unique
    }

    /// An int64 vector weight, for shape operands such as Reshape's.
    public func constant(_ name: String, int64s values: [Int64]) throws -> String {
        try initializer(name, try Tensor(values))
    }

    /// Appends a node and returns its output value.
    @discardableResult
    public func node(_ op: String, _ inputs: [String], name: String, attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, name: name, attributes: attributes, outputs: 1)[0]
    }

    /// Appends a node with `outputs` outputs (`Split`) and returns them in order.
    public func node(_ op: String, _ inputs: [String], name: String, attributes: [Onnx_AttributeProto] = [], outputs: Int) -> [String] {
        var proto = Onnx_NodeProto()
        proto.opType = op
        proto.name = fresh(name.isEmpty ? op : name + "/" + op)
        proto.input = inputs
        proto.output = (0..<outputs).map { i in fresh(proto.name + (i == 0 ? "_output" : "_output\(i)")) }
        proto.attribute = attributes
        nodes.append(proto)
        return proto.output
    }

    /// Renames the value `old` everywhere it appears.
    func rename(_ old: String, to new: String) {
        names.insert(new)
        for i in nodes.indices {
            nodes[i].output = nodes[i].output.map { $0 == old ? new : $0 }
            nodes[i].input = nodes[i].input.map { $0 == old ? new : $0 }
        }
    }

    /// ONNX's `TensorProto.DataType` of a Flint dtype.
    static func dataType(_ dtype: DType) -> Int32 {
        switch dtype {
        case .float32: return 1
        case .uint8: return 2
        case .int32: return 6
        case .int64: return 7
        case .bool: return 9
        case .float64: return 11
        }
    }
}

/// Attributes of ONNX nodes.
public enum ONNXAttribute {
    public static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    public static func float(_ name: String, _ value: Double) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = Float(value)
        return a
    }

    public static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map { Int64($0) }
        return a
    }

    public static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }

    public static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }
}
