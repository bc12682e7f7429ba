import Foundation

/// Reads a spec file and the bases it `extends`, deep-merged into one tree.
///
/// Every node keeps the location of the file that wrote it, so an error in a base
/// points into the base.
struct ExtendsLoader {
    var diagnostics: DiagnosticBag
    /// A base that cannot be read leaves the merged spec incomplete; validating it
    /// would only add "missing key" noise to the real problem.
    private var baseFailed = false
    /// Bases read so far: a diamond of specs that each extend two others is read
    /// exponentially often, so their number is bounded like any other expansion.
    private var basesRead = 0
    static let maxBases = 256

    /// A file on the current `extends` chain: the canonical path detects cycles,
    /// the display path names it in messages.
    private struct ChainLink {
        let canonical: String
        let display: String
    }

    init(diagnostics: DiagnosticBag) {
        self.diagnostics = diagnostics
    }

    mutating func load(file path: String) -> SpecNode? {
        let link = ChainLink(canonical: ExtendsLoader.canonical(path), display: path)
        guard let root = YAMLReader.read(file: path, displayPath: path, diagnostics: &diagnostics) else { return nil }
        let merged = resolveExtends(root, file: path, chain: [link])
        return baseFailed ? nil : merged
    }

    /// `file` names the text in messages and anchors relative `extends` paths.
    mutating func load(text: String, file: String) -> SpecNode? {
        let link = ChainLink(canonical: ExtendsLoader.canonical(file), display: file)
        guard let root = YAMLReader.parse(text, file: file, diagnostics: &diagnostics) else { return nil }
        let merged = resolveExtends(root, file: file, chain: [link])
        return baseFailed ? nil : merged
    }

    private mutating func resolveExtends(_ node: SpecNode, file: String, chain: [ChainLink]) -> SpecNode {
        guard let extends = node.pair("extends") else { return node }
        let child = node.removing("extends")
        var merged: SpecNode?
        for reference in basePaths(extends.value) {
            guard let base = loadBase(reference, from: file, chain: chain) else {
                baseFailed = true
                continue
            }
            merged = merged.map { ExtendsLoader.merge($0, base) } ?? base
        }
        guard let merged else { return child }
        return ExtendsLoader.merge(merged, child)
    }

    private mutating func basePaths(_ value: SpecNode) -> [SpecNode] {
        if value.isNull { return [] }
        if value.scalar != nil { return [value] }
        if let items = value.items, items.allSatisfy({ $0.scalar != nil && !$0.isNull }) { return items }
        diagnostics.error("expected a file path or a list of file paths, got \(value.shortDescription)",
                          at: value.location, keyPath: "extends")
        baseFailed = true
        return []
    }

    private mutating func loadBase(_ reference: SpecNode, from file: String, chain: [ChainLink]) -> SpecNode? {
        let relative = reference.scalar?.text ?? ""
        let display = ExtendsLoader.displayPath(relative, from: file)
        let canonical = ExtendsLoader.canonical(display)
        if let start = chain.firstIndex(where: { $0.canonical == canonical }) {
            let cycle = (chain[start...].map(\.display) + [display]).joined(separator: " -> ")
            diagnostics.error("extends cycle: \(cycle)", at: reference.location, keyPath: "extends")
            return nil
        }
        basesRead += 1
        guard basesRead <= ExtendsLoader.maxBases else {
            if basesRead == ExtendsLoader.maxBases + 1 {
                diagnostics.error("extends reads more than \(ExtendsLoader.maxBases) base specs", at: reference.location,
                                  keyPath: "extends")
            }
            return nil
        }
        guard FileManager.default.fileExists(atPath: display) else {
            diagnostics.error("no such base spec '\(relative)' (looked for \(display))",
                              at: reference.location, keyPath: "extends")
            return nil
        }
        guard let root = YAMLReader.read(file: display, displayPath: display, diagnostics: &diagnostics) else {
            return nil
        }
        guard root.pairs != nil else {
            diagnostics.error("a base spec must be a mapping of sections, got \(root.shortDescription)",
                              at: root.location)
            return nil
        }
        return resolveExtends(root, file: display, chain: chain + [ChainLink(canonical: canonical, display: display)])
    }

    /// Deep merge: mappings merge key by key, anything else (lists included) is replaced.
    /// Two typed entries of different `type` do not merge: a base `sgd`'s `momentum`
    /// must not leak into a child's `adam`.
    static func merge(_ base: SpecNode, _ child: SpecNode) -> SpecNode {
        guard var pairs = base.pairs, let childPairs = child.pairs else { return child }
        if let baseType = base["type"]?.scalar?.text, let childType = child["type"]?.scalar?.text,
           baseType != childType {
            return child
        }
        for pair in childPairs {
            if let index = pairs.firstIndex(where: { $0.key == pair.key }) {
                pairs[index] = SpecNode.Pair(key: pair.key, keyLocation: pair.keyLocation,
                                             value: merge(pairs[index].value, pair.value))
            } else {
                pairs.append(pair)
            }
        }
        return SpecNode(.mapping(pairs), at: child.location, isFlow: child.isFlow)
    }

    /// A base path as the user would type it from the working directory: relative to
    /// the directory of the file that names it.
    static func displayPath(_ path: String, from file: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? expanded : (directory as NSString).appendingPathComponent(expanded)
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
