import Flint

/// A transform applied to a batch of inputs `[B, ...]` (torchvision names).
public protocol Transform {
    var typeName: String { get }
    /// Per-sample output shape for a per-sample input shape, for checking specs.
    func outputShape(_ input: [Int]) throws -> [Int]
    func callAsFunction(_ batch: Tensor) throws -> Tensor
}

/// `torchvision.transforms.ToTensor` on arrays: uint8 [0, 255] becomes
/// float32 [0, 1]; float inputs pass through as float32.
public struct ToTensor: Transform {
    public init() {}
    public var typeName: String { "to_tensor" }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }
    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        if batch.dtype == .uint8 { return batch.casted(to: .float32) / 255 }
        return batch.casted(to: .float32)
    }
}

/// `torchvision.transforms.Normalize(mean, std)`: per channel (dim 1 of the
/// batch), `(x − mean[c]) / std[c]`.
public struct Normalize: Transform {
    public let mean: [Double]
    public let std: [Double]

    public init(mean: [Double], std: [Double]) throws {
        guard mean.count == std.count, !mean.isEmpty else {
            throw DataError.invalid("normalize: mean has \(mean.count) entries and std has \(std.count); they must match")
        }
        guard std.allSatisfy({ $0 > 0 }) else { throw DataError.invalid("normalize: std must be positive, got \(std)") }
        self.mean = mean
        self.std = std
    }

    public var typeName: String { "normalize" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard let c = input.first, mean.count == 1 || mean.count == c else {
            throw DataError.invalid("normalize: \(mean.count) channel statistics for samples of shape \(input)")
        }
        return input
    }

    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        let trailing = [Int](repeating: 1, count: Swift.max(batch.rank - 2, 0))
        let m = try Tensor(mean.map { Float($0) }, shape: [mean.count] + trailing)
        let s = try Tensor(std.map { Float(1 / $0) }, shape: [std.count] + trailing)
        return try (batch.casted(to: .float32) - m) * s
    }
}
