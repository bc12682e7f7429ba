import Foundation

/// Replaces `${path.to.value}` references with the values they name.
///
/// A scalar that is exactly one reference takes the referenced node whole, keeping
/// its type (`epochs: ${train.epochs}` stays an integer; a mapping stays a mapping).
/// References inside longer text are substituted as text (`name: mlp-${seed}`).
/// `\${` writes a literal `${`. Paths are absolute from the top of the spec.
struct Interpolator {
    var diagnostics: DiagnosticBag
    private let root: SpecNode
    /// References being resolved, innermost last, to report cycles.
    private var stack: [String] = []
    private var cache: [String: SpecNode?] = [:]
    /// Scalars left unresolved so far; a referenced value that adds to it is unusable.
    private var failures = 0
    /// Nodes that whole-node references have copied in so far (`SpecLimits.maxNodes` bounds it).
    private var copiedNodes = 0
    /// Set once a limit was reported, so one hostile spec gives one message.
    private var overLimit = false

    init(root: SpecNode, diagnostics: DiagnosticBag) {
        self.root = root
        self.diagnostics = diagnostics
    }

    mutating func resolveAll() -> SpecNode {
        resolve(root, path: [])
    }

    private mutating func resolve(_ node: SpecNode, path: [String]) -> SpecNode {
        var node = node
        switch node.kind {
        case .scalar(let scalar):
            guard scalar.text.contains("${") else { return node }
            return substitute(scalar, in: node, path: path)
        case .mapping(var pairs):
            for index in pairs.indices {
                pairs[index].value = resolve(pairs[index].value, path: path + [pairs[index].key])
            }
            node.kind = .mapping(pairs)
        case .sequence(var items):
            for index in items.indices {
                items[index] = resolve(items[index], path: path + [String(index)])
            }
            node.kind = .sequence(items)
        }
        return node
    }

    private enum Piece {
        case text(String)
        case reference(String)
    }

    private mutating func substitute(_ scalar: SpecScalar, in node: SpecNode, path: [String]) -> SpecNode {
        guard var pieces = split(scalar.text, at: node.location, path: path) else {
            fail(node)
            return node
        }
        // `${params.x}` belongs to a block and is substituted when the block is used, once per use.
        for index in pieces.indices {
            guard case .reference(let reference) = pieces[index], BlockParameters.isReference(reference) else { continue }
            guard BlockParameters.isInsideBlocks(path) else {
                diagnostics.error("${\(reference)} names a block parameter; it can only be used in the layers of "
                                  + "model.blocks", at: node.location, keyPath: joinPath(path))
                fail(node)
                return node
            }
            pieces[index] = .text("${" + reference + "}")
        }
        if pieces.count == 1, case .reference(let reference) = pieces[0] {
            guard var target = lookup(reference, at: node.location, path: path) else {
                fail(node)
                return node
            }
            // Each reference copies its target: references to references can grow the tree exponentially.
            copiedNodes += SpecLimits.measure(target).nodes
            guard copiedNodes <= SpecLimits.maxNodes else {
                limitExceeded("the spec has more than \(SpecLimits.maxNodes) values once ${...} references are expanded",
                              at: node.location, path: path)
                fail(node)
                return node
            }
            target.location = node.location
            return target
        }
        var text = ""
        for piece in pieces {
            switch piece {
            case .text(let literal):
                text += literal
            case .reference(let reference):
                guard let target = lookup(reference, at: node.location, path: path) else {
                    fail(node)
                    return node
                }
                guard let value = target.scalar, !target.isNull else {
                    diagnostics.error("cannot insert \(target.shortDescription) into text: ${\(reference)} "
                                      + "must name a single value", at: node.location, keyPath: joinPath(path))
                    fail(node)
                    return node
                }
                text += value.text
                // Text that inserts itself twice doubles with every level.
                guard text.utf8.count <= SpecLimits.maxStringLength else {
                    limitExceeded("${\(reference)} makes a text longer than \(SpecLimits.maxStringLength) bytes",
                                  at: node.location, path: path)
                    fail(node)
                    return node
                }
            }
        }
        return .scalar(text, isString: scalar.isString, at: node.location)
    }

