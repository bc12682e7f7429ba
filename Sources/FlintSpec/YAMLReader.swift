import Foundation
import Yams

/// Turns YAML text into a `SpecNode` tree, reporting syntax errors at libyaml's position.
enum YAMLReader {
    /// Alias expansion can blow a few lines up exponentially ("billion laughs");
    /// no real spec comes near this many nodes.
    static let nodeBudget = 200_000

    /// Reads and parses a file; `displayPath` is how messages name it.
    static func read(file path: String, displayPath: String, diagnostics: inout DiagnosticBag) -> SpecNode? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            diagnostics.error("no such spec file", at: .wholeFile(displayPath))
            return nil
        }
        guard !isDirectory.boolValue else {
            diagnostics.error("is a directory, not a spec file", at: .wholeFile(displayPath))
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            diagnostics.error("cannot read the spec file (permission denied?)", at: .wholeFile(displayPath))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let (line, column) = firstInvalidUTF8(in: data)
            diagnostics.error("the spec is not valid UTF-8 text",
                              at: SourceLocation(file: displayPath, line: line, column: column))
            return nil
        }
        return parse(text, file: displayPath, diagnostics: &diagnostics)
    }

    /// Parses YAML text; an empty document is an empty mapping so that the schema,
    /// not the parser, says which keys are missing.
    static func parse(_ text: String, file: String, diagnostics: inout DiagnosticBag) -> SpecNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            diagnostics.add(diagnostic(for: error, in: text, file: file))
            return nil
        }
        guard let root else {
            return .mapping([], at: SourceLocation(file: file, line: 1, column: 1))
        }
        var converter = Converter(text: text, origin: .file(file))
        let node = converter.convert(root)
        converter.diagnostics.diagnostics.forEach { diagnostics.add($0) }
        return node
    }

    /// Parses a `--set` value: a YAML scalar or flow collection, every node placed at `location`.
    static func parseValue(_ text: String, at location: SourceLocation, diagnostics: inout DiagnosticBag) -> SpecNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let problem = diagnostic(for: error, in: text, file: "").message
            diagnostics.error(problem, at: location)
            return nil
        }
        guard let root else { return .scalar("", at: location) }
        var converter = Converter(text: text, origin: location.origin, fixedLocation: location)
        let node = converter.convert(root)
        converter.diagnostics.diagnostics.forEach { diagnostics.add($0) }
        return converter.diagnostics.hasErrors ? nil : node
    }

    static func diagnostic(for error: Error, in text: String, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: mark.line, column: mark.column)
        }
        func describe(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "invalid YAML: \(problem)" }
            return "invalid YAML: \(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        guard let error = error as? YamlError else {
            return .error(at: .wholeFile(file), "invalid YAML: \(error)")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            if problem == "but found another document" {
                return .error(at: at(mark), "a spec is one YAML document; found a second one here")
            }
            if character(at: mark, in: text) == "\t" {
                return .error(at: at(mark), "invalid YAML: tabs cannot indent YAML; use spaces")
            }
            return .error(at: at(mark), describe(problem, context))
        case let .reader(problem, offset, _, _):
            let (line, column) = lineAndColumn(ofCharacterOffset: offset ?? 0, in: text)
            return .error(at: SourceLocation(file: file, line: line, column: column), "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error(at: at(context.mark), "duplicate key \(keys) in mapping")
        default:
            return .error(at: .wholeFile(file), "invalid YAML: \(error)")
        }
    }

    private static func character(at mark: Mark, in text: String) -> Unicode.Scalar? {
        let lines = text.split(separator: "\n", maxSplits: mark.line, omittingEmptySubsequences: false)
        guard lines.indices.contains(mark.line - 1), mark.column >= 1 else { return nil }
        let line = lines[mark.line - 1].unicodeScalars
        guard let index = line.index(line.startIndex, offsetBy: mark.column - 1, limitedBy: line.endIndex),
              index < line.endIndex else { return nil }
        return line[index]
    }

    private static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character.isNewline { line += 1; column = 1 } else { column += character.unicodeScalars.count }
        }
        return (line, column)
    }

    private static func firstInvalidUTF8(in data: Data) -> (Int, Int) {
        var line = 1, column = 1
        var decoder = UTF8()
        var bytes = data.makeIterator()
        while true {
            switch decoder.decode(&bytes) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput, .error:
                return (line, column)
            }
        }
    }
}

