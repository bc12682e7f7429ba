import ArgumentParser
import Foundation
import Flint
import FlintSpec
import FlintTrain

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a spec, infer every shape, read one batch and run one forward and backward pass.",
        discussion: """
            Every problem is printed to stderr as FILE:LINE:COLUMN: error: MESSAGE. The spec and its model are \
            checked before any data is read. Exit code 0 means training would start; 2 means the spec or the \
            data has a problem.

            Weights to start from (model.init_from, or --init) are loaded as `flint train` loads them: strict \
            refuses a file that does not fit, naming every missing, unexpected and mis-shaped key; with \
            strict: false (--init-non-strict) what was skipped is reported on stderr exactly as `flint train` reports it.
            """)

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE (YAML), or KEY~ to remove it. Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []
    @Option(name: .customLong("init"), help: "Check that the weights of a safetensors file or checkpoint load (PyTorch names, strict), in place of model.init_from.")
    var initFrom: String?
    @Flag(name: .customLong("init-non-strict"), help: "With --init: load what matches by name and shape, report the rest on stderr (load_state_dict(strict=False)).")
    var initNonStrict = false

    func run() throws {
        try reportingErrors {
            if initNonStrict && initFrom == nil { throw TrainError.badInput("--init-non-strict needs --init FILE") }
            let check = try SpecCheck.run(path: spec, overrides: overrides)
            for diagnostic in check.diagnostics { printError(diagnostic.description) }
            guard !check.hasErrors, let model = check.model else { throw ExitCode(2) }
            let step = try FirstStep(spec: check.spec, initFrom: initFrom.map { InitialWeightsSpec(path: $0, strict: !initNonStrict) })
            if let loaded = step.initialWeights, !loaded.report.fits { printError(loaded.report.warning(loadingFrom: loaded.source.path)) }
            let outputs = zip(check.spec.model.outputs ?? [], step.outputs)
            print("\(spec): ok: \(model.parameterCount) parameters; batch \(step.input) -> "
                  + (step.outputs.count == 1 ? "output \(step.outputs[0])" : "outputs " + outputs.map { "\($0) \($1)" }.joined(separator: ", "))
                  + "; loss \(String(format: "%.4f", step.loss)) on the first batch"
                  + (step.initialWeights.map { "; \($0.report.loaded) of \($0.report.modelTensors) tensors loaded from \($0.source.path)" } ?? ""))
        }
    }
}

/// One training step's forward and backward pass on the first batch, without an
/// optimizer step: the last thing that could stop training from starting.
/// The weights to start from are loaded first, as `flint train` loads them.
private struct FirstStep {
    let input: [Int]
    /// The batched shape of every model output, in the order of `model.outputs`.
    let outputs: [[Int]]
    let loss: Double
    /// Where the starting weights came from and what the load found; nil without any.
    let initialWeights: (source: InitialWeightsSpec, report: WeightsLoadReport)?

    /// - Parameter initFrom: weights that replace `model.init_from` (`--init`).
    init(spec: Spec, initFrom: InitialWeightsSpec?) throws {
        var plan = try RunPlan(spec: spec, initialWeights: initFrom == nil)
        for w in plan.warnings { printError(w.description) }
        if let initFrom { plan.initialWeightsReport = try loadInitialWeights(into: plan.model, from: initFrom) }
        if let report = plan.initialWeightsReport, let source = initFrom ?? spec.model.initFrom {
            initialWeights = (source, report)
        } else {
            initialWeights = nil
        }
        plan.model.train()
        plan.train.startEpoch()
        guard let batch = try plan.train.next() else {
            throw TrainError.badInput("the training split has no samples")
        }
        do {
            let outputs = try plan.objective.outputs(of: plan.model, batch.x)
            let value = try plan.objective(outputs, x: batch.x, y: batch.y)
            try value.backward()
            input = batch.x.shape
            self.outputs = outputs.map(\.shape)
            loss = try value.item()
        } catch {
            throw TrainError.badInput("the first batch (inputs \(batch.x.shape) \(batch.x.dtype), targets \(batch.y.shape) "
                                      + "\(batch.y.dtype)) failed in the forward or backward pass: \(error)")
        }
        guard loss.isFinite else {
            throw TrainError.badInput("the loss of the first batch is \(loss); check the data and the transforms")
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
