/// Shape, strides (in elements) and offset of a tensor over its storage.
///
/// A layout is a value: views (transpose, permute, slice, expand) make a new
/// layout over the same storage and never copy data.
public struct Layout: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var strides: [Int]
    public var offset: Int

    public init(shape: [Int], strides: [Int], offset: Int = 0) {
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// Row-major contiguous layout of `shape`.
    public init(contiguous shape: [Int]) {
        self.init(shape: shape, strides: Layout.contiguousStrides(shape), offset: 0)
    }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= max(shape[i], 1)
        }
        return strides
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    /// True when the elements are laid out row-major without gaps.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// True when the elements fill `offset ..< offset + count` exactly, in
    /// some order of the dims (a transposed or permuted contiguous tensor):
    /// elementwise kernels can then run over the memory linearly.
    public var isDense: Bool {
        let dims = shape.indices.filter { shape[$0] != 1 }.sorted { strides[$0] > strides[$1] }
        if shape.contains(0) { return false }
        var expected = 1
        for d in dims.reversed() {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    public var description: String { "Layout(shape: \(shape), strides: \(strides), offset: \(offset))" }

    /// Strides of this layout viewed as `target` under broadcasting (0 where expanded).
    func broadcastStrides(to target: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 {
            out[lead + i] = strides[i]
        }
        return out
    }
}

/// PyTorch's broadcasting of two shapes, or nil when they do not broadcast.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

/// Merges adjacent dimensions that are contiguous with each other in every
/// operand, so strided loops run over as few, as long, dimensions as possible.
func coalesce(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var dims: [Int] = []
    var st: [[Int]] = Array(repeating: [], count: strides.count)
    for d in 0..<shape.count where shape[d] != 1 {
        if let last = dims.last {
            let canMerge = strides.indices.allSatisfy { k in strides[k][d] * shape[d] == st[k][st[k].count - 1] }
            if canMerge {
                dims[dims.count - 1] = last * shape[d]
                for k in strides.indices { st[k][st[k].count - 1] = strides[k][d] }
                continue
            }
        }
        dims.append(shape[d])
        for k in strides.indices { st[k].append(strides[k][d]) }
    }
    if dims.isEmpty {
        return ([1], strides.map { _ in [1] })
    }
    return (dims, st)
}
