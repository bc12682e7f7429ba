import Flint

/// Layers that only change the shape: `Identity`, `Flatten`, `Unflatten`.

/// `torch.nn.Identity`.
public final class Identity: Module {
    override public var typeName: String { "identity" }
}

/// `torch.nn.Flatten(start_dim=1, end_dim=-1)`; dims count the batch dimension.
public final class Flatten: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let startDim = 1
        public static let endDim = -1
    }
    public let startDim: Int, endDim: Int

    public init(startDim: Int = Defaults.startDim, endDim: Int = Defaults.endDim) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    override public var typeName: String { "flatten" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        let batched = [1] + input, r = batched.count
        let s = startDim < 0 ? startDim + r : startDim, e = endDim < 0 ? endDim + r : endDim
        guard s >= 1, e < r, s <= e else {
            throw layerShapeError(typeName, input, expected: "start_dim=\(startDim) and end_dim=\(endDim) to name non-batch dims (start ≤ end) of a batch of per-sample shape \(input)")
        }
        return Array(batched[1..<s]) + [batched[s...e].reduce(1, *)] + Array(batched[(e + 1)...])
    }

    override public func forward(_ x: Tensor) throws -> Tensor { try x.flatten(startDim: startDim, endDim: endDim) }
}

/// `torch.nn.Unflatten(dim, unflattened_size)`: splits `dim` into `sizes`
/// (one may be −1); dim counts the batch dimension.
public final class Unflatten: Module {
    public let dim: Int, unflattenedSize: [Int]

    public init(dim: Int, unflattenedSize: [Int]) throws {
        guard !unflattenedSize.isEmpty, unflattenedSize.filter({ $0 == -1 }).count <= 1,
              unflattenedSize.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw TensorError.invalidArgument(op: "unflatten", message: "unflattened_size must be positive sizes with at most one -1, got \(unflattenedSize)")
        }
        self.dim = dim
        self.unflattenedSize = unflattenedSize
        super.init()
    }

    override public var typeName: String { "unflatten" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        let r = input.count + 1
        let d = dim < 0 ? dim + r : dim
        guard d >= 1, d < r else { throw layerShapeError(typeName, input, expected: "dim \(dim) to name a non-batch dim") }
        // Sizes come from a spec: a product past Int matches no input.
        let size = input[d - 1], known = MemoryBudget.elementCount(unflattenedSize.filter { $0 != -1 }) ?? -1
        var sizes = unflattenedSize
        if let u = sizes.firstIndex(of: -1) { sizes[u] = known > 0 && size % known == 0 ? size / known : -1 }
        guard MemoryBudget.elementCount(sizes) == size, !sizes.contains(-1) else {
            throw layerShapeError(typeName, input, expected: "unflattened_size \(unflattenedSize) to multiply to the size \(size) of dim \(dim)")
        }
        return Array(input[..<(d - 1)]) + sizes + Array(input[d...])
    }

    override public func forward(_ x: Tensor) throws -> Tensor { try x.unflatten(dim, unflattenedSize) }
}
