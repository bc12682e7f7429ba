/// Blocks: named sub-networks with parameters, defined once under `model.blocks` and
/// used as layer types.
///
///     model:
///       blocks:
///         basic:
///           params: {channels: 64}
///           layers:
///             - {type: conv2d, out_channels: ${params.channels}, kernel_size: 3, padding: 1, name: conv1}
///             - {type: batch_norm2d, name: bn1}
///             - {type: add, inputs: [input, bn1]}
///       layers:
///         - {type: basic, name: layer1, channels: 16, repeat: 2}    # layer1.0.conv1.weight, layer1.1.conv1.weight
///
/// Each use validates the block's layers with its own parameter values substituted, so
/// a value that does not fit is reported where the use wrote it.

/// One use of a block, expanded: what the builder turns into modules.
public struct BlockUse: Sendable {
    /// The block's name, which is the use's `type`.
    public let name: String
    /// The block's layers with this use's parameters substituted, validated.
    public let layers: [LayerSpec]
    /// `repeat` as written: that many copies, named `0`, `1`, ... under the use's name
    /// (PyTorch's `nn.Sequential` of blocks); nil for the block's layers directly under it.
    public let repeatCount: Int?
}

/// A block as written under `model.blocks`, before any use substitutes its parameters.
struct BlockDefinition {
    struct Parameter {
        let name: String
        /// The default value; a null default makes the parameter required.
        let value: SpecNode
    }

    let name: String
    let location: SourceLocation
    let parameters: [Parameter]
    let layers: [SpecNode]
    /// `model.blocks.NAME.layers`
    let layersPath: [String]

    /// The fields a use accepts: the parameters and `repeat` (`name` and `inputs` come from the layer category).
    var schema: TypeSchema {
        let fields = parameters.map { parameter in
            FieldSchema(parameter.name, .anything, parameter.value.isNull ? .required : .optional,
                        doc: "Block parameter.")
        } + [BlockParameters.repeatField]
        return TypeSchema(name, pytorch: "block", doc: "Block defined in model.blocks.", fields: fields)
    }
}

/// The blocks of one spec and what validation has learnt about them.
struct BlockTable {
    var definitions: [String: BlockDefinition] = [:]
    /// Blocks whose definition has an error: their uses are not expanded, which would only repeat it.
    var invalid: Set<String> = []
    var used: Set<String> = []
    /// Blocks being expanded, innermost last, to catch a block that uses itself.
    var expanding: [String] = []
    /// Copies each layer being validated stands for: the product of the `repeat`s around it.
    var copies = 1
    /// Layers that block uses have expanded to so far, copies counted (`SpecLimits.maxLayers`).
    var expandedLayers = 0
    /// Set once a limit was reported, so a hostile spec gives one message.
    var overLimit = false

    var names: [String] { definitions.keys.sorted() }

    init() {}

    /// Reads the definitions that have the right shape; `Validator.validateBlockDefinitions`
    /// reports the ones that do not.
    init(collecting node: SpecNode?) {
        for pair in node?.pairs ?? [] {
            // A block with a broken body is still known, so its uses are not also "unknown layer types".
            guard pair.value.pairs != nil, SpecSchema.layers.type(pair.key) == nil else { continue }
            let layers = pair.value["layers"]?.items ?? []
            let parameters = (pair.value["params"]?.pairs ?? []).map { BlockDefinition.Parameter(name: $0.key, value: $0.value) }
            definitions[pair.key] = BlockDefinition(name: pair.key, location: pair.keyLocation, parameters: parameters,
                                                    layers: layers, layersPath: ["model", "blocks", pair.key, "layers"])
        }
    }
}

/// The `${params.NAME}` syntax of block layers.
enum BlockParameters {
    static let repeatField = FieldSchema(
        "repeat", .int, .optional, range: ValueRange(lower: 1, lowerInclusive: true, upper: 1000, upperInclusive: true),
        doc: "Number of copies, named `0`, `1`, ... under the use's name, one after the other.")

