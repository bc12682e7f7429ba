import Flint

/// One batch: inputs after transforms, targets as stored.
public struct Batch {
    public let x: Tensor
    public let y: Tensor
    /// Dataset row of each sample.
    public let indices: [Int]
}

/// Batches over a `TensorDataset` (`torch.utils.data.DataLoader`): seeded
/// shuffling, transforms for every split, augmentation for training.
///
/// The position is explicit state (`epoch`, the shuffle `order`, `batchIndex`)
/// so a checkpoint can restore a run in the middle of an epoch.
public final class DataLoader {
    public let dataset: TensorDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public var transforms: [Transform]
    /// Draws the shuffle order of each epoch.
    public let generator: Generator

    /// The sample order of the current epoch.
    public private(set) var order: [Int]
    /// The next batch to hand out within the current epoch.
    public var batchIndex = 0

    public init(dataset: TensorDataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                transforms: [Transform] = [], seed: UInt64 = 0) throws {
        guard batchSize > 0 else { throw DataError.invalid("batch_size must be positive, got \(batchSize)") }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.transforms = transforms
        self.generator = Generator(seed: seed)
        self.order = Array(0..<dataset.count)
    }

    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Starts an epoch: draws a new order when shuffling.
    public func startEpoch() {
        order = shuffle ? generator.permutation(dataset.count) : Array(0..<dataset.count)
        batchIndex = 0
    }

    /// Restores a position saved from `order` and `batchIndex`.
    public func restore(order: [Int], batchIndex: Int) throws {
        guard order.count == dataset.count, Set(order).count == order.count,
              order.allSatisfy({ $0 >= 0 && $0 < dataset.count }) else {
            throw DataError.invalid("saved shuffle order does not fit a dataset of \(dataset.count) samples")
        }
        self.order = order
        self.batchIndex = batchIndex
    }

    /// The next batch of the epoch, or nil at its end.
    public func next() throws -> Batch? {
        guard batchIndex < batchesPerEpoch else { return nil }
        let lo = batchIndex * batchSize
        let hi = Swift.min(lo + batchSize, dataset.count)
        batchIndex += 1
        return try batch(Array(order[lo..<hi]))
    }

    /// The batch made of the rows at `indices`.
    public func batch(_ indices: [Int]) throws -> Batch {
        let idx = try Tensor(indices.map(Int64.init))
        var x = try dataset.x.indexSelect(0, idx)
        for t in transforms { x = try t(x) }
        return Batch(x: x, y: try dataset.y.indexSelect(0, idx), indices: indices)
    }
}
