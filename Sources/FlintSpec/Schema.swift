/// The schema: what every section, layer, loss, optimizer, scheduler and transform accepts.
///
/// It is data, not code, so the decoder, the validator and `docs/spec.md` all read
/// the same tables. A type's `TypeSchema` sits in its registration (`Registry/`),
/// beside the function that builds it: adding a type is one edit.

/// A validated field value. Lists keep their shape; accessors on `SpecEntry` expand
/// `kernel_size: 3` to `[3, 3]` where a pair is wanted.
public enum SpecValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case ints([Int])
    case doubles([Double])
    case strings([String])

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return formatNumber(value)
        case .bool(let value): return String(value)
        case .string(let value): return value
        case .ints(let values): return "[" + values.map(String.init).joined(separator: ", ") + "]"
        case .doubles(let values): return "[" + values.map(formatNumber).joined(separator: ", ") + "]"
        case .strings(let values): return "[" + values.joined(separator: ", ") + "]"
        }
    }
}

/// `0.001`, `1e-08`, `0.1`: Swift's shortest round-tripping spelling, which YAML reads back as a float.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return ".nan" }
    if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
    return "\(value)"
}

/// The bounds a number (or each number of a list) must respect.
public struct ValueRange: Hashable, Sendable, CustomStringConvertible {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    /// `> 0`
    public static let positive = ValueRange(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
    /// `>= 0`
    public static let nonNegative = ValueRange(lower: 0, lowerInclusive: true, upper: nil, upperInclusive: false)
    /// `in [0, 1]`
    public static let unitClosed = ValueRange(lower: 0, lowerInclusive: true, upper: 1, upperInclusive: true)
    /// `in (0, 1)`
    public static let unitOpen = ValueRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)
    /// `in [0, 1)`
    public static let unitHalfOpen = ValueRange(lower: 0, lowerInclusive: true, upper: 1, upperInclusive: false)

    public static func atLeast(_ value: Double) -> ValueRange {
        ValueRange(lower: value, lowerInclusive: true, upper: nil, upperInclusive: false)
    }

    public func contains(_ value: Double) -> Bool {
        if value.isNaN { return false }
        if let lower, lowerInclusive ? value < lower : value <= lower { return false }
        if let upper, upperInclusive ? value > upper : value >= upper { return false }
        return true
    }

    public var description: String {
        let format: (Double) -> String = { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : "\($0)" }
        switch (lower, upper) {
        case let (lower?, upper?):
            return "in \(lowerInclusive ? "[" : "(")\(format(lower)), \(format(upper))\(upperInclusive ? "]" : ")")"
        case let (lower?, nil):
            return "\(lowerInclusive ? ">=" : ">") \(format(lower))"
        case let (nil, upper?):
            return "\(upperInclusive ? "<=" : "<") \(format(upper))"
        case (nil, nil):
            return "any value"
        }
    }
}

/// What a field holds.
public indirect enum FieldKind: Sendable {
    /// Free-form YAML, not validated (`vars`).
    case anything
    case int
    case float
    case bool
    case string
    /// A file path, resolved against the directory of the file that wrote it.
    case path
    /// One of a fixed set of strings.
    case choice([String])
    /// `3` or `[3, 3]` (PyTorch's `_size_2_t`); `keywords` are strings also accepted (`padding: same`).
    case intOrTuple(count: Int, keywords: [String])
    /// A list of integers; `count` fixes its length when given.
    case ints(count: Int?)
    /// A list of numbers; `count` fixes its length when given.
    case floats(count: Int?)
    /// A list of strings from a fixed set (`metrics: [accuracy]`).
    case choices([String])
    /// A name, or a list of names (`inputs: a` or `inputs: [a, b]`).
    case names
    /// A nested mapping with its own fields.
    case section(SectionSchema)
    /// One typed entry (`{type: sgd, ...}`) from a category.
    case entry(TypeCategory)
    /// A list of typed entries from a category.
    case entries(TypeCategory)
    /// One typed entry, or a non-empty list of them (`loss`).
    case entryOrList(TypeCategory)
    /// A mapping of names (or name patterns) to typed entries of a category; a bare type
    /// name stands for the entry with no fields (`init: {weight: {type: normal, std: 0.02}, bias: zeros}`).
    case entryMap(TypeCategory)
    /// A list of mappings without `type`, each checked against the fields of one type
    /// (an optimizer's `param_groups`).
    case groups(TypeSchema)
    /// Named sub-networks with parameters (`model.blocks`), used as layer types.
    case blocks

    /// How docs and messages name the kind.
    public var summary: String {
        switch self {
        case .anything: return "any"
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .string: return "string"
        case .path: return "path"
        case .choice(let options): return options.joined(separator: " \\| ")
        case let .intOrTuple(count, keywords):
            let base = "int or [\(Array(repeating: "int", count: count).joined(separator: ", "))]"
            return keywords.isEmpty ? base : base + " or " + keywords.joined(separator: " \\| ")
        case .ints(let count): return count.map { "list of \($0) ints" } ?? "list of ints"
        case .floats(let count): return count.map { "list of \($0) floats" } ?? "list of floats"
        case .choices(let options): return "list of " + options.joined(separator: " \\| ")
        case .names: return "name or list of names"
        case .section(let section):
            let short = section.shorthand.flatMap(section.field).map { "\($0.kind.summary) or " } ?? ""
            return short + "mapping (\(section.name))"
        case .entry(let category): return category.name
        case .entries(let category): return "list of \(category.plural)"
        case .entryOrList(let category): return "\(category.name) or list of \(category.plural)"
        case .entryMap(let category): return "mapping of names to \(category.plural)"
        case .groups: return "list of parameter groups"
        case .blocks: return "mapping of blocks"
        }
    }
}

