import ArgumentParser
import FlintTrain

/// `--threads N`: the threads of Flint's kernels and of OpenBLAS together (one count serves both,
/// so they never oversubscribe the cores). Without it, `FLINT_NUM_THREADS`, else every core.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for Flint's kernels and OpenBLAS together (default: FLINT_NUM_THREADS, else every core). For sweeps that run several processes at once, give each cores/processes.")
    var threads: Int?

    func apply() throws {
        if let threads { try FlintCommands.setThreads(threads) }
    }
}
