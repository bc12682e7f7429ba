import Flint

/// Produces one epoch's batches of raw rows, in order, from a given batch on.
/// Each batch is a pure function of (epoch seed, batch index), so a reader made
/// for batch k after a resume yields exactly what an uninterrupted one would.
protocol EpochReader: AnyObject {
    /// The next batch's positions and rows, or nil at the end of the epoch.
    func next() throws -> (positions: [Int], rows: SampleRows)?
}

/// An in-memory source in a seeded permutation (or in order): any order is cheap.
final class PermutationReader: EpochReader {
    private let source: DataSource
    let order: [Int]
    private let batchSize: Int
    private let batches: Int
    private var batch: Int

    init(source: DataSource, order: [Int], batchSize: Int, batches: Int, startBatch: Int) {
        self.source = source
        self.order = order
        self.batchSize = batchSize
        self.batches = batches
        self.batch = startBatch
    }

    /// The epoch's sample order: a permutation drawn from the epoch seed.
    static func order(count: Int, shuffle: Bool, epochSeed: UInt64) -> [Int] {
        shuffle ? Generator(seed: mixSeed(epochSeed, 1)).permutation(count) : Array(0..<count)
    }

    func next() throws -> (positions: [Int], rows: SampleRows)? {
        guard batch < batches else { return nil }
        let lo = batch * batchSize, hi = Swift.min(lo + batchSize, order.count)
        batch += 1
        let positions = Array(order[lo..<hi])
        return (positions, try source.read(positions))
    }
}

/// A rank's part of a streamed epoch: its slots of each global batch.
final class ShardedStreamReader: EpochReader {
    private let stream: StreamReader
    private let shard: Shard

    init(stream: StreamReader, shard: Shard) {
        self.stream = stream
        self.shard = shard
    }

    func next() throws -> (positions: [Int], rows: SampleRows)? {
        guard let (positions, rows) = try stream.next() else { return nil }
        let slots = shard.slots(inBatchOf: positions.count)
        guard !slots.isEmpty else { return nil }
        let index = try Tensor(slots.map { Int64($0) })
        return (slots.map { positions[$0] },
                SampleRows(inputs: try rows.inputs.map { ($0.name, try $0.tensor.indexSelect(0, index)) },
                           y: try rows.y.indexSelect(0, index)))
    }
}

/// A streamed source: blocks of consecutive rows (aligned to the file's chunks)
/// in a seeded order, each read once, mixed by a shuffle buffer of `capacity`
/// samples (as `tf.data`'s `shuffle`): every sample is emitted once per epoch,
/// memory holds one block plus the buffer.
final class StreamReader: EpochReader {
    private let source: DataSource
    private let batchSize: Int
    private let batches: Int
    private let shuffle: Bool
    private let blockOrder: [Int]
    private let blockRows: Int
    private let rng: Generator
    private let capacity: Int

    /// Next stream element: block `blockCursor` of `blockOrder`, row `offset` in it.
    private var blockCursor = 0
    private var offset = 0
    /// Positions in the shuffle buffer; slot j of `slots` holds position `buffer[j]`.
    private var buffer: [Int] = []
    private var filled = false
    private var batch = 0

    private let arrays: [ArrayInfo]
    private var staged: RowStore?
    private var stagedBlock = -1
    private var slots: RowStore?

    init(source: DataSource, batchSize: Int, batches: Int, shuffle: Bool, bufferCapacity: Int,
         epochSeed: UInt64, startBatch: Int) throws {
        self.source = source
        self.batchSize = batchSize
        self.batches = batches
        self.shuffle = shuffle
        blockRows = Swift.max(1, source.blockRows ?? source.count)
        let blockCount = (source.count + blockRows - 1) / blockRows
        blockOrder = shuffle ? Generator(seed: mixSeed(epochSeed, 2)).permutation(blockCount) : Array(0..<blockCount)
        rng = Generator(seed: mixSeed(epochSeed, 3))
        capacity = shuffle ? Swift.max(1, Swift.min(bufferCapacity, source.count)) : 0
        arrays = source.inputs + [source.target]
        // A resume replays the positions without reading data, then reads what
        // the buffer holds at that point.
        if startBatch > 0 {
            batch = Swift.min(startBatch, batches)
            for _ in 0..<(batch * batchSize) { _ = try emit(into: nil, row: 0) }
            if shuffle && !buffer.isEmpty {
                let store = RowStore(arrays: arrays, capacity: capacity)
                store.load(try source.read(buffer))
                slots = store
            }
        }
        if shuffle && slots == nil { slots = RowStore(arrays: arrays, capacity: capacity) }
    }

    private func blockRange(_ cursor: Int) -> Range<Int> {
        let b = blockOrder[cursor]
        return (b * blockRows)..<Swift.min((b + 1) * blockRows, source.count)
    }

    /// Takes the next element of the block stream; with `data`, makes sure its
    /// block is staged and returns its row there.
    private func pull(data: Bool) throws -> (position: Int, stagedRow: Int)? {
        while blockCursor < blockOrder.count && offset >= blockRange(blockCursor).count {
            blockCursor += 1
            offset = 0
        }
        guard blockCursor < blockOrder.count else { return nil }
        let range = blockRange(blockCursor)
        if data && stagedBlock != blockCursor {
            let store = staged ?? RowStore(arrays: arrays, capacity: blockRows)
            store.load(try source.read(Array(range)))
            staged = store
            stagedBlock = blockCursor
        }
        let element = (range.lowerBound + offset, offset)
        offset += 1
        return element
    }

    /// Emits one sample into row `row` of `output` (nil: positions only).
    private func emit(into output: RowStore?, row: Int) throws -> Int? {
        let data = output != nil
        guard shuffle else {
            guard let element = try pull(data: data) else { return nil }
            if let output, let staged { output.copy(row: element.stagedRow, of: staged, to: row) }
            return element.position
        }
        if !filled {
            while buffer.count < capacity, let element = try pull(data: data) {
                if data, let staged, let slots { slots.copy(row: element.stagedRow, of: staged, to: buffer.count) }
                buffer.append(element.position)
            }
            filled = true
        }
        guard !buffer.isEmpty else { return nil }
        let j = rng.nextInt(below: buffer.count)
        let position = buffer[j]
        if let output, let slots { output.copy(row: j, of: slots, to: row) }
        if let element = try pull(data: data) {
            buffer[j] = element.position
            if data, let staged, let slots { slots.copy(row: element.stagedRow, of: staged, to: j) }
        } else {
            let last = buffer.count - 1
            buffer[j] = buffer[last]
            if data, j != last, let slots { slots.copy(row: last, of: slots, to: j) }
            buffer.removeLast()
        }
        return position
    }

    func next() throws -> (positions: [Int], rows: SampleRows)? {
        guard batch < batches else { return nil }
        batch += 1
        let output = RowStore(arrays: arrays, capacity: batchSize)
        var positions: [Int] = []
        positions.reserveCapacity(batchSize)
        while positions.count < batchSize, let position = try emit(into: output, row: positions.count) {
            positions.append(position)
        }
        guard !positions.isEmpty else { return nil }
        return (positions, try output.rows(positions.count))
    }
}
