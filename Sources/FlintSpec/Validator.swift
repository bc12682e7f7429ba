import Foundation

/// The validated values of one section, with the schema to supply defaults.
struct SectionValues {
    let schema: SectionSchema
    let location: SourceLocation
    var values: [String: SpecValue] = [:]
    var locations: [String: SourceLocation] = [:]
    var sections: [String: SectionValues] = [:]
    var entries: [String: [SpecEntry]] = [:]

    func value(_ name: String) -> SpecValue? { values[name] ?? schema.field(name)?.defaultValue }
    func location(of name: String) -> SourceLocation { locations[name] ?? location }

    /// A nested section's values; when it is not written, `schema`'s defaults (an omitted `train:` is all defaults).
    func section(_ name: String, orDefaultsOf schema: SectionSchema) -> SectionValues {
        sections[name] ?? SectionValues(schema: schema, location: location)
    }

    func int(_ name: String) -> Int? {
        if case .int(let value)? = value(name) { return value }
        return nil
    }

    func double(_ name: String) -> Double? {
        switch value(name) {
        case .double(let value)?: return value
        case .int(let value)?: return Double(value)
        default: return nil
        }
    }

    func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = value(name) { return value }
        return nil
    }

    func string(_ name: String) -> String? {
        if case .string(let value)? = value(name) { return value }
        return nil
    }

    func ints(_ name: String) -> [Int]? {
        if case .ints(let values)? = value(name) { return values }
        return nil
    }

    func strings(_ name: String) -> [String]? {
        if case .strings(let values)? = value(name) { return values }
        return nil
    }

    /// A `.choice` field as its enum.
    func choice<T: RawRepresentable<String>>(_ name: String, as type: T.Type) -> T? {
        string(name).flatMap(T.init(rawValue:))
    }
}

/// Checks a resolved tree against the schema, collecting every problem, and rewrites
/// relative paths to absolute ones so the resolved spec works from any directory.
struct Validator {
    var diagnostics: DiagnosticBag
    /// Nodes an earlier phase (interpolation) already reported; a second, derived
    /// complaint about their type would only be noise.
    let suppressed: Set<SourceLocation>
    /// The blocks of `model.blocks`, known before any layer is validated so that
    /// layers may use blocks defined after them.
    var blocks = BlockTable()

    init(diagnostics: DiagnosticBag) {
        self.diagnostics = diagnostics
        self.suppressed = diagnostics.flaggedLocations
    }

    enum Validated {
        case value(SpecValue)
        case section(SectionValues)
        case entry(SpecEntry)
        case entries([SpecEntry])
        case keyed([KeyedEntry])
        case absent
        case invalid
    }

    /// How messages name the mapping a key belongs to.
    struct Owner {
        var phrase: String
        var isTopLevel = false
        /// Where keys that are not this owner's belong (a category's `misplacedKeys`).
        var misplaced: [String: String] = [:]
    }

