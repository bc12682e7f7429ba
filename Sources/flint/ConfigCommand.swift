import ArgumentParser
import Foundation
import FlintTrain

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the resolved spec: bases merged, overrides applied, references resolved.")

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE, or KEY~ to remove it.", valueName: "KEY=VALUE"))
    var overrides: [String] = []

    func run() throws {
        try reportingErrors { print(try FlintCommands.config(specPath: spec, overrides: overrides), terminator: "") }
    }
}
