/// Bounds on what a spec may expand to. No real spec comes near them; they keep a hostile
/// one (a "billion laughs" of aliases, a string doubled forty times, blocks that nest
/// exponentially, 3000-deep `--set` paths) from exhausting memory, time or the stack.
/// Each is reported where it is crossed, like any other spec error.
public enum SpecLimits {
    /// Mappings and lists inside one another.
    public static let maxDepth = 64
    /// Nodes of the spec once aliases, `extends` and `${...}` references are expanded.
    public static let maxNodes = 200_000
    /// Characters of one scalar after interpolation.
    public static let maxStringLength = 1 << 20
    /// Layers of the model once blocks and `repeat` are expanded.
    public static let maxLayers = 20_000
    /// The largest integer a spec may give a size, count or index (2^40): no tensor
    /// dimension comes near it, and sums and small products of such values stay in `Int`.
    public static let maxInteger = 1 << 40

    /// Largest nesting depth and node count of a tree, walked without recursion (the tree
    /// may be the hostile one). Stops counting once `maxNodes` is passed.
    static func measure(_ root: SpecNode) -> (depth: Int, nodes: Int, deepest: SourceLocation) {
        var stack: [(node: SpecNode, depth: Int)] = [(root, 1)]
        var depth = 0
        var nodes = 0
        var deepest = root.location
        while let (node, level) = stack.popLast() {
            nodes += 1
            if level > depth {
                depth = level
                deepest = node.location
            }
            guard nodes <= maxNodes else { break }
            switch node.kind {
            case .scalar: break
            case .mapping(let pairs): stack += pairs.map { ($0.value, level + 1) }
            case .sequence(let items): stack += items.map { ($0, level + 1) }
            }
        }
        return (depth, nodes, deepest)
    }

    /// Reports a tree deeper or larger than the limits; true when it is within them.
    /// `stage` says what expanded it (`once aliases are expanded`).
    @discardableResult
    static func check(_ root: SpecNode, _ stage: String, diagnostics: inout DiagnosticBag) -> Bool {
        let (depth, nodes, deepest) = measure(root)
        if depth > maxDepth {
            diagnostics.error("the spec nests mappings and lists more than \(maxDepth) deep\(stage)", at: deepest)
            return false
        }
        if nodes > maxNodes {
            diagnostics.error("the spec has more than \(maxNodes) values\(stage)", at: root.location)
            return false
        }
        return true
    }
}