    mutating func validateSpec(_ root: inout SpecNode) -> SectionValues? {
        guard let pairs = root.pairs else {
            typeError("expected a mapping of sections (data, model, loss, ...) at the top level, got \(root.shortDescription)",
                  at: root.location, path: [])
            return nil
        }
        if pairs.isEmpty {
            let required = SpecSchema.spec.fields.filter(\.isRequired).map(\.name)
            error("the spec is empty; it needs \(required.dropLast().joined(separator: ", ")) and \(required.last ?? "")",
                  at: root.location, path: [])
            return nil
        }
        blocks = BlockTable(collecting: root["model"]?["blocks"])
        let values = section(&root, SpecSchema.spec, path: [], owner: Owner(phrase: "", isTopLevel: true))
        // The name becomes a folder under runs/: a path there would put the run elsewhere.
        if let name = values.string("name"),
           name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\\") || name.contains("\u{0}") {
            error("name must be a plain name, not a path, got '\(name)' (no '/', and not '.' or '..')",
                  at: values.location(of: "name"), path: ["name"])
        }
        crossCheck(root, values)
        return values
    }

    // MARK: Mappings

    private mutating func section(_ node: inout SpecNode, _ schema: SectionSchema, path: [String], owner: Owner)
        -> SectionValues {
        var result = SectionValues(schema: schema, location: node.location)
        guard case .mapping(var pairs) = node.kind else { return result }
        fields(&pairs, schema.fields, path: path, owner: owner, strict: true, node: node) { name, validated, location in
            result.locations[name] = location
            switch validated {
            case .value(let value): result.values[name] = value
            case .section(let section): result.sections[name] = section
            case .entry(let entry): result.entries[name] = [entry]
            case .entries(let entries): result.entries[name] = entries
            case .keyed, .absent, .invalid: break
            }
        }
        node.kind = .mapping(pairs)
        return result
    }

    /// Validates the pairs of a mapping against `schema`; `strict` reports unknown keys
    /// (off for an entry of unknown type, whose fields cannot be known).
    mutating func fields(_ pairs: inout [SpecNode.Pair], _ schema: [FieldSchema], path: [String], owner: Owner,
                                 strict: Bool, node: SpecNode,
                                 store: (String, Validated, SourceLocation) -> Void) {
        let written = Set(pairs.map(\.key))
        // A misspelt key already says what is missing: `out_feature` needs no second "missing out_features".
        var explained: Set<String> = []
        for index in pairs.indices {
            let key = pairs[index].key
            let keyPath = path + [key]
            guard let field = schema.first(where: { $0.name == key }) else {
                if strict {
                    let scope = owner.isTopLevel ? "top-level key" : "key"
                    // Prefer a field not written yet: `z` next to `x` more likely meant `y`.
                    let names = schema.map(\.name)
                    let suggestion = Suggest.closest(to: key, in: names.filter { !written.contains($0) })
                        ?? Suggest.closest(to: key, in: names)
                    let hint = owner.misplaced[key].map { "; \($0)" } ?? suggestion.map { "; did you mean '\($0)'?" } ?? ""
                    error("unknown \(scope) '\(key)'\(owner.phrase)\(hint)", at: pairs[index].keyLocation,
                          path: keyPath)
                    if let suggestion { explained.insert(suggestion) }
                }
                continue
            }
            let validated = value(&pairs[index].value, field, path: keyPath)
            store(key, validated, pairs[index].value.location)
        }
        for field in schema where field.isRequired && !written.contains(field.name) && !explained.contains(field.name) {
            error("missing required key '\(field.name)'\(owner.phrase)", at: node.location, path: path + [field.name])
        }
    }

    mutating func entry(_ node: inout SpecNode, _ category: TypeCategory, path: [String]) -> SpecEntry? {
        guard case .mapping(let pairs) = node.kind else {
            let example = category.types.first.map { " like {type: \($0.name)}" } ?? ""
            typeError("expected a \(category.name)\(example), got \(node.shortDescription)", at: node.location, path: path)
            return nil
        }
        let errorsBefore = diagnostics.errorCount
        guard let typePair = pairs.first(where: { $0.key == "type" }) else {
            error("missing required key 'type' in \(category.name)", at: node.location, path: path + ["type"])
            return nil
        }
        let typeNode = typePair.value
        guard let typeName = typeNode.scalar?.text, !typeNode.isNull else {
            typeError("expected a \(category.name) type name, got \(typeNode.shortDescription)",
                  at: typeNode.location, path: path + ["type"])
            return nil
        }
        let schema = category.type(typeName)
        if schema == nil, category.name == SpecSchema.layers.name, let block = blocks.definitions[typeName] {
            return blockUse(&node, block, path: path)
        }
        if schema == nil, !suppressed.contains(typeNode.location) {
            let names = category.types.map(\.name) + (category.name == SpecSchema.layers.name ? blocks.names : [])
            let hint = Suggest.hint(for: typeName, in: names)
            error("unknown \(category.name) type '\(typeName)'\(hint)", at: typeNode.location, path: path + ["type"])
        }
        return fields(of: &node, category, schema, typeName: typeName, path: path, errorsBefore: errorsBefore)
    }

    /// The fields of a typed entry's mapping (all but `type`) against `schema`; nil when
    /// the schema is unknown or anything was wrong.
    private mutating func fields(of node: inout SpecNode, _ category: TypeCategory, _ schema: TypeSchema?,
                                 typeName: String, path: [String], errorsBefore: Int) -> SpecEntry? {
        guard case .mapping(var pairs) = node.kind else { return nil }
        var others = pairs.filter { $0.key != "type" }
        var values: [String: SpecValue] = [:]
        var nested: [String: [SpecEntry]] = [:]
        var keyed: [String: [KeyedEntry]] = [:]
        var locations: [String: SourceLocation] = [:]
        let owner = Owner(phrase: " in \(category.name) '\(typeName)'", misplaced: category.misplacedKeys)
        fields(&others, (schema?.fields ?? []) + category.commonFields, path: path, owner: owner,
               strict: schema != nil, node: node) { name, validated, location in
            locations[name] = location
            switch validated {
            case .value(let value): values[name] = value
            case .entry(let entry): nested[name] = [entry]
            case .entries(let entries): nested[name] = entries
            case .keyed(let entries): keyed[name] = entries
            case .section, .absent, .invalid: break
            }
        }
        var rewritten = others.makeIterator()
        for index in pairs.indices where pairs[index].key != "type" {
            if let next = rewritten.next() { pairs[index] = next }
        }
        node.kind = .mapping(pairs)
        guard let schema, diagnostics.errorCount == errorsBefore else { return nil }
        let result = SpecEntry(category: category, schema: schema, location: node.location, keyPath: joinPath(path),
                               values: values, valueLocations: locations, writtenFields: others.map(\.key),
                               nested: nested, keyed: keyed)
        var problems: [(String, String?)] = []
        schema.check?(result) { message, field in problems.append((message, field)) }
        for (message, field) in problems {
            let location = field.map(result.location(of:)) ?? result.location
            error(message, at: location, path: field.map { path + [$0] } ?? path)
        }
        return problems.isEmpty ? result : nil
    }

    /// `init: {weight: kaiming_normal, bias: {type: constant, val: 0.1}}`: each value an entry, or a bare type name.
    private mutating func entryMap(_ node: inout SpecNode, _ category: TypeCategory, path: [String]) -> Validated {
        guard case .mapping(var pairs) = node.kind else { return mismatch(node, .entryMap(category), path) }
        var result: [KeyedEntry] = []
        for index in pairs.indices {
            let pair = pairs[index]
            let itemPath = path + [pair.key]
            if pair.value.isNull {
                typeError("expected a \(category.name) for '\(pair.key)', got null", at: pair.value.location, path: itemPath)
                continue
            }
            if pair.value.scalar != nil {
                // A bare name is `{type: name}`; the written scalar stays as it is in the resolved tree.
                var typed = SpecNode.mapping([SpecNode.Pair(key: "type", keyLocation: pair.value.location, value: pair.value)],
                                             at: pair.value.location, isFlow: true)
                if let entry = entry(&typed, category, path: itemPath) {
                    result.append(KeyedEntry(key: pair.key, keyLocation: pair.keyLocation, entry: entry))
                }
                continue
            }
            if let entry = entry(&pairs[index].value, category, path: itemPath) {
                result.append(KeyedEntry(key: pair.key, keyLocation: pair.keyLocation, entry: entry))
            }
        }
        node.kind = .mapping(pairs)
        return result.count == pairs.count ? .keyed(result) : .invalid
    }

    /// `param_groups: [{params: "*.bias", weight_decay: 0}]`: mappings checked against `schema` without a `type`.
    private mutating func groups(_ node: inout SpecNode, _ schema: TypeSchema, path: [String]) -> Validated {
        guard case .sequence(var items) = node.kind else { return mismatch(node, .groups(schema), path) }
        let category = TypeCategory(name: "parameter group", plural: "parameter groups", doc: schema.doc, types: [schema])
        var entries: [SpecEntry] = []
        for index in items.indices {
            let itemPath = path + [String(index)]
            guard items[index].pairs != nil else {
                typeError("expected a mapping like {params: '*.bias', ...}, got \(items[index].shortDescription)",
                      at: items[index].location, path: itemPath)
                continue
            }
            if let entry = fields(of: &items[index], category, schema, typeName: schema.name, path: itemPath,
                                  errorsBefore: diagnostics.errorCount) {
                entries.append(entry)
            }
        }
        node.kind = .sequence(items)
        return entries.count == items.count ? .entries(entries) : .invalid
    }

    // MARK: Values

    private mutating func value(_ node: inout SpecNode, _ field: FieldSchema, path: [String]) -> Validated {
        if node.isNull {
            guard field.isRequired else { return .absent }
            typeError("expected \(noun(field.kind)), got null", at: node.location, path: path)
            return .invalid
        }
        if suppressed.contains(node.location), node.scalar != nil { return .invalid }
        let name = field.name
        switch field.kind {
        case .anything:
            return .absent
        case .blocks:
            validateBlockDefinitions(node, path: path)
            return .absent
        case .int:
            // A seed is any 64-bit pattern; every other integer is a size, count or index.
            let limit = name == "seed" ? nil : SpecLimits.maxInteger
            return int(node, name, field.range, path, limit: limit).map { .value(.int($0)) } ?? .invalid
        case .float:
            return number(node, name, field.range, path, finite: !field.allowsInfinity).map { .value(.double($0)) } ?? .invalid
        case .bool:
            guard case .bool(let value)? = node.scalar?.value else {
                let hint = node.scalar.map { Suggest.hint(for: $0.text, in: ["true", "false"]) } ?? ""
                typeError("expected true or false, got \(node.shortDescription)\(hint)", at: node.location, path: path)
                return .invalid
            }
            return .value(.bool(value))
        case .string:
            guard let text = node.scalar?.text else { return mismatch(node, field.kind, path) }
            return .value(.string(text))
        case .path:
            guard let text = node.scalar?.text else { return mismatch(node, field.kind, path) }
            let absolute = Validator.absolutePath(text, writtenAt: node.location)
            node.kind = .scalar(SpecScalar(absolute, isString: true))
            return .value(.string(absolute))
        case .choice(let options):
            return choice(node, options, path).map { .value(.string($0)) } ?? .invalid
        case let .intOrTuple(count, keywords):
            if let text = node.scalar?.text, keywords.contains(text) { return .value(.string(text)) }
            if node.scalar != nil, case .int? = node.scalar?.value {
                return int(node, name, field.range, path).map { .value(.int($0)) } ?? .invalid
            }
            guard node.items != nil else { return mismatch(node, field.kind, path) }
            return list(node, name, count: count, path) { $0.int($1, name, field.range, $2) }
                .map { .value(.ints($0)) } ?? .invalid
        case .ints(let count):
            if let scalar = node.scalar, case .int = scalar.value, count == nil || count == 1 {
                return int(node, name, field.range, path).map { .value(.ints([$0])) } ?? .invalid
            }
            guard node.items != nil else { return mismatch(node, field.kind, path) }
            return list(node, name, count: count, path) { $0.int($1, name, field.range, $2) }
                .map { .value(.ints($0)) } ?? .invalid
        case .floats(let count):
            if let scalar = node.scalar, scalar.value.isNumber, count == nil || count == 1 {
                return number(node, name, field.range, path).map { .value(.doubles([$0])) } ?? .invalid
            }
            guard node.items != nil else { return mismatch(node, field.kind, path) }
            return list(node, name, count: count, path) { $0.number($1, name, field.range, $2) }
                .map { .value(.doubles($0)) } ?? .invalid
        case .choices(let options):
            if node.scalar != nil { return choice(node, options, path).map { .value(.strings([$0])) } ?? .invalid }
            guard node.items != nil else { return mismatch(node, field.kind, path) }
            return list(node, name, count: nil, path) { $0.choice($1, options, $2) }
                .map { .value(.strings($0)) } ?? .invalid
        case .names:
            if let text = node.scalar?.text { return .value(.strings([text])) }
            guard node.items != nil else { return mismatch(node, field.kind, path) }
            return list(node, name, count: nil, path) { validator, item, itemPath in
                guard let text = item.scalar?.text, !item.isNull else {
                    validator.typeError("expected a name, got \(item.shortDescription)", at: item.location, path: itemPath)
                    return nil
                }
                return text
            }.map { .value(.strings($0)) } ?? .invalid
        case .section(let schema):
            if let key = schema.shorthand, node.scalar != nil {
                // The short form is checked as `{key: scalar}`; the resolved tree keeps it short.
                var long = SpecNode.mapping([SpecNode.Pair(key: key, keyLocation: node.location, value: node)],
                                            at: node.location, isFlow: true)
                let values = section(&long, schema, path: path, owner: Owner(phrase: " in \(joinPath(path))"))
                if let value = long[key] { node = value }
                return .section(values)
            }
            guard node.pairs != nil else { return mismatch(node, field.kind, path) }
            return .section(section(&node, schema, path: path, owner: Owner(phrase: " in \(joinPath(path))")))
        case .entry(let category):
            return entry(&node, category, path: path).map(Validated.entry) ?? .invalid
        case .entryOrList(let category):
            guard node.items != nil else {
                return entry(&node, category, path: path).map { Validated.entries([$0]) } ?? .invalid
            }
            if node.items?.isEmpty == true {
                typeError("expected a \(category.name) or a list of \(category.plural), got an empty list", at: node.location, path: path)
                return .invalid
            }
            return value(&node, FieldSchema(field.name, .entries(category), field.presence, doc: field.doc), path: path)
        case .entries(let category):
            guard case .sequence(var items) = node.kind else { return mismatch(node, field.kind, path) }
            var entries: [SpecEntry] = []
            for index in items.indices {
                if category.acceptsBareNames, items[index].scalar != nil, !items[index].isNull {
                    // A bare name is `{type: name}`; the written scalar stays as it is in the resolved tree.
                    var typed = SpecNode.mapping([SpecNode.Pair(key: "type", keyLocation: items[index].location, value: items[index])],
                                                 at: items[index].location, isFlow: true)
                    if let entry = entry(&typed, category, path: path + [String(index)]) { entries.append(entry) }
                    continue
                }
                if let entry = entry(&items[index], category, path: path + [String(index)]) { entries.append(entry) }
            }
            node.kind = .sequence(items)
            return entries.count == items.count ? .entries(entries) : .invalid
        case .entryMap(let category):
            return entryMap(&node, category, path: path)
        case .groups(let schema):
            return groups(&node, schema, path: path)
        }
    }

    private mutating func mismatch(_ node: SpecNode, _ kind: FieldKind, _ path: [String]) -> Validated {
        typeError("expected \(noun(kind)), got \(node.shortDescription)", at: node.location, path: path)
        return .invalid
    }

    private func noun(_ kind: FieldKind) -> String {
        switch kind {
        case .anything: return "any value"
        case .int: return "an integer"
        case .float: return "a number"
        case .bool: return "true or false"
        case .string: return "a string"
        case .path: return "a file path"
        case .choice(let options): return "one of " + options.map { "'\($0)'" }.joined(separator: ", ")
        case let .intOrTuple(count, keywords):
            let words = keywords.map { ", '\($0)'" }.joined()
            return "an integer\(words) or a list of \(count) integers"
        case .ints(let count): return count.map { "a list of \($0) integers" } ?? "a list of integers"
        case .floats(let count): return count.map { "a list of \($0) numbers" } ?? "a list of numbers"
        case .choices(let options): return "a list of " + options.map { "'\($0)'" }.joined(separator: ", ")
        case .names: return "a name or a list of names"
        case .section: return "a mapping"
        case .entry(let category): return "a \(category.name)"
        case .entries(let category): return "a list of \(category.plural)"
        case .entryOrList(let category): return "a \(category.name) or a list of \(category.plural)"
        case .entryMap(let category): return "a mapping of names to \(category.plural)"
        case .groups: return "a list of mappings like {params: '*.bias', weight_decay: 0}"
        case .blocks: return "a mapping of block names to {params, layers}"
        }
    }

    /// An integer within `range`, and at most `limit` in magnitude (sizes past `SpecLimits.maxInteger`
    /// cannot be allocated, and their sums and products would overflow).
    private mutating func int(_ node: SpecNode, _ name: String, _ range: ValueRange?, _ path: [String],
                              limit: Int? = SpecLimits.maxInteger) -> Int? {
        guard let scalar = node.scalar, case .int(let value) = scalar.value else {
            if case .float? = node.scalar?.value, node.scalar?.text.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }) == true {
                error("\(name) is too large for a 64-bit integer: \(node.scalar?.text ?? "")", at: node.location, path: path)
                return nil
            }
            _ = mismatch(node, .int, path)
            return nil
        }
        if let limit, value.magnitude > limit.magnitude {
            error("\(name) must be at most 2^40 (\(limit)) in magnitude, got \(scalar.text)", at: node.location, path: path)
            return nil
        }
        return inRange(Double(value), scalar.text, name, range, node, path) ? value : nil
    }

    /// A number within `range`; NaN and, unless `finite` is false, infinities are refused
    /// (`lr: 1e400` reads as infinity and would stop training at its first step).
    private mutating func number(_ node: SpecNode, _ name: String, _ range: ValueRange?, _ path: [String],
                                 finite: Bool = true) -> Double? {
        let value: Double
        switch node.scalar?.value {
        case .int(let int)?: value = Double(int)
        case .float(let float)?: value = float
        default:
            _ = mismatch(node, .float, path)
            return nil
        }
        if value.isNaN || (finite && value.isInfinite) {
            error("\(name) must be a finite number, got \(node.scalar?.text ?? "")", at: node.location, path: path)
            return nil
        }
        return inRange(value, node.scalar?.text ?? "", name, range, node, path) ? value : nil
    }

    private mutating func inRange(_ value: Double, _ text: String, _ name: String, _ range: ValueRange?,
                                  _ node: SpecNode, _ path: [String]) -> Bool {
        guard let range, !range.contains(value) else { return true }
        error("\(name) must be \(range), got \(text)", at: node.location, path: path)
        return false
    }

    private mutating func choice(_ node: SpecNode, _ options: [String], _ path: [String]) -> String? {
        if let text = node.scalar?.text, options.contains(text) { return text }
        let hint = node.scalar.map { Suggest.hint(for: $0.text, in: options) } ?? ""
        typeError("expected \(noun(.choice(options))), got \(node.shortDescription)\(hint)", at: node.location, path: path)
        return nil
    }

    /// Validates every item (so all bad items are reported), then the length.
    private mutating func list<T>(_ node: SpecNode, _ name: String, count: Int?, _ path: [String],
                                  item: (inout Validator, SpecNode, [String]) -> T?) -> [T]? {
        let items = node.items ?? []
        var values: [T] = []
        for (index, element) in items.enumerated() {
            if let value = item(&self, element, path + [String(index)]) { values.append(value) }
        }
        if let count, items.count != count {
            error("\(name) must have \(count) values, got \(items.count)", at: node.location, path: path)
            return nil
        }
        return values.count == items.count ? values : nil
    }

    mutating func error(_ message: String, at location: SourceLocation, path: [String]) {
        diagnostics.error(message, at: location, keyPath: joinPath(path))
    }

    /// A value of the wrong kind, named by its field path as a reader writes it:
    /// `model.layers[2].out_features: expected an integer, got 'abc'`.
    mutating func typeError(_ message: String, at location: SourceLocation, path: [String]) {
        let field = path.isEmpty ? "" : displayKeyPath(joinPath(path)) + ": "
        error(field + message, at: location, path: path)
    }

    /// Paths are relative to the file that wrote them; a `--set` path is relative to
    /// the working directory, where the user typed it.
    static func absolutePath(_ path: String, writtenAt location: SourceLocation) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        var base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let file = location.file {
            base = URL(fileURLWithPath: file, relativeTo: base).deletingLastPathComponent()
        }
        return URL(fileURLWithPath: expanded, relativeTo: base).standardizedFileURL.path
    }
}

