import Foundation
import Flint

/// `torchvision.transforms.v2.RandomErasing(p, scale, ratio, value)`: with
/// probability `p`, fills a random rectangle of each sample (area a fraction
/// from `scale` of the image, aspect ratio log-uniform in `ratio`) with `value`
/// per channel, or with standard normal noise when `random` is set.
public struct RandomErasing: RandomTransform {
    public enum Value: Equatable, Sendable {
        case constant([Double])
        /// torchvision's `value="random"`.
        case random
    }

    public let p: Double
    public let scale: (Double, Double)
    public let ratio: (Double, Double)
    public let value: Value
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let p = 0.5
        public static let scale = [0.02, 0.33]
        public static let ratio = [0.3, 3.3]
        public static let value = [0.0]
    }

    public init(p: Double = Defaults.p, scale: [Double] = Defaults.scale, ratio: [Double] = Defaults.ratio,
                value: Value = .constant(Defaults.value), seed: UInt64 = 0) throws {
        let op = "random_erasing"
        guard (0...1).contains(p) else { throw DataError.invalid("\(op): p must be in [0, 1], got \(p)") }
        guard scale.count == 2, scale[0] >= 0, scale[0] <= scale[1], scale[1] <= 1 else {
            throw DataError.invalid("\(op): scale must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 1, got \(scale)")
        }
        guard ratio.count == 2, ratio[0] > 0, ratio[0] <= ratio[1] else {
            throw DataError.invalid("\(op): ratio must be [lo, hi] with 0 < lo ≤ hi, got \(ratio)")
        }
        if case .constant(let v) = value, v.isEmpty { throw DataError.invalid("\(op): value needs at least one number") }
        self.p = p
        self.scale = (scale[0], scale[1])
        self.ratio = (ratio[0], ratio[1])
        self.value = value
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { "random_erasing" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        _ = try imageShape(input, op: typeName)
        return input
    }

    /// One draw of torchvision's `make_params`: (top, left, height, width), or
    /// nil when ten tries found no rectangle that fits.
    func rectangle(_ generator: Generator, height: Int, width: Int) -> (Int, Int, Int, Int)? {
        let area = Double(height * width)
        let logRatio = (log(ratio.0), log(ratio.1))
        for _ in 0..<10 {
            let eraseArea = area * uniform(generator, scale.0, scale.1)
            let aspect = exp(uniform(generator, logRatio.0, logRatio.1))
            let h = Int((eraseArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let w = Int((eraseArea / aspect).squareRoot().rounded(.toNearestOrEven))
            guard h < height && w < width else { continue }
            return (randomInt(generator, 0, height - h + 1), randomInt(generator, 0, width - w + 1), h, w)
        }
        return nil
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        var images = try Images(batch, op: typeName)
        if case .constant(let v) = value, v.count != 1 && v.count != images.channels {
            throw DataError.invalid("random_erasing: value has \(v.count) entries for \(images.channels) channels")
        }
        for b in 0..<images.batch {
            guard generator.nextDouble() < p,
                  let (top, left, h, w) = rectangle(generator, height: images.height, width: images.width) else { continue }
            erase(&images, sample: b, top: top, left: left, height: h, width: w, generator: generator)
        }
        return try images.tensor()
    }

    /// `torchvision.transforms.v2.functional.erase` of one rectangle in every sample.
    public func erase(_ batch: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
        var images = try Images(batch, op: typeName)
        guard top >= 0, left >= 0, top + height <= images.height, left + width <= images.width else {
            throw DataError.invalid("random_erasing: rectangle (\(top), \(left), \(height), \(width)) is outside the \(images.height)×\(images.width) image")
        }
        for b in 0..<images.batch {
            erase(&images, sample: b, top: top, left: left, height: height, width: width, generator: generator)
        }
        return try images.tensor()
    }

    private func erase(_ images: inout Images, sample b: Int, top: Int, left: Int, height: Int, width: Int, generator: Generator) {
        for c in 0..<images.channels {
            let base = b * images.sampleSize + c * images.planeSize
            for y in top..<(top + height) {
                for x in left..<(left + width) {
                    let v: Float
                    switch value {
                    case .random: v = Float(generator.nextNormal())
                    case .constant(let values): v = Float(values.count == 1 ? values[0] : values[c])
                    }
                    images.data[base + y * images.width + x] = v
                }
            }
        }
    }
}

/// `torchvision.transforms.v2.GaussianNoise(mean, sigma, clip)`: adds
/// `mean + sigma · N(0, 1)` to every element of float images, then clamps to
/// [0, 1] when `clip` is set.
public struct GaussianNoise: RandomTransform {
    public let mean: Double
    public let sigma: Double
    public let clip: Bool
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let mean = 0.0
        public static let sigma = 0.1
        public static let clip = true
    }

    public init(mean: Double = Defaults.mean, sigma: Double = Defaults.sigma, clip: Bool = Defaults.clip, seed: UInt64 = 0) throws {
        guard sigma >= 0 else { throw DataError.invalid("gaussian_noise: sigma must not be negative, got \(sigma)") }
        self.mean = mean
        self.sigma = sigma
        self.clip = clip
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { "gaussian_noise" }

    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        guard batch.dtype.isFloatingPoint else {
            throw DataError.invalid("gaussian_noise: needs float inputs, got \(batch.dtype); put it after to_tensor")
        }
        var values = batch.toArray(Float.self)
        let m = Float(mean), s = Float(sigma)
        for i in values.indices {
            let v = values[i] + (m + Float(generator.nextNormal()) * s)
            values[i] = clip ? Swift.min(Swift.max(v, 0), 1) : v
        }
        let out = try Tensor(values, shape: batch.shape)
        return batch.dtype == .float32 ? out : out.casted(to: batch.dtype)
    }
}
