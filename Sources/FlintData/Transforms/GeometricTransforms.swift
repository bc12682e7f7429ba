import Flint

/// Interpolation of resampling transforms (torchvision's `InterpolationMode`).
public enum Interpolation: String, CaseIterable, Sendable {
    case nearest, bilinear
}

/// `torchvision.transforms.v2.Resize(size, interpolation, max_size, antialias=False)`.
/// `size` `[h, w]` sets both sides; one value sets the shorter side, keeping the
/// aspect ratio (the longer side capped at `maxSize`).
public struct Resize: Transform {
    public let size: [Int]
    public let interpolation: Interpolation
    public let maxSize: Int?

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let interpolation = Interpolation.bilinear
    }

    public init(size: [Int], interpolation: Interpolation = Defaults.interpolation, maxSize: Int? = nil) throws {
        _ = try pairSize(size, op: "resize")
        if let maxSize {
            guard size.count == 1, maxSize > size[0] else {
                throw DataError.invalid("resize: max_size needs one size for the shorter side, smaller than max_size; got size \(size), max_size \(maxSize)")
            }
        }
        self.size = size
        self.interpolation = interpolation
        self.maxSize = maxSize
    }

    public var typeName: String { "resize" }

    /// torchvision's `_compute_resized_output_size`.
    func outputSize(height h: Int, width w: Int) -> (Int, Int) {
        guard size.count == 1 else { return (size[0], size[1]) }
        let (short, long) = w <= h ? (w, h) : (h, w)
        var newShort = size[0], newLong = Int(Double(size[0]) * Double(long) / Double(short))
        if let maxSize, newLong > maxSize {
            newShort = Int(Double(maxSize) * Double(newShort) / Double(newLong))
            newLong = maxSize
        }
        return w <= h ? (newLong, newShort) : (newShort, newLong)
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        let s = try imageShape(input, op: typeName)
        let (h, w) = outputSize(height: s.height, width: s.width)
        return imageShape(like: input, height: h, width: w)
    }

    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        let images = try Images(batch, op: typeName)
        let (h, w) = outputSize(height: images.height, width: images.width)
        if h == images.height && w == images.width { return batch }
        return try ImageKernels.resize(images, height: h, width: w, bilinear: interpolation == .bilinear).tensor()
    }
}

/// `torchvision.transforms.v2.CenterCrop(size)`: the central window, padding
/// with zeros when the image is smaller than the window.
public struct CenterCrop: Transform {
    public let height: Int
    public let width: Int

    public init(size: [Int]) throws { (height, width) = try pairSize(size, op: "center_crop") }

    public var typeName: String { "center_crop" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        _ = try imageShape(input, op: typeName)
        return imageShape(like: input, height: height, width: width)
    }

    public func callAsFunction(_ batch: Tensor) throws -> Tensor {
        let input = try Images(batch, op: typeName)
        var padding = Padding(left: 0, top: 0, right: 0, bottom: 0)
        var (h, w) = (input.height, input.width)
        if height > h || width > w {
            padding.left = width > w ? (width - w) / 2 : 0
            padding.top = height > h ? (height - h) / 2 : 0
            padding.right = width > w ? (width - w + 1) / 2 : 0
            padding.bottom = height > h ? (height - h + 1) / 2 : 0
            h += padding.top + padding.bottom
            w += padding.left + padding.right
        }
        // Python's round(): halves go to the even neighbour.
        let top = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
        var output = Images(batch: input.batch, channels: input.channels, height: height, width: width, like: input)
        for b in 0..<input.batch {
            ImageKernels.padCrop(input, sample: b, into: &output, outSample: b, padding: padding, top: top, left: left,
                                 mode: .constant, fill: [0])
        }
        return try output.tensor()
    }
}

