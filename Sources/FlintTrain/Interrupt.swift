import Foundation

/// Training stopped by SIGINT or SIGTERM after writing a checkpoint at a batch
/// boundary. `flint train` exits with `128 + signal` (130 for Ctrl-C, 143 for
/// SIGTERM), as a shell reports a process ended by that signal.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public var signal: Int32
    public var checkpoint: String
    public var runDir: String
    public var epoch: Int
    public var step: Int

    public var signalName: String { signal == SIGTERM ? "SIGTERM" : "SIGINT" }
    public var exitCode: Int32 { 128 + signal }

    public var description: String {
        "interrupted by \(signalName) at epoch \(epoch + 1), step \(step): checkpoint written to \(checkpoint); "
            + "continue with `flint train SPEC --resume \(runDir)`"
    }
}

/// SIGINT/SIGTERM handling for the length of a training run. The first signal
/// only sets a flag that the trainer reads at batch boundaries; a second one
/// exits at once. Checkpoints are written to a temporary file and renamed, so
/// exiting mid-write leaves the last good checkpoint as it was.
enum InterruptHandler {
    /// The signal received, 0 for none. A pointer, not a Swift global, so the
    /// C signal handler touches no lazily initialised or reference-counted state.
    private static let received: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// The message the handler prints on the first signal, prepared in
    /// advance because a signal handler may only call `write`.
    private static let notice: UnsafeMutableBufferPointer<UInt8> = {
        let text = Array("\nstopping at the next batch boundary to write a checkpoint; interrupt again to exit at once\n".utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
        _ = buffer.initialize(from: text)
        return buffer
    }()

    private static var previous: [Int32: sighandler_t?] = [:]
    private static var quiet = false
    /// Whether a second signal exits at once. Not for a rank of an MPI job:
    /// Ctrl-C reaches it from the terminal and again as mpirun's SIGTERM, and
    /// mpirun itself kills ranks that outlast its timeout.
    private static let repeatExits: UnsafeMutablePointer<Bool> = {
        let p = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        p.initialize(to: true)
        return p
    }()

    static var pending: Int32? {
        let s = received.pointee
        return s == 0 ? nil : s
    }

    static func install(quiet: Bool, repeatExits: Bool = true) {
        received.pointee = 0
        _ = notice
        self.quiet = quiet
        self.repeatExits.pointee = repeatExits
        for sig in [SIGINT, SIGTERM] {
            previous[sig] = signal(sig, { sig in
                if InterruptHandler.received.pointee != 0 {
                    if InterruptHandler.repeatExits.pointee { _exit(128 + sig) }
                    return
                }
                InterruptHandler.received.pointee = sig
                if !InterruptHandler.quiet {
                    _ = write(2, InterruptHandler.notice.baseAddress, InterruptHandler.notice.count)
                }
            })
        }
    }

    static func uninstall() {
        for (sig, handler) in previous { signal(sig, handler ?? SIG_DFL) }
        previous = [:]
        received.pointee = 0
    }
}
