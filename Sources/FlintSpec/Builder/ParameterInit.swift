import Flint
import FlintNN

/// Names of parameters chosen by shell-style patterns, as Python's `fnmatch`:
/// `*` matches any text (dots included), `?` one character, everything else itself.
/// A layer's `init` and an optimizer's `param_groups` select parameters this way.
public enum NamePattern {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        // Greedy matching with one backtrack point per `*`: linear in practice, never exponential.
        var (i, j) = (0, 0)
        var star: (pattern: Int, name: Int)?
        while j < n.count {
            if i < p.count, p[i] == "?" || p[i] == n[j] {
                i += 1
                j += 1
            } else if i < p.count, p[i] == "*" {
                star = (i, j)
                i += 1
            } else if let s = star {
                i = s.pattern + 1
                j = s.name + 1
                star = (s.pattern, s.name + 1)
            } else {
                return false
            }
        }
        while i < p.count, p[i] == "*" { i += 1 }
        return i == p.count
    }
}

extension Builder {
    /// Applies a layer's `init:` to its module: each pattern's initialiser replaces the
    /// values of the parameters it matches (names relative to the layer), in written order.
    /// - Parameter context: appended to messages about layers of a block (` (in block 'basic' used at ...)`).
    /// - Returns: a diagnostic per pattern that matches nothing or per initialiser that does not fit.
    static func applyInit(_ layer: LayerSpec, to module: Module, context: String = "") -> [Diagnostic] {
        guard let entries = layer.keyedEntries("init") else { return [] }
        let params = module.namedParameters()
        guard !params.isEmpty else {
            return [.error(at: layer.location(of: "init"), "init: \(layer.type) has no parameters to initialise\(context)",
                           keyPath: layer.keyPath(of: "init"))]
        }
        var problems: [Diagnostic] = []
        for item in entries {
            let keyPath = layer.keyPath(of: "init") + "." + item.key
            let chosen = params.filter { NamePattern.matches(item.key, $0.name) }
            guard !chosen.isEmpty else {
                let names = params.map { $0.name }
                problems.append(.error(at: item.keyLocation,
                                       "init: '\(item.key)' matches no parameter of \(layer.type) (it has "
                                           + names.joined(separator: ", ") + ")" + Suggest.hint(for: item.key, in: names) + context,
                                       keyPath: keyPath))
                continue
            }
            for (name, tensor) in chosen {
                do {
                    try tensor.copyFrom(try initialValue(item.entry, shape: tensor.shape))
                } catch {
                    var message = "\(error)"
                    if case TensorError.invalidArgument(_, let detail) = error { message = detail }
                    problems.append(.error(at: item.entry.location, "init: \(item.entry.type) cannot initialise '\(name)': \(message)\(context)",
                                           keyPath: keyPath))
                }
            }
        }
        return problems
    }

    /// A tensor of `shape` drawn by the initialiser `e` from the default generator.
    static func initialValue(_ e: SpecEntry, shape: [Int]) throws -> Tensor {
        let mode = Init.FanMode(rawValue: e.string("mode") ?? "fan_in") ?? .fanIn
        let nonlinearity = e.string("nonlinearity") ?? "leaky_relu"
        switch e.type {
        case "kaiming_uniform":
            return try Init.kaimingUniform(shape, a: e.double("a") ?? 0, mode: mode, nonlinearity: nonlinearity)
        case "kaiming_normal":
            return try Init.kaimingNormal(shape, a: e.double("a") ?? 0, mode: mode, nonlinearity: nonlinearity)
        case "xavier_uniform": return try Init.xavierUniform(shape, gain: e.double("gain") ?? 1)
        case "xavier_normal": return try Init.xavierNormal(shape, gain: e.double("gain") ?? 1)
        case "normal": return try Init.normal(shape, mean: e.double("mean") ?? 0, std: e.double("std") ?? 1)
        case "uniform": return try Init.uniform(shape, a: e.double("a") ?? 0, b: e.double("b") ?? 1)
        case "trunc_normal":
            return try Init.truncNormal(shape, mean: e.double("mean") ?? 0, std: e.double("std") ?? 1,
                                        a: e.double("a") ?? -2, b: e.double("b") ?? 2)
        case "orthogonal": return try Init.orthogonal(shape, gain: e.double("gain") ?? 1)
        case "constant": return try Tensor.full(shape, e.double("val") ?? 0)
        case "zeros": return try Init.zeros(shape)
        case "ones": return try Init.ones(shape)
        default: throw BuildProblem("there is no builder for initializer type '\(e.type)'")
        }
    }
}
