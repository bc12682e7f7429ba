/// Writes the schema's defaults into a resolved tree, so `flint config` can show every
/// value a run will use, PyTorch defaults included.
extension Spec {
    /// The resolved spec as YAML; with `includingDefaults`, every omitted field that has
    /// a default is appended after the written ones (written order stays first).
    public func yaml(includingDefaults: Bool) -> String {
        guard includingDefaults else { return yaml() }
        return DefaultsFiller.fill(node, SpecSchema.spec).yaml()
    }
}

private enum DefaultsFiller {
    static func fill(_ node: SpecNode, _ schema: SectionSchema) -> SpecNode {
        guard let pairs = node.pairs else { return node }
        return SpecNode(.mapping(fill(pairs, schema.fields, at: node.location)), at: node.location, isFlow: node.isFlow)
    }

    private static func fill(_ pairs: [SpecNode.Pair], _ fields: [FieldSchema], at location: SourceLocation)
        -> [SpecNode.Pair] {
        var pairs = pairs.map { pair -> SpecNode.Pair in
            guard let field = fields.first(where: { $0.name == pair.key }) else { return pair }
            var pair = pair
            pair.value = fill(pair.value, field.kind)
            return pair
        }
        for field in fields where !pairs.contains(where: { $0.key == field.name && !$0.value.isNull }) {
            let value: SpecNode
            if let defaultValue = field.defaultValue {
                value = node(for: defaultValue, at: location)
            } else if case .section(let section) = field.kind, !section.absentMeansOff,
                      !section.fields.contains(where: \.isRequired),
                      section.fields.contains(where: { $0.defaultValue != nil }) {
                // An absent `train` means "all defaults"; an absent `val` means "no validation" and stays absent.
                value = fill(.mapping([], at: location), section)
            } else {
                continue
            }
            pairs.removeAll { $0.key == field.name }
            pairs.append(SpecNode.Pair(key: field.name, keyLocation: location, value: value))
        }
        return pairs
    }

    private static func fill(_ node: SpecNode, _ kind: FieldKind) -> SpecNode {
        switch kind {
        case .section(let section):
            return fill(node, section)
        case .entry(let category):
            return fillEntry(node, category)
        case .entryOrList(let category):
            guard let items = node.items else { return fillEntry(node, category) }
            return SpecNode(.sequence(items.map { fillEntry($0, category) }), at: node.location, isFlow: node.isFlow)
        case .entries(let category):
            guard let items = node.items else { return node }
            return SpecNode(.sequence(items.map { fillEntry($0, category) }), at: node.location, isFlow: node.isFlow)
        default:
            return node
        }
    }

    private static func fillEntry(_ node: SpecNode, _ category: TypeCategory) -> SpecNode {
        guard let pairs = node.pairs, let type = node["type"]?.scalar?.text, let schema = category.type(type)
        else { return node }
        return SpecNode(.mapping(fill(pairs, schema.fields, at: node.location)), at: node.location, isFlow: node.isFlow)
    }

    private static func node(for value: SpecValue, at location: SourceLocation) -> SpecNode {
        switch value {
        case .int(let int): return .scalar(String(int), at: location)
        case .double(let double): return .scalar(formatNumber(double), at: location)
        case .bool(let bool): return .scalar(String(bool), at: location)
        case .string(let string): return .scalar(string, isString: true, at: location)
        case .ints(let ints): return .sequence(ints.map { .scalar(String($0), at: location) }, at: location, isFlow: true)
        case .doubles(let doubles):
            return .sequence(doubles.map { .scalar(formatNumber($0), at: location) }, at: location, isFlow: true)
        case .strings(let strings):
            return .sequence(strings.map { .scalar($0, isString: true, at: location) }, at: location, isFlow: true)
        }
    }
}
