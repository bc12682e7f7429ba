import Foundation
import Yams

/// Turns YAML text into a `SpecNode` tree, reporting syntax errors at libyaml's position.
enum YAMLReader {
    /// Alias expansion can blow a few lines up exponentially ("billion laughs");
    /// no real spec comes near this many nodes.
    static let nodeBudget = SpecLimits.maxNodes

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
        if let problem = FileSafety.problemReading(path) {
            diagnostics.error("\(problem); a spec must be a regular file", at: .wholeFile(displayPath))
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
        if let (line, column) = excessiveNesting(in: text) {
            diagnostics.error("the spec nests mappings and lists more than \(SpecLimits.maxDepth) deep "
                              + "(or chains more than \(SpecLimits.maxDepth * 4) anchors)",
                              at: SourceLocation(file: file, line: line, column: column))
            return nil
        }
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
        if excessiveNesting(in: text) != nil {
            diagnostics.error("the value nests lists and mappings more than \(SpecLimits.maxDepth) deep", at: location)
            return nil
        }
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
            // Yams points at the mapping; the reader wants the second writing of the key.
            let duplicate = duplicates.first.flatMap { secondKey("\($0)", after: context.mark, in: text) }
            return .error(at: duplicate.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? at(context.mark),
                          "duplicate key \(keys) in mapping")
        default:
            return .error(at: .wholeFile(file), "invalid YAML: \(error)")
        }
    }

    /// Where the text first nests deeper than Yams' recursive composer can safely go, if it does:
    /// flow brackets beyond `SpecLimits.maxDepth`, block lines indented (with `- ` markers)
    /// past 16 times that, or more than 4 times that many anchors (`&name`). Quoted text and comments are skipped. A cheap over-estimate: the
    /// exact depth is checked on the composed tree.
    static func excessiveNesting(in text: String) -> (line: Int, column: Int)? {
        let blockLimit = SpecLimits.maxDepth * 16
        var line = 1, column = 0
        var flow = 0
        var quote: Unicode.Scalar?
        var escaped = false
        var inComment = false
        var atLineStart = true
        var indent = 0
        var previous: Unicode.Scalar = "\n"
        // Each anchor can hold an alias of the one before: a chain nests as deep as it is long.
        let maxAnchors = SpecLimits.maxDepth * 4
        var anchors = 0
        for scalar in text.unicodeScalars {
            column += 1
            defer { previous = scalar }
            if scalar == "\n" {
                // A quote left open at the end of a line is closed here: over-counting brackets in a
                // multi-line quoted string is safe, missing them after a stray apostrophe is not.
                line += 1; column = 0; inComment = false; atLineStart = true; indent = 0; quote = nil; escaped = false
                continue
            }
            if inComment { continue }
            if let open = quote {
                if escaped { escaped = false } else if open == "\"" && scalar == "\\" { escaped = true } else if scalar == open { quote = nil }
                continue
            }
            if atLineStart {
                if scalar == " " || scalar == "-" || scalar == "?" {
                    indent += 1
                    if indent > blockLimit { return (line, column) }
                    continue
                }
                atLineStart = false
            }
            switch scalar {
            case "#" where previous == " " || previous == "\t" || previous == "\n" || previous == "[" || previous == "{" || previous == ",":
                inComment = true
            case "\"" where flow > 0 || " :\n[{,-".unicodeScalars.contains(previous),
                 "'" where flow > 0 || " :\n[{,-".unicodeScalars.contains(previous):
                quote = scalar
            case "&" where previous == " " || previous == "[" || previous == "{" || previous == "," || previous == "\n":
                anchors += 1
                if anchors > maxAnchors { return (line, column) }
            case "[", "{":
                flow += 1
                if flow > SpecLimits.maxDepth { return (line, column) }
            case "]", "}":
                flow = Swift.max(0, flow - 1)
            default:
                break
            }
        }
        return nil
    }

    /// Where `key` is written as a key (`key:` after indentation, `{`, `,` or `- `) for the
    /// second time at or after `mark`, if it can be found.
    private static func secondKey(_ key: String, after mark: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var found = 0
        for lineIndex in Swift.max(0, mark.line - 1)..<lines.count {
            let line = Array(lines[lineIndex].unicodeScalars)
            let keyScalars = Array(key.unicodeScalars)
            var start = 0
            while start + keyScalars.count <= line.count {
                defer { start += 1 }
                guard Array(line[start..<(start + keyScalars.count)]) == keyScalars else { continue }
                let before = start == 0 ? " " : line[start - 1]
                guard before == " " || before == "{" || before == "," || before == "\t" else { continue }
                var after = start + keyScalars.count
                while after < line.count, line[after] == " " { after += 1 }
                guard after < line.count, line[after] == ":" else { continue }
                found += 1
                if found == 2 { return (lineIndex + 1, start + 1) }
            }
        }
        return nil
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
    private var tooDeep = false
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

    mutating func convert(_ node: Node, depth: Int = 1) -> SpecNode {
        let here = location(node.mark)
        // Aliases can nest a tree deeper than its text does (a chain of anchors each holding the last).
        guard depth <= SpecLimits.maxDepth else {
            if !tooDeep {
                tooDeep = true
                diagnostics.error("the spec nests mappings and lists more than \(SpecLimits.maxDepth) deep "
                                  + "once aliases are expanded", at: here)
            }
            return .scalar("", at: here)
        }
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
            let items = sequence.map { convert($0, depth: depth + 1) }
            return .sequence(items, at: here, isFlow: startsWithBracket(sequence.mark))
        case .mapping(let mapping):
            return .mapping(convertPairs(mapping, depth: depth), at: here, isFlow: startsWithBracket(mapping.mark))
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
    private mutating func convertPairs(_ mapping: Node.Mapping, depth: Int) -> [SpecNode.Pair] {
        var pairs: [SpecNode.Pair] = []
        var merged: [SpecNode.Pair] = []
        for (key, value) in mapping {
            let keyLocation = location(key.mark)
            guard case .scalar(let keyScalar) = key else {
                diagnostics.error("mapping keys must be plain names, got a \(key.mapping == nil ? "list" : "mapping")",
                                  at: keyLocation)
                continue
            }
            let converted = convert(value, depth: depth + 1)
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
