import Flint

/// The part of each epoch one rank of a data-parallel job reads
/// (`torch.utils.data.DistributedSampler`). Every rank draws the same
/// permutation from (seed, epoch); rank r takes positions r, r+N, r+2N, … of it.
/// For training the order is first padded by repeating its head until its
/// length divides by N (`drop_last: false`), or cut to a multiple of N
/// (`drop_last: true`), so every rank runs the same number of steps. With N = 1
/// the shard is the whole order: one process reads what it always did.
///
/// Batch k of rank r is then positions r, r+N, … of global batch k of one
/// process whose batch is N times larger: N ranks with batch b see the same
/// global batches as one process with batch N·b.
public struct Shard: Equatable, Sendable {
    public var rank: Int
    public var count: Int
    /// Pad or cut the order so every rank gets as many samples (training);
    /// false for evaluation, where each sample is read exactly once and ranks may
    /// get one sample less.
    public var even: Bool

    public init(rank: Int, count: Int, even: Bool = true) {
        self.rank = rank
        self.count = count
        self.even = even
    }

    /// One process reading everything.
    public static let whole = Shard(rank: 0, count: 1)

    public var isWhole: Bool { count == 1 }

    /// Samples this rank reads per epoch out of `total` (torch's `num_samples`).
    public func samples(of total: Int, dropLast: Bool) -> Int {
        guard count > 1 else { return total }
        if !even { return total > rank ? (total - rank + count - 1) / count : 0 }
        return dropLast ? total / count : (total + count - 1) / count
    }

    /// This rank's part of an epoch's `order`, as `DistributedSampler.__iter__`.
    public func select(_ order: [Int], dropLast: Bool) -> [Int] {
        guard count > 1 else { return order }
        var indices = order
        if even {
            let total = samples(of: order.count, dropLast: dropLast) * count
            if total <= indices.count {
                indices.removeLast(indices.count - total)
            } else if !order.isEmpty {
                // Padding repeats the order from its start, as often as needed.
                while indices.count < total { indices.append(contentsOf: order.prefix(total - indices.count)) }
            }
        }
        return Swift.stride(from: rank, to: indices.count, by: count).map { indices[$0] }
    }

    /// Rank r's rows of global batch `positions` of a streamed epoch: slots
    /// r, r+N, … of the batch, padded by repeating its head when its length does
    /// not divide by N (a streamed epoch has no order to pad from).
    func slots(inBatchOf length: Int) -> [Int] {
        guard count > 1, length > 0 else { return Array(0..<length) }
        let padded = even ? (length + count - 1) / count * count : length
        return Swift.stride(from: rank, to: padded, by: count).map { $0 % length }
    }
}
