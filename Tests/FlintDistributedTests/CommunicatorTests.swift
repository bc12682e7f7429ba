import XCTest
import Foundation
import Flint
@testable import FlintDistributed

/// N in-process ranks on N threads, whose collectives meet at a shared
/// rendezvous: a stand-in for MPI that checks what the reducer and broadcast
/// compute (the MPI path itself runs in FlintTrainTests.DistributedTests).
final class ThreadWorld {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    private var slots: [[UInt8]]
    private var result: [[UInt8]] = []

    init(size: Int) {
        self.size = size
        slots = Array(repeating: [], count: size)
    }

    /// Every rank's bytes, once all have arrived.
    func exchange(rank: Int, _ bytes: [UInt8]) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        let mine = generation
        slots[rank] = bytes
        arrived += 1
        if arrived == size {
            result = slots
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        return result
    }

    final class Rank: Communicator {
        let world: ThreadWorld
        let rank: Int
        var size: Int { world.size }
        init(_ world: ThreadWorld, _ rank: Int) { self.world = world; self.rank = rank }

        private func reduce<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOp) {
            let all = world.exchange(rank: rank, Array(UnsafeRawBufferPointer(buffer)))
            for i in buffer.indices {
                // Summed in rank order, as a ring or tree would give some fixed order.
                let values = all.map { bytes in bytes.withUnsafeBytes { $0.load(fromByteOffset: i * MemoryLayout<T>.stride, as: T.self) } }
                switch op {
                case .sum: buffer[i] = values.reduce(0, +)
                case .average: buffer[i] = values.reduce(0, +) / T(size)
                case .max: buffer[i] = values.max() ?? 0
                }
            }
        }
        func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ op: ReduceOp) throws { reduce(buffer, op) }
        func allreduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ op: ReduceOp) throws { reduce(buffer, op) }
        func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
            let all = world.exchange(rank: rank, Array(UnsafeRawBufferPointer(buffer)))
            all[root].withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        func barrier() throws { _ = world.exchange(rank: rank, []) }
        func allgather(_ values: [UInt64]) throws -> [[UInt64]] {
            world.exchange(rank: rank, values.withUnsafeBytes { Array($0) }).map { bytes in
                bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
            }
        }
        func abort(code: Int32, message: String) -> Never { fatalError(message) }
        func finish() {}
    }

    /// Runs `body(rank)` on one thread per rank and waits for all.
    static func run(size: Int, _ body: @escaping @Sendable (Communicator) throws -> Void) throws {
        let world = ThreadWorld(size: size)
        let group = DispatchGroup()
        let errors = NSLock()
        nonisolated(unsafe) var failures: [Error] = []
        for r in 0..<size {
            let rank = Rank(world, r)
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do { try body(rank) } catch { errors.lock(); failures.append(error); errors.unlock() }
            }
        }
        group.wait()
        if let first = failures.first { throw first }
    }
}