extension Validator {
    /// Checks that span several fields or sections.
    private mutating func crossCheck(_ root: SpecNode, _ spec: SectionValues) {
        if let scheduler = root.pair("scheduler"), !scheduler.value.isNull,
           root["optimizer"].map(\.isNull) ?? true {
            error("a scheduler needs an optimizer to schedule", at: scheduler.keyLocation, path: ["scheduler"])
        }
        if let val = root["data"]?["val"], val.pairs != nil {
            checkValidation(val)
        }
        for split in ["train", "test"] {
            if let node = root["data"]?[split], node.pairs != nil { checkSplitArrays(node, split) }
        }
        if let train = root["train"], let value = train.pair("clip_grad_value"), !value.value.isNull,
           let norm = train.pair("clip_grad_norm"), !norm.value.isNull {
            error("train.clip_grad_norm and train.clip_grad_value are alternatives; keep one", at: value.keyLocation,
                  path: ["train", "clip_grad_value"])
        }
        if let model = root["model"], let layers = model["layers"], let items = layers.items, items.isEmpty {
            error("model.layers must hold at least one layer", at: layers.location, path: ["model", "layers"])
        }
        // Names as written, so that outputs are checked even when some layer did not validate.
        let items = root["model"]?["layers"]?.items ?? []
        let errorsBeforeOutputs = diagnostics.errorCount
        let outputs = checkOutputs(items.compactMap { $0["name"]?.scalar?.text }, spec.sections["model"])
        // Losses are checked against outputs that exist; a bad `model.outputs` says enough.
        if diagnostics.errorCount == errorsBeforeOutputs, let terms = spec.entries["loss"], let last = items.last {
            let lastName = last["name"]?.scalar?.text ?? String(items.count - 1)
            checkLossOutputs(terms, outputs: outputs ?? [lastName], declared: outputs != nil)
        }
        if let layers = spec.sections["model"]?.entries["layers"] {
            checkGraph(layers, outputs: outputs ?? [])
        } else if let items = root["model"]?["layers"]?.items {
            checkInputNames(items)
        }
        warnAboutUnusedBlocks()
        if let data = spec.sections["data"] { warnAboutFillAfterNormalizing(data) }
        let train = spec.section("train", orDefaultsOf: SpecSchema.train)
        if let text = train.string("max_time"), TrainSpec.parseDuration(text) == nil {
            error("train.max_time must be seconds, DD:HH:MM:SS or a duration such as 90m or 1h30m, got '\(text)'",
                  at: train.location(of: "max_time"), path: ["train", "max_time"])
        }
        if let es = train.sections["early_stopping"], es.bool("strict") == true, let monitor = es.string("monitor") {
            checkMonitor(monitor, of: spec, at: es.location(of: "monitor"), path: "train.early_stopping.monitor",
                         field: "train.early_stopping.monitor")
        }
        if let best = train.sections["checkpoint"]?.sections["best"], let metric = best.string("metric") {
            checkMonitor(metric, of: spec, at: best.location(of: "metric"), path: "train.checkpoint.best.metric",
                         field: "train.checkpoint.best.metric")
        }
        if let scheduler = spec.entries["scheduler"]?.first {
            if let epochs = train.int("epochs") { checkSchedule(scheduler, epochs: epochs) }
            checkPlateau(scheduler, spec)
        }
    }

