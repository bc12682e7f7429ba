import ArgumentParser
import Foundation
import FlintReport
import FlintTrain

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a metric's curves for one or more runs into one SVG or PNG, one colour per run.",
        discussion: "Example: flint plot sweeps/lr --metric val/accuracy --output curves.svg")

    @Argument(help: "Run directories, or folders holding them.") var runs: [String]
    @Option(help: "The metric to draw, e.g. val/accuracy or train/loss.") var metric = "val/loss"
    @Option(name: .shortAndLong, help: "The file to write: .svg or .png.") var output: String
    @Option(help: "The x axis: epoch, step or elapsed (seconds).") var x = "epoch"
    @Flag(help: "Draw the per-step records (train.log_every_steps) instead of the per-epoch ones.") var steps = false

    func run() throws {
        try reportingErrors {
            guard ["epoch", "step", "elapsed"].contains(x) else { throw TrainError.badInput("--x must be epoch, step or elapsed") }
            let png = output.lowercased().hasSuffix(".png")
            guard png || output.lowercased().hasSuffix(".svg") else { throw TrainError.badInput("--output must name an .svg or .png file") }
            let dirs = try RunTable.collect(runs).map(\.path)
            guard !dirs.isEmpty else { throw TrainError.badInput("no run directories (with summary.json) under \(runs.joined(separator: ", "))") }
            let series = try Plot.series(runs: dirs, metric: metric, x: x, steps: steps)
            guard series.contains(where: { !$0.points.isEmpty }) else {
                throw TrainError.badInput(steps
                    ? "no run has per-step values of \(metric): per-step records (train/loss, lr) are written only when the "
                        + "spec sets train.log_every_steps, e.g. `flint train SPEC --set train.log_every_steps=50`"
                    : "no run has values of \(metric)")
            }
            let xLabel = x == "elapsed" ? "seconds" : x
            let image = png ? try Plot.png(series, metric: metric, xLabel: xLabel) : Data(Plot.svg(series, metric: metric, xLabel: xLabel).utf8)
            try AtomicFile(destination: output).write(image) { error, problem in
                TrainError.badInput("cannot write \(output)\(problem.map { " (\($0))" } ?? ""): \(error)")
            }
            print(output)
        }
    }
}
