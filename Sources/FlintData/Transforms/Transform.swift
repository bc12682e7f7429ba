import Flint

/// A transform applied to a batch `[B, ...]`, named after its torchvision class
/// (`typeName` is the spec's snake_case name).
public protocol Transform {
    var typeName: String { get }
    /// Per-sample output shape for a per-sample input shape, for checking specs.
    func outputShape(_ input: [Int]) throws -> [Int]
    func callAsFunction(_ batch: Tensor) throws -> Tensor
}

/// A transform that draws random parameters for each sample (augmentation).
///
/// The loader calls `callAsFunction(_:generator:)` with a generator derived from
/// `seed`, the epoch and the batch, so runs repeat exactly whatever the prefetch
/// timing. Used on its own, `callAsFunction(_:)` draws from `generator`, whose
/// state can be saved with `snapshot` and restored.
public protocol RandomTransform: Transform {
    /// This transform's own seed (a spec gives each augmentation its own).
    var seed: UInt64 { get }
    /// Draws for calls without an explicit generator.
    var generator: Generator { get }
    func callAsFunction(_ batch: Tensor, generator: Generator) throws -> Tensor
}

extension RandomTransform {
    public func callAsFunction(_ batch: Tensor) throws -> Tensor { try self(batch, generator: generator) }
}

/// Images `[B, C, H, W]` (or `[B, H, W]`, one channel) as float32 planes, for the
/// image kernels; converts back to the input's dtype, rounding integer types as
/// torchvision does after interpolating.
struct Images {
    var batch: Int
    var channels: Int
    var height: Int
    var width: Int
    var data: [Float]
    let dtype: DType
    let hasChannelDim: Bool

    /// `op` names the transform in errors.
    init(_ tensor: Tensor, op: String) throws {
        guard tensor.rank == 4 || tensor.rank == 3 else {
            throw DataError.invalid("\(op): needs image batches [B, C, H, W] or [B, H, W], got shape \(tensor.shape)")
        }
        guard tensor.dtype != .bool else { throw DataError.invalid("\(op): does not take bool images") }
        let s = tensor.shape
        hasChannelDim = tensor.rank == 4
        batch = s[0]
        channels = hasChannelDim ? s[1] : 1
        height = s[s.count - 2]
        width = s[s.count - 1]
        dtype = tensor.dtype
        data = tensor.toArray(Float.self)
    }

    init(batch: Int, channels: Int, height: Int, width: Int, like other: Images, fill: Float = 0) {
        self.batch = batch
        self.channels = channels
        self.height = height
        self.width = width
        self.dtype = other.dtype
        self.hasChannelDim = other.hasChannelDim
        data = [Float](repeating: fill, count: batch * channels * height * width)
    }

    var planeSize: Int { height * width }
    var sampleSize: Int { channels * height * width }

    /// Back to a tensor of the input's dtype and rank.
    func tensor() throws -> Tensor {
        let shape = hasChannelDim ? [batch, channels, height, width] : [batch, height, width]
        let floats = try Tensor(data, shape: shape)
        guard dtype.isIntegral else { return dtype == .float32 ? floats : floats.casted(to: dtype) }
        let limit: Float = dtype == .uint8 ? 255 : Float(Int32.max)
        let rounded = data.map { Swift.min(Swift.max($0.rounded(.toNearestOrEven), 0), limit) }
        return try Tensor(rounded, shape: shape).casted(to: dtype)
    }
}

/// Per-sample shape `[C, H, W]` or `[H, W]` of an image input, for `outputShape`.
func imageShape(_ input: [Int], op: String) throws -> (channels: Int?, height: Int, width: Int) {
    guard input.count == 3 || input.count == 2 else {
        throw DataError.invalid("\(op): needs image samples [C, H, W] or [H, W], got shape \(input)")
    }
    return (input.count == 3 ? input[0] : nil, input[input.count - 2], input[input.count - 1])
}

/// `[C, h, w]` or `[h, w]` keeping the input's form.
func imageShape(like input: [Int], height: Int, width: Int) -> [Int] {
    input.count == 3 ? [input[0], height, width] : [height, width]
}

/// A size given as `s` or `[h, w]` (torchvision's `size` arguments).
func pairSize(_ size: [Int], op: String, field: String = "size") throws -> (height: Int, width: Int) {
    guard size.count == 1 || size.count == 2, size.allSatisfy({ $0 > 0 }) else {
        throw DataError.invalid("\(op): \(field) must be one positive size or [height, width], got \(size)")
    }
    return (size[0], size.count == 2 ? size[1] : size[0])
}

/// torch.randint(lo, hi) for one value, from a generator (hi exclusive).
func randomInt(_ generator: Generator, _ lo: Int, _ hi: Int) -> Int { lo + generator.nextInt(below: hi - lo) }

/// torch.empty(1).uniform_(lo, hi).
func uniform(_ generator: Generator, _ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * generator.nextDouble() }
