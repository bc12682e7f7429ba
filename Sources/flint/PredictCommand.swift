import ArgumentParser
import Foundation
import FlintTrain

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a checkpoint's model over new inputs and write its outputs to HDF5 or CSV.",
        discussion: """
            Applies the spec's transforms (not its augmentation), then writes `outputs` (raw model outputs) and, \
            for classifiers, `predictions` (int64 argmax) and `probabilities` (softmax). Inputs are read and \
            outputs written one batch at a time; the file appears only when complete.

            A model of several outputs (model.outputs: [logits, recon]), which PyTorch would return as a tuple, \
            gets one dataset per output named by it: outputs/logits, outputs/recon, and predictions/<name> and \
            probabilities/<name> for each output that a cross_entropy_loss or nll_loss reads. The root attribute \
            `outputs` lists the names in order.

            Inputs: an HDF5 dataset, a .npy file, a CSV file with the columns of the training import (the target \
            column may be left out), a PNG or JPEG file, or a folder of them; samples as stored (uint8 images, raw \
            rows), the checkpoint's transforms come after. With --output FILE.csv: one row per input with its path \
            or index, the predicted class (by name when the labels had names) and the probabilities.

            Example: flint predict runs/<run>/checkpoints/last.h5 --input datasets/mnist.h5:test/images --output preds.h5
            Example: flint predict runs/<run> --input photos/ --output preds.csv
            """)

    @Argument(help: "A checkpoint file, or a run directory (its checkpoints/last.h5).") var checkpoint: String
    @Option(help: ArgumentHelp("The inputs: an HDF5 file and optionally the dataset in it, a .npy or .csv file, an image, or a folder of images.", valueName: "INPUT"))
    var input: String
    @Option(name: .shortAndLong, help: "The file to write: HDF5, or .csv.") var output: String
    @Option(name: .customLong("batch-size"), help: "Rows per batch (default: the spec's batch_size).") var batchSize: Int?
    @Flag(help: "Replace the output file if it exists.") var force = false
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        try reportingErrors {
            try threads.apply()
            let r = try FlintCommands.predict(checkpoint: checkpoint, input: input, output: output, batchSize: batchSize, force: force)
            print(json ? r.json : r.summary)
        }
    }
}
