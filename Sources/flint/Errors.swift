import ArgumentParser
import Foundation
import FlintSpec
import FlintTrain
import FlintHDF5
import FlintData
import Flint

/// Runs a command body, printing any error to stderr and exiting with 2 for
/// bad input (spec, data, files, arguments) or 1 for a failure at run time.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as SpecError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(2)
    } catch let error as TrainError {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        if case .badInput = error { throw ExitCode(2) }
        throw ExitCode(1)
    } catch let error as HDF5Error {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        // A missing libhdf5 is this machine's fault, not the input's.
        throw ExitCode(error.kind == .unavailable ? 1 : 2)
    } catch let error as IDXError {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        throw ExitCode(2)
    } catch let error as DataError {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        if case .writeFailed = error { throw ExitCode(1) }
        throw ExitCode(2)
    } catch let error as TensorError where error.isOutOfMemory {
        // Sizes reach tensors from input (a spec, a file header): asking for too much is bad input.
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        throw ExitCode(2)
    } catch {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        throw ExitCode(1)
    }
}
