import Flint
import FlintNN

/// Builds one layer from its spec entry and the per-sample shape flowing in
/// (without the batch dimension), returning the module and the shape flowing out.
/// Throwing a `String` reports it as an error at the layer's line.
public typealias LayerBuilder = (_ entry: SpecEntry, _ input: [Int]) throws -> (module: Module, output: [Int])

/// A shape problem found while building, reported at the entry's location.
public struct BuildProblem: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The builders for every layer type, by its snake_case PyTorch name. A layer
/// type that the schema knows but that has no builder here is reported as not
/// yet available when a spec uses it.
public enum LayerBuilders {
    nonisolated(unsafe) public static var table: [String: LayerBuilder] = [
        "linear": { entry, input in
            guard let last = input.last else {
                throw BuildProblem("linear needs an input with a feature dimension, got per-sample shape \(input); add a flatten layer first")
            }
            if let declared = entry.int("in_features"), declared != last {
                throw BuildProblem("in_features is \(declared) but the input has \(last) features (per-sample shape \(input))")
            }
            let out = entry.int("out_features") ?? 1
            let module = Linear(inFeatures: last, outFeatures: out, bias: entry.bool("bias") ?? true)
            return (module, Array(input.dropLast()) + [out])
        },
        "relu": { _, input in (ReLU(), input) },
        "tanh": { _, input in (Tanh(), input) },
        "sigmoid": { _, input in (Sigmoid(), input) },
        "identity": { _, input in (Identity(), input) },
        "softmax": { entry, input in
            let dim = entry.int("dim") ?? -1
            try checkDim(dim, input)
            return (Softmax(dim: dim), input)
        },
        "log_softmax": { entry, input in
            let dim = entry.int("dim") ?? -1
            try checkDim(dim, input)
            return (LogSoftmax(dim: dim), input)
        },
        "flatten": { entry, input in
            let start = entry.int("start_dim") ?? 1, end = entry.int("end_dim") ?? -1
            let batched = [1] + input
            let r = batched.count
            let s = start < 0 ? start + r : start, e = end < 0 ? end + r : end
            guard s >= 0, e < r, s <= e else {
                throw BuildProblem("flatten dims start_dim=\(start), end_dim=\(end) do not fit a batch of per-sample shape \(input)")
            }
            guard s >= 1 else { throw BuildProblem("flatten with start_dim=\(start) would merge the batch dimension") }
            let merged = batched[s...e].reduce(1, *)
            let out = Array(batched[1..<s]) + [merged] + Array(batched[(e + 1)...])
            return (Flatten(startDim: start, endDim: end), out)
        },
    ]

    /// A dim argument checked against a batched input of per-sample shape `input`.
    static func checkDim(_ dim: Int, _ input: [Int]) throws {
        let r = input.count + 1
        guard dim >= -r && dim < r else { throw BuildProblem("dim \(dim) is out of range for a batch of per-sample shape \(input)") }
    }
}
