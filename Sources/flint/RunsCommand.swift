import ArgumentParser
import Foundation
import FlintReport
import FlintTrain

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "One table of every run under the folders given: differing overrides, metrics, epochs, time, status.",
        discussion: """
            Status is finished, stopped (early stopping, max_time), interrupted (Ctrl-C, SIGTERM), \
            failed (an error, or a process that died), or running.
            --sort takes a metric (best first: lowest loss, highest accuracy), best:METRIC, an override key, \
            epochs, time or status; append :asc or :desc to choose the order.

            Example: flint runs sweeps/lr --sort val/accuracy --filter data.batch_size=64
            """)

    @Argument(help: "Run directories, or folders holding them at any depth.") var dirs: [String]
    @Option(help: "Sort by a metric or field.") var sort: String?
    @Option(help: ArgumentHelp("Keep runs where KEY equals VALUE (an override, status, or a metric). Repeatable.", valueName: "KEY=VALUE"))
    var filter: [String] = []
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @Flag(help: "Print CSV on stdout.") var csv = false

    func run() throws {
        try reportingErrors {
            guard !(json && csv) else { throw TrainError.badInput("--json and --csv exclude each other") }
            let rows = RunTable.sort(try RunTable.filter(try RunTable.collect(dirs), filter), by: sort)
            print(RunTable.render(rows, format: json ? .json : csv ? .csv : .table), terminator: "")
        }
    }
}
