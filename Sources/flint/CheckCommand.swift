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
            for warning in step.warnings { printError(warning.description) }
            if let loaded = step.initialWeights, !loaded.report.fits { printError(loaded.report.warning(loadingFrom: loaded.source.path)) }
            let outputs = zip(check.spec.model.outputs ?? [], step.outputs)
            print("\(spec): ok: \(model.parameterCount) parameters; batch \(step.input) -> "
                  + (step.outputs.count == 1 ? "output \(step.outputs[0])" : "outputs " + outputs.map { "\($0) \($1)" }.joined(separator: ", "))
                  + "; loss \(String(format: "%.4f", step.loss)) on the first batch"
                  + (step.initialWeights == nil ? " (weights zero, not drawn)" : "")
                  + (step.initialWeights.map { "; \($0.report.loaded) of \($0.report.modelTensors) tensors loaded from \($0.source.path)" } ?? ""))
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
