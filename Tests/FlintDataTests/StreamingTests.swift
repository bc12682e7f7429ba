import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

/// A source larger than the memory budget streams in chunk-aligned blocks:
/// every sample once per epoch, shuffled from the seed, in flat memory.
final class StreamingTests: DataTestCase {
    /// Writes `rows` samples whose features all equal the row number (float32
    /// `[rows, features]`, chunked) and labels equal to the row number.
    private func writeCountingFile(_ name: String, rows: Int, features: Int, chunkRows: Int) throws -> String {
        let file = try HDF5File.create(path(name))
        let x = try file.createDataset("train/x", dtype: .float32, shape: [rows, features], chunks: [chunkRows, features])
        let y = try file.createDataset("train/y", dtype: .int64, shape: [rows])
        let block = 4096
        for start in stride(from: 0, to: rows, by: block) {
            let n = min(block, rows - start)
            let values = (start..<(start + n)).flatMap { [Float](repeating: Float($0), count: features) }
            try x.write(rows: start..<(start + n), values)
            try y.write(rows: start..<(start + n), (start..<(start + n)).map { Int64($0) })
        }
        try file.close()
        return path(name)
    }

    /// Resident memory of this process, from /proc/self/statm (pages × page size).
    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    func testStreamsAFileLargerThanTheBudgetOnceEachEpochInFlatMemory() throws {
        // 51,200 rows of 4 KB: 200 MB of features under a 32 MB budget.
        let rows = 51_200, features = 1024, budget = 32 << 20
        let file = try writeCountingFile("big.h5", rows: rows, features: features, chunkRows: 256)
        let source = try DataSources.open(file: file, x: "train/x", y: "train/y",
                                          options: SourceOptions(cache: .auto, memoryBudget: budget))
        XCTAssertTrue(source is HDF5Source, "a source over the budget must stream")
        XCTAssertGreaterThan(source.bytes, 6 * budget)
        XCTAssertEqual(source.blockRows.map { $0 % 256 }, 0, "blocks are whole chunks")

        let loader = try DataLoader(dataset: source, batchSize: 256, shuffle: true, prefetch: 2, seed: 1)
        XCTAssertTrue(loader.isStreaming)
        var orders: [[Int]] = []
        let baseline = residentBytes()
        var peak = baseline, warm = 0, batches = 0
        for _ in 0..<2 {
            loader.startEpoch()
            var seen = [Bool](repeating: false, count: rows)
            var order: [Int] = []
            while let batch = try loader.next() {
                let y = batch.y.toArray(Int64.self)
                let x = batch.x.toArray(Float.self)
                for (k, label) in y.enumerated() {
                    XCTAssertFalse(seen[Int(label)], "sample \(label) twice in one epoch")
                    seen[Int(label)] = true
                    // The features read with the sample are its own.
                    XCTAssertEqual(x[k * features], Float(label))
                    XCTAssertEqual(x[k * features + features - 1], Float(label))
                }
                XCTAssertEqual(batch.indices, y.map { Int($0) })
                order += batch.indices
                batches += 1
                if batches == 20 { warm = residentBytes() }
                peak = max(peak, residentBytes())
            }
            XCTAssertTrue(seen.allSatisfy { $0 }, "every sample once per epoch")
            orders.append(order)
        }
        XCTAssertNotEqual(orders[0], orders[1], "epochs are shuffled differently")
        // Mixed well beyond the block: the first batch draws from many blocks.
        let blocks = Set(orders[0].prefix(256).map { $0 / (source.blockRows ?? 1) })
        XCTAssertGreaterThan(blocks.count, 4)
        // Memory in use: one 2 MB block, the 8 MB shuffle buffer and the batches in flight.
        XCTAssertLessThan(peak - baseline, budget, "resident memory grew by \((peak - baseline) >> 20) MB over two epochs of a 200 MB file")
        // Flat: once the pipeline is full, reading the other 190 MB twice adds next to nothing.
        XCTAssertLessThan(peak - warm, budget / 2, "resident memory grew by \((peak - warm) >> 20) MB after the first 20 batches")
    }

    func testStreamedResumeAndOrderFromTheSeed() throws {
        let file = try writeCountingFile("small.h5", rows: 1000, features: 3, chunkRows: 64)
        let source = try HDF5Source(inputs: [("x", ArrayRef(file: file, path: "train/x"))],
                                    y: ArrayRef(file: file, path: "train/y"), blockBytes: 64 * 20)
        XCTAssertEqual(source.blockRows, 64)
        let run = { (prefetch: Int) throws -> DataLoader in
            try DataLoader(dataset: source, batchSize: 30, shuffle: true, prefetch: prefetch, shuffleBuffer: 100, seed: 7)
        }
        let loader = try run(2)
        let whole = try epoch(loader)
        XCTAssertEqual(whole.flatMap(\.indices).sorted(), Array(0..<1000))
        XCTAssertEqual(try epoch(try run(0)).map(\.indices), whole.map(\.indices), "prefetching changes nothing")

        loader.startEpoch()
        for _ in 0..<5 { _ = try loader.next() }
        XCTAssertEqual(loader.order, [], "a streamed epoch has no stored order")
        let words = loader.generator.snapshot
        let rest = try epoch(loader, start: false)
        let resumed = try run(2)
        try resumed.generator.restore(words)
        try resumed.restore(order: [], batchIndex: 5)
        let again = try epoch(resumed, start: false)
        XCTAssertEqual(again.map(\.indices), rest.map(\.indices))
        XCTAssertEqual(again.map(\.x), rest.map(\.x))
        XCTAssertNotNil(dataError(try resumed.restore(order: Array(0..<1000), batchIndex: 0)))

        let sequential = try DataLoader(dataset: source, batchSize: 300, prefetch: 0)
        XCTAssertEqual(try epoch(sequential).flatMap(\.indices), Array(0..<1000))
    }

    func testSubsetOfAStreamedSourceReadsOnlyItsRows() throws {
        let file = try writeCountingFile("split.h5", rows: 200, features: 2, chunkRows: 16)
        let source = try DataSources.open(file: file, x: "train/x", y: "train/y", options: SourceOptions(cache: .none))
        let (rest, held) = try DataSplit.split(source, fraction: 0.25, seed: 3, stratify: false)
        XCTAssertEqual([rest.count, held.count], [150, 50])
        let loader = try DataLoader(dataset: held, batchSize: 8, shuffle: true, seed: 0)
        let labels = try epoch(loader).flatMap(\.y).map { Int($0) }
        XCTAssertEqual(labels.sorted(), try held.allTargets().toArray(Int64.self).map { Int($0) }.sorted())
        XCTAssertEqual(Set(labels).intersection(try rest.allTargets().toArray(Int64.self).map { Int($0) }), [])
    }
}