    /// `reduce_lr_on_plateau` steps on a metric once per epoch, so it needs a metric the run computes.
    private mutating func checkPlateau(_ scheduler: SpecEntry, _ spec: SectionValues) {
        guard scheduler.type == "reduce_lr_on_plateau" else { return }
        if scheduler.string("interval") == "step" {
            error("reduce_lr_on_plateau steps on an epoch's metric; it takes interval: epoch",
                  at: scheduler.location(of: "interval"), path: [scheduler.keyPath(of: "interval")])
        }
        guard let monitor = scheduler.string("monitor") else { return }
        checkMonitor(monitor, of: spec, at: scheduler.location(of: "monitor"), path: scheduler.keyPath(of: "monitor"),
                     field: "monitor")
    }

    /// The scalar metrics a run logs: the loss and `train.metrics` of the training split, and of the
    /// validation split when there is one; `accuracy` stands in for classifiers when no metric is listed.
    private func reportedMetrics(_ spec: SectionValues) -> [String] {
        let listed = spec.sections["train"]?.entries["metrics"].map { MetricSpec.names(of: $0) }
        let hasValidation = spec.sections["data"]?.sections["val"] != nil
        return ["train/loss"] + (listed ?? []).map { "train/" + $0 }
            + (hasValidation ? ["val/loss"] + (listed ?? ["accuracy"]).map { "val/" + $0 } : [])
    }

