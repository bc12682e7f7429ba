import Foundation
import Flint

/// Averages parameters' gradients across ranks as DDP's reducer does: the
/// gradients are packed into flat buckets of about `bucketBytes` (25 MB, DDP's
/// `bucket_cap_mb`), in reverse parameter order (the order backward produces
/// them), the same on every rank; each bucket is one in-place allreduce.
/// float32 and float64 parameters go to separate buckets; others have no gradients.
public final class GradientReducer {
    public let communicator: Communicator
    private let parameters: [Tensor]
    /// Parameter indices of each bucket.
    public let buckets: [[Int]]
    private var floats: [Float] = []
    private var doubles: [Double] = []
    /// Seconds spent in allreduce calls since made (for bench/ddp).
    public private(set) var reduceSeconds = 0.0
    public private(set) var reducedBytes = 0

    public init(parameters: [Tensor], communicator: Communicator, bucketBytes: Int = 25 << 20) {
        self.communicator = communicator
        self.parameters = parameters
        var buckets: [[Int]] = []
        for dtype in [DType.float32, .float64] {
            var current: [Int] = [], bytes = 0
            for i in parameters.indices.reversed() where parameters[i].dtype == dtype {
                let size = parameters[i].count * dtype.itemSize
                if !current.isEmpty && bytes + size > bucketBytes {
                    buckets.append(current)
                    current = []
                    bytes = 0
                }
                current.append(i)
                bytes += size
            }
            if !current.isEmpty { buckets.append(current) }
        }
        self.buckets = buckets
    }

    /// Replaces every gradient by its average over the ranks. A parameter with
    /// no gradient on this rank contributes zeros (and gets the average only if
    /// it has a gradient to write it into).
    public func averageGradients() throws {
        guard communicator.size > 1 else { return }
        for bucket in buckets {
            let n = bucket.reduce(0) { $0 + parameters[$1].count }
            if parameters[bucket[0]].dtype == .float64 {
                try reduce(bucket, count: n, Double.self, into: &doubles)
            } else {
                try reduce(bucket, count: n, Float.self, into: &floats)
            }
        }
    }

    private func reduce<T: TensorElement & BinaryFloatingPoint>(_ bucket: [Int], count n: Int, _: T.Type, into flat: inout [T]) throws {
        if flat.count < n { flat = [T](repeating: 0, count: n) }
        var offset = 0
        for i in bucket {
            let p = parameters[i], m = p.count
            if let g = p.grad {
                try g.withUnsafeElements(T.self) { src in
                    flat.withUnsafeMutableBufferPointer { dst in
                        _ = UnsafeMutableBufferPointer(rebasing: dst[offset..<(offset + m)]).initialize(from: src)
                    }
                }
            } else {
                for k in offset..<(offset + m) { flat[k] = 0 }
            }
            offset += m
        }
        let start = Clock.now()
        try flat.withUnsafeMutableBufferPointer { buffer in
            let part = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            if T.self == Float.self {
                try communicator.allreduce(UnsafeMutableRawBufferPointer(part).bindMemory(to: Float.self), .average)
            } else {
                try communicator.allreduce(UnsafeMutableRawBufferPointer(part).bindMemory(to: Double.self), .average)
            }
        }
        reduceSeconds += Clock.now() - start
        reducedBytes += n * MemoryLayout<T>.stride
        offset = 0
        for i in bucket {
            let p = parameters[i], m = p.count
            defer { offset += m }
            guard let g = p.grad else { continue }
            if g.isContiguous && g.dtype == T.dtype {
                try g.withUnsafeMutableElements(T.self) { dst in
                    flat.withUnsafeBufferPointer { src in
                        if let d = dst.baseAddress, let s = src.baseAddress { d.update(from: s + offset, count: m) }
                    }
                }
            } else {
                try g.copyFrom(try Tensor(Array(flat[offset..<(offset + m)]), shape: g.shape))
            }
        }
    }
}

/// Rank `root`'s values of `tensors` (parameters and buffers) copied into every
/// rank's tensors, as DDP does at construction so all ranks start identical.
public func broadcastTensors(_ tensors: [Tensor], from root: Int = 0, communicator: Communicator) throws {
    guard communicator.size > 1 else { return }
    var bytes: [UInt8] = []
    for t in tensors { t.withContiguousBytes { bytes.append(contentsOf: $0) } }
    try bytes.withUnsafeMutableBytes { try communicator.broadcast($0, root: root) }
    guard communicator.rank != root else { return }
    var offset = 0
    for t in tensors {
        let size = t.count * t.dtype.itemSize
        try bytes.withUnsafeBytes { raw in
            try t.copyFrom(try Tensor.fromBytes(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]), dtype: t.dtype, shape: t.shape))
        }
        offset += size
    }
}

/// Monotonic seconds, for timing collectives.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Communicator {
    /// `t` summed over every rank, differentiably (`torch.distributed.nn.all_reduce`):
    /// the gradient of a sum taken on every rank is the sum of the ranks' gradients.
    /// For float32 and float64 tensors (what SyncBatchNorm reduces).
    public func sumAcrossRanks(_ t: Tensor) throws -> Tensor {
        guard size > 1 else { return t }
        let out = t.detach().clone()
        switch out.dtype {
        case .float32: try out.withUnsafeMutableElements(Float.self) { try allreduce($0, .sum) }
        case .float64: try out.withUnsafeMutableElements(Double.self) { try allreduce($0, .sum) }
        default: throw DistributedError.call("sumAcrossRanks", code: 0, message: "\(out.dtype) tensors are not reduced; float32 and float64 are")
        }
        return t.recordingFunction("all_reduce", output: out) { [unowned self] g in try self.sumAcrossRanks(g) }
    }
}
