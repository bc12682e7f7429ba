import Foundation
import Flint
import FlintNN
import FlintSpec

/// A checkpoint's model rebuilt from the checkpoint alone: the spec from its
/// `/config`, the module from the spec, the weights from `/model`. It reads
/// no data, so it works where the training data is gone (predict, export).
public struct RestoredModel {
    /// One result of the model, as a PyTorch module returning a tuple gives it.
    public struct Output: Equatable {
        /// The layer named in `model.outputs`; `output` for a model of one
        /// output that does not declare it.
        public let name: String
        /// Per-sample shape, without the batch dimension.
        public let shape: [Int]
        /// Scores with one entry per class, read by a `cross_entropy_loss` or
        /// `nll_loss` against class-index targets: `predict` adds softmax
        /// probabilities and argmax predictions for it.
        public let isClassified: Bool
    }

    /// The checkpoint file it came from.
    public let path: String
    public let spec: Spec
    /// The network, in eval mode, with the checkpoint's weights.
    public var module: Module { built.module }
    /// The network with its layers' output shapes and parameter counts (`flint summary`).
    public let built: BuiltModel
    /// Per-sample shape of the input, without the batch dimension.
    public let inputShape: [Int]
    /// Every output, in the order of `model.outputs` (one when it is not declared).
    public let outputs: [Output]
    /// The classes' names in label order, when the checkpoint carries them.
    public var classNames: [String]?

    /// The class names as one JSON array, for metadata that holds strings (ONNX, safetensors).
    public var classNamesJSON: String? { classNames.map { JSON.array($0.map(JSON.string)).text } }

    /// Per-sample shape of the first output.
    public var outputShape: [Int] { outputs.first?.shape ?? [] }

    /// Whether the first output is a classifier's scores.
    public var isClassifier: Bool { outputs.first?.isClassified ?? false }

    /// The parameters and buffers with PyTorch names, in `state_dict` order.
    public var stateDict: [(name: String, tensor: Tensor)] { module.stateDict() }

    /// Every output of the module on a batch `x`, in the order of `outputs`.
    public func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        if let graph = module as? Graph { return try graph.forwardOutputs(x) }
        return [try module(x)]
    }

    /// Loads a checkpoint file, or the `checkpoints/last.h5` of a run directory;
    /// `overrides` (`--set`) apply to its stored config before the model is built.
    public static func load(checkpoint: String, overrides: [String] = []) throws -> RestoredModel {
        let path = FlintCommands.resolveCheckpoint(checkpoint)
        let (config, weights) = try Checkpoint.readModel(from: path)
        try Checkpoint.requireFiniteWeights(weights, path: path)
        let spec = try Spec.parse(yaml: config, file: path + ":/config", overrides: overrides)
        // Zeros, not drawn: the checkpoint's weights replace every one (strictly).
        let built = try Init.withFilling(.zeros) { () throws(SpecError) in try Builder.build(spec.model) }
        let objective = try Builder.objective(spec.losses, outputs: spec.model.outputs)
        try built.module.loadCheckpointWeights(weights, from: path)
        built.module.eval()
        let names = spec.model.outputs ?? ["output"]
        guard names.count == built.outputs.count else {
            throw TrainError.runtime("\(path): the model has \(built.outputs.count) outputs but its config names \(names.count)")
        }
        let outputs = zip(names, built.outputs).enumerated().map { index, output in
            Output(name: output.0, shape: output.1, isClassified: output.1.count == 1 && classifies(index, objective))
        }
        var restored = RestoredModel(path: path, spec: spec, built: built, inputShape: spec.model.input, outputs: outputs)
        restored.classNames = try Checkpoint.readClassNames(from: path)
        return restored
    }

    /// Whether a loss over class indices (`cross_entropy_loss`, `nll_loss`) reads output `index` against `y`.
    private static func classifies(_ index: Int, _ objective: Objective) -> Bool {
        objective.terms.contains { term in
            guard case .single(let loss) = term.criterion else { return false }
            return term.outputs == [index] && term.target == .y && ["cross_entropy_loss", "nll_loss"].contains(loss.typeName)
        }
    }
}
