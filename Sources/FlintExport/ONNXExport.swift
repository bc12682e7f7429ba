import Foundation
import FlintTrain
import Flint
import FlintNN
import ONNXProto

/// The model of a checkpoint as an ONNX model (opset 17): the inference
/// graph (dropout off, batch norm with running statistics) with a dynamic
/// batch dimension. Its input `input` is a float32 batch after the spec's
/// transforms (int64 indices for a model that starts with an embedding), or
/// with `preprocessing` a batch as the dataset stores it (see `emitPreprocessing`);
/// its output `output` is what `flint predict` writes as `outputs`. A model
/// of several outputs (`model.outputs: [a, b]`) has one graph output per
/// declared output, named by it and in its order (`a`, `b`), each what
/// `flint predict` writes as `outputs/<name>`.
public struct ONNXExporter {
    public static let opset: Int64 = 17
    /// The IR version that goes with opset 17.
    public static let irVersion: Int64 = 8
    public static let inputName = "input", outputName = "output"
    /// Whether the graph starts with the spec's `data.transforms`, taking inputs as the dataset stores them.
    public var preprocessing: Bool

    public init(preprocessing: Bool = false) {
        self.preprocessing = preprocessing
    }

    /// The names of the graph outputs of `restored`, in order.
    public static func outputNames(_ restored: RestoredModel) -> [String] {
        restored.outputs.count == 1 ? [outputName] : restored.outputs.map(\.name)
    }

    /// The ONNX model of `restored`.
    public func model(_ restored: RestoredModel) throws -> Onnx_ModelProto {
        let names = Self.outputNames(restored)
        let graph = ONNXGraphBuilder(reserving: [Self.inputName] + names)
        restored.module.eval()
        var input = (value: Self.inputName, shape: restored.inputShape, dtype: Self.inputType(of: restored.module))
        if preprocessing { input = try emitPreprocessing(restored, graph: graph) }
        let produced = try emitOutputs(restored, input: input.value, graph: graph)
        guard produced.count == names.count else {
            throw TrainError.runtime("onnx export: the graph gives \(produced.count) outputs but the model has \(names.count)")
        }
        // Each output value takes its output's name; a value that is the graph's
        // input, or that an earlier output took already, is copied by an Identity.
        var taken: [String: String] = [:]
        for ((value, shape), (name, output)) in zip(produced, zip(names, restored.outputs)) {
            guard shape == output.shape else {
                throw TrainError.runtime("onnx export: the graph gives output '\(output.name)' per-sample shape \(shape) but the model's is \(output.shape)")
            }
            if value == Self.inputName || taken[value] != nil {
                graph.rename(graph.node("Identity", [taken[value] ?? value], name: name), to: name)
            } else {
                graph.rename(value, to: name)
                taken[value] = name
            }
        }

        var g = Onnx_GraphProto()
        g.name = restored.spec.name
        g.node = graph.nodes
        g.initializer = graph.initializers
        // A model of token ids [L] (a language model) takes any sequence length up to L.
        let sequence = input.dtype == .int64 && input.shape.count == 1
        g.input = [Self.valueInfo(Self.inputName, shape: input.shape, dtype: input.dtype, dynamicSequence: sequence)]
        g.output = zip(names, restored.outputs).map {
            Self.valueInfo($0.0, shape: $0.1.shape, dtype: .float32, dynamicSequence: sequence && $0.1.shape.first == input.shape.first)
        }

        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        var m = Onnx_ModelProto()
        m.irVersion = Self.irVersion
        m.producerName = "flint"
        m.producerVersion = FlintVersion.string
        m.opsetImport = [opset]
        m.graph = g
        m.docString = "Exported by flint from \(restored.path). Input: \(input.dtype) [batch, \(input.shape.map(String.init).joined(separator: ", "))] "
            + (preprocessing ? "as the dataset stores it; the spec's data transforms are in the graph." : "after the spec's data transforms.")
            + (names.count > 1 ? " Outputs: \(names.joined(separator: ", ")), the spec's model.outputs." : "")
        m.metadataProps = [Self.entry("flint.config", restored.spec.node.yaml())]
        // The class names as a JSON array, in label order, where deployments look for them.
        if let classes = restored.classNamesJSON { m.metadataProps.append(Self.entry("classes", classes)) }
        return m
    }

