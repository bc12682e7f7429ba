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
    /// The objective of the spec's `loss` terms over the model's outputs.
    /// - Parameter outputs: `model.outputs`; nil for a model of one output.
    public static func objective(_ losses: [LossSpec], outputs: [String]?) throws(SpecError) -> Objective {
        var terms: [Objective.Term] = []
        var problems: [Diagnostic] = []
        for e in losses {
            do {
                let criterion = try Builder.criterion(e)
                // The validator matched `output` against `model.outputs` (without it, against the last
                // layer); a loss without `output` reads the model's only output, or both of its two.
                let indices = e.strings("output").map { names in names.map { outputs?.firstIndex(of: $0) ?? 0 } }
                    ?? Array(0..<criterion.arity)
                let (target, weight) = try reportingAt(e) {
                    (try e.choiceValue("target", as: Objective.Target.self), try e.doubleValue("loss_weight"))
                }
                terms.append(Objective.Term(criterion, outputs: indices, target: target, weight: weight))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw SpecError(problems) }
        return Objective(terms: terms)
    }

    /// The loss of one `loss` entry.
    public static func criterion(_ e: LossSpec) throws(SpecError) -> Objective.Criterion {
        do {
            switch LossTypes.byName[e.type]?.build {
            case .single(let make)?: return .single(try make(e))
            case .pair(let make)?: return .pair(try make(e))
            case nil: throw BuildProblem("there is no builder for loss type '\(e.type)'")
            }
        } catch {
            throw SpecError([.error(at: e.location, "\(error)", keyPath: e.keyPath)])
        }
    }

    /// The optimizer over a model's parameters, by state-dict name, split into the
    /// spec's `param_groups`: the parameters no group claims come first, with the
    /// optimizer's own settings, then each group in written order.
    public static func optimizer(_ e: OptimizerSpec, parameters: [(name: String, tensor: Tensor)]) throws(SpecError) -> Optimizer {
        let groups = try paramGroups(e, parameters)
        return try reportingAt(e) { try makeOptimizer(e, groups) }
    }

    /// Runs `make`, turning a failure into a spec error at `e`'s location
    /// (a constructor's invalid-argument message is prefixed with the type).
    private static func reportingAt<T>(_ e: SpecEntry, _ make: () throws -> T) throws(SpecError) -> T {
        do {
            return try make()
        } catch let error as SpecError {
            throw error
        } catch {
            var message = "\(error)"
            if case TensorError.invalidArgument(_, let detail) = error { message = "\(e.type): \(detail)" }
            throw SpecError([.error(at: e.location, message, keyPath: e.keyPath)])
        }
    }

    /// One parameter group as the spec writes it: its parameters, and the entry
    /// whose written fields override the optimizer's own (nil for the first group
    /// of unclaimed parameters, which takes the optimizer's fields as they are).
    struct GroupFields {
        var params: [Tensor]
        var overrides: SpecEntry?
    }

    /// The groups of `param_groups` matched against the parameter names; every pattern
    /// must take at least one parameter no earlier group took.
    static func paramGroups(_ e: OptimizerSpec, _ parameters: [(name: String, tensor: Tensor)]) throws(SpecError) -> [GroupFields] {
        let written = e.entries("param_groups") ?? []
        var owner = [Int?](repeating: nil, count: parameters.count)
        var problems: [Diagnostic] = []
        for (index, group) in written.enumerated() {
            for pattern in group.strings("params") ?? [] {
                let matching = parameters.indices.filter { NamePattern.matches(pattern, parameters[$0].name) }
                let free = matching.filter { owner[$0] == nil }
                for i in free { owner[i] = index }
                guard free.isEmpty else { continue }
                let names = parameters.map { $0.name }
                let message = matching.isEmpty
                    ? "param_groups: '\(pattern)' matches no parameter (the model has \(names.joined(separator: ", ")))"
                        + Suggest.hint(for: pattern, in: names)
                    : "param_groups: '\(pattern)' matches only parameters that an earlier group took"
                problems.append(.error(at: group.location(of: "params"), message, keyPath: group.keyPath(of: "params")))
            }
        }
        if !problems.isEmpty { throw SpecError(problems) }
        let rest = parameters.indices.filter { owner[$0] == nil }.map { parameters[$0].tensor }
        var groups = rest.isEmpty && !written.isEmpty ? [] : [GroupFields(params: rest, overrides: nil)]
        for (index, group) in written.enumerated() {
            let params = parameters.indices.filter { owner[$0] == index }.map { parameters[$0].tensor }
            groups.append(GroupFields(params: params, overrides: group))
        }
        return groups
    }

    /// Each optimizer type of the spec, with its options' PyTorch defaults.
    static let optimizerTypes: [String: ([GroupFields], SpecEntry) throws -> Optimizer] = [
        "sgd": { try typed(SGD.self, SGDOptions(), $1, $0) },
        "adam": { try typed(Adam.self, AdamOptions(), $1, $0) },
        "adamw": { try typed(AdamW.self, AdamWOptions(), $1, $0) },
        "adamax": { try typed(Adamax.self, AdamaxOptions(), $1, $0) },
        "nadam": { try typed(NAdam.self, NAdamOptions(), $1, $0) },
        "radam": { try typed(RAdam.self, RAdamOptions(), $1, $0) },
        "rmsprop": { try typed(RMSprop.self, RMSpropOptions(), $1, $0) },
        "adagrad": { try typed(Adagrad.self, AdagradOptions(), $1, $0) },
        "adadelta": { try typed(Adadelta.self, AdadeltaOptions(), $1, $0) },
    ]

    /// A typed optimizer from the spec: `start` (the options' PyTorch defaults) with the
    /// optimizer's fields read in, then each group's written fields over those.
    private static func typed<O: OptimizerOptions>(_ type: TypedOptimizer<O>.Type, _ start: O, _ e: SpecEntry,
                                                   _ groups: [GroupFields]) throws -> Optimizer {
        var defaults = start
        e.read(into: &defaults)
        let typedGroups = groups.map { group -> OptimizerGroup<O> in
            var options = defaults
            group.overrides?.read(into: &options)
            return OptimizerGroup(params: group.params, options: options)
        }
        return try type.init(groups: typedGroups, defaults: defaults)
    }

    private static func makeOptimizer(_ e: OptimizerSpec, _ groups: [GroupFields]) throws -> Optimizer {
        guard let make = optimizerTypes[e.type] else {
            throw SpecError([.error(at: e.location, "there is no builder for optimizer type '\(e.type)'", keyPath: e.keyPath)])
        }
        return try make(groups, e)
    }

    /// The scheduler over `optimizer`.
    /// - Parameter runSteps: how many times the run will call `step()`; the length of a
    ///   `one_cycle_lr` that gives neither total_steps nor epochs and steps_per_epoch
    ///   (inside `sequential_lr`, the length of its segment).
    public static func scheduler(_ e: SchedulerSpec, optimizer: Optimizer, runSteps: Int? = nil) throws(SpecError) -> LRScheduler {
        try reportingAt(e) { try makeScheduler(e, optimizer: optimizer, runSteps: runSteps) }
    }

    private static func makeScheduler(_ e: SchedulerSpec, optimizer: Optimizer, runSteps: Int?) throws -> LRScheduler {
        guard let make = SchedulerTypes.byName[e.type]?.build else {
            throw SpecError([.error(at: e.location, "there is no builder for scheduler type '\(e.type)'", keyPath: e.keyPath)])
        }
        return try make(e, optimizer, runSteps)
    }

    /// The transforms of a list. Random ones each get their own seed, `seed` plus their position.
    /// `standardize` is built unfitted (`DataStatistics` fits it); it is refused in
    /// the `augmenting` list, whose transforms never reach evaluation.
    public static func transforms(_ entries: [TransformSpec], seed: UInt64 = 0,
                                  augmenting: Bool = false) throws(SpecError) -> [Transform] {
        var out: [Transform] = []
        var diagnostics: [Diagnostic] = []
        for (index, e) in entries.enumerated() {
            let ownSeed = seed &+ UInt64(index)
            if e.type == "standardize" && augmenting {
                diagnostics.append(.error(at: e.location, "standardize belongs in data.transforms: its training-split "
                                          + "statistics must apply to every split, not only to training", keyPath: e.keyPath))
                continue
            }
            do {
                guard let make = TransformTypes.byName[e.type]?.build else {
                    throw BuildProblem("transform type '\(e.type)' is in the schema but cannot be built")
                }
                out.append(try make(e, ownSeed))
            } catch {
                diagnostics.append(.error(at: e.location, "\(error)", keyPath: e.keyPath))
            }
        }
        if !diagnostics.isEmpty { throw SpecError(diagnostics) }
        return out
    }
}

private extension SpecEntry {
    /// Overwrites each option the entry has a value for (written, or its schema default).
    func read<O: OptimizerOptions>(into options: inout O) {
        for field in O.fields {
            switch field {
            case .number(let name, let path): if let v = double(name) { options[keyPath: path] = v }
            case .flag(let name, let path): if let v = bool(name) { options[keyPath: path] = v }
            case .pair(let name, let path): if let v = doubles(name), v.count == 2 { options[keyPath: path] = (v[0], v[1]) }
            }
        }
    }
}
