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
            """)

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE (YAML), or KEY~ to remove it. Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []

    func run() throws {
        try reportingErrors {
            let check = try SpecCheck.run(path: spec, overrides: overrides)
            for diagnostic in check.diagnostics { printError(diagnostic.description) }
            guard !check.hasErrors, let model = check.model else { throw ExitCode(2) }
            let step = try FirstStep(spec: check.spec)
            print("\(spec): ok: \(model.parameterCount) parameters; batch \(step.input) -> output \(step.output); "
                  + "loss \(String(format: "%.4f", step.loss)) on the first batch")
        }
    }
}

/// One training step's forward and backward pass on the first batch, without an
/// optimizer step: the last thing that could stop training from starting.
private struct FirstStep {
    let input: [Int]
    let output: [Int]
    let loss: Double

    init(spec: Spec) throws {
        let plan = try RunPlan(spec: spec)
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
            output = outputs.first?.shape ?? []
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
