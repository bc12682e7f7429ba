import ArgumentParser
import Foundation
import FlintSpec
import FlintTrain

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the resolved spec: bases merged, overrides applied, references resolved.",
        discussion: "A spec that does not validate is still printed as far as it resolves, its problems on stderr, with exit code 2.")

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE, or KEY~ to remove it.", valueName: "KEY=VALUE"))
    var overrides: [String] = []

    func run() throws {
        try reportingErrors {
            do {
                print(try FlintCommands.config(specPath: spec, overrides: overrides), terminator: "")
            } catch let error as SpecError {
                // Seeing what the bases and overrides produced is how a user finds the mistake.
                if let node = Spec.resolve(path: spec, overrides: overrides).node { print(node.yaml(), terminator: "") }
                throw error
            }
        }
    }
}
