/// A command-line override: `--set KEY=VALUE` or `--set KEY~`.
///
/// KEY is a dotted path whose segments index lists where the node is a list
/// (`model.layers.3.out_features`, `-1` for the last item); VALUE is YAML, so
/// `[1, 2]` and `{type: adam, lr: 0.001}` work. Missing mapping keys are created
/// (validation then reports unknown ones, with this text as their location).
/// An index equal to a list's length appends to it.
public struct Override: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case set(String)
        case remove
    }

    public let path: [String]
    public let action: Action
    /// The argument as typed after `--set`, e.g. `optimizer.lr=0.01`.
    public let argument: String

    /// Parses `KEY=VALUE` or `KEY~`; nil when the argument has neither form.
    public init?(_ argument: String) {
        let key: Substring
        if let equals = argument.firstIndex(of: "=") {
            key = argument[..<equals]
            action = .set(String(argument[argument.index(after: equals)...]))
        } else if argument.hasSuffix("~") {
            key = argument.dropLast()
            action = .remove
        } else {
            return nil
        }
        self.argument = argument
        self.path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// Where messages say the override came from.
    public var location: SourceLocation {
        Override.location(of: argument)
    }

    static func location(of argument: String) -> SourceLocation {
        SourceLocation(commandLine: "--set \(argument)")
    }

    var keyText: String { joinPath(path) }
}

/// Applies overrides in order, each error reported at the override's own text.
struct OverrideApplier {
    var diagnostics: DiagnosticBag

    mutating func apply(_ arguments: [String], to root: SpecNode) -> SpecNode {
        var root = root
        for argument in arguments {
            guard let override = Override(argument) else {
                diagnostics.error("expected KEY=VALUE or KEY~ (to remove a key)", at: Override.location(of: argument))
                continue
            }
            apply(override, to: &root)
        }
        return root
    }

    private mutating func apply(_ override: Override, to root: inout SpecNode) {
        let location = override.location
        if override.path.contains(where: \.isEmpty) {
            diagnostics.error("'\(override.keyText)' has an empty key; write KEY as a.b.c", at: location)
            return
        }
        if override.path.count > SpecLimits.maxDepth {
            diagnostics.error("'\(override.keyText.prefix(60))...' is \(override.path.count) keys deep; a spec nests at most "
                              + "\(SpecLimits.maxDepth)", at: location)
            return
        }
        if override.path.first == "extends" {
            diagnostics.error("extends cannot be overridden; it is resolved when the file is read", at: location,
                              keyPath: "extends")
            return
        }
        var value: SpecNode?
        if case .set(let text) = override.action {
            guard let parsed = YAMLReader.parseValue(text, at: location, diagnostics: &diagnostics) else { return }
            value = parsed
        }
        assign(&root, override.path[...], done: [], value: value, location: location)
    }

    /// Sets (or removes, when `value` is nil) the node at `path` below `node`.
    private mutating func assign(_ node: inout SpecNode, _ path: ArraySlice<String>, done: [String],
                                 value: SpecNode?, location: SourceLocation) {
        guard let segment = path.first else { return }
        let rest = path.dropFirst()
        let here = done + [segment]
        if node.isNull, value != nil {
            node = .mapping([], at: location)
        }
        switch node.kind {
        case .mapping(var pairs):
            if let index = pairs.firstIndex(where: { $0.key == segment }) {
                if !rest.isEmpty {
                    assign(&pairs[index].value, rest, done: here, value: value, location: location)
                } else if let value {
                    pairs[index].value = value
                } else {
                    pairs.remove(at: index)
                }
            } else if let value {
                var child = value
                if !rest.isEmpty {
                    child = .mapping([], at: location)
                    assign(&child, rest, done: here, value: value, location: location)
                }
                pairs.append(SpecNode.Pair(key: segment, keyLocation: location, value: child))
            } else {
                let hint = Suggest.closest(to: segment, in: pairs.map(\.key))
                    .map { "; did you mean '\(joinPath(done + [$0]))'?" } ?? ""
                diagnostics.error("cannot remove '\(joinPath(here))': no such key\(hint)", at: location,
                                  keyPath: joinPath(here))
                return
            }
            node.kind = .mapping(pairs)
        case .sequence(var items):
            guard let index = resolveIndex(segment, count: items.count, done: done, here: here,
                                           appending: value != nil && rest.isEmpty, location: location)
            else { return }
            if index == items.count, let value {
                items.append(value)
            } else if !rest.isEmpty {
                assign(&items[index], rest, done: here, value: value, location: location)
            } else if let value {
                items[index] = value
            } else {
                items.remove(at: index)
            }
            node.kind = .sequence(items)
        case .scalar:
            let owner = done.isEmpty ? "the spec" : "'\(joinPath(done))'"
            diagnostics.error("cannot \(value == nil ? "remove" : "set") '\(joinPath(here))': \(owner) is "
                              + "\(node.shortDescription), not a mapping or a list", at: location,
                              keyPath: joinPath(here))
        }
    }

    /// A list index; negative counts from the end, and the length itself appends.
    private mutating func resolveIndex(_ segment: String, count: Int, done: [String], here: [String],
                                       appending: Bool, location: SourceLocation) -> Int? {
        let list = "'\(joinPath(done))'"
        guard let raw = Int(segment) else {
            diagnostics.error("\(list) is a list; expected an index, got '\(segment)'", at: location,
                              keyPath: joinPath(here))
            return nil
        }
        let index = raw < 0 ? raw + count : raw
        if index >= 0, index < count || (appending && index == count) { return index }
        let entries = count == 1 ? "1 entry" : "\(count) entries"
        diagnostics.error("index \(raw) is out of range: \(list) has \(entries)", at: location,
                          keyPath: joinPath(here))
        return nil
    }
}
