import Foundation

/// How this process was started: alone, or as one rank of a job by an MPI
/// launcher (`mpirun`, `srun`), read from the variables the launcher sets.
public enum Launcher: Equatable, Sendable {
    case none
    /// Started by a launcher that announced `size` ranks (when it says).
    case mpi(size: Int?)

    /// What the environment says. Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE;
    /// PMIx launchers PMIX_RANK; MPICH-style ones PMI_RANK; Slurm's srun
    /// SLURM_PROCID and SLURM_NTASKS (one task under srun is a plain process).
    public static func detect(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Launcher {
        if let size = env["OMPI_COMM_WORLD_SIZE"] { return .mpi(size: Int(size)) }
        if env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil { return .mpi(size: env["PMI_SIZE"].flatMap { Int($0) }) }
        if env["SLURM_PROCID"] != nil, let tasks = env["SLURM_NTASKS"].flatMap({ Int($0) }), tasks > 1 { return .mpi(size: tasks) }
        return .none
    }

    /// The mpirun command line that runs `arguments` of `executable` as `processes`
    /// ranks on this machine (`flint train SPEC --nproc N`), or nil when no
    /// mpirun is on the PATH. Root needs `--allow-run-as-root` (containers);
    /// `--oversubscribe` lets N pass the core count; ranks get 10 s after a
    /// signal to finish their checkpoint before mpirun kills them (its default is 1 s).
    public static func mpirunCommand(processes: Int, executable: String, arguments: [String],
                                     env: [String: String] = ProcessInfo.processInfo.environment) -> [String]? {
        let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/mpirun" }
        guard let mpirun = path.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        var command = [mpirun, "-np", String(processes), "--oversubscribe", "--mca", "odls_base_sigkill_timeout", "10"]
        if getuid() == 0 { command.append("--allow-run-as-root") }
        return command + [executable] + arguments
    }

    /// Ranks the launcher started on this machine, when it says (Open MPI,
    /// MPICH, Slurm with one count per node).
    public static func localRanks(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let n = env[key].flatMap({ Int($0) }), n > 0 { return n }
        }
        return nil
    }
}

/// The process's communicator: MPI's world when a launcher started it, else
/// one process. Made once, on first use.
public enum Distributed {
    nonisolated(unsafe) private static var made: Communicator?

    /// The world this process belongs to. Under a launcher this loads and
    /// starts MPI, and throws `DistributedError.unavailable` if it cannot.
    public static func world() throws -> Communicator {
        if let made { return made }
        let world: Communicator
        switch Launcher.detect() {
        case .none: world = LocalCommunicator()
        case .mpi: world = try MPICommunicator()
        }
        made = world
        return world
    }

    /// The world if it was made, without starting MPI.
    public static var current: Communicator? { made }
}
