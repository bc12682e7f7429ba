import Foundation
import Flint

/// `torch.nn.init`: the initialisers layers use by default and specs can
/// name (`init: kaiming_normal`), with PyTorch's gain and fan semantics.
public enum Init {
    /// How initialisers fill the parameters they make.
    public enum Filling: Sendable {
        /// Random values as PyTorch draws them: the default.
        case drawn
        /// Zeros, without drawing a number (`torch.nn.utils.skip_init`, then zeroed): a model
        /// that runs, for weights that are loaded over it or for a check of shapes and data.
        case zeros
        /// One zero broadcast to the shape, without memory (PyTorch's `meta` tensors): a model
        /// with every shape and parameter count, to be looked at, not run or written to.
        case shapeOnly
    }

    /// How initialisers fill new parameters in the current task: `$filling.withValue(.shapeOnly) { ... }`
    /// builds a model of any size in no time. Shapes and arguments are checked in every mode.
    @TaskLocal public static var filling = Filling.drawn

    /// Runs `body` with `filling` set to `mode` in the current task.
    public static func withFilling<R, E: Error>(_ mode: Filling, _ body: () throws(E) -> R) throws(E) -> R {
        try $filling.withValue(mode) { Result(catching: body) }.get()
    }

    /// The parameter `draw()` makes, or with `filling` other than `.drawn` the same shape
    /// zeroed or as a stand-in, after the memory check drawing would make.
    static func filled(_ shape: [Int], _ draw: () throws -> Tensor) throws -> Tensor {
        switch filling {
        case .drawn: return try draw()
        case .zeros: return try Tensor.zeros(shape)
        case .shapeOnly:
            try MemoryBudget.check(shape, .float32, what: "parameters")
            return try Tensor.zeros([]).expand(shape)
        }
    }

    /// Which fan a variance-scaling initialiser preserves (`mode=`).
    public enum FanMode: String, Sendable { case fanIn = "fan_in", fanOut = "fan_out" }

