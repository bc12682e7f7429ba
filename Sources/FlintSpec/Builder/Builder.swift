import Foundation
import Flint
import FlintNN
import FlintData
import FlintHDF5

/// Turns a validated spec into live objects: the model (with every layer's
/// shape inferred and checked), the loss, the optimizer and scheduler, the
/// transforms and the data loaders. Problems are diagnostics at the line of
/// the entry that caused them.
public enum Builder {
    /// The model as a `Sequential` named by each layer's `name` or index, and
    /// the per-sample output shape.
    public static func model(_ spec: ModelSpec) throws(SpecError) -> (module: Module, output: [Int]) {
        var shape = spec.input
        var children: [(String, Module)] = []
        var diagnostics: [Diagnostic] = []
        for (i, layer) in spec.layers.enumerated() {
            guard let build = LayerBuilders.table[layer.type] else {
                diagnostics.append(.error(at: layer.location, "layer type '\(layer.type)' is in the schema but cannot be built yet", keyPath: layer.keyPath))
                break
            }
            if layer.inputs != nil {
                diagnostics.append(.error(at: layer.location(of: "inputs"), "graph inputs are not supported yet; layers run in sequence", keyPath: layer.keyPath(of: "inputs")))
                break
            }
            do {
                let (module, out) = try build(layer, shape)
                children.append((layer.name ?? String(i), module))
                shape = out
            } catch {
                diagnostics.append(.error(at: layer.location, "\(layer.type): \(error)", keyPath: layer.keyPath))
                break
            }
        }
        if !diagnostics.isEmpty { throw SpecError(diagnostics) }
        return (Sequential(children), shape)
    }

    /// The loss of the spec.
    public static func loss(_ e: LossSpec) throws(SpecError) -> Loss {
        switch e.type {
        case "cross_entropy_loss":
            let weight = e.doubles("weight").flatMap { try? Tensor($0.map { Float($0) }) }
            return CrossEntropyLoss(weight: weight, ignoreIndex: e.int("ignore_index") ?? -100,
                                    reduction: Reduction(rawValue: e.string("reduction") ?? "mean") ?? .mean,
                                    labelSmoothing: e.double("label_smoothing") ?? 0)
        default:
            throw SpecError([.error(at: e.location, "loss type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath)])
        }
    }

    /// The optimizer over `params`.
    public static func optimizer(_ e: OptimizerSpec, params: [Tensor]) throws(SpecError) -> Optimizer {
        switch e.type {
        case "sgd":
            return SGD(params: params, lr: e.double("lr") ?? 1e-3, momentum: e.double("momentum") ?? 0,
                       dampening: e.double("dampening") ?? 0, weightDecay: e.double("weight_decay") ?? 0,
                       nesterov: e.bool("nesterov") ?? false)
        default:
            throw SpecError([.error(at: e.location, "optimizer type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath)])
        }
    }

    /// The scheduler over `optimizer`.
    public static func scheduler(_ e: SchedulerSpec, optimizer: Optimizer) throws(SpecError) -> LRScheduler {
        switch e.type {
        case "step_lr":
            return StepLR(optimizer: optimizer, stepSize: e.int("step_size") ?? 1, gamma: e.double("gamma") ?? 0.1)
        case "exponential_lr":
            return ExponentialLR(optimizer: optimizer, gamma: e.double("gamma") ?? 1)
        case "cosine_annealing_lr":
            return CosineAnnealingLR(optimizer: optimizer, tMax: e.int("T_max") ?? 1, etaMin: e.double("eta_min") ?? 0)
        default:
            throw SpecError([.error(at: e.location, "scheduler type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath)])
        }
    }

    /// The transforms of a list.
    public static func transforms(_ entries: [TransformSpec]) throws(SpecError) -> [Transform] {
        var out: [Transform] = []
        var diagnostics: [Diagnostic] = []
        for e in entries {
            do {
                switch e.type {
                case "to_tensor": out.append(ToTensor())
                case "normalize": out.append(try Normalize(mean: e.doubles("mean") ?? [], std: e.doubles("std") ?? []))
                default:
                    diagnostics.append(.error(at: e.location, "transform type '\(e.type)' is in the schema but cannot be built yet", keyPath: e.keyPath))
                }
            } catch {
                diagnostics.append(.error(at: e.location, "\(error)", keyPath: e.keyPath))
            }
        }
        if !diagnostics.isEmpty { throw SpecError(diagnostics) }
        return out
    }
}

/// The three splits of a spec's data, read into memory.
public struct LoadedData {
    public var train: TensorDataset
    public var val: TensorDataset?
    public var test: TensorDataset?
}

extension Builder {
    /// Reads the spec's splits from its HDF5 file. A missing file or dataset
    /// path is a diagnostic at the line that names it.
    public static func data(_ spec: DataSpec, seed: Int, sourceOverride: String? = nil) throws(SpecError) -> LoadedData {
        let source = sourceOverride ?? spec.source
        func load(_ arrays: DataSpec.Arrays) throws(SpecError) -> TensorDataset {
            do {
                return try TensorDataset.load(file: source, x: arrays.x, y: arrays.y)
            } catch let error as HDF5Error {
                let location: SourceLocation
                if error.object == arrays.x || error.object == "/" + arrays.x { location = arrays.xLocation }
                else if error.object == arrays.y || error.object == "/" + arrays.y { location = arrays.yLocation }
                else { location = spec.sourceLocation }
                throw SpecError([.error(at: sourceOverride == nil ? location : arrays.xLocation, error.description)])
            } catch {
                throw SpecError([.error(at: arrays.xLocation, "\(error)")])
            }
        }
        guard FileManager.default.fileExists(atPath: source) else {
            throw SpecError([.error(at: spec.sourceLocation, "data file '\(source)' does not exist")])
        }
        var train = try load(spec.train)
        var val: TensorDataset?
        switch spec.val {
        case .none: break
        case let .split(fraction):
            do {
                (train, val) = try train.split(fraction: fraction, seed: UInt64(truncatingIfNeeded: seed))
            } catch {
                throw SpecError([.error(at: spec.location, "\(error)")])
            }
        case let .arrays(arrays): val = try load(arrays)
        }
        let test = try spec.test.map { a throws(SpecError) in try load(a) }
        return LoadedData(train: train, val: val, test: test)
    }
}
