import XCTest
import Foundation
import Flint
import FlintNN
import FlintHDF5
import FlintSpec
import ONNXProto
@testable import FlintExport
@testable import FlintTrain

/// `flint export`: the safetensors, npz, h5 and ONNX writers, checked against
/// bytes that the reference libraries wrote (safetensors 0.8, numpy 2.4),
/// and the CLI's handling of bad input.
final class ExportTests: XCTestCase {
    // MARK: safetensors

    func testSafetensorsHeaderIsByteForByteTheLibrarys() throws {
        // safetensors.torch.save_file of these tensors (no metadata) starts with this header:
        // int64 first, then float64, float32, uint8 — each group by name, bytewise ("10.w" < "2.w").
        let expected = #"{"c":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},"e":{"dtype":"F64","shape":[1],"data_offsets":[24,32]},"10.w":{"dtype":"F32","shape":[1],"data_offsets":[32,36]},"2.w":{"dtype":"F32","shape":[1],"data_offsets":[36,40]},"a.bias":{"dtype":"F32","shape":[3],"data_offsets":[40,52]},"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[52,76]},"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[76,76]},"scalar":{"dtype":"F32","shape":[],"data_offsets":[76,80]},"d":{"dtype":"U8","shape":[2],"data_offsets":[80,82]}}     "#
        let tensors: [(name: String, tensor: Tensor)] = [
            ("b.weight", try Tensor.ones([2, 3])), ("a.bias", try Tensor.zeros([3])), ("c", try Tensor([Int64(0), 1, 2])),
            ("d", try Tensor.zeros([2], dtype: .uint8)), ("e", try Tensor.zeros([1], dtype: .float64)), ("10.w", try Tensor.ones([1])),
            ("2.w", try Tensor.ones([1])), ("empty", try Tensor.zeros([0, 3])), ("scalar", Tensor.scalar(1.5)),
        ]
        let data = try SafeTensors.encode(tensors)
        XCTAssertEqual(Array(data.prefix(8)), [16, 2, 0, 0, 0, 0, 0, 0])  // 528, little-endian
        XCTAssertEqual(String(decoding: data[8..<(8 + 528)], as: UTF8.self), expected)
        XCTAssertEqual(data.count, 8 + 528 + 82)
        // c = [0, 1, 2] as int64 opens the data section.
        XCTAssertEqual(Array(data[536..<552]), [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    func testSafetensorsMetadataAndNamesEscapeLikeSerdeJSON() throws {
        let name = "q\"\\\u{08}\u{0C}\u{01}é"
        let data = try SafeTensors.encode([(name, Tensor.ones([1]))], metadata: ["format": "pt"])
        let header = String(decoding: data.dropFirst(8), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"format":"pt"},"q\"\\\b\f\u0001é":{"dtype":"F32""#), header)
        XCTAssertEqual((data.count - 8 - 4) % 8, 0, "header padded to 8 bytes")
    }

    func testSafetensorsRoundTripAndCorruptFiles() throws {
        let weight = try Tensor([Float(1.5), -2, 3.25, 0, 7, -0.5], shape: [2, 3])
        let data = try SafeTensors.encode([("w", weight), ("n", Tensor.full([4], 3, dtype: .int64))])
        let (tensors, metadata) = try SafeTensors.decode(data, file: "x.safetensors")
        XCTAssertEqual(metadata, [:])
        XCTAssertEqual(tensors.map(\.name), ["n", "w"])
        XCTAssertEqual(tensors[1].tensor.toArray(Float.self), weight.toArray(Float.self))
        XCTAssertEqual(tensors[1].tensor.shape, [2, 3])
        XCTAssertEqual(tensors[0].tensor.toArray(Int64.self), [3, 3, 3, 3])

        for (bytes, why) in [(data.prefix(5), "shorter than"), (data.prefix(data.count - 3), "outside"), (Data("not a file at all".utf8), "claims")] {
            XCTAssertThrowsError(try SafeTensors.decode(Data(bytes), file: "x.safetensors")) { error in
                XCTAssertTrue("\(error)".contains("x.safetensors"), "\(error)")
                XCTAssertTrue("\(error)".contains(why), "\(error)")
            }
        }
    }

    func testHalfAndBFloat16Widen() {
        // 0x3C00 = 1.0, 0xC000 = −2.0, 0x0001 = 2⁻²⁴ (smallest subnormal) in IEEE half; 0x3F80 = 1.0 in bfloat16.
        XCTAssertEqual(SafeTensors.widenHalf(Data([0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00]), brain: false), [1, -2, 0x1p-24])
        XCTAssertEqual(SafeTensors.widenHalf(Data([0x80, 0x3F]), brain: true), [1])
    }

    // MARK: npz

    func testNpyHeadersMatchNumpySave() throws {
        // (numpy.save header text, total file length) for each array, from numpy 2.4.
        let cases: [(Tensor, String, Int)] = [
            (try Tensor.zeros([2, 3]), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 152),
            (try Tensor.zeros([5], dtype: .int64), "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 168),
            (Tensor.scalar(1.5, dtype: .float64), "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 136),
            (try Tensor.zeros([0, 3], dtype: .uint8), "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3), }", 128),
            (try Tensor.zeros([10], dtype: .bool), "{'descr': '|b1', 'fortran_order': False, 'shape': (10,), }", 138),
            (try Tensor.zeros([7, 1, 2], dtype: .int32), "{'descr': '<i4', 'fortran_order': False, 'shape': (7, 1, 2), }", 184),
        ]
        for (tensor, dict, length) in cases {
            let npy = NumPyArchive.npy(tensor)
            XCTAssertEqual(Array(npy.prefix(10)), [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0])  // header length 118
            let header = String(decoding: npy[10..<128], as: UTF8.self)
            XCTAssertEqual(header, dict + String(repeating: " ", count: 117 - dict.count) + "\n")
            XCTAssertEqual(npy.count, length, dict)
        }
    }

    func testCRC32CheckValue() {
        // The standard check value of CRC-32/ISO-HDLC.
        XCTAssertEqual(CRC32.checksum(Data("123456789".utf8)), 0xCBF4_3926)
    }

    func testNpzIsAStoredZipOfNpyFiles() throws {
        let tensors: [(name: String, tensor: Tensor)] = [("0.weight", try Tensor.ones([2, 2])), ("0.bias", try Tensor.zeros([2]))]
        let zip = try NumPyArchive.encode(tensors)
        func u16(_ at: Int) -> Int { Int(zip[at]) | Int(zip[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let end = zip.count - 22
        XCTAssertEqual(u32(end), 0x0605_4b50)
        XCTAssertEqual(u16(end + 10), 2, "two entries")
        let centralStart = u32(end + 16)
        XCTAssertEqual(centralStart + u32(end + 12), end)
        // The first entry: a local header, the name, then the .npy bytes unchanged.
        XCTAssertEqual(u32(0), 0x0403_4b50)
        XCTAssertEqual(u16(8), 0, "stored, not compressed")
        let nameLength = u16(26)
        XCTAssertEqual(String(decoding: zip[30..<(30 + nameLength)], as: UTF8.self), "0.weight.npy")
        let npy = NumPyArchive.npy(tensors[0].tensor)
        XCTAssertEqual(u32(18), npy.count)
        XCTAssertEqual(UInt32(u32(14)), CRC32.checksum(npy))
        XCTAssertEqual(zip[(30 + nameLength)..<(30 + nameLength + npy.count)], npy)
    }

    // MARK: ONNX

    func testONNXGraphOfTheMLP() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let restored = try RestoredModel.load(checkpoint: checkpoint)
        let model = try Onnx_ModelProto(serializedBytes: try ONNXExporter().encode(restored))
        XCTAssertEqual(model.opsetImport.map(\.version), [17])
        XCTAssertEqual(model.graph.node.map(\.opType), ["Flatten", "Gemm", "Relu", "Gemm"])
        XCTAssertEqual(Set(model.graph.initializer.map(\.name)), ["1.weight", "1.bias", "3.weight", "3.bias"])
        let w = try XCTUnwrap(model.graph.initializer.first { $0.name == "1.weight" })
        XCTAssertEqual(w.dims, [64, 784])
        XCTAssertEqual(w.rawData.count, 64 * 784 * 4)
        // A dynamic batch, then the per-sample shapes.
        let input = model.graph.input[0].type.tensorType.shape.dim
        XCTAssertEqual(input.first?.dimParam, "batch")
        XCTAssertEqual(input.dropFirst().map(\.dimValue), [1, 28, 28])
        XCTAssertEqual(model.graph.output[0].name, "output")
        XCTAssertEqual(model.graph.node.last?.output, ["output"])
        XCTAssertEqual(model.graph.output[0].type.tensorType.shape.dim.dropFirst().map(\.dimValue), [10])
    }

    func testONNXFlattenOfInnerDimsBecomesReshape() throws {
        let graph = ONNXGraphBuilder(reserving: ["input"])
        let module = try Sequential([Flatten(startDim: 2, endDim: 3), Linear(inFeatures: 12, outFeatures: 2)])
        let (value, shape) = try ONNXExporter().emit(module, prefix: "", inputs: ["input"], shapes: [[2, 3, 4]], graph: graph)
        XCTAssertEqual(shape, [2, 2])
        XCTAssertEqual(graph.nodes.map(\.opType), ["Reshape", "Transpose", "MatMul", "Add"])
        XCTAssertEqual(graph.nodes.last?.output, [value])
        let target = try XCTUnwrap(graph.initializers.first { $0.name == "0.shape" })
        XCTAssertEqual(target.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }, [0, 2, 12])
    }

    func testLayerWithoutONNXMappingIsNamed() throws {
        final class Mystery: Module {
            override var typeName: String { "mystery" }
        }
        let module = try Sequential([("fc", Linear(inFeatures: 3, outFeatures: 3)), ("odd", Mystery())])
        XCTAssertThrowsError(try ONNXExporter().emit(module, prefix: "", inputs: ["input"], shapes: [[3]], graph: ONNXGraphBuilder())) { error in
            XCTAssertTrue("\(error)".contains("layer 'odd' of type mystery has no ONNX mapping"), "\(error)")
        }
    }

    /// The mappings are keyed by the registered layer types (and the two containers a model is built from).
    func testONNXMappingsAreKeyedByTheRegisteredLayerTypes() {
        XCTAssertEqual(LayerTypes.all.map(\.name).filter { ONNXLayers.table[$0] == nil }, [], "registered layers without a mapping")
        XCTAssertEqual(Set(ONNXLayers.table.keys).subtracting(LayerTypes.byName.keys), ["sequential", "graph"],
                       "mappings of no registered layer")
    }

    /// Every registered layer exports: the model of its registration's example becomes an ONNX
    /// graph in which each node reads only the input, weights and earlier nodes' outputs, with
    /// an output of the layer's shape. (Tests/Interop runs such graphs in ONNX Runtime.)
    func testEveryRegisteredLayerExportsAWellFormedGraph() throws {
        for type in LayerTypes.all {
            let yaml = """
                data: {source: d.h5, train: {x: a, y: b}}
                model:
                  input: \(type.example.input)
                  layers:
                    - \(type.exampleEntry)
                loss: {type: mse_loss}
                optimizer: {type: sgd}
                """
            let spec = try Spec.parse(yaml: yaml, file: "\(type.name).yaml")
            let built = try Builder.build(spec.model)
            let restored = RestoredModel(path: "\(type.name).h5", spec: spec, built: built, inputShape: spec.model.input,
                                         outputs: [.init(name: "output", shape: built.output, isClassified: false)])
            let graph = try Onnx_ModelProto(serializedBytes: try ONNXExporter().encode(restored)).graph
            XCTAssertFalse(graph.node.isEmpty, type.name)
            var defined = Set(graph.input.map(\.name) + graph.initializer.map(\.name))
            for node in graph.node {
                for input in node.input where !input.isEmpty {
                    XCTAssertTrue(defined.contains(input), "\(type.name): \(node.opType) reads '\(input)' before it is made")
                }
                for output in node.output {
                    XCTAssertTrue(defined.insert(output).inserted, "\(type.name): '\(output)' is made twice")
                }
            }
            XCTAssertEqual(graph.output.map(\.name), ["output"], type.name)
            XCTAssertTrue(defined.contains("output"), "\(type.name): no node makes the output")
            XCTAssertEqual(graph.output.first?.type.tensorType.shape.dim.count, built.output.count + 1, type.name)
        }
    }

    private func floats(_ graph: ONNXGraphBuilder, _ name: String) throws -> [Float] {
        try XCTUnwrap(graph.initializers.first { $0.name == name }, name).rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Gate block k of a recurrent weight filled with the value k, so the exported order can be read off.
    private func markGates(_ rnn: RecurrentBase, _ name: String, gates: Int) throws {
        let w = try XCTUnwrap(rnn.parameter(name))
        let rows = w.shape[0] / gates
        try noGrad { try w.copyFrom(try Tensor((0..<w.count).map { Float($0 / (rows * w.shape[1])) }, shape: w.shape)) }
    }

    func testONNXLSTMAndGRUTakeTheirGatesInONNXOrder() throws {
        // torch LSTM i, f, g, o -> ONNX i, o, f, c; torch GRU r, z, n -> ONNX z, r, h.
        for (rnn, gates, expected) in [(try LSTM(inputSize: 2, hiddenSize: 1, batchFirst: true) as RecurrentBase, 4, [Float]([0, 3, 1, 2])),
                                       (try GRU(inputSize: 2, hiddenSize: 1, batchFirst: true), 3, [1, 0, 2])] {
            try markGates(rnn, "weight_ih_l0", gates: gates)
            try markGates(rnn, "weight_hh_l0", gates: gates)
            let graph = ONNXGraphBuilder(reserving: ["input"])
            let (_, shape) = try ONNXExporter().emit(Sequential([("rnn", rnn)]), prefix: "", inputs: ["input"], shapes: [[3, 2]], graph: graph)
            XCTAssertEqual(shape, [3, 1])
            XCTAssertEqual(graph.nodes.map(\.opType), ["Transpose", rnn.typeName.uppercased(), "Transpose", "Reshape", "Transpose"])
            XCTAssertEqual(try floats(graph, "rnn.W_l0"), expected.flatMap { [$0, $0] })
            XCTAssertEqual(try floats(graph, "rnn.R_l0"), expected)
            XCTAssertEqual(try XCTUnwrap(graph.initializers.first { $0.name == "rnn.B_l0" }).dims, [1, Int64(2 * gates)])
            let node = graph.nodes[1]
            XCTAssertEqual(node.attribute.first { $0.name == "hidden_size" }?.i, 1)
            XCTAssertEqual(node.attribute.first { $0.name == "direction" }.map { String(decoding: $0.s, as: UTF8.self) }, "forward")
            XCTAssertEqual(node.attribute.first { $0.name == "linear_before_reset" }?.i, rnn is GRU ? 1 : nil)
        }
    }

    func testONNXStackedBidirectionalRNNHasANodePerLayer() throws {
        let rnn = try RNN(inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: "relu", batchFirst: true, bidirectional: true)
        let graph = ONNXGraphBuilder(reserving: ["input"])
        let (_, shape) = try ONNXExporter().emit(Sequential([("rnn", rnn)]), prefix: "", inputs: ["input"], shapes: [[5, 3]], graph: graph)
        XCTAssertEqual(shape, [5, 8])
        let cells = graph.nodes.filter { $0.opType == "RNN" }
        XCTAssertEqual(cells.count, 2)
        for cell in cells {
            XCTAssertEqual(cell.attribute.first { $0.name == "activations" }?.strings.map { String(decoding: $0, as: UTF8.self) }, ["Relu", "Relu"])
        }
        // The second layer reads both directions of the first: [D, hidden, D·hidden].
        XCTAssertEqual(try XCTUnwrap(graph.initializers.first { $0.name == "rnn.W_l1" }).dims, [2, 4, 8])
    }

    func testONNXModelThatStartsWithAnEmbeddingTakesInt64Indices() throws {
        let model = Sequential([try Embedding(numEmbeddings: 10, embeddingDim: 3), Flatten(), try Linear(inFeatures: 12, outFeatures: 2)])
        XCTAssertEqual(ONNXExporter.inputType(of: model), .int64)
        XCTAssertEqual(ONNXExporter.inputType(of: Sequential([try Linear(inFeatures: 2, outFeatures: 2)])), .float32)
        let graph = ONNXGraphBuilder(reserving: ["input"])
        let (_, shape) = try ONNXExporter().emit(model, prefix: "", inputs: ["input"], shapes: [[4]], graph: graph)
        XCTAssertEqual(shape, [2])
        XCTAssertEqual(graph.nodes.first?.opType, "Gather")
        XCTAssertEqual(graph.nodes.first?.input, ["0.weight", "input"])
    }

    func testONNXCrossAttentionReadsQueryKeyAndValue() throws {
        let attention = try MultiheadAttention(embedDim: 4, numHeads: 2, batchFirst: true)
        let model = try Graph(nodes: [
            .init("query", try Linear(inFeatures: 4, outFeatures: 4), inputs: [.input]),
            .init("attn", attention, inputs: [.node("query"), .input, .input]),
        ])
        let graph = ONNXGraphBuilder(reserving: ["input"])
        let (_, shape) = try ONNXExporter().emit(model, prefix: "", inputs: ["input"], shapes: [[5, 4]], graph: graph)
        XCTAssertEqual(shape, [5, 4])
        let projections = graph.nodes.filter { $0.opType == "MatMul" && $0.input[1].hasPrefix("attn.in_proj_weight_") }
        XCTAssertEqual(projections.map { $0.input[1] }, ["attn.in_proj_weight_q", "attn.in_proj_weight_k", "attn.in_proj_weight_v"])
        XCTAssertEqual(projections.dropFirst().map { $0.input[0] }, ["input", "input"])
        XCTAssertEqual(graph.nodes.filter { $0.opType == "Softmax" }.count, 1)
        // in_proj_weight rows [E, 2E) are the key projection, stored transposed for MatMul.
        let w = try XCTUnwrap(attention.parameter("in_proj_weight")).narrow(0, start: 4, length: 4).transpose(0, 1).contiguous()
        XCTAssertEqual(try floats(graph, "attn.in_proj_weight_k"), w.toArray(Float.self))
    }

    // MARK: files and the command line

    func testEveryFormatKeepsStateDictNames() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let names = ["1.weight", "1.bias", "3.weight", "3.bias"]
        let stored = try Checkpoint.readModel(from: checkpoint).model
        for format in ExportFormat.allCases {
            let out = dir.appendingPathComponent("model.\(format.rawValue)").path
            let result = try FlintCommands.export(checkpoint: checkpoint, format: format, output: out)
            XCTAssertEqual(result.tensors, names, format.rawValue)
            XCTAssertGreaterThan(result.bytes, 64 * 784 * 4, format.rawValue)
        }
        let h5 = try HDF5File.open(dir.appendingPathComponent("model.h5").path)
        XCTAssertEqual(try h5.datasetPaths().sorted(), names.sorted())
        let fromSafetensors = try SafeTensors.read(from: dir.appendingPathComponent("model.safetensors").path)
        XCTAssertEqual(fromSafetensors.metadata, ["format": "pt"])
        for (name, tensor) in stored {
            XCTAssertEqual(try h5.dataset(name).readTensor().toArray(Float.self), tensor.toArray(Float.self), name)
            let s = try XCTUnwrap(fromSafetensors.tensors.first { $0.name == name }).tensor
            XCTAssertEqual(s.toArray(Float.self), tensor.toArray(Float.self), name)
        }
    }

    func testBadInputExitsTwoAndOverwritesNothing() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let existing = dir.appendingPathComponent("existing.safetensors").path
        try "keep me".write(toFile: existing, atomically: true, encoding: .utf8)
        let notHDF5 = dir.appendingPathComponent("notes.h5").path
        try "hello".write(toFile: notHDF5, atomically: true, encoding: .utf8)
        let truncated = dir.appendingPathComponent("truncated.h5").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))

        let cases: [([String], String)] = [
            (["export", notHDF5, "--format", "safetensors", "--output", existing, "--force"], "not an HDF5 file"),
            (["export", truncated, "--format", "onnx", "--output", existing, "--force"], "truncated"),
            (["export", checkpoint, "--format", "npz", "--output", existing], "already exists"),
            (["export", checkpoint, "--format", "h5", "--output", dir.appendingPathComponent("missing/m.h5").path], "does not exist"),
            (["export", dir.appendingPathComponent("nothing.h5").path, "--format", "h5", "--output", existing, "--force"], "no such"),
        ]
        for (args, message) in cases {
            let r = try TestSupport.runFlint(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(args): \(r.err)")
            XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "keep me", "\(args) touched the existing file")
        }
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])

        let ok = try TestSupport.runFlint(["export", checkpoint, "--format", "safetensors", "--output", existing, "--force", "--json"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertEqual(try TestSupport.lastJSONLine(ok.out)["tensors"] as? Int, 4)
    }

    func testReadOnlyFolderIsRefused() throws {
        // root writes into read-only folders, so only another user sees the refusal.
        guard geteuid() != 0 else { throw XCTSkip("running as root, which ignores folder permissions") }
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        chmod(locked.path, 0o555)
        defer { chmod(locked.path, 0o755) }
        let r = try TestSupport.runFlint(["export", checkpoint, "--format", "npz", "--output", locked.appendingPathComponent("m.npz").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("is not writable"), r.err)
    }
}
