import Foundation
import CMPI

/// `MPI_COMM_WORLD` of Open MPI, loaded at run time. Errors of MPI calls are
/// returned (MPI_ERRORS_RETURN) and thrown, so that the caller can abort the
/// job with a message naming the rank.
public final class MPICommunicator: Communicator {
    private var mpi = flint_mpi()
    public let rank: Int
    public let size: Int

    /// Loads libmpi and calls MPI_Init_thread (MPI_THREAD_FUNNELED: only the
    /// thread that trains calls MPI).
    public init() throws {
        var error = [CChar](repeating: 0, count: 512)
        guard flint_mpi_load(&mpi, &error, error.count) == 0 else {
            throw DistributedError.unavailable("flint: " + String(cString: error))
        }
        var initialized: Int32 = 0
        _ = mpi.initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            let code = mpi.init_thread(nil, nil, 1, &provided)
            guard code == 0 else {
                throw DistributedError.unavailable("flint: MPI_Init_thread failed with MPI error \(code)")
            }
        }
        _ = mpi.comm_set_errhandler(mpi.comm_world, mpi.errors_return)
        var r: Int32 = 0, s: Int32 = 0
        _ = mpi.comm_rank(mpi.comm_world, &r)
        _ = mpi.comm_size(mpi.comm_world, &s)
        rank = Int(r)
        size = Int(s)
    }

    private func check(_ name: String, _ code: Int32) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        _ = mpi.error_string(code, &text, &length)
        throw DistributedError.call(name, code: code, message: String(cString: text))
    }

    private func count(_ name: String, _ n: Int) throws -> Int32 {
        guard n <= Int(Int32.max) else { throw DistributedError.tooLarge(name, count: n) }
        return Int32(n)
    }

    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ op: ReduceOp) throws {
        try allreduce(buffer, op, type: mpi.type_float)
    }

    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ op: ReduceOp) throws {
        try allreduce(buffer, op, type: mpi.type_double)
    }

    /// MPI_Allreduce in place over `buffer` of MPI datatype `type`; `.average` divides the sum afterwards.
    private func allreduce<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOp,
                                                   type: UnsafeMutableRawPointer?) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        try check("MPI_Allreduce", mpi.allreduce(flint_mpi_in_place(), base, try count("MPI_Allreduce", buffer.count), type,
                                                 op == .max ? mpi.op_max : mpi.op_sum, mpi.comm_world))
        if op == .average {
            let scale = 1 / T(size)
            for i in buffer.indices { buffer[i] *= scale }
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        try check("MPI_Bcast", mpi.bcast(base, try count("MPI_Bcast", buffer.count), mpi.type_byte, Int32(root), mpi.comm_world))
    }

    public func barrier() throws { try check("MPI_Barrier", mpi.barrier(mpi.comm_world)) }

    public func allgather(_ values: [UInt64]) throws -> [[UInt64]] {
        var out = [UInt64](repeating: 0, count: values.count * size)
        guard !values.isEmpty else { return Array(repeating: [], count: size) }
        let n = try count("MPI_Allgather", values.count)
        try values.withUnsafeBufferPointer { send in
            try out.withUnsafeMutableBufferPointer { recv in
                try check("MPI_Allgather", mpi.allgather(send.baseAddress, n, mpi.type_uint64, recv.baseAddress, n, mpi.type_uint64, mpi.comm_world))
            }
        }
        return (0..<size).map { Array(out[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    public func abort(code: Int32, message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        _ = mpi.abort(mpi.comm_world, code)
        exit(code)
    }

    public func finish() {
        var done: Int32 = 0
        _ = mpi.finalized(&done)
        if done == 0 { _ = mpi.finalize() }
    }
}
