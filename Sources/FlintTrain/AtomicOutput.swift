import Foundation
import Flint
import FlintHDF5

/// A file that appears at its destination only when complete: it is written
/// to a hidden temporary file in the same folder, flushed to disk and renamed
/// over the destination, so a crash or an error never leaves a torn file and
/// never replaces a good one.
///
///     let out = try AtomicOutput(destination: "model.safetensors", force: false)
///     try out.writing { tmp in try bytes.write(to: URL(fileURLWithPath: tmp)) }
package struct AtomicOutput {
    let destination: String
    /// Where the content is written before it is renamed into place.
    let temporary: String

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
        self.destination = destination
        self.temporary = FileSafety.temporaryPath(for: destination)
    }

    /// Refuses to let `destination` replace one of the files it is made from, compared by
    /// device and inode (so `./x.h5`, a symbolic link or a hard link to it count), even with `--force`.
    package static func refuseOverwriting(_ inputs: [String], with destination: String) throws {
        if let input = inputs.first(where: { FileSafety.isSameFile(destination, $0) }) {
            throw TrainError.badInput("cannot write \(destination): it is the input \(input), which it would destroy")
        }
    }

    /// Runs `body` with the temporary path, then moves the result into place.
    /// Whatever `body` throws, the temporary file is removed and the
    /// destination is left as it was.
    package func writing<R>(_ body: (String) throws -> R) throws -> R {
        do {
            let result = try body(temporary)
            try commit()
            return result
        } catch {
            let code = errno
            unlink(temporary)
            // Failing to write the temporary file (a full disk) is a runtime failure (exit 1), not bad input.
            let reason = FileSafety.describeWriteFailure(code)
                ?? (FileSafety.freeBytes(near: destination).map { $0 < 1 << 20 } == true ? "the disk is full" : nil)
            if reason != nil || (error as? HDF5Error)?.file == temporary {
                throw TrainError.io("cannot write \(destination)\(reason.map { " (\($0))" } ?? ""): \(error)")
            }
            throw error
        }
    }

    /// Flushes the temporary file to disk and renames it over the destination.
    private func commit() throws {
        let fd = open(temporary, O_RDONLY)
        guard fd >= 0 else { throw TrainError.io("cannot reopen \(temporary) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainError.io("cannot flush \(temporary) to disk: \(String(cString: strerror(errno)))") }
        guard rename(temporary, destination) == 0 else {
            throw TrainError.io("cannot move the finished file into place at \(destination): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `data` to the destination atomically.
    package func write(_ data: Data) throws {
        try writing { path in
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw TrainError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