    /// A metric named by a monitor (a scheduler's, early stopping's, the best checkpoint's) must be one the run logs.
    private mutating func checkMonitor(_ monitor: String, of spec: SectionValues, at location: SourceLocation,
                                       path: String, field: String) {
        let metrics = reportedMetrics(spec)
        guard !metrics.contains(monitor) else { return }
        let hasValidation = spec.sections["data"]?.sections["val"] != nil
        let reason: String
        if monitor.hasPrefix("val/") && !hasValidation {
            reason = "the spec has no validation split (data.val)"
        } else if monitor.hasSuffix("/confusion") {
            reason = "the confusion matrix is not a number"
        } else {
            let name = monitor.split(separator: "/").last.map(String.init) ?? monitor
            let listable = MetricSpec.Kind.allCases.map(\.rawValue).contains(name) || name.hasPrefix("top_")
                || name.hasPrefix("micro_") || name.hasPrefix("weighted_")
            reason = "the run reports \(metrics.joined(separator: ", "))" + Suggest.hint(for: monitor, in: metrics)
                + (listable ? "; add it to train.metrics" : "")
        }
        error("\(field) '\(monitor)' is not a metric of this run: \(reason)", at: location, path: [path])
    }

    /// `augment` runs after `transforms`, so a `fill` (or random_erasing's `value`) written for raw
    /// pixels lands in normalised units once `transforms` normalises.
    private mutating func warnAboutFillAfterNormalizing(_ data: SectionValues) {
        let transforms = data.entries["transforms"] ?? []
        guard let scaling = transforms.last(where: { ["normalize", "standardize", "to_tensor"].contains($0.type) }) else { return }
        for entry in data.entries["augment"] ?? [] {
            for field in ["fill", "value"] where entry.isSet(field) && entry.schema.fields.contains(where: { $0.name == field }) {
                diagnostics.warning("data.augment runs after data.transforms, so \(entry.type)'s \(field) is in the units "
                                    + "\(scaling.type) gives (\(scaling.type == "to_tensor" ? "0-1" : "normalised")), not raw pixel values",
                                    at: entry.location(of: field), keyPath: entry.keyPath(of: field))
            }
        }
    }