final class CommunicatorTests: XCTestCase {
    func testLauncherIsReadFromTheEnvironment() {
        XCTAssertEqual(Launcher.detect([:]), .none)
        XCTAssertEqual(Launcher.detect(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "1"]), .mpi(size: 4))
        XCTAssertEqual(Launcher.detect(["PMIX_RANK": "0"]), .mpi(size: nil))
        XCTAssertEqual(Launcher.detect(["PMI_RANK": "2", "PMI_SIZE": "8"]), .mpi(size: 8))
        XCTAssertEqual(Launcher.detect(["SLURM_PROCID": "0", "SLURM_NTASKS": "1"]), .none, "one Slurm task is a plain process")
        XCTAssertEqual(Launcher.detect(["SLURM_PROCID": "3", "SLURM_NTASKS": "16"]), .mpi(size: 16))
    }

    func testOneProcessCollectivesAreTheIdentity() throws {
        let world = LocalCommunicator()
        XCTAssertEqual(world.rank, 0)
        XCTAssertEqual(world.size, 1)
        XCTAssertEqual(try world.allreduce([1.5, -2], .average), [1.5, -2])
        XCTAssertEqual(try world.allgather([7, 9] as [UInt64]), [[7, 9]])
        let p = try Tensor([Float(1), 2, 3]).requiringGrad()
        p.grad = try Tensor([Float(0.5), 0.25, -1])
        try GradientReducer(parameters: [p], communicator: world).averageGradients()
        XCTAssertEqual(p.grad?.toArray(Float.self), [0.5, 0.25, -1])
    }

    func testBucketsFollowReverseParameterOrderUpToTheCap() throws {
        let sizes = [10, 3, 40, 5, 5, 1]
        let params = try sizes.map { try Tensor([Float](repeating: 0, count: $0)) } + [try Tensor([Double](repeating: 0, count: 4))]
        let reducer = GradientReducer(parameters: params, communicator: LocalCommunicator(), bucketBytes: 11 * 4)
        // float32 from the last parameter back, a new bucket when the next would pass 44 bytes; float64 apart.
        XCTAssertEqual(reducer.buckets, [[5, 4, 3], [2], [1], [0], [6]])
    }

    /// Gradients of 3 ranks averaged: each rank ends with the mean, float32 and float64,
    /// across several buckets; a parameter without a gradient on one rank counts as zeros.
    func testAverageGradientsIsTheMeanOverRanks() throws {
        let size = 3
        let results = NSLock()
        nonisolated(unsafe) var seen: [Int: [[Double]]] = [:]
        try ThreadWorld.run(size: size) { world in
            let r = Double(world.rank)
            let a = try Tensor([Float](repeating: 0, count: 5)).requiringGrad()
            let b = try Tensor([Double](repeating: 0, count: 3)).requiringGrad()
            let c = try Tensor([Float](repeating: 0, count: 4)).requiringGrad()
            a.grad = try Tensor((0..<5).map { Float(r * 10 + Double($0)) })
            b.grad = try Tensor((0..<3).map { r - Double($0) / 3 })
            c.grad = world.rank == 1 ? nil : try Tensor([Float](repeating: Float(r + 1), count: 4))
            try GradientReducer(parameters: [a, b, c], communicator: world, bucketBytes: 16).averageGradients()
            results.lock()
            seen[world.rank] = [a.grad?.toArray(Double.self) ?? [], b.grad?.toArray(Double.self) ?? [], c.grad?.toArray(Double.self) ?? []]
            results.unlock()
        }
        for rank in 0..<size {
            let got = try XCTUnwrap(seen[rank])
            // mean over r of (10r + j) = 10 + j; mean of (r - j/3) = 1 - j/3; c: (1 + 0 + 3) / 3.
            XCTAssertEqual(got[0], (0..<5).map { 10 + Double($0) })
            for (j, v) in got[1].enumerated() { XCTAssertEqual(v, 1 - Double(j) / 3, accuracy: 1e-15) }
            if rank != 1 { for v in got[2] { XCTAssertEqual(v, 4.0 / 3, accuracy: 1e-6) } }
        }
    }

    func testBroadcastGivesEveryRankTheRootsTensors() throws {
        let results = NSLock()
        nonisolated(unsafe) var seen: [Int: ([Float], [Int64])] = [:]
        try ThreadWorld.run(size: 2) { world in
            let w = try Tensor([Float](repeating: Float(world.rank + 1), count: 6), shape: [2, 3])
            let steps = try Tensor([Int64(world.rank * 100)])
            try broadcastTensors([w, steps], communicator: world)
            results.lock()
            seen[world.rank] = (w.toArray(Float.self), steps.toArray(Int64.self))
            results.unlock()
        }
        for rank in 0..<2 {
            XCTAssertEqual(seen[rank]?.0, [Float](repeating: 1, count: 6))
            XCTAssertEqual(seen[rank]?.1, [0])
        }
    }
}
