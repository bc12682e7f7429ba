import Flint

/// The parameters of one affine map, as torchvision's `F.affine` takes them.
public struct AffineParameters: Equatable, Sendable {
    /// Degrees, counter-clockwise.
    public var angle: Double
    /// Pixels, (x, y).
    public var translate: (Double, Double)
    public var scale: Double
    /// Degrees, (x, y).
    public var shear: (Double, Double)

    public init(angle: Double = 0, translate: (Double, Double) = (0, 0), scale: Double = 1, shear: (Double, Double) = (0, 0)) {
        self.angle = angle
        self.translate = translate
        self.scale = scale
        self.shear = shear
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.angle == b.angle && a.translate == b.translate && a.scale == b.scale && a.shear == b.shear
    }
}

/// Applies an affine map to every sample, drawing its parameters per sample:
/// the kernel shared by `RandomRotation` and `RandomAffine`.
func applyAffine(_ batch: Tensor, op: String, interpolation: Interpolation, fill: [Float], center: (Double, Double)?,
                 draw: (_ height: Int, _ width: Int) -> AffineParameters) throws -> Tensor {
    let input = try Images(batch, op: op)
    guard fill.count == 1 || fill.count == input.channels else {
        throw DataError.invalid("\(op): fill has \(fill.count) values for \(input.channels) channels")
    }
    var output = Images(batch: input.batch, channels: input.channels, height: input.height, width: input.width, like: input)
    // torchvision measures the centre from the image's middle.
    let c = center.map { ($0.0 - Double(input.width) * 0.5, $0.1 - Double(input.height) * 0.5) } ?? (0, 0)
    for b in 0..<input.batch {
        let p = draw(input.height, input.width)
        let matrix = ImageKernels.inverseAffine(center: c, angle: p.angle, translate: p.translate, scale: p.scale, shear: p.shear)
        ImageKernels.affine(input, sample: b, into: &output, matrix: matrix, bilinear: interpolation == .bilinear, fill: fill)
    }
    return try output.tensor()
}

/// `torchvision.transforms.v2.RandomRotation(degrees, interpolation, expand=False,
/// center, fill)`: rotates each sample by an angle drawn uniformly from
/// `[-degrees, degrees]` (or `[lo, hi]`). `expand` is not offered: samples of a
/// batch share one shape.
public struct RandomRotation: RandomTransform {
    public let degrees: (Double, Double)
    public let interpolation: Interpolation
    public let center: (Double, Double)?
    public let fill: [Float]
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let interpolation = Interpolation.nearest
        public static let fill = [0.0]
    }

    public init(degrees: [Double], interpolation: Interpolation = Defaults.interpolation, center: [Double]? = nil,
                fill: [Double] = Defaults.fill, seed: UInt64 = 0) throws {
        self.degrees = try angleRange(degrees, op: "random_rotation", field: "degrees")
        self.interpolation = interpolation
        self.center = try center.map { try point($0, op: "random_rotation") }
        guard !fill.isEmpty else { throw DataError.invalid("random_rotation: fill needs a value") }
        self.fill = fill.map { Float($0) }
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { "random_rotation" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        _ = try imageShape(input, op: typeName)
        return input
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        try applyAffine(batch, op: typeName, interpolation: interpolation, fill: fill, center: center) { _, _ in
            AffineParameters(angle: -pythonModulo360(uniform(generator, degrees.0, degrees.1)))
        }
    }

    /// Every sample rotated by `angle` degrees (`torchvision.transforms.v2.functional.rotate`).
    public func rotate(_ batch: Tensor, angle: Double) throws -> Tensor {
        try applyAffine(batch, op: typeName, interpolation: interpolation, fill: fill, center: center) { _, _ in
            AffineParameters(angle: -pythonModulo360(angle))
        }
    }
}

