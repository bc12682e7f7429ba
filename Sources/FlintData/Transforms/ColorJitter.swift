import Flint

/// `torchvision.transforms.v2.ColorJitter(brightness, contrast, saturation, hue)`
/// on float images in [0, 1] with 1 or 3 channels (RGB). Per sample: the four
/// adjustments in a random order, each with a factor drawn from
/// `[max(0, 1 − v), 1 + v]` (hue: `[-h, h]`); a value of 0 leaves it out.
public struct ColorJitter: RandomTransform {
    public let brightness: (Double, Double)?
    public let contrast: (Double, Double)?
    public let saturation: (Double, Double)?
    public let hue: (Double, Double)?
    public let seed: UInt64
    public let generator: Generator

    /// Each argument is `v` (the range around 1, or ±v for hue) or `[lo, hi]`.
    public init(brightness: [Double] = [0], contrast: [Double] = [0], saturation: [Double] = [0], hue: [Double] = [0],
                seed: UInt64 = 0) throws {
        self.brightness = try Self.range(brightness, name: "brightness", center: 1, bound: (0, .infinity))
        self.contrast = try Self.range(contrast, name: "contrast", center: 1, bound: (0, .infinity))
        self.saturation = try Self.range(saturation, name: "saturation", center: 1, bound: (0, .infinity))
        self.hue = try Self.range(hue, name: "hue", center: 0, bound: (-0.5, 0.5))
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    /// torchvision's `_check_input`: nil when the range is just the centre.
    private static func range(_ v: [Double], name: String, center: Double, bound: (Double, Double)) throws -> (Double, Double)? {
        let r: (Double, Double)
        switch v.count {
        case 1:
            guard v[0] >= 0 else { throw DataError.invalid("color_jitter: \(name) must not be negative, got \(v[0])") }
            r = center == 0 ? (-v[0], v[0]) : (Swift.max(center - v[0], 0), center + v[0])
        case 2:
            r = (v[0], v[1])
        default:
            throw DataError.invalid("color_jitter: \(name) must be v or [lo, hi], got \(v)")
        }
        guard bound.0 <= r.0, r.0 <= r.1, r.1 <= bound.1 else {
            throw DataError.invalid("color_jitter: \(name) range [\(r.0), \(r.1)] is outside [\(bound.0), \(bound.1)]")
        }
        return r.0 == center && r.1 == center ? nil : r
    }

    public var typeName: String { "color_jitter" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        let s = try imageShape(input, op: typeName)
        guard s.channels == nil || s.channels == 1 || s.channels == 3 else {
            throw DataError.invalid("color_jitter: needs 1 or 3 channels, the samples have shape \(input)")
        }
        return input
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        var images = try checked(batch)
        for b in 0..<images.batch {
            // torchvision draws the order (randperm(4)), then each factor in the fixed order b, c, s, h.
            let order = generator.permutation(4)
            let factors = [brightness, contrast, saturation, hue].map { r in r.map { uniform(generator, $0.0, $0.1) } }
            for k in order {
                guard let f = factors[k] else { continue }
                ColorOps.adjust(&images, sample: b, op: k, factor: f)
            }
        }
        return try images.tensor()
    }

    /// Applies the adjustment `op` (0 brightness, 1 contrast, 2 saturation, 3 hue)
    /// with `factor` to every sample: torchvision's `adjust_*` functions.
    public func adjust(_ batch: Tensor, op: Int, factor: Double) throws -> Tensor {
        var images = try checked(batch)
        guard (0..<4).contains(op) else { throw DataError.invalid("color_jitter: no adjustment \(op)") }
        for b in 0..<images.batch { ColorOps.adjust(&images, sample: b, op: op, factor: factor) }
        return try images.tensor()
    }

    private func checked(_ batch: Tensor) throws -> Images {
        guard batch.dtype.isFloatingPoint else {
            throw DataError.invalid("color_jitter: needs float images in [0, 1], got \(batch.dtype); put it after to_tensor")
        }
        let images = try Images(batch, op: typeName)
        guard images.channels == 1 || images.channels == 3 else {
            throw DataError.invalid("color_jitter: needs 1 or 3 channels (RGB), got \(images.channels)")
        }
        return images
    }
}

/// torchvision's colour functions on one float sample (values in [0, 1]).
enum ColorOps {
    static func adjust(_ images: inout Images, sample b: Int, op: Int, factor: Double) {
        let f = Float(factor)
        switch op {
        case 0: blend(&images, sample: b, factor: f) { _ in 0 }
        case 1:
            let gray = grayscale(images, sample: b)
            // The mean is a float32 reduction in torch; summing in Double keeps it as close as it gets.
            let mean = Float(gray.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(gray.count, 1)))
            blend(&images, sample: b, factor: f) { _ in mean }
        case 2:
            guard images.channels == 3 else { return }
            let gray = grayscale(images, sample: b)
            blend(&images, sample: b, factor: f) { gray[$0] }
        default:
            guard images.channels == 3 else { return }
            hue(&images, sample: b, shift: f)
        }
    }

