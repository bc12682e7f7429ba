import ArgumentParser
import Foundation
import FlintSpec
import FlintTrain
import FlintHDF5
import FlintData
import Flint
import FlintDistributed

/// `reportingErrors` for one rank of a data-parallel job: the message names
/// the rank, and the rank aborts the whole job (MPI_Abort) so that no other
/// rank waits for it in a collective. Alone, exactly `reportingErrors`.
func reportingErrors(in world: Communicator, _ body: () throws -> Void) throws {
    guard world.size > 1 else { return try reportingErrors(body) }
    do {
        try reportingErrors(prefix: "rank \(world.rank) of \(world.size): ", body)
    } catch let exit as ExitCode {
        // Interrupted ranks all stop at the same step and exit alike (130, 143); any other failure ends the job.
        guard exit.rawValue == 0 || exit.rawValue == 130 || exit.rawValue == 143 else {
            world.abort(code: exit.rawValue, message: "flint: rank \(world.rank) failed (exit \(exit.rawValue)); ending the job")
        }
        throw exit
    }
}

/// Runs a command body, printing any error to stderr and exiting with 2 for
/// bad input (spec, data, files, arguments) or 1 for a failure at run time.
func reportingErrors(prefix: String = "", _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as SpecError {
        FileHandle.standardError.write(Data((prefix + error.description + "\n").utf8))
        throw ExitCode(2)
    } catch let error as TrainError {
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        if case .badInput = error { throw ExitCode(2) }
        throw ExitCode(1)
    } catch let error as HDF5Error {
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        // A missing libhdf5 is this machine's fault, not the input's.
        throw ExitCode(error.kind == .unavailable ? 1 : 2)
    } catch let error as IDXError {
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        throw ExitCode(2)
    } catch let error as DataError {
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        if case .writeFailed = error { throw ExitCode(1) }
        throw ExitCode(2)
    } catch let error as TensorError where error.isOutOfMemory {
        // Sizes reach tensors from input (a spec, a file header): asking for too much is bad input.
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        throw ExitCode(2)
    } catch {
        FileHandle.standardError.write(Data((prefix + "error: \(error)\n").utf8))
        throw ExitCode(1)
    }
}
