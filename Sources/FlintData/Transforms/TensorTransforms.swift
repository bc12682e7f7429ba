import Flint

/// `torchvision.transforms.ToTensor` on arrays: uint8 [0, 255] becomes
/// float32 [0, 1]; other inputs become float32 as they are.
public struct ToTensor: Transform {
    public init() {}
    public var typeName: String { "to_tensor" }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }
    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        guard batch.dtype == .uint8 else { return batch.casted(to: .float32) }
        // One pass with a lookup table: the data thread stays light.
        let table = (0..<256).map { Float($0) / 255 }
        let out = try Tensor.zeros(batch.shape, dtype: .float32)
        try batch.contiguous().withUnsafeElements(UInt8.self) { src in
            try out.withUnsafeMutableElements(Float.self) { dst in
                for i in 0..<src.count { dst[i] = table[Int(src[i])] }
            }
        }
        return out
    }
}

/// `torchvision.transforms.Normalize(mean, std)`: per channel (dim 1 of the
/// batch), `(x − mean[c]) / std[c]`; one value applies to every channel.
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
        guard batch.rank >= 2 else {
            throw DataError.invalid("normalize: needs batches [B, C, ...], got shape \(batch.shape)")
        }
        let channels = batch.shape[1]
        guard mean.count == 1 || mean.count == channels else {
            throw DataError.invalid("normalize: \(mean.count) channel statistics for batches of shape \(batch.shape)")
        }
        let plane = batch.shape.dropFirst(2).reduce(1, *)
        let out = batch.dtype == .float32 ? batch.contiguous() : batch.casted(to: .float32).contiguous()
        // torchvision computes (x - mean) / std; so does this, element by element.
        let result = try Tensor.zeros(batch.shape, dtype: .float32)
        try out.withUnsafeElements(Float.self) { src in
            try result.withUnsafeMutableElements(Float.self) { dst in
                var i = 0
                while i < src.count {
                    let c = (i / plane) % channels
                    let m = Float(mean.count == 1 ? mean[0] : mean[c]), s = Float(std.count == 1 ? std[0] : std[c])
                    for k in i..<(i + plane) { dst[k] = (src[k] - m) / s }
                    i += plane
                }
            }
        }
        return result
    }
}