    private mutating func limitExceeded(_ message: String, at location: SourceLocation, path: [String]) {
        guard !overLimit else { return }
        overLimit = true
        diagnostics.error(message, at: location, keyPath: joinPath(path))
    }

    private mutating func fail(_ node: SpecNode) {
        failures += 1
        diagnostics.flag(node.location)
    }

    /// Splits text into literal pieces and `${...}` references.
    private mutating func split(_ text: String, at location: SourceLocation, path: [String]) -> [Piece]? {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.range(of: "${") {
            let before = rest[..<dollar.lowerBound]
            if before.hasSuffix("\\") {
                literal += before.dropLast() + "${"
                rest = rest[dollar.upperBound...]
                continue
            }
            literal += before
            guard let close = rest[dollar.upperBound...].firstIndex(of: "}") else {
                diagnostics.error("unterminated '${' in '\(text)'", at: location, keyPath: joinPath(path))
                return nil
            }
            let reference = rest[dollar.upperBound..<close].trimmingSpaces()
            guard !reference.isEmpty else {
                diagnostics.error("empty reference '${}' in '\(text)'", at: location, keyPath: joinPath(path))
                return nil
            }
            if !literal.isEmpty { pieces.append(.text(literal)) }
            literal = ""
            pieces.append(.reference(reference))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }

    /// The fully resolved node a reference names, or nil once the problem (here or in
    /// the referenced value) has been reported.
    private mutating func lookup(_ reference: String, at location: SourceLocation, path: [String]) -> SpecNode? {
        if stack.contains(reference) {
            // Told from the node being resolved: it refers on around the loop back to itself.
            let loop = Array(stack.drop { $0 != reference })
            let cycle = ([loop[loop.count - 1]] + loop.dropLast() + [loop[loop.count - 1]]).joined(separator: " -> ")
            diagnostics.error("interpolation cycle: \(cycle)", at: location, keyPath: joinPath(path))
            return nil
        }
        if let cached = cache[reference] { return cached }
        // Each reference resolved inside another recurses once more: bound the chain.
        guard stack.count < SpecLimits.maxDepth, !overLimit else {
            limitExceeded("${\(reference)}: references lead through more than \(SpecLimits.maxDepth) others",
                          at: location, path: path)
            return nil
        }
        let segments = reference.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let target = find(segments, reference: reference, at: location, path: path) else {
            cache[reference] = .some(nil)
            return nil
        }
        let failuresBefore = failures
        stack.append(reference)
        let resolved = resolve(target, path: segments)
        stack.removeLast()
        let result = failures == failuresBefore ? resolved : nil
        cache[reference] = .some(result)
        return result
    }

    private mutating func find(_ segments: [String], reference: String, at location: SourceLocation,
                               path: [String]) -> SpecNode? {
        var node = root
        for (depth, segment) in segments.enumerated() {
            var next: SpecNode?
            var candidates: [String] = []
            switch node.kind {
            case .mapping(let pairs):
                next = pairs.first { $0.key == segment }?.value
                candidates = pairs.map(\.key)
            case .sequence(let items):
                if let index = Int(segment), items.indices.contains(index) { next = items[index] }
            case .scalar:
                break
            }
            guard let found = next else {
                let done = Array(segments[..<depth])
                let hint = Suggest.closest(to: segment, in: candidates)
                    .map { "; did you mean '${\(joinPath(done + [$0]))}'?" } ?? ""
                diagnostics.error("unknown key path '\(reference)' in ${\(reference)}\(hint)", at: location,
                                  keyPath: joinPath(path))
                return nil
            }
            node = found
        }
        return node
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
