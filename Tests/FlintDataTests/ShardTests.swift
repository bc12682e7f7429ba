import XCTest
import Foundation
import FlintHDF5
@testable import FlintData

/// The distributed sampler (`Shard`) against torch's `DistributedSampler`
/// (fixture from `Tests/Fixtures/data/generate_sampler.py`), and sharded loaders
/// against one loader with an N times larger batch.
final class ShardTests: DataTestCase {
    func testSelectMatchesTorchDistributedSampler() throws {
        let data = try Data(contentsOf: DataFixture.directory.appendingPathComponent("distributed_sampler.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 50)
        for c in cases {
            let n = try XCTUnwrap(c["n"] as? Int), world = try XCTUnwrap(c["world"] as? Int)
            let dropLast = try XCTUnwrap(c["drop_last"] as? Bool)
            let ranks = try XCTUnwrap(c["ranks"] as? [[Int]])
            // Any order: torch's positions (over range(n)) map through it.
            let order = Array((0..<n).reversed())
            for rank in 0..<world {
                let shard = Shard(rank: rank, count: world)
                XCTAssertEqual(shard.select(Array(0..<n), dropLast: dropLast), ranks[rank], "n \(n), world \(world), rank \(rank), drop_last \(dropLast)")
                XCTAssertEqual(shard.select(order, dropLast: dropLast), ranks[rank].map { order[$0] })
                XCTAssertEqual(shard.samples(of: n, dropLast: dropLast), ranks[rank].count)
            }
        }
    }

    func testEvaluationShardsReadEverySampleOnce() {
        for n in [0, 1, 5, 10, 33] {
            for world in [1, 2, 3, 4] {
                let parts = (0..<world).map { Shard(rank: $0, count: world, even: false).select(Array(0..<n), dropLast: false) }
                XCTAssertEqual(parts.flatMap { $0 }.sorted(), Array(0..<n))
                for (r, p) in parts.enumerated() { XCTAssertEqual(Shard(rank: r, count: world, even: false).samples(of: n, dropLast: false), p.count) }
            }
        }
    }

    /// Rank r's batch k is positions r, r+N, ... of batch k of one loader with batch N·b.
    private func assertShardsInterleave(_ make: (Int, Shard) throws -> DataLoader, world: Int, batch: Int, epochs: Int = 2) throws {
        let whole = try make(batch * world, .whole)
        let ranks = try (0..<world).map { try make(batch, Shard(rank: $0, count: world)) }
        for r in ranks { XCTAssertEqual(r.batchesPerEpoch, whole.batchesPerEpoch) }
        for _ in 0..<epochs {
            let global = try epoch(whole)
            let parts = try ranks.map { try epoch($0) }
            XCTAssertEqual(parts.map(\.count), Array(repeating: global.count, count: world))
            for (k, g) in global.enumerated() {
                for r in 0..<world {
                    let expected = Swift.stride(from: r, to: g.indices.count, by: world).map { g.indices[$0] }
                    XCTAssertEqual(parts[r][k].indices, expected, "batch \(k), rank \(r)")
                    XCTAssertEqual(parts[r][k].x, expected.flatMap { [Float($0), Float($0) + 0.5] })
                }
            }
        }
    }

    func testShardedLoadersSeeTheGlobalBatchesOfOneLoader() throws {
        let data = try countingDataset(96)
        for shuffle in [false, true] {
            for dropLast in [false, true] {
                try assertShardsInterleave({ b, shard in
                    try DataLoader(dataset: data, batchSize: b, shuffle: shuffle, dropLast: dropLast, prefetch: 0, seed: 3, shard: shard)
                }, world: 2, batch: 8)
                try assertShardsInterleave({ b, shard in
                    try DataLoader(dataset: data, batchSize: b, shuffle: shuffle, dropLast: dropLast, prefetch: 2, seed: 3, shard: shard)
                }, world: 3, batch: 4)
            }
        }
    }

    func testOneRankIsTheLoaderItself() throws {
        let data = try countingDataset(50)
        let a = try DataLoader(dataset: data, batchSize: 7, shuffle: true, seed: 1)
        let b = try DataLoader(dataset: data, batchSize: 7, shuffle: true, seed: 1, shard: Shard(rank: 0, count: 1))
        XCTAssertEqual(try epoch(a).map(\.indices), try epoch(b).map(\.indices))
    }

    func testUnevenTailIsPaddedFromTheHeadOfTheOrder() throws {
        // 10 samples, 4 ranks: torch pads to 12 with the first two of the order; every rank runs the same steps.
        let data = try countingDataset(10)
        let ranks = try (0..<4).map { try DataLoader(dataset: data, batchSize: 2, shuffle: true, seed: 4, shard: Shard(rank: $0, count: 4)) }
        let whole = try DataLoader(dataset: data, batchSize: 10, shuffle: true, seed: 4)
        let order = try epoch(whole)[0].indices
        let seen = try ranks.map { try epoch($0).flatMap(\.indices) }
        XCTAssertEqual(seen.map(\.count), [3, 3, 3, 3])
        XCTAssertEqual(seen[0], [order[0], order[4], order[8]])
        XCTAssertEqual(seen[2], [order[2], order[6], order[0]])
        XCTAssertEqual(seen[3], [order[3], order[7], order[1]])
    }

    func testStreamedShardsSeeTheGlobalBatchesOfOneLoader() throws {
        let path = directory.appendingPathComponent("stream.h5").path
        let file = try HDF5File.create(path)
        let n = 200
        let x = try Tensor((0..<n).flatMap { [Float($0), Float($0) + 0.5] }, shape: [n, 2])
        _ = try file.createDataset("x", tensor: x)
        _ = try file.createDataset("y", tensor: try Tensor((0..<n).map { Int64($0 % 3) }))
        try file.close()
        let source = try HDF5Source(inputs: [("x", ArrayRef(file: path, path: "x"))], y: ArrayRef(file: path, path: "y"), blockBytes: 16 * 24)
        XCTAssertNotNil(source.blockRows)
        for dropLast in [false, true] {
            try assertShardsInterleave({ b, shard in
                try DataLoader(dataset: source, batchSize: b, shuffle: true, dropLast: dropLast, shuffleBuffer: 50, seed: 2, shard: shard)
            }, world: 2, batch: 12)
        }
    }
}
