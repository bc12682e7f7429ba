import XCTest
@testable import FlintData

final class LoaderTests: DataTestCase {
    func testEveryEpochVisitsEverySampleOnceInAnOrderFromTheSeed() throws {
        let data = try countingDataset(103)
        let a = try DataLoader(dataset: data, batchSize: 10, shuffle: true, seed: 5)
        let b = try DataLoader(dataset: data, batchSize: 10, shuffle: true, seed: 5)
        let a1 = try epoch(a), a2 = try epoch(a)
        XCTAssertEqual(a1.count, 11)
        XCTAssertEqual(a1.flatMap(\.indices).sorted(), Array(0..<103))
        XCTAssertEqual(a2.flatMap(\.indices).sorted(), Array(0..<103))
        XCTAssertNotEqual(a1.flatMap(\.indices), a2.flatMap(\.indices), "epochs must differ")
        XCTAssertEqual(try epoch(b).flatMap(\.indices), a1.flatMap(\.indices), "same seed, same order")
        let other = try DataLoader(dataset: data, batchSize: 10, shuffle: true, seed: 6)
        XCTAssertNotEqual(try epoch(other).flatMap(\.indices), a1.flatMap(\.indices))
        // The rows match their positions: x = [i, i + 0.5].
        for batch in a1 { XCTAssertEqual(batch.x, batch.indices.flatMap { [Float($0), Float($0) + 0.5] }) }
    }

    func testPrefetchingChangesNothing() throws {
        let data = try countingDataset(64)
        let crop = try RandomCrop(size: [1, 2], padding: [0, 1], seed: 3)
        func run(_ prefetch: Int) throws -> [[Float]] {
            let loader = try DataLoader(dataset: data, batchSize: 7, shuffle: true, inputTransforms: [:], prefetch: prefetch, seed: 1)
            loader.transforms = [Reshape1x2(), crop]
            return try (0..<3).flatMap { _ in try epoch(loader).map(\.x) }
        }
        let inline = try run(0)
        XCTAssertEqual(try run(2), inline)
        XCTAssertEqual(try run(5), inline)
    }

    func testResumeMidEpochContinuesExactly() throws {
        let data = try countingDataset(50)
        for prefetch in [0, 2] {
            let loader = try DataLoader(dataset: data, batchSize: 8, shuffle: true, prefetch: prefetch, seed: 9)
            _ = try epoch(loader)
            loader.startEpoch()
            _ = try loader.next()
            _ = try loader.next()
            let saved = (generator: loader.generator.snapshot, order: loader.order, batch: loader.batchIndex)
            let rest = try epoch(loader, start: false)
            let next = try epoch(loader)

            let resumed = try DataLoader(dataset: data, batchSize: 8, shuffle: true, prefetch: prefetch, seed: 9)
            try resumed.generator.restore(saved.generator)
            try resumed.restore(order: saved.order, batchIndex: saved.batch)
            XCTAssertEqual(try epoch(resumed, start: false).map(\.indices), rest.map(\.indices))
            XCTAssertEqual(try epoch(resumed).map(\.indices), next.map(\.indices), "the epoch after the resume")
            // An empty saved order (as a streamed source saves) recovers the order from the generator.
            let fromSeed = try DataLoader(dataset: data, batchSize: 8, shuffle: true, prefetch: prefetch, seed: 9)
            try fromSeed.generator.restore(saved.generator)
            try fromSeed.restore(order: [], batchIndex: saved.batch)
            XCTAssertEqual(try epoch(fromSeed, start: false).map(\.indices), rest.map(\.indices))
        }
    }

    func testAugmentationDependsOnlyOnThePosition() throws {
        let data = try countingDataset(40)
        let flip = try RandomFlip(horizontal: true, p: 0.5, seed: 11)
        let loader = try DataLoader(dataset: data, batchSize: 8, shuffle: true, transforms: [Reshape1x2(), flip], seed: 2)
        loader.startEpoch()
        let position = loader.position
        let first = try epoch(loader, start: false).map(\.x)
        try loader.restore(LoaderPosition(epochSeed: position.epochSeed, batchIndex: 3))
        XCTAssertEqual(try epoch(loader, start: false).map(\.x), Array(first[3...]))
        // Flips happened, and only on some samples.
        let flipped = first.flatMap { row in stride(from: 0, to: row.count, by: 2).map { i in row[i] > row[i + 1] } }
        XCTAssertTrue(flipped.contains(true) && flipped.contains(false))
    }

