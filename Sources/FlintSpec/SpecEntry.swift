/// One validated typed entry of a spec: a layer, a loss, an optimizer, a scheduler or a transform.
///
/// Accessors return the value written in the spec, else the schema's PyTorch default,
/// else nil (fields PyTorch leaves `None`, or sizes the builder infers):
///
///     let out = layer.int("out_features")          // required: always present once validated
///     let kernel = layer.ints("kernel_size", count: 2)  // `5` becomes [5, 5]
///     let stride = layer.ints("stride", count: 2) ?? kernel
public struct SpecEntry: Sendable {
    /// The category, as messages name it: `layer`, `loss`, `optimizer`, `scheduler`, `transform`.
    public let category: String
    /// The snake_case PyTorch name: `linear`, `sgd`.
    public let type: String
    /// Where the entry's mapping starts, for errors a builder finds later (shape mismatches).
    public let location: SourceLocation
    /// The entry's path in the spec: `model.layers.3`.
    public let keyPath: String
    public let schema: TypeSchema
    let commonFields: [FieldSchema]
    let values: [String: SpecValue]
    let valueLocations: [String: SourceLocation]
    /// Fields written in the spec, in written order (without `type`).
    public private(set) var writtenFields: [String]
    /// For a layer whose type is a block of `model.blocks`: the block's layers as this use expands them.
    public let block: BlockUse?
    /// Entries nested in this one, by field (`sequential_lr`'s `schedulers`, an optimizer's `param_groups`).
    private(set) var nested: [String: [SpecEntry]]
    /// Entries nested under names, by field (a layer's `init`).
    let keyed: [String: [KeyedEntry]]

    init(category: TypeCategory, schema: TypeSchema, location: SourceLocation, keyPath: String,
         values: [String: SpecValue], valueLocations: [String: SourceLocation], writtenFields: [String],
         nested: [String: [SpecEntry]] = [:], keyed: [String: [KeyedEntry]] = [:], block: BlockUse? = nil) {
        self.category = category.name
        self.type = schema.name
        self.location = location
        self.keyPath = keyPath
        self.schema = schema
        self.commonFields = category.commonFields
        self.values = values
        self.valueLocations = valueLocations
        self.writtenFields = writtenFields
        self.block = block
        self.nested = nested
        self.keyed = keyed
    }

    public func field(_ name: String) -> FieldSchema? {
        schema.field(name) ?? commonFields.first { $0.name == name }
    }

    /// True when the spec wrote the field (as opposed to taking its default).
    public func isSet(_ name: String) -> Bool {
        values[name] != nil
    }

    /// The written value, else the default, else nil.
    public func value(_ name: String) -> SpecValue? {
        values[name] ?? field(name)?.defaultValue
    }

    /// Where the field's value was written, else where the entry starts.
    public func location(of name: String) -> SourceLocation {
        valueLocations[name] ?? location
    }

    /// The key path of a field: `model.layers.3.kernel_size`.
    public func keyPath(of name: String) -> String {
        keyPath.isEmpty ? name : keyPath + "." + name
    }

    public func int(_ name: String) -> Int? {
        if case .int(let value)? = value(name) { return value }
        return nil
    }

    public func double(_ name: String) -> Double? {
        switch value(name) {
        case .double(let value)?: return value
        case .int(let value)?: return Double(value)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = value(name) { return value }
        return nil
    }

    public func string(_ name: String) -> String? {
        if case .string(let value)? = value(name) { return value }
        return nil
    }

    /// Integers of a list field; a single integer is repeated `count` times
    /// (PyTorch's `kernel_size=3` meaning `(3, 3)`).
    public func ints(_ name: String, count: Int? = nil) -> [Int]? {
        switch value(name) {
        case .int(let value)?: return Array(repeating: value, count: count ?? 1)
        case .ints(let values)?: return values
        default: return nil
        }
    }

    public func doubles(_ name: String) -> [Double]? {
        switch value(name) {
        case .doubles(let values)?: return values
        case .ints(let values)?: return values.map(Double.init)
        case .double(let value)?: return [value]
        default: return nil
        }
    }

    /// Strings of a list field; a single string is a list of one (`inputs: a`).
    public func strings(_ name: String) -> [String]? {
        switch value(name) {
        case .strings(let values)?: return values
        case .string(let value)?: return [value]
        default: return nil
        }
    }

    /// The entries of a field holding a list of them (`sequential_lr`'s `schedulers`).
    public func entries(_ name: String) -> [SpecEntry]? {
        nested[name]
    }

    /// This entry without the nested entries of `name`, as if they were not written.
    public func withoutNested(_ name: String) -> SpecEntry {
        var copy = self
        copy.nested[name] = nil
        copy.writtenFields.removeAll { $0 == name }
        return copy
    }

    /// The named entries of a mapping field (a layer's `init`), in written order.
    public func keyedEntries(_ name: String) -> [KeyedEntry]? {
        keyed[name]
    }

    /// A layer's `name:`; nil when unnamed (its state-dict prefix is then its index).
    public var name: String? { string("name") }

    /// A layer's `inputs:`; nil means the previous layer.
    public var inputs: [String]? { strings("inputs") }
}

/// One `name: entry` of a mapping field such as `init: {weight: kaiming_normal}`.
public struct KeyedEntry: Sendable {
    /// The name or pattern written as the key (`weight`, `weight_*`).
    public let key: String
    public let keyLocation: SourceLocation
    public let entry: SpecEntry
}

public typealias LayerSpec = SpecEntry
public typealias LossSpec = SpecEntry
public typealias OptimizerSpec = SpecEntry
public typealias SchedulerSpec = SpecEntry
public typealias TransformSpec = SpecEntry