    /// `0.2989 r + 0.587 g + 0.114 b` per pixel (the image itself for one channel).
    static func grayscale(_ images: Images, sample b: Int) -> [Float] {
        let base = b * images.sampleSize, n = images.planeSize
        if images.channels == 1 { return Array(images.data[base..<(base + n)]) }
        return (0..<n).map { i in
            images.data[base + i] * 0.2989 + images.data[base + n + i] * 0.587 + images.data[base + 2 * n + i] * 0.114
        }
    }

    /// `_blend`: `x · factor + other · (1 − factor)`, clamped to [0, 1].
    static func blend(_ images: inout Images, sample b: Int, factor: Float, other: (Int) -> Float) {
        let base = b * images.sampleSize, n = images.planeSize
        for c in 0..<images.channels {
            for i in 0..<n {
                let v = images.data[base + c * n + i] * factor + other(i) * (1 - factor)
                images.data[base + c * n + i] = Swift.min(Swift.max(v, 0), 1)
            }
        }
    }

    /// `adjust_hue`: RGB → HSV, shift the hue (mod 1), back to RGB.
    static func hue(_ images: inout Images, sample b: Int, shift: Float) {
        let base = b * images.sampleSize, n = images.planeSize
        for i in 0..<n {
            let r = images.data[base + i], g = images.data[base + n + i], bl = images.data[base + 2 * n + i]
            let maxc = Swift.max(r, g, bl), minc = Swift.min(r, g, bl)
            let eqc = maxc == minc
            let range = maxc - minc
            let s = range / (eqc ? 1 : maxc)
            let divisor = eqc ? 1 : range
            let rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - bl) / divisor
            let hr: Float = maxc == r ? bc - gc : 0
            let hg: Float = maxc == g && maxc != r ? (rc + 2) - bc : 0
            let hb: Float = maxc != r && maxc != g ? (gc + 4) - rc : 0
            var h = ((hr + hg + hb) * (1.0 / 6.0) + 1).truncatingRemainder(dividingBy: 1)
            h = floorMod(h + shift, 1)
            let v = maxc
            let h6 = h * 6
            let sector = h6.rounded(.down)
            let frac = h6 - sector
            let q = Swift.min(Swift.max((1 - s * frac) * v, 0), 1)
            let t = Swift.min(Swift.max((s * frac + (1 - s)) * v, 0), 1)
            let p = Swift.min(Swift.max((1 - s) * v, 0), 1)
            let rgb: (Float, Float, Float)
            switch floorMod(Int(sector), 6) {
            case 0: rgb = (v, t, p)
            case 1: rgb = (q, v, p)
            case 2: rgb = (p, v, t)
            case 3: rgb = (p, q, v)
            case 4: rgb = (t, p, v)
            default: rgb = (v, p, q)
            }
            images.data[base + i] = rgb.0
            images.data[base + n + i] = rgb.1
            images.data[base + 2 * n + i] = rgb.2
        }
    }

    /// torch.remainder: the result takes the divisor's sign.
    static func floorMod(_ a: Float, _ m: Float) -> Float {
        let r = a.truncatingRemainder(dividingBy: m)
        return r < 0 ? r + m : r
    }

    static func floorMod(_ a: Int, _ m: Int) -> Int {
        let r = a % m
        return r < 0 ? r + m : r
    }
}
