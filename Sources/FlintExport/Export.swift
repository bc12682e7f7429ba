import Foundation
import FlintTrain
import Flint
import FlintHDF5

/// The formats `flint export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Weights for `torch.nn.Module.load_state_dict` via `safetensors.torch.load_file`.
    case safetensors
    /// The inference graph with weights, for ONNX Runtime.
    case onnx
    /// Weights for `numpy.load`.
    case npz
    /// Weights as plain HDF5, one dataset per state-dict name.
    case h5
}

/// What `flint export` wrote.
public struct ExportResult {
    public var output: String
    public var format: ExportFormat
    /// The state-dict names written (the initializers, for ONNX).
    public var tensors: [String]
    public var bytes: Int

    public var json: String {
        JSON.object([("output", .string(output)), ("format", .string(format.rawValue)),
                     ("tensors", .int(tensors.count)), ("bytes", .int(bytes))]).text
    }
}

extension FlintCommands {
    /// Writes a checkpoint's model in `format` to `output`, atomically: the
    /// file appears only when complete, and an existing file is replaced only
    /// with `force`. Every format keeps PyTorch's state-dict names and layouts.
    /// With `preprocessing` (ONNX only), the graph starts with the spec's `data.transforms` and takes
    /// inputs as the dataset stores them (uint8 images, raw tabular rows).
    public static func export(checkpoint: String, format: ExportFormat, output: String, force: Bool = false,
                              preprocessing: Bool = false) throws -> ExportResult {
        if preprocessing && format != .onnx {
            throw TrainError.badInput("--preprocessing puts the transforms into an ONNX graph; it needs --format onnx")
        }
        // Check the destination first so a bad path fails before any work.
        let destination = try AtomicOutput(destination: output, force: force)
        let restored = try RestoredModel.load(checkpoint: checkpoint)
        try AtomicOutput.refuseOverwriting([restored.path], with: output)
        let state = restored.stateDict.map { (name: $0.name, tensor: $0.tensor.detach()) }
        switch format {
        case .safetensors:
            var metadata = ["format": "pt"]
            metadata["classes"] = restored.classNamesJSON
            try destination.write(try SafeTensors.encode(state, metadata: metadata))
        case .npz:
            try destination.write(try NumPyArchive.encode(state))
        case .onnx:
            try destination.write(try ONNXExporter(preprocessing: preprocessing).encode(restored))
        case .h5:
            try destination.writing { tmp in
                let file = try HDF5File.create(tmp)
                try file.setAttribute("source_checkpoint", restored.path)
                try file.setAttribute("flint_version", FlintVersion.string)
                for (name, tensor) in state { try file.createDataset(name, tensor: tensor) }
                try file.close()
            }
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        return ExportResult(output: output, format: format, tensors: state.map(\.name), bytes: bytes)
    }
}