    /// Schedules that PyTorch accepts but that rarely do what was meant.
    private mutating func checkSchedule(_ scheduler: SpecEntry, epochs: Int) {
        if scheduler.type == "step_lr", let step = scheduler.int("step_size"), step >= epochs {
            diagnostics.warning("step_size \(step) is not shorter than train.epochs \(epochs); the learning rate never decays",
                                at: scheduler.location(of: "step_size"), keyPath: scheduler.keyPath(of: "step_size"))
        }
        if scheduler.type == "cosine_annealing_lr", let period = scheduler.int("T_max"), period < epochs {
            diagnostics.warning("T_max \(period) is shorter than train.epochs \(epochs); the learning rate rises again "
                                + "after epoch \(period)",
                                at: scheduler.location(of: "T_max"), keyPath: scheduler.keyPath(of: "T_max"))
        }
    }

    /// A split is `x` and `y`, or `tokens` with `block_size` (and maybe `stride`), never a mix.
    private mutating func checkSplitArrays(_ node: SpecNode, _ split: String) {
        // An unknown key (a misspelt `y`) is reported as such; what it leaves missing would only repeat it.
        let known = Set(SpecSchema.dataArrays.fields.map(\.name) + SpecSchema.validation.fields.map(\.name))
        guard (node.pairs ?? []).allSatisfy({ known.contains($0.key) }) else { return }
        let written: (String) -> Bool = { node[$0].map { !$0.isNull } ?? false }
        let path = ["data", split]
        let arrays = ["x", "y"].filter(written), window = ["tokens", "block_size", "stride"].filter(written)
        if !arrays.isEmpty, !window.isEmpty {
            error("data.\(split) takes x and y, or tokens and block_size, not both", at: node.location, path: path)
        } else if !window.isEmpty, !(written("tokens") && written("block_size")) {
            error("data.\(split) needs tokens and block_size for a language model's windows", at: node.location,
                  path: path + [written("tokens") ? "block_size" : "tokens"])
        } else if arrays.count == 1 {
            error("data.\(split) needs both x and y", at: node.location, path: path + [written("x") ? "y" : "x"])
        } else if arrays.isEmpty, window.isEmpty {
            error("data.\(split) needs x and y (or tokens and block_size)", at: node.location, path: path + ["x"])
        }
    }

