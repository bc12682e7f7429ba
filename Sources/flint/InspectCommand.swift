import ArgumentParser
import FlintHDF5
import Foundation

/// `flint inspect H5`: the file's tree of groups, datasets and attributes.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List an HDF5 file's groups, datasets (dtype, shape, storage, value range) and attributes.")

    @Argument(help: "An HDF5 file: a dataset, checkpoint or prediction output.")
    var file: String

    @Flag(help: "Skip reading each dataset for its min and max (faster on large files).")
    var noRange = false

    func run() throws {
        do {
            print(try HDF5Inspector(computeRanges: !noRange).describe(path: file), terminator: "")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