    func testDropLastAndSequentialOrder() throws {
        let loader = try DataLoader(dataset: try countingDataset(10), batchSize: 4, dropLast: true)
        let batches = try epoch(loader)
        XCTAssertEqual(batches.map(\.indices), [[0, 1, 2, 3], [4, 5, 6, 7]])
        XCTAssertEqual(loader.batchesPerEpoch, 2)
        XCTAssertNil(try loader.next())
    }

    func testSeveralNamedInputs() throws {
        let image = try Tensor((0..<24).map { UInt8($0) }, shape: [6, 1, 2, 2])
        let meta = try Tensor((0..<12).map { Float($0) }, shape: [6, 2])
        let data = try TensorDataset(inputs: [("image", image), ("meta", meta)], y: try Tensor((0..<6).map { Int64($0) }))
        let loader = try DataLoader(dataset: data, batchSize: 4, targetTransforms: [try OneHot(numClasses: 6)],
                                    inputTransforms: ["image": [ToTensor()]])
        loader.startEpoch()
        let batch = try XCTUnwrap(try loader.next())
        XCTAssertEqual(batch.inputNames, ["image", "meta"])
        XCTAssertEqual(try batch.input("image").dtype, .float32)
        XCTAssertEqual(try batch.input("meta").toArray(Float.self), (0..<8).map { Float($0) })
        XCTAssertEqual(batch.x.shape, [4, 1, 2, 2])
        XCTAssertEqual(batch.y.shape, [4, 6])
        XCTAssertThrowsError(try batch.input("label"))
        XCTAssertEqual(dataError(try DataLoader(dataset: data, batchSize: 2, inputTransforms: ["imgs": [ToTensor()]]))?.description,
                       "transforms name inputs [\"imgs\"] that the data does not have (inputs: [\"image\", \"meta\"])")
    }

    func testSplitsAreSeededAndStratified() throws {
        // 60 of class 0, 30 of class 1, 10 of class 2.
        let labels = (0..<100).map { Int64($0 < 60 ? 0 : ($0 < 90 ? 1 : 2)) }
        let x = try Tensor((0..<100).map { Float($0) }, shape: [100, 1])
        let data = try TensorDataset(x: x, y: try Tensor(labels))
        let (rest, held) = try DataSplit.split(data, fraction: 0.2, seed: 4, stratify: true)
        XCTAssertEqual(held.count, 20)
        XCTAssertEqual(rest.count, 80)
        let heldLabels = try held.allTargets().toArray(Int64.self)
        XCTAssertEqual([0, 1, 2].map { c in heldLabels.filter { $0 == c }.count }, [12, 6, 2])
        let all = (try rest.allTargets().toArray(Int64.self) + heldLabels).sorted()
        XCTAssertEqual(all, labels.sorted())
        let again = try DataSplit.split(data, fraction: 0.2, seed: 4, stratify: true).held
        XCTAssertEqual(try again.read(Array(0..<20)).inputs[0].tensor.toArray(Float.self),
                       try held.read(Array(0..<20)).inputs[0].tensor.toArray(Float.self))
        // Uneven shares: round(0.15 · 100) = 15 held, each class's share rounded by largest remainder (9, 4.5, 1.5).
        let uneven = try DataSplit.split(data, fraction: 0.15, seed: 1, stratify: true).held
        XCTAssertEqual(uneven.count, 15)
        let (train, val) = try data.split(fraction: 0.1, seed: 3)
        XCTAssertEqual([train.count, val.count], [90, 10])
        XCTAssertEqual(dataError(try data.split(fraction: 1.5, seed: 0))?.description, "a split fraction must be between 0 and 1, got 1.5")
        let floatTargets = try TensorDataset(x: x, y: x)
        XCTAssertNotNil(dataError(try DataSplit.split(floatTargets, fraction: 0.2, seed: 0, stratify: true)))
    }
}

/// `[B, 2]` rows as one-row images `[B, 1, 1, 2]`, for testing image transforms on counting data.
struct Reshape1x2: Transform {
    var typeName: String { "reshape" }
    func outputShape(_ input: [Int]) throws -> [Int] { [1, 1, 2] }
    func callAsFunction(_ batch: Tensor) throws -> Tensor { try batch.reshape([batch.shape[0], 1, 1, 2]) }
}