    /// Emits the whole module and returns the value of each of its outputs
    /// with its per-sample shape: every output of a graph of several, else the one.
    private func emitOutputs(_ restored: RestoredModel, input: String, graph: ONNXGraphBuilder) throws -> [(value: String, shape: [Int])] {
        let module = restored.module
        guard restored.outputs.count > 1 else {
            return [try emit(module, prefix: "", inputs: [input], shapes: [restored.inputShape], graph: graph)]
        }
        guard module is Graph else {
            throw TrainError.runtime("onnx export: a model of \(restored.outputs.count) outputs is a \(module.typeName), not a graph")
        }
        let root = ONNXLayerContext(module: module, prefix: "", inputs: [input], inputShapes: [restored.inputShape],
                                    outputShape: restored.outputShape, graph: graph, exporter: self)
        return try ONNXLayers.graphOutputs(root)
    }

    /// The serialized ONNX file of `restored`.
    public func encode(_ restored: RestoredModel) throws -> Data {
        try model(restored).serializedData()
    }

    /// Emits `module` reading `inputs` (per-sample shapes `shapes`) and
    /// returns the value it produces and that value's per-sample shape.
    func emit(_ module: Module, prefix: String, inputs: [String], shapes: [[Int]], graph: ONNXGraphBuilder) throws -> (value: String, shape: [Int]) {
        let name = prefix.isEmpty ? module.typeName : String(prefix.dropLast())
        guard let mapping = ONNXLayers.table[module.typeName] else {
            let known = ONNXLayers.table.keys.sorted().joined(separator: ", ")
            throw TrainError.badInput("onnx export: layer '\(name)' of type \(module.typeName) has no ONNX mapping (mapped types: \(known))")
        }
        guard !inputs.isEmpty, inputs.count == shapes.count else {
            throw TrainError.runtime("onnx export: layer '\(name)' is given \(inputs.count) inputs and \(shapes.count) shapes")
        }
        let output = try outputShape(module, shapes)
        let context = ONNXLayerContext(module: module, prefix: prefix, inputs: inputs, inputShapes: shapes,
                                       outputShape: output, graph: graph, exporter: self)
        return (try mapping(context), output)
    }

    /// The per-sample output shape of `module`, found by running it (in eval
    /// mode) on one zero sample, which is exact for every layer whatever its settings.
    private func outputShape(_ module: Module, _ shapes: [[Int]]) throws -> [Int] {
        try noGrad {
            let xs = try shapes.map { try Tensor.zeros([1] + $0, dtype: Self.inputType(of: module)) }
            let y = xs.count == 1 ? try module(xs[0]) : try module.forward(xs)
            return Array(y.shape.dropFirst())
        }
    }

    /// What `module` reads: int64 indices when its input goes first to an
    /// embedding (directly or through containers), else float32.
    static func inputType(of module: Module) -> DType {
        switch module {
        case is Embedding: return .int64
        case let sequential as Sequential:
            return sequential.childSlots.first.map { inputType(of: $0.module) } ?? .float32
        case let graph as Graph:
            let readers = graph.nodes.filter { $0.inputs.contains(.input) }
            return readers.contains { inputType(of: $0.module) == .int64 } ? .int64 : .float32
        default: return .float32
        }
    }

    /// - Parameter dynamicSequence: the first per-sample dimension is `sequence`, of any size.
    static func valueInfo(_ name: String, shape: [Int], dtype: DType, dynamicSequence: Bool = false) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var tensorShape = Onnx_TensorShapeProto()
        tensorShape.dim = [batch] + shape.enumerated().map { axis, size in
            var d = Onnx_TensorShapeProto.Dimension()
            if dynamicSequence && axis == 0 { d.dimParam = "sequence" } else { d.dimValue = Int64(size) }
            return d
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = ONNXGraphBuilder.dataType(dtype)
        tensorType.shape = tensorShape
        var type = Onnx_TypeProto()
        type.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    static func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
        var e = Onnx_StringStringEntryProto()
        e.key = key
        e.value = value
        return e
    }
}
