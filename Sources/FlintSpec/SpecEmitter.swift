import Foundation
import Yams

extension SpecNode {
    /// The tree as YAML text, keys in written order and flow style where it was written,
    /// so `flint config` looks like the spec it came from. Reading the text back gives
    /// the same values: strings that would read as numbers, booleans or references are quoted.
    public func yaml() -> String {
        // Serializing plain scalars, mappings and sequences cannot fail; an empty
        // document is the honest fallback if Yams ever disagrees.
        (try? Yams.serialize(node: yamsNode(path: []), width: -1, allowUnicode: true)) ?? ""
    }

    /// - Parameter path: where the node sits, since `${params.NAME}` under `model.blocks` stays a reference.
    func yamsNode(path: [String]) -> Node {
        switch kind {
        case .scalar(let scalar):
            return scalarNode(scalar, keepingParameters: BlockParameters.isInsideBlocks(path))
        case .mapping(let pairs):
            let style: Node.Mapping.Style = isFlow ? .flow : .block
            return .mapping(Node.Mapping(pairs.map { (Node($0.key), $0.value.yamsNode(path: path + [$0.key])) },
                                         .implicit, style))
        case .sequence(let items):
            let style: Node.Sequence.Style = isFlow ? .flow : .block
            return .sequence(Node.Sequence(items.enumerated().map { $1.yamsNode(path: path + [String($0)]) },
                                           .implicit, style))
        }
    }

    private func scalarNode(_ scalar: SpecScalar, keepingParameters: Bool) -> Node {
        switch scalar.value {
        case .null:
            return Node("null", .implicit, .plain)
        case .bool, .int, .float:
            return Node(scalar.text, .implicit, .plain)
        case .string(let text):
            // After interpolation every `${` left is literal; escape it so a re-read keeps it literal.
            var escaped = text.replacingOccurrences(of: "${", with: "\\${")
            if keepingParameters { escaped = escaped.replacingOccurrences(of: "\\${params", with: "${params") }
            let style: Node.Scalar.Style = SpecNode.needsQuotes(escaped) ? .singleQuoted : .any
            return Node(escaped, .implicit, style)
        }
    }

    /// Strings that a YAML reader would take for something else: core-schema values,
    /// and YAML 1.1 booleans (`yes`, `off`) so PyYAML readers of a run directory agree too.
    private static func needsQuotes(_ text: String) -> Bool {
        if case .string = ScalarValue(resolving: text) {
            return yaml11Booleans.contains(text.lowercased())
        }
        return true
    }

    private static let yaml11Booleans: Set<String> = ["y", "n", "yes", "no", "on", "off"]
}

extension Spec {
    /// The resolved spec as YAML: what `flint config` prints, the run directory's
    /// `config.yaml` and a checkpoint's `/config` hold.
    public func yaml() -> String {
        node.yaml()
    }
}
