import Foundation

/// An advisory lock (`flock`) on a run directory while a process trains in it, so that a
/// second `flint train` into the same directory, or `--force` replacing it, is refused
/// instead of interleaving two runs. The kernel releases it when the process ends, however
/// it ends, so a killed run never leaves a directory locked.
enum RunLock {
    /// `RUN/.lock`: holds the owner's pid and host, for the message another process prints.
    static let fileName = ".lock"
    /// Locks held by this process, kept open until it exits.
    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let guardLock = NSLock()

    /// Takes the lock of `dir` (which exists) for the rest of this process; throws `badInput`
    /// naming the holder when another process has it.
    static func acquire(_ dir: String) throws {
        let key = URL(fileURLWithPath: dir).standardizedFileURL.path
        guardLock.lock()
        defer { guardLock.unlock() }
        if held[key] != nil { return }
        let path = dir + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TrainError.badInput("cannot lock run directory \(dir): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw TrainError.badInput("run directory \(dir) is in use by another training (\(owner.map { $0.isEmpty ? "unknown process" : $0 } ?? "unknown process")); "
                                      + "wait for it to finish or choose another --run-dir")
        }
        let owner = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(fd, 0)
        _ = owner.withCString { pwrite(fd, $0, strlen($0), 0) }
        held[key] = fd
    }

    /// The holder of `dir`'s lock when another process trains there, else nil. Never blocks.
    static func holder(of dir: String) -> String? {
        let path = dir + "/" + fileName
        let key = URL(fileURLWithPath: dir).standardizedFileURL.path
        guardLock.lock()
        let mine = held[key] != nil
        guardLock.unlock()
        guard !mine else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) != 0 else {
            _ = flock(fd, LOCK_UN)
            return nil
        }
        let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return owner.isEmpty ? "another process" : owner
    }

    /// Releases `dir`'s lock, for a library caller that trains several runs in one process.
    static func release(_ dir: String) {
        let key = URL(fileURLWithPath: dir).standardizedFileURL.path
        guardLock.lock()
        defer { guardLock.unlock() }
        if let fd = held.removeValue(forKey: key) { close(fd) }
    }
}