/// Walks a composed Yams tree once, keeping each node's mark.
private struct Converter {
    let origin: SourceLocation.Origin
    /// Set for `--set` values, whose nodes all point at the command-line text.
    var fixedLocation: SourceLocation?
    var diagnostics = DiagnosticBag()
    private var budget = YAMLReader.nodeBudget
    private let lines: [Substring.UnicodeScalarView]

    init(text: String, origin: SourceLocation.Origin, fixedLocation: SourceLocation? = nil) {
        self.origin = origin
        self.fixedLocation = fixedLocation
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(\.unicodeScalars)
    }

    /// Yams reports every collection's style as "any", so flow style (`{a: 1}`, `[1, 2]`)
    /// is read off the source: a flow collection starts at its bracket.
    private func startsWithBracket(_ mark: Mark?) -> Bool {
        guard let mark, lines.indices.contains(mark.line - 1) else { return false }
        let line = lines[mark.line - 1]
        guard let index = line.index(line.startIndex, offsetBy: mark.column - 1, limitedBy: line.endIndex),
              index < line.endIndex else { return false }
        return line[index] == "{" || line[index] == "["
    }

    private static let standardTags: Set<String> = [
        "", "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    ]

    private func location(_ mark: Mark?) -> SourceLocation {
        if let fixedLocation { return fixedLocation }
        guard case .file(let file) = origin, let mark else { return SourceLocation(file: "", line: 0, column: 0) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func convert(_ node: Node) -> SpecNode {
        let here = location(node.mark)
        budget -= 1
        if budget == 0 {
            diagnostics.error("the spec has more than \(YAMLReader.nodeBudget) nodes once aliases are expanded",
                              at: here)
        }
        guard budget > 0 else { return .scalar("", at: here) }
        checkTag(node.tag.description, at: here)
        switch node {
        case .scalar(let scalar):
            let isString = scalar.tag.description == Tag.Name.str.rawValue
            return .scalar(scalar.string, isString: isString, at: here)
        case .sequence(let sequence):
            let items = sequence.map { convert($0) }
            return .sequence(items, at: here, isFlow: startsWithBracket(sequence.mark))
        case .mapping(let mapping):
            return .mapping(convertPairs(mapping), at: here, isFlow: startsWithBracket(mapping.mark))
        case .alias:
            diagnostics.error("unresolved YAML alias", at: here)
            return .scalar("", at: here)
        }
    }

    private mutating func checkTag(_ tag: String, at location: SourceLocation) {
        guard !Converter.standardTags.contains(tag) else { return }
        diagnostics.error("unsupported YAML tag '\(tag)'", at: location)
    }

    /// Converts pairs, expanding YAML merge keys (`<<: *defaults`): keys written in
    /// the mapping win over merged ones, and earlier merged mappings win over later ones.
    private mutating func convertPairs(_ mapping: Node.Mapping) -> [SpecNode.Pair] {
        var pairs: [SpecNode.Pair] = []
        var merged: [SpecNode.Pair] = []
        for (key, value) in mapping {
            let keyLocation = location(key.mark)
            guard case .scalar(let keyScalar) = key else {
                diagnostics.error("mapping keys must be plain names, got a \(key.mapping == nil ? "list" : "mapping")",
                                  at: keyLocation)
                continue
            }
            let converted = convert(value)
            if keyScalar.string == "<<", keyScalar.style == .plain {
                merged += mergeSources(converted)
            } else {
                pairs.append(SpecNode.Pair(key: keyScalar.string, keyLocation: keyLocation, value: converted))
            }
        }
        var present = Set(pairs.map(\.key))
        for pair in merged where !present.contains(pair.key) {
            present.insert(pair.key)
            pairs.append(pair)
        }
        return pairs
    }

    private mutating func mergeSources(_ node: SpecNode) -> [SpecNode.Pair] {
        if let pairs = node.pairs { return pairs }
        if let items = node.items, items.allSatisfy({ $0.pairs != nil }) {
            return items.flatMap { $0.pairs ?? [] }
        }
        diagnostics.error("a merge key '<<' needs a mapping or a list of mappings, got \(node.shortDescription)",
                          at: node.location)
        return []
    }
}
