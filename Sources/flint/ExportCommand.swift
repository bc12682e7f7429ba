import ArgumentParser
import Foundation
import FlintExport
import FlintTrain

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model as safetensors, ONNX, NumPy .npz or plain HDF5, with PyTorch state-dict names.",
        discussion: """
            safetensors loads with torch.nn.Module.load_state_dict (strict) into the equivalent torch module; \
            onnx (opset 17) holds the inference graph with a dynamic batch dimension, taking inputs after the spec's transforms; \
            its input is `input` and its output `output`, or, for a model of several outputs (model.outputs), one output per \
            declared output with its name, in order. The file appears only when complete.

            Example: flint export runs/<run>/checkpoints/last.h5 --format safetensors --output model.safetensors
            """)

    @Argument(help: "A checkpoint file, or a run directory (its checkpoints/last.h5).") var checkpoint: String
    @Option(help: "safetensors, onnx, npz or h5.") var format: ExportFormat
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Flag(help: "Replace the output file if it exists.") var force = false
    @Flag(help: "ONNX: put the spec's data transforms (to_tensor, normalize, standardize, center_crop) into the graph, so it takes inputs as the dataset stores them (uint8 images, raw rows).")
    var preprocessing = false
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false

    func run() throws {
        try reportingErrors {
            let result = try FlintCommands.export(checkpoint: checkpoint, format: format, output: output, force: force,
                                                  preprocessing: preprocessing)
            print(json ? result.json : "wrote \(result.output) (\(result.format.rawValue), \(result.tensors.count) tensors, \(result.bytes) bytes)")
        }
    }
}
