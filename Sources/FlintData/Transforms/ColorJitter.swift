import Flint

/// `torchvision.transforms.v2.ColorJitter(brightness, contrast, saturation, hue)`
/// on float images in [0, 1] or uint8 images in [0, 255], with 1 or 3 channels
/// (RGB). Per sample: the four adjustments in a random order, each with a
/// factor drawn from `[max(0, 1 − v), 1 + v]` (hue: `[-h, h]`); a value of 0
/// leaves it out. uint8 images are adjusted as torchvision adjusts them: in
/// float32 on the 0...255 values, truncated back to integers after each step.
public struct ColorJitter: RandomTransform {
    public let brightness: (Double, Double)?
    public let contrast: (Double, Double)?
    public let saturation: (Double, Double)?
    public let hue: (Double, Double)?
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let brightness = [0.0]
        public static let contrast = [0.0]
        public static let saturation = [0.0]
        public static let hue = [0.0]
    }

    /// Each argument is `v` (the range around 1, or ±v for hue) or `[lo, hi]`.
    public init(brightness: [Double] = Defaults.brightness, contrast: [Double] = Defaults.contrast,
                saturation: [Double] = Defaults.saturation, hue: [Double] = Defaults.hue, seed: UInt64 = 0) throws {
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
        guard batch.dtype.isFloatingPoint || batch.dtype == .uint8 else {
            throw DataError.invalid("color_jitter: needs float images in [0, 1] or uint8 images, got \(batch.dtype)")
        }
        let images = try Images(batch, op: typeName)
        guard images.channels == 1 || images.channels == 3 else {
            throw DataError.invalid("color_jitter: needs 1 or 3 channels (RGB), got \(images.channels)")
        }
        return images
    }
}

/// torchvision's colour functions (`transforms.v2.functional.adjust_*`) on one
/// sample. Float images hold values in [0, 1]; uint8 images hold their 0...255
/// values as floats, and each step ends as torchvision's `.to(torch.uint8)`
/// does, truncating.
enum ColorOps {
    static func adjust(_ images: inout Images, sample b: Int, op: Int, factor: Double) {
        let integral = images.dtype == .uint8
        switch op {
        case 0: blend(&images, sample: b, factor: factor) { _ in 0 }
        case 1:
            // One channel is its own gray (not floored); RGB's gray is floored for uint8.
            let gray = images.channels == 1 ? plane(images, sample: b) : grayscale(images, sample: b, floored: integral)
            // The mean is a float32 reduction in torch; summing in Double keeps it as close as it gets.
            let mean = Float(gray.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(gray.count, 1)))
            blend(&images, sample: b, factor: factor) { _ in mean }
        case 2:
            guard images.channels == 3 else { return }
            let gray = grayscale(images, sample: b, floored: integral)
            blend(&images, sample: b, factor: factor) { gray[$0] }
        default:
            guard images.channels == 3 else { return }
            hue(&images, sample: b, shift: Float(factor))
        }
    }

    /// The largest value of an image's dtype, where `_blend` clamps.
    static func bound(_ images: Images) -> Float { images.dtype == .uint8 ? 255 : 1 }

    static func plane(_ images: Images, sample b: Int) -> [Float] {
        let base = b * images.sampleSize
        return Array(images.data[base..<(base + images.planeSize)])
    }

    /// `0.2989 r + 0.587 g + 0.114 b` per pixel, floored for integer images
    /// (`_rgb_to_grayscale_image(preserve_dtype=False).floor_()`).
    static func grayscale(_ images: Images, sample b: Int, floored: Bool) -> [Float] {
        let base = b * images.sampleSize, n = images.planeSize
        return (0..<n).map { i in
            // torch: r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114), each add a fused multiply-add.
            let g = (images.data[base + i] * 0.2989).addingProduct(images.data[base + n + i], 0.587)
                .addingProduct(images.data[base + 2 * n + i], 0.114)
            return floored ? g.rounded(.down) : g
        }
    }

    /// `_blend`: `x · factor + other · (1 − factor)`, clamped to the dtype's
    /// range (and truncated for integer images).
    static func blend(_ images: inout Images, sample b: Int, factor: Double, other: (Int) -> Float) {
        let base = b * images.sampleSize, n = images.planeSize
        // torch takes `1 - factor` in double, then multiplies in float32.
        let f = Float(factor), g = Float(1 - factor), top = bound(images)
        let integral = images.dtype == .uint8
        for c in 0..<images.channels {
            for i in 0..<n {
                // torch: image1.mul(f).add_(image2, alpha=1 - f), the add a fused multiply-add.
                let v = Swift.min(Swift.max((images.data[base + c * n + i] * f).addingProduct(other(i), g), 0), top)
                images.data[base + c * n + i] = integral ? v.rounded(.towardZero) : v
            }
        }
    }

    /// `adjust_hue`: RGB → HSV, shift the hue (mod 1), back to RGB. uint8
    /// images go through `to_dtype(float32, scale=True)` (× 1/255) and back
    /// (× 255.999, truncated), as in torchvision.
    static func hue(_ images: inout Images, sample b: Int, shift: Float) {
        let base = b * images.sampleSize, n = images.planeSize
        let integral = images.dtype == .uint8
        let scaleIn: Float = integral ? Float(1.0 / 255.0) : 1
        let scaleOut: Float = 255 + 1 - 1e-3
        for i in 0..<n {
            let r = images.data[base + i] * scaleIn, g = images.data[base + n + i] * scaleIn
            let bl = images.data[base + 2 * n + i] * scaleIn
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
            images.data[base + i] = integral ? (rgb.0 * scaleOut).rounded(.towardZero) : rgb.0
            images.data[base + n + i] = integral ? (rgb.1 * scaleOut).rounded(.towardZero) : rgb.1
            images.data[base + 2 * n + i] = integral ? (rgb.2 * scaleOut).rounded(.towardZero) : rgb.2
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
