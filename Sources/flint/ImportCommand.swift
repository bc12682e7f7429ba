import ArgumentParser
import FlintData
import Foundation

/// `flint import FORMAT FILES... --output H5`: one subcommand per format.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring data from other formats into an HDF5 file.",
        subcommands: [ImportIDXCommand.self])
}

struct ImportIDXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idx",
        abstract: "Import IDX files (the MNIST format, raw or .gz).",
        discussion: """
            A file whose header has one dimension becomes `SPLIT/labels` (int64), \
            one with more becomes `SPLIT/images` ([N, H, W] stored as [N, 1, H, W]). \
            The split comes from the file name: 'train' → train, 't10k' or 'test' → test, \
            'val' → val; or name it with --split.

            Example: flint import idx data/mnist/*.gz --output datasets/mnist.h5
            """)

    @Argument(help: "IDX files, raw or gzip-compressed.")
    var files: [String]

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Option(help: "Put every file in this split (group) instead of reading the split from file names.")
    var split: String?

    @Flag(help: "Store [N, H, W] images as they are, without a channel dimension.")
    var noChannelDim = false

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        let options = IDXImportOptions(split: split, addChannelDimension: !noChannelDim, overwrite: force)
        do {
            let plan = try importIDX(files, output: output, options: options)
            print(plan.report(output: output))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
