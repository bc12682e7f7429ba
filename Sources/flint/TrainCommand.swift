import ArgumentParser
import Foundation
import FlintSpec
import FlintTrain
import FlintDistributed

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the model a spec describes; write a run directory with config, metrics and checkpoints.",
        discussion: """
            Progress goes to stderr: a live bar on a terminal, plain lines otherwise. With --json the last line \
            on stdout is one JSON object with run_dir, checkpoint, epochs, seconds, metrics and status.

            Ctrl-C or SIGTERM writes a checkpoint at the next batch boundary and exits with 130 (SIGINT) or 143 \
            (SIGTERM); a second Ctrl-C exits at once and leaves the last checkpoint as it was. \
            --resume continues a run exactly, applying what changed in the spec (epochs, learning rate, ...).

            Under an MPI launcher (`mpirun -np N flint train SPEC`, or `srun`) N processes train one model \
            data-parallel, as PyTorch's DistributedDataParallel: data.batch_size is per process, so the global \
            batch is N x data.batch_size; rank 0 alone writes the run directory. See docs/distributed.md.
            """)

    @Argument(help: "The YAML spec.") var spec: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value: KEY=VALUE (YAML), or KEY~ to remove it. Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []
    @Option(name: .customLong("run-dir"), help: "Run directory (default: runs/<name>-<UTC time>-<config hash> next to the spec; a resumed run continues in its own).")
    var runDir: String?
    @Option(help: "Resume from a checkpoint file or a run directory.") var resume: String?
    @Option(name: .customLong("init"), help: "Start from the weights of a safetensors file or checkpoint (PyTorch names, strict), in place of model.init_from.")
    var initFrom: String?
    @Flag(name: .customLong("init-non-strict"), help: "With --init: load what matches by name and shape, report the rest on stderr (load_state_dict(strict=False)).")
    var initNonStrict = false
    @Flag(help: "Replace the run directory if it holds an earlier run.") var force = false
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false
    @Flag(help: "Print nothing but errors (and, with --json, the result).") var quiet = false
    @Flag(name: .customLong("fast-dev-run"),
          help: "Run one training, one validation and one test batch to check the whole loop (Lightning's fast_dev_run); nothing is written unless --run-dir is given.")
    var fastDevRun = false
    @OptionGroup var threads: ThreadOptions
    @Option(help: "Train data-parallel on N processes of this machine: runs `mpirun -np N flint train ...` (Open MPI).")
    var nproc: Int?

    /// `--nproc N`: this command again under mpirun, without `--nproc`, in place of this process.
    private func relaunch(_ n: Int) throws -> Never {
        guard n >= 1 else { throw TrainError.badInput("--nproc must be at least 1, got \(n)") }
        guard Launcher.detect() == .none else { throw TrainError.badInput("--nproc starts mpirun itself; under mpirun or srun leave it out") }
        var args = Array(CommandLine.arguments.dropFirst())
        if let i = args.firstIndex(of: "--nproc") { args.removeSubrange(i...Swift.min(i + 1, args.count - 1)) }
        args.removeAll { $0.hasPrefix("--nproc=") }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let command = Launcher.mpirunCommand(processes: n, executable: me, arguments: args) else {
            throw TrainError.runtime("--nproc needs Open MPI's mpirun on the PATH (Debian: apt-get install openmpi-bin)")
        }
        let argv = command.map { strdup($0) } + [nil]
        execv(command[0], argv)
        throw TrainError.runtime("cannot start \(command[0]): \(String(cString: strerror(errno)))")
    }

    func run() throws {
        if let nproc { try reportingErrors { try relaunch(nproc) } }
        var world: Communicator = LocalCommunicator()
        try reportingErrors { world = try Distributed.world() }
        try reportingErrors(in: world) {
            if initNonStrict && initFrom == nil { throw TrainError.badInput("--init-non-strict needs --init FILE") }
            try threads.apply()
            if fastDevRun && (resume != nil || initFrom != nil) {
                throw TrainError.badInput("--fast-dev-run starts from the spec's own weights; it does not take --resume or --init")
            }
            let result: TrainResult
            do {
                result = fastDevRun ? try FlintCommands.fastDevRun(specPath: spec, overrides: overrides, runDir: runDir, quiet: quiet)
                    : try FlintCommands.train(specPath: spec, overrides: overrides, runDir: runDir, resume: resume, quiet: quiet,
                                                 force: force, initFrom: initFrom.map { InitialWeightsSpec(path: $0, strict: !initNonStrict) },
                                                 handleSignals: true, world: world)
            } catch let interrupted as TrainingInterrupted {
                if world.rank == 0 { FileHandle.standardError.write(Data("\(interrupted)\n".utf8)) }
                throw ExitCode(interrupted.exitCode)
            }
            world.finish()
            guard world.rank == 0 else { return }
            if json {
                print(result.json)
            } else if !quiet {
                for (k, v) in result.metrics.sorted(by: { $0.key < $1.key }) { print("\(k): \(String(format: "%.4f", v))") }
                print(result.checkpoint.isEmpty ? "fast dev run: nothing was written (give --run-dir to keep it)"
                      : "checkpoint: \(result.checkpoint)")
            }
        }
    }
}
