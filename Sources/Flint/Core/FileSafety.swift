import Foundation

/// Checks every reader and writer of user-named files shares, so that a FIFO given as a
/// data file is refused instead of blocking forever, an output never replaces one of its
/// own inputs, and the temporary files of killed runs do not pile up.
public enum FileSafety {
    /// Why `path` cannot be read as a file, or nil when it is an existing regular file
    /// (symbolic links followed). Never opens the file, so a FIFO cannot block.
    public static func problemReading(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? "no such file" : String(cString: strerror(errno))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a directory, not a file"
        case S_IFIFO: return "is a FIFO (named pipe), not a regular file"
        case S_IFCHR, S_IFBLK: return "is a device, not a regular file"
        case S_IFSOCK: return "is a socket, not a regular file"
        default: return "is not a regular file"
        }
    }

    /// The device and inode of an existing file, which name it whatever path reaches it.
    public static func identity(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// True when `output` exists and is the same file as `input` (hard links, symbolic
    /// links and `./x` versus `x` included), compared by device and inode.
    public static func isSameFile(_ output: String, _ input: String) -> Bool {
        guard let a = identity(output), let b = identity(input) else { return false }
        return a == b
    }

    /// A hidden temporary name beside `destination` that records the writing process:
    /// `dir/.name.tmp-<pid>-<random>`, so `removeStaleTemporaries` can tell a dead writer's.
    public static func temporaryPath(for destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        removeStaleTemporaries(in: folder)
        return folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes `.NAME.tmp-<pid>[-...]` files in `folder` whose process is gone (a run killed
    /// while writing). Files of live processes, and anything else, are left alone.
    public static func removeStaleTemporaries(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") {
            guard let marker = name.range(of: ".tmp-", options: .backwards) else { continue }
            let digits = name[marker.upperBound...].prefix { $0.isASCII && $0.isNumber }
            guard let pid = Int32(digits), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + name) }
        }
    }

    /// Bytes free for this user on the file system holding `path` (or its folder).
    public static func freeBytes(near path: String) -> Int? {
        var info = statvfs()
        let folder = FileManager.default.fileExists(atPath: path) ? path : URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(folder, &info) == 0 else { return nil }
        return Int(clamping: UInt64(info.f_bavail) &* UInt64(info.f_frsize))
    }

    /// "the disk is full" when the last write failed for want of space (ENOSPC, EDQUOT,
    /// EFBIG), for messages that would otherwise only repeat a library's "write failed".
    public static func describeWriteFailure(_ code: Int32 = errno) -> String? {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "disk quota exceeded"
        case EFBIG: return "file too large (a file-size limit was reached)"
        default: return nil
        }
    }

    /// What the machine did wrong when a write of `path` failed with `code`: the errno's
    /// reason, or "the disk is full" when less than 1 MiB is left (libraries such as
    /// libhdf5 report a full disk as a plain write failure and leave errno elsewhere).
    public static func writeProblem(_ code: Int32, near path: String) -> String? {
        describeWriteFailure(code) ?? (freeBytes(near: path).map { $0 < 1 << 20 } == true ? "the disk is full" : nil)
    }

    /// The first of `inputs` that `output` is (by device and inode), which writing `output` would destroy.
    public static func input(_ inputs: [String], replacedBy output: String) -> String? {
        inputs.first { isSameFile(output, $0) }
    }
}

/// A failure of the file system while finishing a file (flush, rename): the machine's
/// problem, never the input's.
public struct FileWriteError: Error, CustomStringConvertible {
    public let description: String
}

/// A file that appears at its destination only when complete, the one way Flint writes
/// the files it is asked for (checkpoints, exports, predictions, imports): the content
/// goes to a hidden temporary file beside the destination (`FileSafety.temporaryPath`,
/// which also removes dead writers' leftovers), is flushed to disk and renamed over the
/// destination. A crash or an error never leaves a torn file and never replaces a good one.
///
///     try AtomicFile(destination: "model.safetensors").write(bytes)
public struct AtomicFile {
    public let destination: String
    /// Where the content is written before it is renamed into place.
    public let temporary: String

    public init(destination: String) {
        self.destination = destination
        temporary = FileSafety.temporaryPath(for: destination)
    }

    /// Runs `body` with the temporary path, then flushes the file and renames it over the
    /// destination. Whatever fails, the temporary file is removed, the destination is left
    /// as it was, and `failure` turns the error into the caller's, given what the machine did
    /// wrong when that is known (a full disk, `FileSafety.writeProblem`).
    public func write<R>(_ body: (_ temporary: String) throws -> R,
                         failure: (_ error: Error, _ machineProblem: String?) -> Error = { error, _ in error }) throws -> R {
        do {
            let result = try body(temporary)
            try commit()
            return result
        } catch {
            let code = errno
            unlink(temporary)
            throw failure(error, FileSafety.writeProblem(code, near: destination))
        }
    }

    /// Writes `data` to the destination atomically.
    public func write(_ data: Data, failure: (_ error: Error, _ machineProblem: String?) -> Error = { error, _ in error }) throws {
        try write({ path in
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw FileWriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }, failure: failure)
    }

    /// Flushes the temporary file to disk and renames it over the destination.
    private func commit() throws {
        let fd = open(temporary, O_RDONLY)
        guard fd >= 0 else {
            throw FileWriteError(description: "cannot reopen \(temporary) to flush it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw FileWriteError(description: "cannot flush \(temporary) to disk: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, destination) == 0 else {
            throw FileWriteError(description: "cannot move the finished file into place at \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
