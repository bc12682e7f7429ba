import Flint

/// One batch: inputs after transforms, targets after target transforms.
///
/// A model with one input reads `x`; a model with several reads `inputs` by name
/// (`x: {image: ..., meta: ...}` in a spec), and `x` is then the first of them.
public struct Batch {
    /// The first (for most models the only) input, `[B, ...]`.
    public let x: Tensor
    /// Every input by name; `["x": x]` for one input.
    public let inputs: [String: Tensor]
    /// Input names in model order.
    public let inputNames: [String]
    /// Targets `[B, ...]`.
    public let y: Tensor
    /// Position of each sample in the loader's dataset.
    public let indices: [Int]

    public init(x: Tensor, y: Tensor, indices: [Int]) {
        self.x = x
        self.inputs = ["x": x]
        self.inputNames = ["x"]
        self.y = y
        self.indices = indices
    }

    /// A batch of several named inputs, in model order.
    public init(inputs: [(name: String, tensor: Tensor)], y: Tensor, indices: [Int]) throws {
        guard let first = inputs.first else { throw DataError.invalid("a batch needs at least one input") }
        self.x = first.tensor
        self.inputs = Dictionary(inputs.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        self.inputNames = inputs.map(\.name)
        self.y = y
        self.indices = indices
    }

    /// The input called `name`, or an error listing the names there are.
    public func input(_ name: String) throws -> Tensor {
        guard let tensor = inputs[name] else {
            throw DataError.invalid("the batch has no input '\(name)' (inputs: \(inputNames.joined(separator: ", ")))")
        }
        return tensor
    }
}

/// splitmix64's finaliser folded over `values`: independent-looking seeds from
/// (seed, epoch, batch, transform) tuples, so any batch's randomness can be
/// recomputed from its position alone.
func mixSeed(_ values: UInt64...) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for v in values {
        var z = (h ^ v) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        h = z ^ (z >> 31)
    }
    return h
}
