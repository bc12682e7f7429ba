import ArgumentParser
import Foundation
import FlintNN
import FlintSpec
import FlintTrain

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The model's layers: output shapes and parameter counts, with totals.",
        discussion: "Reads a spec, or a checkpoint (.h5) or run directory, whose stored config gives the model and whose weights must fit it.")

    @Argument(help: "A YAML spec, a checkpoint file, or a run directory.") var path: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE (YAML), or KEY~ to remove it. Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []
    @Flag(help: "Print the summary as one JSON line on stdout.") var json = false

    func run() throws {
        try reportingErrors {
            let summary = try modelSummary(of: path, overrides: overrides)
            print(json ? summary.json() : summary.table(), terminator: json ? "\n" : "")
        }
    }
}

/// The summary of a spec's model, or of a checkpoint's (checked against its weights).
private func modelSummary(of path: String, overrides: [String]) throws -> ModelSummary {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    guard exists, isDirectory.boolValue || path.hasSuffix(".h5") else {
        let spec = try Spec.load(path: path, overrides: overrides)
        // Shapes and parameter counts only: no weight is drawn or held, whatever the model's size.
        let built = try Init.withFilling(.shapeOnly) { () throws(SpecError) in try Builder.build(spec.model) }
        return ModelSummary(input: spec.model.input, built: built)
    }
    let restored = try RestoredModel.load(checkpoint: path, overrides: overrides)
    return ModelSummary(input: restored.inputShape, built: restored.built)
}