    /// Looks at what was written rather than what validated, so a bad `split` is not
    /// also reported as a missing one.
    private mutating func checkValidation(_ val: SpecNode) {
        let written: (String) -> Bool = { val[$0].map { !$0.isNull } ?? false }
        let (hasSplit, hasX, hasY) = (written("split"), written("x"), written("y"))
        let path = ["data", "val"]
        if written("tokens") || written("block_size") || written("stride") {
            if hasSplit {
                error("data.val takes either split or tokens and block_size, not both", at: val.location, path: path)
            } else {
                checkSplitArrays(val, "val")
            }
        } else if hasSplit, hasX || hasY {
            error("data.val takes either split or x and y, not both", at: val.location, path: path)
        } else if !hasSplit, hasX != hasY {
            error("data.val needs both x and y", at: val.location, path: path + [hasX ? "y" : "x"])
        } else if !hasSplit, !hasX {
            error("data.val needs split, or x and y", at: val.location, path: path)
        }
    }

    /// Layer names must be usable as state-dict prefixes and unique; `inputs` must name
    /// layers of the same list (or `input`), a layer that is not a merge takes one input,
    /// and no layer may feed itself, however indirectly.
    /// - Parameter scope: how messages name the list, empty for `model.layers`: ` in block 'basic'`.
    /// `model.outputs` must name distinct layers of `model.layers`; nil when it is not written.
    private mutating func checkOutputs(_ names: [String], _ model: SectionValues?) -> [String]? {
        guard let model, let outputs = model.strings("outputs") else { return nil }
        var seen: Set<String> = []
        for output in outputs {
            if !names.contains(output) {
                let known = names.isEmpty ? "no layer has a name" : "named layers: " + names.joined(separator: ", ")
                error("unknown layer '\(output)' in model.outputs (\(known))\(Suggest.hint(for: output, in: names))",
                      at: model.location(of: "outputs"), path: ["model", "outputs"])
            } else if !seen.insert(output).inserted {
                error("'\(output)' is listed twice in model.outputs", at: model.location(of: "outputs"), path: ["model", "outputs"])
            }
        }
        return outputs
    }

