import Flint

/// Normalisation layers: `BatchNorm1d`, `BatchNorm2d`, `LayerNorm`, `GroupNorm`.

/// What `BatchNorm1d` and `BatchNorm2d` share: PyTorch's `_BatchNorm`.
///
/// In training it normalises with the batch's statistics and, when
/// `trackRunningStats`, updates `running_mean`/`running_var` (unbiased) by
/// `momentum` (or by a cumulative average when momentum is nil) and counts
/// `num_batches_tracked`; in eval it uses the running statistics.
public class BatchNormBase: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let eps = 1e-5
        public static let momentum = 0.1
        public static let affine = true
        public static let trackRunningStats = true
    }
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double?
    public let affine: Bool, trackRunningStats: Bool
    let name: String
    /// The per-sample ranks accepted, and how they read in errors.
    let sampleRanks: Set<Int>, sampleLayout: String
    /// Sums a tensor over the processes of a data-parallel job, differentiably:
    /// set, training statistics are the global batch's (`torch.nn.SyncBatchNorm`).
    public var sumAcrossProcesses: ((Tensor) throws -> Tensor)?

    init(name: String, sampleRanks: Set<Int>, sampleLayout: String, numFeatures: Int, eps: Double, momentum: Double?,
         affine: Bool, trackRunningStats: Bool) throws {
        guard numFeatures > 0 else { throw TensorError.invalidArgument(op: name, message: "num_features must be positive, got \(numFeatures)") }
        self.name = name
        self.sampleRanks = sampleRanks
        self.sampleLayout = sampleLayout
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        super.init()
        if affine {
            registerParameter("weight", try Tensor.ones([numFeatures]))
            registerParameter("bias", try Tensor.zeros([numFeatures]))
        }
        if trackRunningStats {
            registerBuffer("running_mean", try Tensor.zeros([numFeatures]))
            registerBuffer("running_var", try Tensor.ones([numFeatures]))
            registerBuffer("num_batches_tracked", try Tensor.zeros([], dtype: .int64))
        }
    }

    override public var typeName: String { name }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard sampleRanks.contains(input.count), input.first == numFeatures else {
            throw layerShapeError(name, input, expected: "a per-sample input \(sampleLayout) with C = num_features = \(numFeatures)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, sampleRanks.contains(x.rank - 1), x.shape[1] == numFeatures else {
            throw layerShapeError(name, x.shape, expected: "an input [N] + \(sampleLayout) with C = num_features = \(numFeatures)")
        }
        var factor = momentum ?? 0
        if training && trackRunningStats, let tracked = buffer("num_batches_tracked") {
            let count = try tracked.item() + 1
            try tracked.copyFrom(Tensor.scalar(count, dtype: .int64))
            if momentum == nil { factor = 1 / count }
        }
        let useRunning = !training || trackRunningStats
        return try x.batchNorm(runningMean: useRunning ? buffer("running_mean") : nil, runningVar: useRunning ? buffer("running_var") : nil,
                               weight: parameter("weight"), bias: parameter("bias"),
                               training: training || !trackRunningStats, momentum: factor, eps: eps,
                               sumAcross: training ? sumAcrossProcesses : nil)
    }
}

/// `torch.nn.BatchNorm1d` over `[N, C]` or `[N, C, L]`.
public final class BatchNorm1d: BatchNormBase {
    public init(numFeatures: Int, eps: Double = Defaults.eps, momentum: Double? = Defaults.momentum, affine: Bool = Defaults.affine,
                trackRunningStats: Bool = Defaults.trackRunningStats) throws {
        try super.init(name: "batch_norm1d", sampleRanks: [1, 2], sampleLayout: "[C] or [C, L]", numFeatures: numFeatures, eps: eps,
                       momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// `torch.nn.BatchNorm2d` over `[N, C, H, W]`.
public final class BatchNorm2d: BatchNormBase {
    public init(numFeatures: Int, eps: Double = Defaults.eps, momentum: Double? = Defaults.momentum, affine: Bool = Defaults.affine,
                trackRunningStats: Bool = Defaults.trackRunningStats) throws {
        try super.init(name: "batch_norm2d", sampleRanks: [3], sampleLayout: "[C, H, W]", numFeatures: numFeatures, eps: eps,
                       momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// `torch.nn.LayerNorm(normalized_shape)`: normalises over the trailing
/// `normalized_shape` dims with the biased variance; `weight` ones, `bias` zeros.
public final class LayerNorm: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let eps = 1e-5
        public static let elementwiseAffine = true
        public static let bias = true
    }
    public let normalizedShape: [Int]
    public let eps: Double

    public init(normalizedShape: [Int], eps: Double = Defaults.eps, elementwiseAffine: Bool = Defaults.elementwiseAffine,
                bias: Bool = Defaults.bias) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument(op: "layer_norm", message: "normalized_shape must be non-empty and positive, got \(normalizedShape)")
        }
        self.normalizedShape = normalizedShape
        self.eps = eps
        super.init()
        if elementwiseAffine {
            registerParameter("weight", try Tensor.ones(normalizedShape))
            if bias { registerParameter("bias", try Tensor.zeros(normalizedShape)) }
        }
    }

    override public var typeName: String { "layer_norm" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard Array(input.suffix(normalizedShape.count)) == normalizedShape else {
            throw layerShapeError(typeName, input, expected: "an input ending in normalized_shape \(normalizedShape)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(normalizedShape, weight: parameter("weight"), bias: parameter("bias"), eps: eps)
    }
}

/// `torch.nn.GroupNorm(num_groups, num_channels)` over `[N, C, *]`:
/// statistics per sample over each group of C / num_groups channels.
public final class GroupNorm: Module {
    /// PyTorch's defaults, written once: the initialiser's arguments and the spec's schema read them.
    public enum Defaults {
        public static let eps = 1e-5
        public static let affine = true
    }
    public let numGroups: Int, numChannels: Int
    public let eps: Double

    public init(numGroups: Int, numChannels: Int, eps: Double = Defaults.eps, affine: Bool = Defaults.affine) throws {
        guard numGroups > 0, numChannels > 0, numChannels % numGroups == 0 else {
            throw TensorError.invalidArgument(op: "group_norm", message: "num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups))")
        }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        super.init()
        if affine {
            registerParameter("weight", try Tensor.ones([numChannels]))
            registerParameter("bias", try Tensor.zeros([numChannels]))
        }
    }

    override public var typeName: String { "group_norm" }

    override public func outputShape(input: [Int]) throws -> [Int] {
        guard input.first == numChannels else {
            throw layerShapeError(typeName, input, expected: "a per-sample input [C, *] with C = num_channels = \(numChannels)")
        }
        return input
    }

    override public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape[1] == numChannels else {
            throw layerShapeError(typeName, x.shape, expected: "an input [N, C, *] with C = num_channels = \(numChannels)")
        }
        return try x.groupNorm(numGroups: numGroups, weight: parameter("weight"), bias: parameter("bias"), eps: eps)
    }
}
