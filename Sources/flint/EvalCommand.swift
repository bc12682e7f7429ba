import ArgumentParser
import Foundation
import FlintTrain

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Metrics of a checkpoint on a split; the checkpoint alone suffices.")

    @Argument(help: "A checkpoint file, or a run directory (its checkpoints/last.h5).") var checkpoint: String
    @Option(help: "The split to evaluate: train, val or test.") var split = "test"
    @Option(help: "Another HDF5 file with the same dataset paths.") var data: String?
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false

    func run() throws {
        try reportingErrors {
            let (samples, metrics) = try FlintCommands.evaluate(checkpoint: checkpoint, split: split, data: data)
            if json {
                print(JSON.object([("checkpoint", .string(checkpoint)), ("split", .string(split)), ("samples", .int(samples)),
                                   ("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }))]).text)
            } else {
                print("\(split): \(samples) samples")
                for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { print("\(k): \(String(format: "%.4f", v))") }
            }
        }
    }
}