/// `torchvision.transforms.v2.RandomAffine(degrees, translate, scale, shear,
/// interpolation, fill, center)`: per sample, an angle from `[-degrees, degrees]`,
/// a shift up to `translate · (width, height)` pixels (rounded), a scale from
/// `[lo, hi]` and shears from `[-s, s]` (x) or `[x0, x1, y0, y1]`.
public struct RandomAffine: RandomTransform {
    public let degrees: (Double, Double)
    public let translate: (Double, Double)?
    public let scale: (Double, Double)?
    public let shear: [Double]?
    public let interpolation: Interpolation
    public let center: (Double, Double)?
    public let fill: [Float]
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let interpolation = RandomRotation.Defaults.interpolation
        public static let fill = RandomRotation.Defaults.fill
    }

    public init(degrees: [Double], translate: [Double]? = nil, scale: [Double]? = nil, shear: [Double]? = nil,
                interpolation: Interpolation = Defaults.interpolation, center: [Double]? = nil,
                fill: [Double] = Defaults.fill, seed: UInt64 = 0) throws {
        let op = "random_affine"
        self.degrees = try angleRange(degrees, op: op, field: "degrees")
        if let translate {
            guard translate.count == 2, translate.allSatisfy({ (0...1).contains($0) }) else {
                throw DataError.invalid("\(op): translate must be [tx, ty] with each in [0, 1], got \(translate)")
            }
            self.translate = (translate[0], translate[1])
        } else {
            self.translate = nil
        }
        if let scale {
            guard scale.count == 2, scale[0] > 0, scale[0] <= scale[1] else {
                throw DataError.invalid("\(op): scale must be [lo, hi] with 0 < lo ≤ hi, got \(scale)")
            }
            self.scale = (scale[0], scale[1])
        } else {
            self.scale = nil
        }
        if let shear {
            switch shear.count {
            case 1:
                guard shear[0] >= 0 else { throw DataError.invalid("\(op): a single shear must not be negative, got \(shear[0])") }
                self.shear = [-shear[0], shear[0]]
            case 2, 4:
                self.shear = shear
            default:
                throw DataError.invalid("\(op): shear must be s, [x0, x1] or [x0, x1, y0, y1], got \(shear)")
            }
        } else {
            self.shear = nil
        }
        self.interpolation = interpolation
        self.center = try center.map { try point($0, op: op) }
        guard !fill.isEmpty else { throw DataError.invalid("\(op): fill needs a value") }
        self.fill = fill.map { Float($0) }
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { "random_affine" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        _ = try imageShape(input, op: typeName)
        return input
    }

    /// One draw, in torchvision's order: angle, translation, scale, shear.
    func draw(_ generator: Generator, height: Int, width: Int) -> AffineParameters {
        var p = AffineParameters(angle: uniform(generator, degrees.0, degrees.1))
        if let translate {
            let maxDx = translate.0 * Double(width), maxDy = translate.1 * Double(height)
            p.translate = (uniform(generator, -maxDx, maxDx).rounded(.toNearestOrEven),
                           uniform(generator, -maxDy, maxDy).rounded(.toNearestOrEven))
        }
        if let scale { p.scale = uniform(generator, scale.0, scale.1) }
        if let shear {
            p.shear.0 = uniform(generator, shear[0], shear[1])
            if shear.count == 4 { p.shear.1 = uniform(generator, shear[2], shear[3]) }
        }
        return p
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        try applyAffine(batch, op: typeName, interpolation: interpolation, fill: fill, center: center) { h, w in
            draw(generator, height: h, width: w)
        }
    }

    /// Every sample mapped with `parameters` (`torchvision.transforms.v2.functional.affine`).
    public func affine(_ batch: Tensor, _ parameters: AffineParameters) throws -> Tensor {
        try applyAffine(batch, op: typeName, interpolation: interpolation, fill: fill, center: center) { _, _ in parameters }
    }
}

/// torchvision rotates by `-(angle % 360)` in the inverse map (Python's modulo,
/// never negative): a positive angle turns counter-clockwise. Taking the same
/// modulo keeps the trigonometry identical to the last bit.
func pythonModulo360(_ angle: Double) -> Double {
    let r = angle.truncatingRemainder(dividingBy: 360)
    return r < 0 ? r + 360 : r
}

/// `d` → `[-d, d]`; `[lo, hi]` as given.
func angleRange(_ values: [Double], op: String, field: String) throws -> (Double, Double) {
    switch values.count {
    case 1:
        guard values[0] >= 0 else { throw DataError.invalid("\(op): a single \(field) must not be negative, got \(values[0])") }
        return (-values[0], values[0])
    case 2:
        guard values[0] <= values[1] else { throw DataError.invalid("\(op): \(field) [lo, hi] needs lo ≤ hi, got \(values)") }
        return (values[0], values[1])
    default:
        throw DataError.invalid("\(op): \(field) must be d or [lo, hi], got \(values)")
    }
}

private func point(_ values: [Double], op: String) throws -> (Double, Double) {
    guard values.count == 2 else { throw DataError.invalid("\(op): center must be [x, y], got \(values)") }
    return (values[0], values[1])
}
