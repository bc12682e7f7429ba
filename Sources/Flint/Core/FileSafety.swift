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
}
