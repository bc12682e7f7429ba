/// What went wrong in a tensor operation. Every case names the op.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Shapes that the op cannot combine: `matmul: shapes [2, 3] and [4, 5] are not compatible`.
    case shapeMismatch(op: String, shapes: [[Int]], detail: String = "")
    /// A dimension index outside `-rank..<rank`.
    case badDim(op: String, dim: Int, rank: Int, shape: [Int]? = nil)
    /// A dtype the op does not support.
    case badDType(op: String, dtype: DType, detail: String = "")
    /// An index outside its dimension.
    case indexOutOfRange(op: String, index: Int, size: Int, shape: [Int]? = nil)
    /// A bad argument value.
    case invalidArgument(op: String, message: String)
    /// Autograd misuse (backward through a freed graph, a non-scalar root, ...).
    case autograd(String)
    /// A tensor larger than this process may allocate (`MemoryBudget`); `bytes` may exceed `Int.max`.
    case outOfMemory(what: String, bytes: Double, available: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, detail):
            let list = shapes.map { "\($0)" }
            let joined = list.count == 2 ? "\(list[0]) and \(list[1])" : list.joined(separator: ", ")
            return "\(op): shapes \(joined) are not compatible" + (detail.isEmpty ? "" : " (\(detail))")
        case let .badDim(op, dim, rank, shape):
            let of = shape.map { "of shape \($0)" } ?? "of rank \(rank)"
            return "\(op): dimension \(dim) is out of range for a tensor \(of) (expected \(-max(rank, 1)) to \(max(rank, 1) - 1))"
        case let .badDType(op, dtype, detail):
            return "\(op): dtype \(dtype) is not supported" + (detail.isEmpty ? "" : " (\(detail))")
        case let .indexOutOfRange(op, index, size, shape):
            return "\(op): index \(index) is out of range for a dimension of size \(size)" + (shape.map { " (shape \($0))" } ?? "")
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        case let .autograd(message):
            return "autograd: \(message)"
        case let .outOfMemory(what, bytes, available):
            return "\(what): \(MemoryBudget.describe(bytes: bytes)) do not fit in memory (\(MemoryBudget.describeMemory(available)) here)"
        }
    }
}

extension TensorError {
    /// True for `outOfMemory`: a size (often from input) that cannot be allocated.
    public var isOutOfMemory: Bool {
        if case .outOfMemory = self { return true }
        return false
    }
}

/// Wraps a negative dim and checks its range.
@inline(__always)
func normalizeDim(_ dim: Int, rank: Int, op: String, shape: [Int]? = nil) throws -> Int {
    let r = max(rank, 1)
    guard dim >= -r && dim < r else { throw TensorError.badDim(op: op, dim: dim, rank: rank, shape: shape) }
    return dim < 0 ? dim + r : dim
}

/// `normalizeDim` for ops that index `shape[dim]`: a 0-dim tensor has no dim to index.
func shapeDim(_ dim: Int, _ shape: [Int], op: String) throws -> Int {
    guard !shape.isEmpty else {
        throw TensorError.invalidArgument(op: op, message: "dimension specified as \(dim) but tensor has no dimensions (shape [])")
    }
    return try normalizeDim(dim, rank: shape.count, op: op, shape: shape)
}
