import Foundation

/// How `allreduce` combines the ranks' buffers.
public enum ReduceOp: Sendable {
    case sum
    /// The sum divided by the world size (how DDP averages gradients).
    case average
    case max
}

/// A failure of the communication layer: MPI missing under a launcher, or an MPI call that failed.
public enum DistributedError: Error, CustomStringConvertible {
    /// The launcher asked for MPI but it cannot be loaded or started.
    case unavailable(String)
    /// An MPI call returned an error.
    case call(String, code: Int32, message: String)
    /// A buffer larger than one MPI call takes (2^31 - 1 elements).
    case tooLarge(String, count: Int)

    public var description: String {
        switch self {
        case .unavailable(let why): return why
        case let .call(name, code, message): return "\(name) failed (MPI error \(code)): \(message)"
        case let .tooLarge(name, count): return "\(name): \(count) elements exceed one MPI call's limit of \(Int32.max)"
        }
    }
}

/// The ranks of a data-parallel job and the collectives between them
/// (`torch.distributed`'s process group). Every rank calls the same collectives
/// in the same order with the same element counts; a rank that calls none
/// leaves the others waiting, so a failing rank must `abort` the job.
public protocol Communicator: AnyObject {
    /// This process's place in the job, 0..<size.
    var rank: Int { get }
    /// The number of processes (the world size).
    var size: Int { get }
    /// Combines `buffer` across ranks, in place: every rank ends with the result.
    func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ op: ReduceOp) throws
    func allreduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ op: ReduceOp) throws
    /// Copies `root`'s bytes into every other rank's `buffer` (same size on all ranks).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Returns when every rank has called it.
    func barrier() throws
    /// Every rank's `values` (the same count on every rank), by rank.
    func allgather(_ values: [UInt64]) throws -> [[UInt64]]
    /// Ends the whole job at once with `code` after printing `message`: what a
    /// rank that cannot go on does, so that no other rank waits for it forever.
    func abort(code: Int32, message: String) -> Never
    /// Leaves the job cleanly (MPI_Finalize); collectives fail afterwards.
    func finish()
}

extension Communicator {
    public var isMain: Bool { rank == 0 }

    /// `values` combined across ranks (a small array: metric sums and counts).
    public func allreduce(_ values: [Double], _ op: ReduceOp) throws -> [Double] {
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try allreduce($0, op) }
        return copy
    }

    /// Every rank's `value`, by rank.
    public func allgather(_ value: UInt64) throws -> [UInt64] { try allgather([value]).map { $0[0] } }

    /// Every rank's `values` (the same count on every rank), by rank, bit for bit.
    public func allgather(_ values: [Double]) throws -> [[Double]] {
        try allgather(values.map(\.bitPattern)).map { $0.map(Double.init(bitPattern:)) }
    }

    /// `root`'s array of Doubles on every rank (`values` must have the same count on every rank).
    public func broadcast(_ values: [Double], root: Int = 0) throws -> [Double] {
        var copy = values
        try copy.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return copy
    }
}

/// The world of one process: every collective is the identity. Training
/// through it is exactly training without distribution.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ op: ReduceOp) throws {}
    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ op: ReduceOp) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func barrier() throws {}
    public func allgather(_ values: [UInt64]) throws -> [[UInt64]] { [values] }
    public func abort(code: Int32, message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
    public func finish() {}
}