    /// Keys a block use gives its own meaning to, so no parameter may take them.
    static let reservedNames: Set<String> = ["type", "name", "inputs", "repeat", "init"]

    static func isReference(_ reference: String) -> Bool {
        reference == "params" || reference.hasPrefix("params.")
    }

    /// True for a key path under `model.blocks`, where `${params.NAME}` waits for a use.
    static func isInsideBlocks(_ path: [String]) -> Bool {
        path.count >= 2 && path[0] == "model" && path[1] == "blocks"
    }

    enum Piece: Equatable {
        case text(String)
        case parameter(String)
    }

    /// Splits text into literal pieces and `${params.NAME}` references; nil when it holds none.
    static func pieces(_ text: String) -> [Piece]? {
        guard text.contains("${params") else { return nil }
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            let reference = rest[open.upperBound..<close].trimmingCharacters(in: " ")
            let before = String(rest[..<open.lowerBound])
            if isReference(reference) {
                if !before.isEmpty { pieces.append(.text(before)) }
                pieces.append(.parameter(String(reference.dropFirst("params".count).drop { $0 == "." })))
            } else {
                pieces.append(.text(before + String(rest[open.lowerBound...close])))
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces.contains { if case .parameter = $0 { return true } else { return false } } ? pieces : nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}

extension Validator {
    /// Checks the shape of `model.blocks`: names, `params`, `layers`, and that every
    /// `${params.NAME}` names a parameter. The layers themselves are validated per use.
    mutating func validateBlockDefinitions(_ node: SpecNode, path: [String]) {
        guard let pairs = node.pairs else {
            error("expected a mapping of block names to {params, layers}, got \(node.shortDescription)",
                  at: node.location, path: path)
            return
        }
        for pair in pairs {
            let name = pair.key
            let blockPath = path + [name]
            let errorsBefore = diagnostics.errorCount
            if !Validator.isIdentifier(name) {
                error("invalid block name '\(name)': use letters, digits and _", at: pair.keyLocation, path: blockPath)
            } else if SpecSchema.layers.type(name) != nil {
                error("block name '\(name)' is already a layer type; choose another name", at: pair.keyLocation,
                      path: blockPath)
            }
            guard let body = pair.value.pairs else {
                error("expected a block like {params: {...}, layers: [...]}, got \(pair.value.shortDescription)",
                      at: pair.value.location, path: blockPath)
                blocks.invalid.insert(name)
                continue
            }
            for key in body where key.key != "params" && key.key != "layers" {
                let hint = Suggest.hint(for: key.key, in: ["params", "layers"])
                error("unknown key '\(key.key)' in block '\(name)'\(hint)", at: key.keyLocation, path: blockPath + [key.key])
            }
            let declared = validateBlockParameters(pair.value["params"], block: name, path: blockPath + ["params"])
            if let layers = pair.value["layers"], !layers.isNull {
                if let items = layers.items {
                    if items.isEmpty {
                        error("block '\(name)' must hold at least one layer", at: layers.location,
                              path: blockPath + ["layers"])
                    }
                    checkParameterReferences(layers, declared: declared, block: name, path: blockPath + ["layers"])
                } else {
                    error("expected a list of layers, got \(layers.shortDescription)", at: layers.location,
                          path: blockPath + ["layers"])
                }
            } else if !body.contains(where: { $0.key == "layers" && !$0.value.isNull }) {
                error("missing required key 'layers' in block '\(name)'", at: pair.value.location,
                      path: blockPath + ["layers"])
            }
            if diagnostics.errorCount != errorsBefore { blocks.invalid.insert(name) }
        }
    }

    /// The declared parameter names.
    private mutating func validateBlockParameters(_ node: SpecNode?, block: String, path: [String]) -> [String] {
        guard let node, !node.isNull else { return [] }
        guard let pairs = node.pairs else {
            error("expected a mapping of parameter names to default values, got \(node.shortDescription)",
                  at: node.location, path: path)
            return []
        }
        for pair in pairs {
            if !Validator.isIdentifier(pair.key) {
                error("invalid block parameter name '\(pair.key)': use letters, digits and _", at: pair.keyLocation,
                      path: path + [pair.key])
            } else if BlockParameters.reservedNames.contains(pair.key) {
                error("'\(pair.key)' cannot be a block parameter: a use of the block gives it its own meaning",
                      at: pair.keyLocation, path: path + [pair.key])
            }
            if pair.value.pairs != nil {
                error("a block parameter takes a value or a list, got a mapping", at: pair.value.location,
                      path: path + [pair.key])
            }
        }
        return pairs.map(\.key)
    }

    private mutating func checkParameterReferences(_ node: SpecNode, declared: [String], block: String, path: [String]) {
        switch node.kind {
        case .scalar(let scalar):
            for case .parameter(let name) in BlockParameters.pieces(scalar.text) ?? [] where !declared.contains(name) {
                let hint = Suggest.closest(to: name, in: declared).map { "; did you mean '${params.\($0)}'?" } ?? ""
                let known = declared.isEmpty ? " (the block declares no params)" : ""
                error("unknown parameter '\(name)' of block '\(block)' in ${params.\(name)}\(known)\(hint)",
                      at: node.location, path: path)
            }
        case .mapping(let pairs):
            for pair in pairs {
                checkParameterReferences(pair.value, declared: declared, block: block, path: path + [pair.key])
            }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                checkParameterReferences(item, declared: declared, block: block, path: path + [String(index)])
            }
        }
    }

    /// Validates a layer whose type names a block: its parameter values and `repeat`, then
    /// the block's layers with those values substituted.
    mutating func blockUse(_ node: inout SpecNode, _ block: BlockDefinition, path: [String]) -> SpecEntry? {
        blocks.used.insert(block.name)
        guard let pairs = node.pairs else { return nil }
        let errorsBefore = diagnostics.errorCount
        let schema = block.schema
        var others = pairs.filter { $0.key != "type" }
        var values: [String: SpecValue] = [:]
        var keyed: [String: [KeyedEntry]] = [:]
        var locations: [String: SourceLocation] = [:]
        fields(&others, schema.fields + SpecSchema.layers.commonFields, path: path,
               owner: Owner(phrase: " in block '\(block.name)'"), strict: true, node: node) { name, validated, location in
            locations[name] = location
            if case .value(let value) = validated { values[name] = value }
            if case .keyed(let entries) = validated { keyed[name] = entries }
        }
        if let start = blocks.expanding.firstIndex(of: block.name) {
            let loop = (blocks.expanding[start...] + [block.name]).joined(separator: " -> ")
            error("block '\(block.name)' uses itself: \(loop)", at: node["type"]?.location ?? node.location,
                  path: path + ["type"])
            return nil
        }
        guard diagnostics.errorCount == errorsBefore, !blocks.invalid.contains(block.name) else { return nil }
        // Blocks of blocks recurse once per level, and each level can double the layers.
        guard blocks.expanding.count < SpecLimits.maxDepth, !blocks.overLimit else {
            if !blocks.overLimit {
                error("blocks use blocks more than \(SpecLimits.maxDepth) deep", at: node.location, path: path)
            }
            blocks.overLimit = true
            return nil
        }
        var arguments: [String: SpecNode] = [:]
        for parameter in block.parameters {
            let written = others.first { $0.key == parameter.name }?.value
            arguments[parameter.name] = written.flatMap { $0.isNull ? nil : $0 } ?? parameter.value
        }
        let outerCopies = blocks.copies
        if case .int(let count)? = values["repeat"] {
            blocks.copies = MemoryBudget.product(outerCopies, count) ?? Int.max
        }
        let instantiated = instantiate(block, arguments: arguments, usedAt: node.location, path: path)
        blocks.copies = outerCopies
        guard let layers = instantiated else { return nil }
        let entry = SpecEntry(category: SpecSchema.layers, schema: schema, location: node.location,
                              keyPath: joinPath(path), values: values, valueLocations: locations,
                              writtenFields: others.map(\.key), keyed: keyed,
                              block: BlockUse(name: block.name, layers: layers, repeatCount: values["repeat"].flatMap {
                                  if case .int(let count) = $0 { return count } else { return nil }
                              }))
        return entry
    }

    /// The block's layers with `arguments` substituted, validated; nil when any is wrong.
    private mutating func instantiate(_ block: BlockDefinition, arguments: [String: SpecNode],
                                      usedAt location: SourceLocation, path: [String]) -> [SpecEntry]? {
        blocks.expanding.append(block.name)
        defer { blocks.expanding.removeLast() }
        let errorsBefore = diagnostics.errorCount
        var entries: [SpecEntry] = []
        var complete = true
        for (index, template) in block.layers.enumerated() {
            // Blocks that use a block twice double the model at every level: count before validating.
            blocks.expandedLayers = MemoryBudget.sum(blocks.expandedLayers, blocks.copies) ?? Int.max
            guard blocks.expandedLayers <= SpecLimits.maxLayers, !blocks.overLimit else {
                if !blocks.overLimit {
                    error("the model has more than \(SpecLimits.maxLayers) layers once blocks and repeat are expanded",
                          at: location, path: path)
                }
                blocks.overLimit = true
                return nil
            }
            let layerPath = block.layersPath + [String(index)]
            var layer = substitute(template, arguments, path: layerPath)
            if let entry = entry(&layer, SpecSchema.layers, path: layerPath) {
                entries.append(entry)
            } else {
                complete = false
            }
        }
        guard complete, diagnostics.errorCount == errorsBefore else { return nil }
        checkGraph(entries, scope: " in block '\(block.name)'")
        return diagnostics.errorCount == errorsBefore ? entries : nil
    }

    /// `${params.NAME}` alone takes the argument whole (its type, and the place it was
    /// written, so a bad value is reported at the use); inside text it is inserted as text.
    private mutating func substitute(_ node: SpecNode, _ arguments: [String: SpecNode], path: [String]) -> SpecNode {
        var node = node
        switch node.kind {
        case .scalar(let scalar):
            guard let pieces = BlockParameters.pieces(scalar.text) else { return node }
            if pieces.count == 1, case .parameter(let name) = pieces[0], let argument = arguments[name] {
                return argument
            }
            var text = ""
            for piece in pieces {
                switch piece {
                case .text(let literal):
                    text += literal
                case .parameter(let name):
                    guard let argument = arguments[name], let value = argument.scalar, !argument.isNull else {
                        let what = arguments[name]?.shortDescription ?? "nothing"
                        error("cannot insert \(what) into text: ${params.\(name)} must be a single value",
                              at: node.location, path: path)
                        return node
                    }
                    text += value.text
                }
            }
            return .scalar(text, isString: scalar.isString, at: node.location)
        case .mapping(var pairs):
            for index in pairs.indices {
                pairs[index].value = substitute(pairs[index].value, arguments, path: path + [pairs[index].key])
            }
            node.kind = .mapping(pairs)
        case .sequence(var items):
            for index in items.indices {
                items[index] = substitute(items[index], arguments, path: path + [String(index)])
            }
            node.kind = .sequence(items)
        }
        return node
    }

    /// A block nobody uses is probably a mistake; its layers are still checked, with the
    /// default parameters, so its errors do not wait for its first use.
    mutating func warnAboutUnusedBlocks() {
        for name in blocks.names where !blocks.used.contains(name) {
            guard let block = blocks.definitions[name] else { continue }
            diagnostics.warning("block '\(name)' is never used", at: block.location, keyPath: "model.blocks.\(name)")
            guard !blocks.invalid.contains(name), block.parameters.allSatisfy({ !$0.value.isNull }) else { continue }
            var arguments: [String: SpecNode] = [:]
            for parameter in block.parameters { arguments[parameter.name] = parameter.value }
            _ = instantiate(block, arguments: arguments, usedAt: block.location, path: ["model", "blocks", name])
        }
    }
}