/// `torchvision.transforms.v2.RandomCrop(size, padding, pad_if_needed, fill,
/// padding_mode)`: pads, then crops a window at a random place, drawn per sample.
public struct RandomCrop: RandomTransform {
    public let height: Int
    public let width: Int
    public let padding: Padding
    public let padIfNeeded: Bool
    public let fill: [Float]
    public let paddingMode: PaddingMode
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let padIfNeeded = false
        public static let fill = 0.0
        public static let paddingMode = PaddingMode.constant
    }

    /// - Parameter fill: one value, or one per channel (the spec gives one).
    public init(size: [Int], padding: [Int]? = nil, padIfNeeded: Bool = Defaults.padIfNeeded, fill: [Double] = [Defaults.fill],
                paddingMode: PaddingMode = Defaults.paddingMode, seed: UInt64 = 0) throws {
        (height, width) = try pairSize(size, op: "random_crop")
        self.padding = try padding.map { try Padding($0, op: "random_crop") } ?? Padding(left: 0, top: 0, right: 0, bottom: 0)
        guard !fill.isEmpty else { throw DataError.invalid("random_crop: fill needs a value") }
        self.padIfNeeded = padIfNeeded
        self.fill = fill.map { Float($0) }
        self.paddingMode = paddingMode
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { "random_crop" }

    /// The padding for an image of `h × w` and the padded size, as torchvision's `make_params`.
    private func plan(height h: Int, width w: Int) throws -> (Padding, Int, Int) {
        var p = padding
        var ph = h + p.top + p.bottom, pw = w + p.left + p.right
        if padIfNeeded && ph < height {
            let diff = height - ph
            p.top += diff
            p.bottom += diff
            ph += 2 * diff
        }
        if padIfNeeded && pw < width {
            let diff = width - pw
            p.left += diff
            p.right += diff
            pw += 2 * diff
        }
        guard ph >= height && pw >= width else {
            throw DataError.invalid("random_crop: crop size [\(height), \(width)] is larger than the \(padding.isZero ? "" : "padded ")image size [\(ph), \(pw)]; set padding or pad_if_needed")
        }
        return (p, ph, pw)
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        let s = try imageShape(input, op: typeName)
        _ = try plan(height: s.height, width: s.width)
        return imageShape(like: input, height: height, width: width)
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        let input = try Images(batch, op: typeName)
        let (p, ph, pw) = try plan(height: input.height, width: input.width)
        try ImageKernels.checkPadding(p, height: input.height, width: input.width, mode: paddingMode, op: typeName)
        guard fill.count == 1 || fill.count == input.channels else {
            throw DataError.invalid("random_crop: fill has \(fill.count) values for \(input.channels) channels")
        }
        var output = Images(batch: input.batch, channels: input.channels, height: height, width: width, like: input)
        for b in 0..<input.batch {
            let top = ph > height ? randomInt(generator, 0, ph - height + 1) : 0
            let left = pw > width ? randomInt(generator, 0, pw - width + 1) : 0
            ImageKernels.padCrop(input, sample: b, into: &output, outSample: b, padding: p, top: top, left: left,
                                 mode: paddingMode, fill: fill)
        }
        return try output.tensor()
    }

    /// Pads then crops every sample at (`top`, `left`) of the padded image: the
    /// deterministic core, for checking against `torchvision`'s `pad` and `crop`.
    public func crop(_ batch: Tensor, top: Int, left: Int) throws -> Tensor {
        let input = try Images(batch, op: typeName)
        let (p, _, _) = try plan(height: input.height, width: input.width)
        try ImageKernels.checkPadding(p, height: input.height, width: input.width, mode: paddingMode, op: typeName)
        var output = Images(batch: input.batch, channels: input.channels, height: height, width: width, like: input)
        for b in 0..<input.batch {
            ImageKernels.padCrop(input, sample: b, into: &output, outSample: b, padding: p, top: top, left: left,
                                 mode: paddingMode, fill: fill)
        }
        return try output.tensor()
    }
}

/// `torchvision.transforms.v2.RandomHorizontalFlip(p)` and `RandomVerticalFlip(p)`:
/// each sample is mirrored with probability `p`.
public struct RandomFlip: RandomTransform {
    public let horizontal: Bool
    public let p: Double
    public let seed: UInt64
    public let generator: Generator

    /// torchvision's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let p = 0.5
    }

    public init(horizontal: Bool, p: Double = Defaults.p, seed: UInt64 = 0) throws {
        guard (0...1).contains(p) else {
            throw DataError.invalid("random_\(horizontal ? "horizontal" : "vertical")_flip: p must be in [0, 1], got \(p)")
        }
        self.horizontal = horizontal
        self.p = p
        self.seed = seed
        self.generator = Generator(seed: seed)
    }

    public var typeName: String { horizontal ? "random_horizontal_flip" : "random_vertical_flip" }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        _ = try imageShape(input, op: typeName)
        return input
    }

    public func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor {
        var images = try Images(batch, op: typeName)
        for b in 0..<images.batch where generator.nextDouble() < p {
            ImageKernels.flip(&images, sample: b, horizontal: horizontal)
        }
        return try images.tensor()
    }
}
