import Flint

/// `Conv1d`, `Conv2d` and `ConvTranspose2d` over the core's im2col + GEMM kernels.

/// A convolution's `padding=`: sizes per spatial dim (one value for all), or
/// PyTorch's strings `'same'` (output as large as the input; stride 1 only)
/// and `'valid'` (no padding).
public enum ConvPadding: Equatable, Sendable {
    case explicit([Int])
    case same
    case valid
}

/// PyTorch's output length of a sliding window (`conv_output_size` and, with
/// `ceilMode`, `pooling_output_shape`, whose last window must start inside
/// the input or its left padding).
func slidingOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool = false) -> Int {
    let span = size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0 { return 0 }
    var out = (ceilMode ? span + stride - 1 : span) / stride + 1
    if ceilMode && (out - 1) * stride >= size + padding { out -= 1 }
    return out
}

/// Expands an `int or tuple` argument to `count` values, naming the layer when it cannot.
func expandArgument(_ v: [Int], _ count: Int, _ name: String, _ layer: String) throws -> [Int] {
    if v.count == 1 { return Array(repeating: v[0], count: count) }
    guard v.count == count else {
        throw TensorError.invalidArgument(op: layer, message: "\(name) must have 1 or \(count) values, got \(v)")
    }
    return v
}

/// What 1-D and 2-D convolutions share: sizes, checks, PyTorch's default
/// initialisation and the 'same' padding arithmetic.
public class ConvolutionBase: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let stride = 1
        public static let padding = 0
        public static let outputPadding = 0
        public static let dilation = 1
        public static let groups = 1
        public static let bias = true
    }
    public let inChannels: Int, outChannels: Int, groups: Int
    public let kernelSize: [Int], stride: [Int], dilation: [Int]
    public let padding: ConvPadding
    let name: String

    init(name: String, spatial: Int, inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int], padding: ConvPadding,
         dilation: [Int], groups: Int, bias: Bool, transposed: Bool, generator: Generator) throws {
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.kernelSize = try expandArgument(kernelSize, spatial, "kernel_size", name)
        self.stride = try expandArgument(stride, spatial, "stride", name)
        self.dilation = try expandArgument(dilation, spatial, "dilation", name)
        if case let .explicit(p) = padding {
            let sizes = try expandArgument(p, spatial, "padding", name)
            guard sizes.allSatisfy({ $0 >= 0 }) else {
                throw TensorError.invalidArgument(op: name, message: "padding must be non-negative, got \(p)")
            }
            self.padding = .explicit(sizes)
        } else {
            self.padding = padding
        }
        guard groups > 0, inChannels > 0, outChannels > 0, inChannels % groups == 0, outChannels % groups == 0 else {
            throw TensorError.invalidArgument(op: name, message: "in_channels (\(inChannels)) and out_channels (\(outChannels)) must be positive and divisible by groups (\(groups))")
        }
        guard self.kernelSize.allSatisfy({ $0 > 0 }), self.stride.allSatisfy({ $0 > 0 }), self.dilation.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument(op: name, message: "kernel_size, stride and dilation must be positive, got \(kernelSize), \(stride), \(dilation)")
        }
        if padding == .same && self.stride.contains(where: { $0 != 1 }) {
            throw TensorError.invalidArgument(op: name, message: "padding='same' is not supported for strided convolutions (stride \(stride))")
        }
        super.init()
        // Conv weights are [out, in/groups, *k]; transposed ones [in, out/groups, *k].
        let weightShape = transposed ? [inChannels, outChannels / groups] + self.kernelSize
                                     : [outChannels, inChannels / groups] + self.kernelSize
        registerParameter("weight", try Init.kaimingUniformDefault(weightShape, generator: generator))
        if bias {
            registerParameter("bias", try Init.fanInUniform([outChannels], fanIn: Init.fans(weightShape).fanIn, generator: generator))
        }
    }

    override public var typeName: String { name }

    public var weight: Tensor { parameterSlots[0].tensor }
    public var bias: Tensor? { parameter("bias") }

    /// Per spatial dim, the (left, right) zero padding.
    var paddingPairs: [(Int, Int)] {
        switch padding {
        case let .explicit(p): return p.map { ($0, $0) }
        case .valid: return kernelSize.map { _ in (0, 0) }
        case .same:
            return zip(kernelSize, dilation).map { k, d in
                let total = d * (k - 1)
                return (total / 2, total - total / 2)
            }
        }
    }

    /// Checks a per-sample `[C, *spatial]` input against in_channels.
    func checkInput(_ input: [Int], spatial: Int) throws {
        let dims = spatial == 1 ? "[C, L]" : "[C, H, W]"
        guard input.count == spatial + 1, input[0] == inChannels else {
            throw layerShapeError(name, input, expected: "a per-sample input \(dims) with C = in_channels = \(inChannels)")
        }
    }

    /// The input padded on the right where 'same' padding is asymmetric,
    /// and the symmetric padding left for the kernel.
    func asymmetricPadded(_ x: Tensor) throws -> (Tensor, [Int]) {
        let pairs = paddingPairs
        let extra = pairs.map { $0.1 - $0.0 }
        guard extra.contains(where: { $0 != 0 }) else { return (x, pairs.map { $0.0 }) }
        // F.pad lists the last dim first.
        let spec = extra.reversed().flatMap { [0, $0] }
        return (try x.pad(spec), pairs.map { $0.0 })
    }
}

