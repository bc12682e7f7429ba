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
                    let value = try initialValue(item.entry, shape: tensor.shape)
                    // A model built without drawing (`Init.filling`) keeps its zeros or stand-ins; the arguments are checked all the same.
                    if Init.filling == .drawn { try tensor.copyFrom(value) }
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
        guard let make = InitializerTypes.byName[e.type]?.build else {
            throw BuildProblem("there is no builder for initializer type '\(e.type)'")
        }
        return try make(e, shape)
    }
}
