import Foundation
import Flint
import FlintHDF5

/// A file the user named as an output (`flint export`, `flint predict`), written
/// through `AtomicFile`: the destination is checked before any work is done, and
/// it appears only when complete.
///
///     let out = try AtomicOutput(destination: "model.safetensors", force: false)
///     try out.writing { tmp in try bytes.write(to: URL(fileURLWithPath: tmp)) }
package struct AtomicOutput {
    let file: AtomicFile

    /// Checks the destination before any work is done, so that bad paths fail
    /// at once with exit code 2: the folder must exist and be writable, and an
    /// existing file is replaced only with `force`.
    package init(destination: String, force: Bool, inputs: [String] = []) throws {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard !url.lastPathComponent.isEmpty, !destination.hasSuffix("/") else {
            throw TrainError.badInput("output \(destination): names a folder; give a file name")
        }
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw TrainError.badInput("cannot write \(destination): folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw TrainError.badInput("cannot write \(destination): folder \(folder) is not writable")
        }
        if fm.fileExists(atPath: destination, isDirectory: &isDir) {
            if isDir.boolValue { throw TrainError.badInput("cannot write \(destination): it is a folder") }
            try AtomicOutput.refuseOverwriting(inputs, with: destination)
            if !force { throw TrainError.badInput("\(destination) already exists; pass --force to replace it") }
        }
        file = AtomicFile(destination: destination)
    }

    /// Refuses to let `destination` replace one of the files it is made from, compared by
    /// device and inode (so `./x.h5`, a symbolic link or a hard link to it count), even with `--force`.
    package static func refuseOverwriting(_ inputs: [String], with destination: String) throws {
        if let input = FileSafety.input(inputs, replacedBy: destination) {
            throw TrainError.badInput("cannot write \(destination): it is the input \(input), which it would destroy")
        }
    }

    /// Runs `body` with a temporary path, then moves the result into place.
    /// Whatever `body` throws, the temporary file is removed and the
    /// destination is left as it was.
    package func writing<R>(_ body: (String) throws -> R) throws -> R {
        try file.write(body, failure: failure)
    }

    /// Writes `data` to the destination atomically.
    package func write(_ data: Data) throws {
        try file.write(data, failure: failure)
    }

    /// Failing to write the file (a full disk) is a runtime failure (exit 1), not bad input.
    private func failure(_ error: Error, _ problem: String?) -> Error {
        if problem != nil || error is FileWriteError || (error as? HDF5Error)?.file == file.temporary {
            return TrainError.io("cannot write \(file.destination)\(problem.map { " (\($0))" } ?? ""): \(error)")
        }
        return error
    }
}