/// `torch.nn.Conv1d`.
///
/// - Input: `[N, C_in, L]` (or `[C_in, L]`); output `[N, C_out, L_out]`.
/// - Parameters: `weight` `[C_out, C_in / groups, k]`, `bias` `[C_out]`.
public final class Conv1d: ConvolutionBase {
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = Defaults.stride,
                padding: ConvPadding = .explicit([Defaults.padding]), dilation: Int = Defaults.dilation,
                groups: Int = Defaults.groups, bias: Bool = Defaults.bias, generator: Generator = .default) throws {
        try super.init(name: "conv1d", spatial: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: [kernelSize],
                       stride: [stride], padding: padding, dilation: [dilation], groups: groups, bias: bias, transposed: false,
                       generator: generator)
    }

    override public func outputShape(input: [Int]) throws -> [Int] {
        try checkInput(input, spatial: 1)
        let (l, r) = paddingPairs[0]
        let out = slidingOutputSize(input[1] + l + r, kernel: kernelSize[0], stride: stride[0], padding: 0, dilation: dilation[0])
        guard out > 0 else { throw layerShapeError(name, input, expected: "a length of at least the kernel's extent \(dilation[0] * (kernelSize[0] - 1) + 1) after padding") }
        return [outChannels, out]
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        let (padded, symmetric) = try asymmetricPadded(x)
        return try padded.conv1d(weight, bias: bias, stride: stride[0], padding: symmetric[0], dilation: dilation[0], groups: groups)
    }
}

/// `torch.nn.Conv2d`.
///
/// - Input: `[N, C_in, H, W]` (or `[C_in, H, W]`); output `[N, C_out, H_out, W_out]`,
///   `H_out = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`.
/// - Parameters: `weight` `[C_out, C_in / groups, kH, kW]`, `bias` `[C_out]`.
public final class Conv2d: ConvolutionBase {
    public init(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [Defaults.stride],
                padding: ConvPadding = .explicit([Defaults.padding]), dilation: [Int] = [Defaults.dilation],
                groups: Int = Defaults.groups, bias: Bool = Defaults.bias, generator: Generator = .default) throws {
        try super.init(name: "conv2d", spatial: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                       stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias, transposed: false,
                       generator: generator)
    }

    override public func outputShape(input: [Int]) throws -> [Int] {
        try checkInput(input, spatial: 2)
        let out = (0..<2).map { i in
            slidingOutputSize(input[i + 1] + paddingPairs[i].0 + paddingPairs[i].1, kernel: kernelSize[i], stride: stride[i],
                              padding: 0, dilation: dilation[i])
        }
        guard out.allSatisfy({ $0 > 0 }) else {
            throw layerShapeError(name, input, expected: "spatial sizes of at least the kernel's extent after padding (kernel \(kernelSize), padding \(padding))")
        }
        return [outChannels] + out
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        let (padded, symmetric) = try asymmetricPadded(x)
        return try padded.conv2d(weight, bias: bias, stride: stride, padding: symmetric, dilation: dilation, groups: groups)
    }
}

/// `torch.nn.ConvTranspose2d`: the gradient of a Conv2d with respect to its
/// input, used for learned upsampling.
///
/// - Input: `[N, C_in, H, W]`; output `[N, C_out, H_out, W_out]`,
///   `H_out = (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1`.
/// - Parameters: `weight` `[C_in, C_out / groups, kH, kW]`, `bias` `[C_out]`.
public final class ConvTranspose2d: ConvolutionBase {
    public let outputPadding: [Int]

    public init(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [Defaults.stride],
                padding: [Int] = [Defaults.padding], outputPadding: [Int] = [Defaults.outputPadding],
                groups: Int = Defaults.groups, bias: Bool = Defaults.bias, dilation: [Int] = [Defaults.dilation],
                generator: Generator = .default) throws {
        self.outputPadding = try expandArgument(outputPadding, 2, "output_padding", "conv_transpose2d")
        try super.init(name: "conv_transpose2d", spatial: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                       stride: stride, padding: .explicit(padding), dilation: dilation, groups: groups, bias: bias, transposed: true,
                       generator: generator)
        for i in 0..<2 where self.outputPadding[i] < 0 || self.outputPadding[i] >= Swift.max(self.stride[i], self.dilation[i]) {
            throw TensorError.invalidArgument(op: name, message: "output_padding \(outputPadding) must be smaller than either stride \(stride) or dilation \(dilation)")
        }
    }

    override public func outputShape(input: [Int]) throws -> [Int] {
        try checkInput(input, spatial: 2)
        let out = (0..<2).map { (i: Int) -> Int in
            let extent: Int = dilation[i] * (kernelSize[i] - 1) + outputPadding[i] + 1
            return (input[i + 1] - 1) * stride[i] - 2 * paddingPairs[i].0 + extent
        }
        guard out.allSatisfy({ $0 > 0 }) else { throw layerShapeError(name, input, expected: "an input whose output size \(out) is positive") }
        return [outChannels] + out
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.convTranspose2d(weight, bias: bias, stride: stride, padding: paddingPairs.map { $0.0 }, outputPadding: outputPadding,
                              groups: groups, dilation: dilation)
    }
}
