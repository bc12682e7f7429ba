import Foundation
import Flint
import FlintNN
import FlintData
import FlintSpec

extension RunPlan {
    /// Builds every part of a run from a validated spec: seeds the generators,
    /// builds and shape-checks the model, reads the data and checks it against
    /// the model and the loss. `dataOverride` replaces the spec's HDF5 file.
    /// `model.init_from` weights are loaded (strictly) unless `initialWeights`
    /// is false, as when a checkpoint's own weights replace them anyway.
    public init(spec: Spec, dataOverride: String? = nil, initialWeights: Bool = true) throws(SpecError) {
        Generator.manualSeed(UInt64(truncatingIfNeeded: spec.seed))
        let (model, output) = try Builder.model(spec.model)
        if initialWeights, let source = spec.model.initFrom {
            do {
                try loadInitialWeights(into: model, from: source, strict: true)
            } catch {
                throw SpecError([.error(at: spec.model.location, "model.init_from: \(error)")])
            }
        }
        let loss = try Builder.loss(spec.loss)
        let optimizer = try Builder.optimizer(spec.optimizer, params: model.parameters())
        let scheduler = try spec.scheduler.map { s throws(SpecError) in try Builder.scheduler(s, optimizer: optimizer) }
        let transforms = try Builder.transforms(spec.data.transforms)
        let augment = try Builder.transforms(spec.data.augment)
        let data = try Builder.data(spec.data, seed: spec.seed, sourceOverride: dataOverride)
        try RunPlan.check(data: data, spec: spec, transforms: transforms + augment, output: output)

        let seed = UInt64(truncatingIfNeeded: spec.seed)
        func loader(_ d: TensorDataset, shuffle: Bool, extra: [Transform]) throws(SpecError) -> DataLoader {
            do {
                return try DataLoader(dataset: d, batchSize: spec.data.batchSize, shuffle: shuffle,
                                      transforms: transforms + extra, seed: seed &+ 1)
            } catch {
                throw SpecError([.error(at: spec.data.location, "\(error)")])
            }
        }
        self.init(name: spec.name, seed: seed, config: spec.node.yaml(), model: model, loss: loss,
                  optimizer: optimizer, scheduler: scheduler,
                  train: try loader(data.train, shuffle: spec.data.shuffle, extra: augment),
                  val: try data.val.map { d throws(SpecError) in try loader(d, shuffle: false, extra: []) },
                  test: try data.test.map { d throws(SpecError) in try loader(d, shuffle: false, extra: []) },
                  epochs: spec.train.epochs, control: try TrainingControl(spec: spec))
    }

    /// Checks the data against the model's declared input and the loss's
    /// targets before any training starts.
    static func check(data: LoadedData, spec: Spec, transforms: [Transform], output: [Int]) throws(SpecError) {
        var problems: [Diagnostic] = []
        let splits: [(String, TensorDataset?, DataSpec.Arrays?)] = [
            ("train", data.train, spec.data.train), ("val", data.val, nil), ("test", data.test, spec.data.test),
        ]
        for (name, dataset, arrays) in splits {
            guard let dataset else { continue }
            var sample = Array(dataset.x.shape.dropFirst())
            do {
                for t in transforms { sample = try t.outputShape(sample) }
            } catch {
                problems.append(.error(at: spec.data.location, "\(error)"))
                continue
            }
            if sample != spec.model.input {
                problems.append(.error(at: spec.model.inputLocation,
                                       "model.input is \(spec.model.input) but the \(name) samples have shape \(sample)\(arrays.map { " ('\($0.x)')" } ?? "")"))
            }
            if spec.loss.type == "cross_entropy_loss" || spec.loss.type == "nll_loss" {
                guard output.count == 1, let classes = output.first else {
                    problems.append(.error(at: spec.loss.location, "\(spec.loss.type) needs a model output of shape [classes] per sample, got \(output)"))
                    continue
                }
                guard !dataset.y.dtype.isFloatingPoint, dataset.y.rank == 1 else {
                    problems.append(.error(at: arrays?.yLocation ?? spec.data.location,
                                           "\(spec.loss.type) needs integer class labels of shape [N]; the \(name) labels are \(dataset.y.dtype) \(dataset.y.shape)"))
                    continue
                }
                let ignore = spec.loss.int("ignore_index") ?? -100
                let labels = dataset.y.toArray(Int64.self)
                let bad = labels.filter { ($0 < 0 || $0 >= classes) && $0 != ignore }
                if let first = bad.first {
                    problems.append(.error(at: arrays?.yLocation ?? spec.data.location,
                                           "\(bad.count) \(name) labels are outside 0..<\(classes) (the model's \(classes) outputs), first: \(first)"))
                }
            }
        }
        if !problems.isEmpty { throw SpecError(problems) }
    }
}