    /// Each loss reads one output (two for the pairwise losses), named by `output` or, with
    /// a model of that many outputs, implied.
    /// - Parameter declared: whether `model.outputs` was written (else `outputs` is the last layer alone).
    private mutating func checkLossOutputs(_ terms: [SpecEntry], outputs: [String], declared: Bool) {
        for term in terms {
            let arity = SpecSchema.pairwiseLosses.contains(term.type) ? 2 : 1
            let reads = arity == 2 ? "compares two model outputs" : "reads one model output"
            guard let names = term.strings("output") else {
                if outputs.count != arity {
                    let hint = arity == 2 && !declared
                        ? "; name two layers in model.outputs and list them in output"
                        : "; say which with output (the model's outputs are \(outputs.joined(separator: ", ")))"
                    error("\(term.type) \(reads) but the model has \(outputs.count)\(hint)", at: term.location,
                          path: [term.keyPath])
                }
                continue
            }
            if names.count != arity {
                error("\(term.type) \(reads), got \(names.count) in output", at: term.location(of: "output"),
                      path: [term.keyPath(of: "output")])
            }
            for name in names where !outputs.contains(name) {
                let known = declared ? "the model's outputs are " + outputs.joined(separator: ", ")
                    : "without model.outputs the model's one output is its last layer"
                error("unknown model output '\(name)' (\(known))\(Suggest.hint(for: name, in: outputs))",
                      at: term.location(of: "output"), path: [term.keyPath(of: "output")])
            }
        }
    }

    mutating func checkGraph(_ layers: [SpecEntry], scope: String = "", outputs: [String] = []) {
        var defined: [String: SourceLocation] = [:]
        for layer in layers {
            guard let name = layer.name else { continue }
            let location = layer.location(of: "name")
            if !Validator.isIdentifier(name) || name == "input" {
                let reason = name == "input" ? "'input' names the model's input" : "use letters, digits and _"
                error("invalid layer name '\(name)': \(reason)", at: location, path: [layer.keyPath(of: "name")])
            } else if let first = defined[name] {
                error("duplicate layer name '\(name)'\(scope) (first used at \(first))",
                      at: location, path: [layer.keyPath(of: "name")])
            } else {
                defined[name] = location
            }
        }
        for layer in layers {
            guard let inputs = layer.inputs else { continue }
            let path = [layer.keyPath(of: "inputs")]
            for input in inputs where input != "input" && defined[input] == nil {
                let hint = Suggest.hint(for: input, in: ["input"] + defined.keys.sorted())
                error("unknown layer '\(input)' in inputs\(scope)\(hint)", at: layer.location(of: "inputs"), path: path)
            }
            if LayerTypes.maskedNames.contains(layer.type) {
                if inputs.count > 2 {
                    error("\(layer.type) reads [sequence] or [sequence, key_padding_mask], got \(inputs.count) inputs",
                          at: layer.location(of: "inputs"), path: path)
                }
            } else if !LayerTypes.mergeNames.contains(layer.type), inputs.count != 1 {
                error("\(layer.type) takes one input, got \(inputs.count); join branches with add, mul or cat first",
                      at: layer.location(of: "inputs"), path: path)
            }
        }
        let graph = LayerGraph(layers)
        if let cycle = graph.cycle() {
            let names = (cycle + [cycle[0]]).map { graph.displayName($0) }.joined(separator: " -> ")
            let culprit = cycle.filter { layers[$0].inputs != nil }.min() ?? cycle[0]
            error("the layers form a cycle\(scope): \(names)", at: layers[culprit].location(of: "inputs"),
                  path: [layers[culprit].keyPath(of: "inputs")])
            return
        }
        let returned = Set(outputs)
        for (index, consumers) in graph.consumers.enumerated()
        where consumers.isEmpty && index != layers.count - 1 && !returned.contains(layers[index].name ?? "") {
            diagnostics.warning("the output of layer \(graph.displayName(index))\(scope) is never used; "
                                + "the last layer's output is the model's", at: layers[index].location,
                                keyPath: layers[index].keyPath)
        }
    }

    /// When some layer did not validate, the graph cannot be checked whole; names in `inputs`
    /// can still be, against every name written, so a typo there is not held back.
    private mutating func checkInputNames(_ items: [SpecNode]) {
        let names = Set(items.compactMap { $0["name"]?.scalar?.text })
        for (index, item) in items.enumerated() {
            guard let inputs = item["inputs"] else { continue }
            let written = inputs.items?.compactMap { $0.scalar?.text } ?? inputs.scalar.map { [$0.text] } ?? []
            for input in written where input != "input" && !names.contains(input) {
                let hint = Suggest.hint(for: input, in: ["input"] + names.sorted())
                error("unknown layer '\(input)' in inputs\(hint)", at: inputs.location,
                      path: ["model", "layers", String(index), "inputs"])
            }
        }
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