/// Whether a field must be written, and what it is when it is not.
public enum Presence: Sendable {
    case required
    case defaulted(SpecValue)
    /// Absent means "not set": PyTorch's `None`, or a size the builder infers.
    case optional
}

public struct FieldSchema: Sendable {
    public let name: String
    public let kind: FieldKind
    public let presence: Presence
    public let range: ValueRange?
    public let doc: String
    /// Whether a `.float` field accepts `.inf` (a norm's p); NaN is never accepted.
    public let allowsInfinity: Bool

    public init(_ name: String, _ kind: FieldKind, _ presence: Presence, range: ValueRange? = nil,
                allowsInfinity: Bool = false, doc: String) {
        self.name = name
        self.kind = kind
        self.presence = presence
        self.range = range
        self.allowsInfinity = allowsInfinity
        self.doc = doc
    }

    public var defaultValue: SpecValue? {
        if case .defaulted(let value) = presence { return value }
        return nil
    }

    public var isRequired: Bool {
        if case .required = presence { return true }
        return false
    }
}

/// A check that involves several fields of one entry, run after every field passed.
/// It reports through `report(message, field)`; `field` nil means the entry itself.
public typealias EntryCheck = @Sendable (_ entry: SpecEntry, _ report: (String, String?) -> Void) -> Void

/// One layer, loss, optimizer, scheduler or transform type.
public struct TypeSchema: Sendable {
    /// The PyTorch class in snake_case: `linear`, `cross_entropy_loss`, `cosine_annealing_lr`.
    public let name: String
    /// The PyTorch (or torchvision) class it mirrors: `torch.nn.Linear`.
    public let pytorch: String
    public let doc: String
    public let fields: [FieldSchema]
    public let check: EntryCheck?

    public init(_ name: String, pytorch: String, doc: String, fields: [FieldSchema] = [], check: EntryCheck? = nil) {
        self.name = name
        self.pytorch = pytorch
        self.doc = doc
        self.fields = fields
        self.check = check
    }

    public func field(_ name: String) -> FieldSchema? {
        fields.first { $0.name == name }
    }
}

/// A family of types chosen by a `type:` key.
public struct TypeCategory: Sendable {
    /// Singular, as messages say it: `layer`, `optimizer`.
    public let name: String
    public let plural: String
    public let doc: String
    public let types: [TypeSchema]
    /// Fields every type of the category accepts besides its own (a layer's `name` and `inputs`).
    public let commonFields: [FieldSchema]
    /// Whether a list item may be a bare type name, standing for `{type: name}` (`metrics: [accuracy, f1]`).
    public let acceptsBareNames: Bool
    /// Keys that are no field of this category but of an enclosing entry, each with where it belongs,
    /// for the "unknown key" message.
    public let misplacedKeys: [String: String]

    public init(name: String, plural: String, doc: String, types: [TypeSchema], commonFields: [FieldSchema] = [],
                acceptsBareNames: Bool = false, misplacedKeys: [String: String] = [:]) {
        self.name = name
        self.plural = plural
        self.doc = doc
        self.types = types
        self.commonFields = commonFields
        self.acceptsBareNames = acceptsBareNames
        self.misplacedKeys = misplacedKeys
    }

    public func type(_ name: String) -> TypeSchema? {
        types.first { $0.name == name }
    }
}

/// A mapping with fixed keys: the top level, `data`, `data.train`, `model`, `train`.
public struct SectionSchema: Sendable {
    public let name: String
    public let doc: String
    public let fields: [FieldSchema]
    /// Writing the section turns a feature on (`train.early_stopping`), so showing
    /// defaults must not add it when it is absent.
    public let absentMeansOff: Bool
    /// The field a scalar written in place of the mapping stands for:
    /// `init_from: w.safetensors` is `init_from: {path: w.safetensors}`.
    public let shorthand: String?

    public init(name: String, doc: String, fields: [FieldSchema], absentMeansOff: Bool = false, shorthand: String? = nil) {
        self.name = name
        self.doc = doc
        self.fields = fields
        self.absentMeansOff = absentMeansOff
        self.shorthand = shorthand
    }

    public func field(_ name: String) -> FieldSchema? {
        fields.first { $0.name == name }
    }
}
