import Foundation
import Flint

/// Where a loader is within its epochs: everything needed to carry on exactly.
public struct LoaderPosition: Equatable, Sendable {
    /// Seeds the epoch's order and augmentation.
    public var epochSeed: UInt64
    /// The next batch to hand out.
    public var batchIndex: Int

    public init(epochSeed: UInt64, batchIndex: Int) {
        self.epochSeed = epochSeed
        self.batchIndex = batchIndex
    }
}

/// Batches over a source (`torch.utils.data.DataLoader`): seeded shuffling,
/// per-input transforms (every split) and augmentation (random transforms),
/// target transforms, and prefetching on a background thread.
///
/// An in-memory source is shuffled with one permutation per epoch. A streamed
/// source (`HDF5Source`) is read in chunk-aligned blocks in a seeded order,
/// mixed by a shuffle buffer.
///
/// Batch k of an epoch is a pure function of (epoch seed, k): prefetch timing
/// never changes it, and a run resumed at (epoch seed, k) continues exactly.
/// Each `startEpoch()` draws the epoch seed from `generator`; the seed is also a
/// function of the generator's state after that draw, so restoring a
/// checkpointed `generator` and calling `restore(order:batchIndex:)` resumes.
public final class DataLoader {
    public let dataset: DataSource
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    /// Batches prepared ahead on a background thread; 0 prepares each in `next()`.
    /// The default is 0 until the core keeps temporaries alive while raw pointers
    /// into them are read (`Tensor.withUnsafeElements`, `withContiguousBytes`,
    /// `toArray`): a block freed early by one thread can be reused at once by the
    /// other, which changes training results bit for bit. Specs ask for 2.
    public let prefetch: Int
    /// Samples held by a streamed source's shuffle buffer.
    public let shuffleBuffer: Int
    /// Transforms of each input by name, applied in order (random ones augment).
    public var inputTransforms: [String: [Transform]]
    /// Applied to the targets (`one_hot`, `cast`).
    public var targetTransforms: [Transform]
    /// Draws each epoch's seed; its snapshot is all a checkpoint needs besides `batchIndex`.
    public let generator: Generator
    /// The part of each epoch this process reads in a data-parallel job (`.whole` alone).
    public let shard: Shard
    /// Batches handed out per epoch at most (Lightning's `limit_train_batches`): the first of each epoch's order.
    public let batchLimit: Int?

    public private(set) var epochSeed: UInt64
    /// The sample order of the current epoch for an in-memory source; empty when
    /// streaming (the order then follows from `epochSeed`).
    public private(set) var order: [Int]
    /// The next batch to hand out within the current epoch.
    public private(set) var batchIndex = 0
    /// Seconds spent inside `next()` waiting for a batch (reading and transforming
    /// when `prefetch` is 0), since the loader was made or `resetWaitTime()`.
    public private(set) var waitSeconds = 0.0
    /// Batches handed out since the loader was made or `resetWaitTime()`.
    public private(set) var batchesServed = 0

    private var producer: Producer?

