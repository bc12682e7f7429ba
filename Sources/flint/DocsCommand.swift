import ArgumentParser
import Foundation
import FlintSpec
import FlintTrain

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "The spec reference (every section, layer, loss, optimizer, scheduler and transform) as Markdown.",
        discussion: "Generated from the tables the spec decoder validates against; docs/spec.md is its output.")

    @Option(help: "Write to this file instead of stdout.") var output: String?

    func run() throws {
        try reportingErrors {
            let markdown = SpecSchema.markdown()
            guard let output else { return print(markdown, terminator: "") }
            try AtomicFile(destination: output).write(Data(markdown.utf8)) { error, problem in
                TrainError.badInput("cannot write \(output)\(problem.map { " (\($0))" } ?? ""): \(error)")
            }
        }
    }
}
