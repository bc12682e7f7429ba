import Foundation
import Flint
import FlintNN
import FlintSpec

/// A checkpoint's model rebuilt from the checkpoint alone: the spec from its
/// `/config`, the module from the spec, the weights from `/model`. It reads
/// no data, so it works where the training data is gone (predict, export).
public struct RestoredModel {
    /// The checkpoint file it came from.
    public let path: String
    public let spec: Spec
    /// The network, in eval mode, with the checkpoint's weights.
    public let module: Module
    /// Per-sample shapes, without the batch dimension.
    public let inputShape: [Int]
    public let outputShape: [Int]

    /// A classifier gives one score per class for each sample and is trained
    /// with a loss over class indices; its outputs get softmax probabilities
    /// and argmax predictions.
    public var isClassifier: Bool {
        outputShape.count == 1 && ["cross_entropy_loss", "nll_loss"].contains(spec.loss.type)
    }

    /// The parameters and buffers with PyTorch names, in `state_dict` order.
    public var stateDict: [(name: String, tensor: Tensor)] { module.stateDict() }

    /// Loads a checkpoint file, or the `checkpoints/last.h5` of a run directory.
    public static func load(checkpoint: String) throws -> RestoredModel {
        let path = FlintCommands.resolveCheckpoint(checkpoint)
        let (config, weights) = try Checkpoint.readModel(from: path)
        let spec = try Spec.parse(yaml: config, file: path + ":/config")
        let (module, output) = try Builder.model(spec.model)
        var state: [String: Tensor] = [:]
        for (name, tensor) in weights { state[name] = tensor }
        do {
            _ = try module.loadStateDict(state, strict: true)
        } catch {
            throw TrainError.badInput("\(path): weights do not fit the model of its own config: \(error)")
        }
        module.eval()
        return RestoredModel(path: path, spec: spec, module: module, inputShape: spec.model.input, outputShape: output)
    }
}
