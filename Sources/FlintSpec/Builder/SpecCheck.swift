import Flint
import FlintNN

/// The checks of `flint check` that need no data: the spec validates, and the model,
/// loss, optimizer and scheduler build with every shape inferred. Each part is tried
/// even when another failed, so one run reports every problem.
public struct SpecCheck {
    public let spec: Spec
    public let model: BuiltModel?
    /// Every problem found after validation, in reading order, warnings included.
    public let diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Validates and builds. A spec that does not validate throws its diagnostics:
    /// nothing can be built from it.
    public static func run(path: String, overrides: [String] = []) throws(SpecError) -> SpecCheck {
        try run(Spec.load(path: path, overrides: overrides), overrides: overrides)
    }

    public static func run(_ spec: Spec, overrides: [String] = []) -> SpecCheck {
        var found = spec.warnings
        var model: BuiltModel?
        Generator.manualSeed(UInt64(truncatingIfNeeded: spec.seed))
        do {
            // Shapes and parameter counts only: a model of any size is checked without memory or drawing.
            model = try Init.withFilling(.shapeOnly) { () throws(SpecError) in try Builder.build(spec.model) }
        } catch {
            found += error.diagnostics
        }
        if let model, let warning = MemoryEstimate.warning(model, batchSize: spec.data.batchSize,
                                                           at: spec.data.batchSizeLocation) {
            found.append(warning)
        }
        do {
            _ = try Builder.objective(spec.losses, outputs: spec.model.outputs)
        } catch {
            found += error.diagnostics
        }
        // A stand-in parameter lets the optimizer and scheduler build when the model did not;
        // parameter groups, which name the model's parameters, are then checked by name only when it did.
        var optimizerSpec = spec.optimizer
        if model == nil { optimizerSpec = optimizerSpec.withoutNested("param_groups") }
        let parameters = model?.module.namedParameters() ?? [("weight", Tensor.scalar(0))]
        do {
            let optimizer = try Builder.optimizer(optimizerSpec, parameters: parameters)
            // Steps per epoch need the data (the run plan counts them and checks lengths against them);
            // a stand-in that reaches past every milestone builds the same kind of schedule.
            if let scheduler = spec.scheduler {
                let lastMilestone = scheduler.ints("milestones")?.max() ?? 0
                let runSteps = scheduler.schedulerInterval == "step" ? Swift.max(spec.train.epochs, lastMilestone + 1) : spec.train.epochs
                _ = try Builder.scheduler(scheduler, optimizer: optimizer, runSteps: runSteps)
            }
        } catch {
            found += error.diagnostics
        }
        do {
            _ = try Builder.transforms(spec.data.transforms)
            _ = try Builder.transforms(spec.data.augment, augmenting: true)
        } catch {
            found += error.diagnostics
        }
        var bag = DiagnosticBag()
        for diagnostic in found { bag.add(diagnostic) }
        let ordered = bag.sorted(file: spec.file, commandLine: overrides.map { Override.location(of: $0).description })
        return SpecCheck(spec: spec, model: model, diagnostics: ordered)
    }
}
