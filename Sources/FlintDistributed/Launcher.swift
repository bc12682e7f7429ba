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