    public init(dataset: DataSource, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                transforms: [Transform] = [], targetTransforms: [Transform] = [],
                inputTransforms: [String: [Transform]] = [:], prefetch: Int = 2, shuffleBuffer: Int? = nil,
                seed: UInt64 = 0, batchLimit: Int? = nil, shard: Shard = .whole) throws {
        guard shard.count > 0, shard.rank >= 0, shard.rank < shard.count else {
            throw DataError.invalid("rank \(shard.rank) is outside a world of \(shard.count) processes")
        }
        guard batchSize > 0 else { throw DataError.invalid("batch_size must be positive, got \(batchSize)") }
        if let batchLimit, batchLimit < 1 { throw DataError.invalid("the batch limit must be positive, got \(batchLimit)") }
        self.batchLimit = batchLimit
        guard prefetch >= 0 else { throw DataError.invalid("prefetch must be 0 or more, got \(prefetch)") }
        if let shuffleBuffer, shuffleBuffer < 1 {
            throw DataError.invalid("shuffle_buffer must be positive, got \(shuffleBuffer)")
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        // By default the buffer holds about 8 MB of samples (four 2 MB blocks),
        // and at least a batch.
        let rowBytes = Swift.max(1, dataset.inputs.reduce(dataset.target.rowBytes) { $0 + $1.rowBytes })
        self.shuffleBuffer = shuffleBuffer ?? Swift.max(batchSize, (8 << 20) / rowBytes)
        var perInput = inputTransforms
        if !transforms.isEmpty, let first = dataset.inputs.first?.name {
            perInput[first] = transforms + (perInput[first] ?? [])
        }
        let unknown = Set(perInput.keys).subtracting(dataset.inputNames)
        guard unknown.isEmpty else {
            throw DataError.invalid("transforms name inputs \(unknown.sorted()) that the data does not have (inputs: \(dataset.inputNames))")
        }
        self.inputTransforms = perInput
        self.targetTransforms = targetTransforms
        self.generator = Generator(seed: seed)
        self.shard = shard
        self.epochSeed = mixSeed(seed)
        self.order = dataset.blockRows == nil ? Array(0..<dataset.count) : []
    }

    deinit { producer?.cancel() }

    /// Whether the source is read from its files as the epoch goes.
    public var isStreaming: Bool { dataset.blockRows != nil }

    /// The transforms of the first input (the only one for most models).
    public var transforms: [Transform] {
        get { dataset.inputs.first.flatMap { inputTransforms[$0.name] } ?? [] }
        set { if let first = dataset.inputs.first?.name { inputTransforms[first] = newValue } }
    }

    /// This process's batches per epoch: with a shard of N ranks, as many as one
    /// process with N times the batch has (a rank of an uneven evaluation shard may have one less).
    public var batchesPerEpoch: Int {
        let n = shard.samples(of: dataset.count, dropLast: dropLast)
        let all = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize
        return batchLimit.map { Swift.min($0, all) } ?? all
    }

    public var position: LoaderPosition { LoaderPosition(epochSeed: epochSeed, batchIndex: batchIndex) }

    /// Starts an epoch: draws its seed (and order) and starts prefetching.
    public func startEpoch() {
        _ = generator.next()
        move(to: LoaderPosition(epochSeed: Self.epochSeed(after: generator), batchIndex: 0), order: nil)
    }

    /// Restores a position saved from `order` and `batchIndex`, after the
    /// checkpointed `generator` state was restored. `order` may be empty (as for
    /// a streamed source): the order then follows from the generator.
    public func restore(order: [Int], batchIndex: Int) throws {
        if !order.isEmpty {
            guard !isStreaming else {
                throw DataError.invalid("a streamed dataset resumes from its generator; the saved order of \(order.count) samples does not apply")
            }
            guard order.count == dataset.count, Set(order).count == order.count,
                  order.allSatisfy({ $0 >= 0 && $0 < dataset.count }) else {
                throw DataError.invalid("saved shuffle order does not fit a dataset of \(dataset.count) samples")
            }
        }
        try checkBatchIndex(batchIndex)
        move(to: LoaderPosition(epochSeed: Self.epochSeed(after: generator), batchIndex: batchIndex),
             order: order.isEmpty ? nil : order)
    }

    /// Restores a position taken from `position`.
    public func restore(_ position: LoaderPosition) throws {
        try checkBatchIndex(position.batchIndex)
        move(to: position, order: nil)
    }

    public func resetWaitTime() {
        waitSeconds = 0
        batchesServed = 0
    }

    /// The next batch of the epoch, or nil at its end.
    public func next() throws -> Batch? {
        guard batchIndex < batchesPerEpoch else { return nil }
        let producer = try self.producer ?? startProducer()
        let start = DispatchTime.now().uptimeNanoseconds
        let batch = try producer.take()
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard let batch else { return nil }
        batchIndex += 1
        batchesServed += 1
        return batch
    }

    /// The batch made of the samples at `positions`, transformed as batch
    /// `batchIndex` of the current epoch would be.
    public func batch(_ positions: [Int], batchIndex: Int = 0) throws -> Batch {
        try pipeline().batch(try dataset.read(positions), positions: positions, batchIndex: batchIndex)
    }

    // MARK: - Internals

    private static func epochSeed(after generator: Generator) -> UInt64 {
        let s = generator.state
        return s.count == 4 ? mixSeed(s[0], s[1], s[2], s[3]) : mixSeed(s.first ?? 0)
    }

    private func checkBatchIndex(_ index: Int) throws {
        guard index >= 0 && index <= batchesPerEpoch else {
            throw DataError.invalid("saved batch index \(index) is outside 0...\(batchesPerEpoch)")
        }
    }

    private func move(to position: LoaderPosition, order saved: [Int]?) {
        producer?.cancel()
        producer = nil
        epochSeed = position.epochSeed
        batchIndex = position.batchIndex
        if !isStreaming {
            order = saved ?? PermutationReader.order(count: dataset.count, shuffle: shuffle, epochSeed: epochSeed)
        }
        if prefetch > 0 && batchIndex < batchesPerEpoch { _ = try? startProducer() }
    }

    /// Each rank augments its samples with its own stream, derived from (epoch seed, rank).
    private func pipeline() -> BatchPipeline {
        BatchPipeline(inputTransforms: inputTransforms, targetTransforms: targetTransforms,
                      epochSeed: shard.isWhole ? epochSeed : mixSeed(epochSeed, UInt64(shard.rank)))
    }

    /// A producer of this epoch's batches from `batchIndex` on: inline, or on
    /// the prefetch thread.
    private func startProducer() throws -> Producer {
        let reader: EpochReader
        if isStreaming {
            // A shard of a stream reads global batches of N·batch_size and keeps its slots of each.
            let global = batchSize * shard.count
            let all = dropLast ? dataset.count / global : (dataset.count + global - 1) / global
            let batches = batchLimit.map { Swift.min($0, all) } ?? all
            let stream = try StreamReader(source: dataset, batchSize: global, batches: batches, shuffle: shuffle,
                                          bufferCapacity: shuffleBuffer, epochSeed: epochSeed, startBatch: batchIndex)
            reader = shard.isWhole ? stream : ShardedStreamReader(stream: stream, shard: shard)
        } else {
            reader = PermutationReader(source: dataset, order: shard.select(order, dropLast: dropLast), batchSize: batchSize,
                                       batches: batchesPerEpoch, startBatch: batchIndex)
        }
        let pipeline = self.pipeline()
        var index = batchIndex
        let produce: () throws -> Batch? = {
            guard let (positions, rows) = try reader.next() else { return nil }
            defer { index += 1 }
            return try pipeline.batch(rows, positions: positions, batchIndex: index)
        }
        let made: Producer = prefetch > 0 ? .background(Prefetcher(depth: prefetch, produce: produce)) : .inline(produce)
        producer = made
        return made
    }

    private enum Producer {
        case inline(() throws -> Batch?)
        case background(Prefetcher<Batch>)

        func take() throws -> Batch? {
            switch self {
            case .inline(let produce): return try produce()
            case .background(let prefetcher): return try prefetcher.take()
            }
        }

        func cancel() {
            if case .background(let prefetcher) = self { prefetcher.cancel() }
        }
    }
}
