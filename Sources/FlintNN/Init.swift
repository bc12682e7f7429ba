import Flint

/// `torch.nn.init`: the initialisers layers use by default and specs can name.
public enum Init {
    /// fan_in and fan_out of a weight shape, as `torch.nn.init._calculate_fan_in_and_fan_out`.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (shape.first ?? 1, shape.first ?? 1) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Gain of `torch.nn.init.calculate_gain` for leaky_relu with slope `a`.
    public static func leakyReLUGain(_ a: Double) -> Double { (2 / (1 + a * a)).squareRoot() }

    /// `kaiming_uniform_(mode='fan_in', nonlinearity='leaky_relu')`.
    public static func kaimingUniform(_ shape: [Int], a: Double = 0, generator: Generator = .default) -> Tensor {
        let fanIn = fans(shape).fanIn
        let bound = fanIn > 0 ? leakyReLUGain(a) * (3.0 / Double(fanIn)).squareRoot() : 0
        return Tensor.uniform(shape, low: -bound, high: bound, generator: generator)
    }
}
