import Flint

/// Pooling layers: `MaxPool1d/2d`, `AvgPool1d/2d`, `AdaptiveAvgPool1d/2d`,
/// `AdaptiveMaxPool2d`. None has parameters; each checks per-sample shapes
/// (`[C, L]` or `[C, H, W]`) before data flows.

/// Sizes and checks shared by the strided pools.
public class StridedPool: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let padding = 0
        public static let dilation = 1
        public static let ceilMode = false
        public static let countIncludePad = true
    }
    public let kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]
    public let ceilMode: Bool
    let name: String, spatial: Int

    init(name: String, spatial: Int, kernelSize: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool) throws {
        self.name = name
        self.spatial = spatial
        self.kernelSize = try expandArgument(kernelSize, spatial, "kernel_size", name)
        // PyTorch's default stride is the kernel size.
        self.stride = try expandArgument(stride ?? kernelSize, spatial, "stride", name)
        self.padding = try expandArgument(padding, spatial, "padding", name)
        self.dilation = try expandArgument(dilation, spatial, "dilation", name)
        self.ceilMode = ceilMode
        guard self.kernelSize.allSatisfy({ $0 > 0 }), self.stride.allSatisfy({ $0 > 0 }), self.dilation.allSatisfy({ $0 > 0 }),
              self.padding.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: name, message: "kernel_size, stride and dilation must be positive and padding non-negative, got \(kernelSize), \(stride ?? kernelSize), \(dilation), \(padding)")
        }
        for i in 0..<spatial where self.padding[i] > (self.dilation[i] * (self.kernelSize[i] - 1) + 1) / 2 {
            throw TensorError.invalidArgument(op: name, message: "pad should be at most half of effective kernel size, but got padding=\(padding) and kernel_size=\(kernelSize)")
        }
        super.init()
    }

    override public var typeName: String { name }

    override public func outputShape(input: [Int]) throws -> [Int] {
        let dims = spatial == 1 ? "[C, L]" : "[C, H, W]"
        guard input.count == spatial + 1 else { throw layerShapeError(name, input, expected: "a per-sample input \(dims)") }
        let out = (0..<spatial).map { i in
            slidingOutputSize(input[i + 1], kernel: kernelSize[i], stride: stride[i], padding: padding[i], dilation: dilation[i],
                              ceilMode: ceilMode)
        }
        guard out.allSatisfy({ $0 > 0 }) else {
            throw layerShapeError(name, input, expected: "spatial sizes of at least the kernel \(kernelSize) after padding \(padding)")
        }
        return [input[0]] + out
    }
}

/// `torch.nn.MaxPool1d` over `[N, C, L]`.
public final class MaxPool1d: StridedPool {
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = Defaults.padding, dilation: Int = Defaults.dilation,
                ceilMode: Bool = Defaults.ceilMode) throws {
        try super.init(name: "max_pool1d", spatial: 1, kernelSize: [kernelSize], stride: stride.map { [$0] }, padding: [padding],
                       dilation: [dilation], ceilMode: ceilMode)
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.maxPool1d(kernelSize: kernelSize[0], stride: stride[0], padding: padding[0], dilation: dilation[0], ceilMode: ceilMode)
    }
}

/// `torch.nn.MaxPool2d` over `[N, C, H, W]`.
public final class MaxPool2d: StridedPool {
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [Defaults.padding], dilation: [Int] = [Defaults.dilation],
                ceilMode: Bool = Defaults.ceilMode) throws {
        try super.init(name: "max_pool2d", spatial: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                       ceilMode: ceilMode)
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// `torch.nn.AvgPool1d` over `[N, C, L]`.
public final class AvgPool1d: StridedPool {
    public let countIncludePad: Bool

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = Defaults.padding, ceilMode: Bool = Defaults.ceilMode,
                countIncludePad: Bool = Defaults.countIncludePad) throws {
        self.countIncludePad = countIncludePad
        try super.init(name: "avg_pool1d", spatial: 1, kernelSize: [kernelSize], stride: stride.map { [$0] }, padding: [padding],
                       dilation: [1], ceilMode: ceilMode)
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.avgPool1d(kernelSize: kernelSize[0], stride: stride[0], padding: padding[0], ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// `torch.nn.AvgPool2d` over `[N, C, H, W]`.
public final class AvgPool2d: StridedPool {
    public let countIncludePad: Bool, divisorOverride: Int?

    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [Defaults.padding], ceilMode: Bool = Defaults.ceilMode,
                countIncludePad: Bool = Defaults.countIncludePad,
                divisorOverride: Int? = nil) throws {
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        try super.init(name: "avg_pool2d", spatial: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: [1],
                       ceilMode: ceilMode)
        if let d = divisorOverride, d == 0 { throw TensorError.invalidArgument(op: name, message: "divisor must be not zero") }
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad,
                        divisorOverride: divisorOverride)
    }
}

/// Adaptive pools: a fixed output size whatever the input's.
public class AdaptivePool: Module {
    public let outputSize: [Int]
    let name: String, spatial: Int

    init(name: String, spatial: Int, outputSize: [Int]) throws {
        self.name = name
        self.spatial = spatial
        self.outputSize = try expandArgument(outputSize, spatial, "output_size", name)
        guard self.outputSize.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument(op: name, message: "output_size must be positive, got \(outputSize)")
        }
        super.init()
    }

    override public var typeName: String { name }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.count == spatial + 1, input.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw layerShapeError(name, input, expected: spatial == 1 ? "a per-sample input [C, L]" : "a per-sample input [C, H, W]")
        }
        return [input[0]] + outputSize
    }
}

/// `torch.nn.AdaptiveAvgPool1d(output_size)` over `[N, C, L]`.
public final class AdaptiveAvgPool1d: AdaptivePool {
    public init(outputSize: Int) throws { try super.init(name: "adaptive_avg_pool1d", spatial: 1, outputSize: [outputSize]) }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.adaptiveAvgPool1d(outputSize: outputSize[0]) }
}

/// `torch.nn.AdaptiveAvgPool2d(output_size)` over `[N, C, H, W]`; `[1, 1]` is global average pooling.
public final class AdaptiveAvgPool2d: AdaptivePool {
    public init(outputSize: [Int]) throws { try super.init(name: "adaptive_avg_pool2d", spatial: 2, outputSize: outputSize) }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.adaptiveAvgPool2d(outputSize: outputSize) }
}

/// `torch.nn.AdaptiveMaxPool2d(output_size)` over `[N, C, H, W]`.
public final class AdaptiveMaxPool2d: AdaptivePool {
    public init(outputSize: [Int]) throws { try super.init(name: "adaptive_max_pool2d", spatial: 2, outputSize: outputSize) }
    override public func forward(_ x: Tensor) throws -> Tensor { try x.adaptiveMaxPool2d(outputSize: outputSize) }
}
