import ArgumentParser
import Foundation
import FlintTrain

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Metrics of a checkpoint on a split; the checkpoint alone suffices.",
        discussion: """
            Classifiers: loss, accuracy, top-k accuracy, macro and weighted precision/recall/F1, and with --json \
            per-class metrics and the confusion matrix (a table otherwise). Regression: loss, MSE, MAE, R².
            """)

    @Argument(help: "A checkpoint file, or a run directory (its checkpoints/last.h5).") var checkpoint: String
    @Option(help: "The split to evaluate: train, val or test.") var split = "test"
    @Option(help: "Another HDF5 file with the same dataset paths.") var data: String?
    @Option(name: .customLong("top-k"), help: "k of the top-k accuracy (reported when k is below the number of classes).")
    var topK = 5
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        try reportingErrors {
            try threads.apply()
            let report = try FlintCommands.evaluate(checkpoint: checkpoint, split: split, data: data, scope: .full(topK: topK))
            if json {
                print(report.json(checkpoint: checkpoint, split: split).text)
            } else {
                print(report.table(split: split), terminator: "")
            }
        }
    }
}
