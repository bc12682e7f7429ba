import ArgumentParser
import Foundation
import FlintTrain

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the model a spec describes; write a run directory with config, metrics and checkpoints.",
        discussion: "Progress goes to stderr. With --json the last line on stdout is one JSON object with run_dir, checkpoint, epochs, seconds and metrics.")

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE (YAML), or KEY~ to remove it. Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []
    @Option(name: .customLong("run-dir"), help: "Run directory (default: runs/<name>-<UTC time>-<config hash> next to the spec).")
    var runDir: String?
    @Option(help: "Resume from a checkpoint file or a run directory.") var resume: String?
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false
    @Flag(help: "Print nothing but errors and the result.") var quiet = false

    func run() throws {
        try reportingErrors {
            let result = try FlintCommands.train(specPath: spec, overrides: overrides, runDir: runDir, resume: resume, quiet: quiet)
            if json {
                print(result.json)
            } else {
                for (k, v) in result.metrics.sorted(by: { $0.key < $1.key }) { print("\(k): \(String(format: "%.4f", v))") }
                print("checkpoint: \(result.checkpoint)")
            }
        }
    }
}