    /// fan_in and fan_out of a weight shape, as `torch.nn.init._calculate_fan_in_and_fan_out`:
    /// `[out, in, *kernel]` gives fan_in = in·∏kernel and fan_out = out·∏kernel.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (shape.first ?? 1, shape.first ?? 1) }
        // Saturating: a shape this large is refused when it is allocated, after the fans are taken.
        let receptive = MemoryBudget.elementCount(Array(shape.dropFirst(2))) ?? Int.max
        return (MemoryBudget.product(shape[1], receptive) ?? Int.max, MemoryBudget.product(shape[0], receptive) ?? Int.max)
    }

    /// The nonlinearities `calculate_gain` knows, in PyTorch's order: the one table behind `gain` and the
    /// spec's `nonlinearity` choices.
    public enum Nonlinearity: String, CaseIterable, Sendable {
        case linear, conv1d, conv2d, conv3d
        case convTranspose1d = "conv_transpose1d", convTranspose2d = "conv_transpose2d", convTranspose3d = "conv_transpose3d"
        case sigmoid, tanh, relu
        case leakyReLU = "leaky_relu"
        case selu

        /// `calculate_gain(self, param)`; `param` is leaky_relu's negative slope (LeakyReLU's default when nil).
        public func gain(param: Double? = nil) -> Double {
            switch self {
            case .linear, .conv1d, .conv2d, .conv3d, .convTranspose1d, .convTranspose2d, .convTranspose3d, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return 2.0.squareRoot()
            case .leakyReLU: return leakyReLUGain(param ?? LeakyReLU.Defaults.negativeSlope)
            case .selu: return 3.0 / 4
            }
        }
    }

    /// PyTorch's defaults of these functions' arguments, written once: the arguments and the spec's schema read them.
    public enum Defaults {
        /// kaiming's negative slope `a`, `mode` and `nonlinearity`.
        public static let negativeSlope = 0.0
        public static let mode = FanMode.fanIn
        public static let nonlinearity = Nonlinearity.leakyReLU
        /// xavier's and orthogonal's `gain`.
        public static let gain = 1.0
        /// normal's and trunc_normal's `mean` and `std`.
        public static let mean = 0.0
        public static let std = 1.0
        /// uniform's bounds `a` and `b`.
        public static let uniformBounds = (a: 0.0, b: 1.0)
        /// trunc_normal's bounds `a` and `b`.
        public static let truncatedBounds = (a: -2.0, b: 2.0)
    }

    /// `torch.nn.init.calculate_gain(nonlinearity, param)`.
    ///
    /// - Parameter param: the negative slope for `leaky_relu` (default 0.01).
    public static func gain(_ nonlinearity: String, param: Double? = nil) throws -> Double {
        guard let known = Nonlinearity(rawValue: nonlinearity) else {
            let names = Nonlinearity.allCases.map(\.rawValue)
            throw TensorError.invalidArgument(op: "calculate_gain", message: "unsupported nonlinearity '\(nonlinearity)'; expected "
                                              + names.dropLast().joined(separator: ", ") + " or " + (names.last ?? ""))
        }
        return known.gain(param: param)
    }

    /// Gain of `calculate_gain('leaky_relu', a)`: √(2 / (1 + a²)).
    public static func leakyReLUGain(_ a: Double) -> Double { (2 / (1 + a * a)).squareRoot() }

    private static func fan(_ shape: [Int], _ mode: FanMode, _ op: String) throws -> Int {
        guard shape.count >= 2 else {
            throw TensorError.invalidArgument(op: op, message: "fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape \(shape))")
        }
        let f = fans(shape)
        return mode == .fanIn ? f.fanIn : f.fanOut
    }

    /// `kaiming_uniform_(a, mode, nonlinearity)`: U(−b, b), b = gain·√(3 / fan).
    public static func kaimingUniform(_ shape: [Int], a: Double = Defaults.negativeSlope, mode: FanMode = Defaults.mode,
                                      nonlinearity: String = Defaults.nonlinearity.rawValue,
                                      generator: Generator = .default) throws -> Tensor {
        let n = try fan(shape, mode, "kaiming_uniform_")
        let bound = n > 0 ? try gain(nonlinearity, param: a) * (3.0 / Double(n)).squareRoot() : 0
        return try filled(shape) { try Tensor.uniform(shape, low: -bound, high: bound, generator: generator) }
    }

    /// The layers' default: `kaiming_uniform_(a=√5)` on a weight of rank ≥ 2,
    /// which is U(±1/√fan_in).
    static func kaimingUniformDefault(_ shape: [Int], generator: Generator) throws -> Tensor {
        let fanIn = fans(shape).fanIn
        let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
        return try filled(shape) { try Tensor.uniform(shape, low: -bound, high: bound, generator: generator) }
    }

    /// The layers' default bias: U(±1/√fan_in) of the weight.
    static func fanInUniform(_ shape: [Int], fanIn: Int, generator: Generator) throws -> Tensor {
        let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
        return try filled(shape) { try Tensor.uniform(shape, low: -bound, high: bound, generator: generator) }
    }

    /// `kaiming_normal_(a, mode, nonlinearity)`: N(0, σ²), σ = gain / √fan.
    public static func kaimingNormal(_ shape: [Int], a: Double = Defaults.negativeSlope, mode: FanMode = Defaults.mode,
                                     nonlinearity: String = Defaults.nonlinearity.rawValue,
                                     generator: Generator = .default) throws -> Tensor {
        let n = try fan(shape, mode, "kaiming_normal_")
        let std = n > 0 ? try gain(nonlinearity, param: a) / Double(n).squareRoot() : 0
        return try filled(shape) { try Tensor.randn(shape, std: std, generator: generator) }
    }

    /// `xavier_uniform_(gain)`: U(−b, b), b = gain·√(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ shape: [Int], gain: Double = Defaults.gain, generator: Generator = .default) throws -> Tensor {
        _ = try fan(shape, .fanIn, "xavier_uniform_")
        let f = fans(shape)
        let bound = gain * (6.0 / Double(Swift.max(f.fanIn + f.fanOut, 1))).squareRoot()
        return try filled(shape) { try Tensor.uniform(shape, low: -bound, high: bound, generator: generator) }
    }

    /// `xavier_normal_(gain)`: N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ shape: [Int], gain: Double = Defaults.gain, generator: Generator = .default) throws -> Tensor {
        _ = try fan(shape, .fanIn, "xavier_normal_")
        let f = fans(shape)
        let std = gain * (2.0 / Double(Swift.max(f.fanIn + f.fanOut, 1))).squareRoot()
        return try filled(shape) { try Tensor.randn(shape, std: std, generator: generator) }
    }

    /// `normal_(mean, std)`.
    public static func normal(_ shape: [Int], mean: Double = Defaults.mean, std: Double = Defaults.std, generator: Generator = .default) throws -> Tensor {
        try filled(shape) { try Tensor.randn(shape, mean: mean, std: std, generator: generator) }
    }

    /// `uniform_(a, b)`.
    public static func uniform(_ shape: [Int], a: Double = Defaults.uniformBounds.a, b: Double = Defaults.uniformBounds.b, generator: Generator = .default) throws -> Tensor {
        try filled(shape) { try Tensor.uniform(shape, low: a, high: b, generator: generator) }
    }

    /// `zeros_`.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try Tensor.zeros(shape) }

    /// `ones_`.
    public static func ones(_ shape: [Int]) throws -> Tensor { try Tensor.ones(shape) }

    /// `trunc_normal_(mean, std, a, b)`: N(mean, std²) conditioned on [a, b]
    /// (absolute bounds, as in PyTorch), by rejection.
    public static func truncNormal(_ shape: [Int], mean: Double = Defaults.mean, std: Double = Defaults.std,
                                   a: Double = Defaults.truncatedBounds.a, b: Double = Defaults.truncatedBounds.b,
                                   generator: Generator = .default) throws -> Tensor {
        guard a < b, std > 0 else {
            throw TensorError.invalidArgument(op: "trunc_normal_", message: "need a < b and std > 0, got a=\(a), b=\(b), std=\(std)")
        }
        // Rejection would stall when [a, b] holds almost none of the mass.
        let lo = (a - mean) / std, hi = (b - mean) / std
        let mass = (Foundation.erf(hi / 2.0.squareRoot()) - Foundation.erf(lo / 2.0.squareRoot())) / 2
        guard mass > 1e-6 else {
            throw TensorError.invalidArgument(op: "trunc_normal_", message: "[a, b] = [\(a), \(b)] is too far from mean \(mean) for std \(std)")
        }
        try MemoryBudget.check(shape, .float64, what: "trunc_normal_")
        guard filling == .drawn else { return try filled(shape) { try Tensor.zeros(shape) } }
        let count = shape.reduce(1, *)
        var values = [Double]()
        values.reserveCapacity(count)
        while values.count < count {
            let v = mean + std * generator.nextNormal()
            if v >= a && v <= b { values.append(v) }
        }
        return try Tensor(values.map { Float($0) }, shape: shape)
    }

    /// `orthogonal_(gain)`: a (semi-)orthogonal matrix from the QR
    /// decomposition of a normal one, signs fixed by R's diagonal, over the
    /// weight flattened to `[shape[0], rest]`.
    public static func orthogonal(_ shape: [Int], gain: Double = Defaults.gain, generator: Generator = .default) throws -> Tensor {
        guard shape.count >= 2 else {
            throw TensorError.invalidArgument(op: "orthogonal_", message: "only tensors with 2 or more dimensions are supported (shape \(shape))")
        }
        try MemoryBudget.check(shape, .float64, what: "orthogonal_")
        guard filling == .drawn else { return try filled(shape) { try Tensor.zeros(shape) } }
        let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
        guard rows > 0, cols > 0 else { return try Tensor.zeros(shape) }
        var flat = try Tensor.randn([rows, cols], dtype: .float64, generator: generator)
        if rows < cols { flat = try flat.t() }
        let (q, r) = try Linalg.qr(flat)
        let signs = try r.diagonal().sign()
        var result = try q * signs
        if rows < cols { result = try result.t() }
        return try (result * gain).casted(to: .float32).contiguous().reshape(shape)
    }
}
