import Foundation

/// A YAML scalar as written, with enough information to resolve its type later.
public struct SpecScalar: Hashable, Sendable {
    /// The text after YAML unescaping, e.g. `0.05` or `train/images`.
    public var text: String
    /// True when quoting or a `!!str` tag made it a string whatever it looks like.
    public var isString: Bool

    public init(_ text: String, isString: Bool = false) {
        self.text = text
        self.isString = isString
    }

    /// The scalar's type under the YAML 1.2 core schema. Chosen over YAML 1.1 so that
    /// `lr: 1e-3` is a number (PyYAML reads it as a string) and `yes` stays a string.
    public var value: ScalarValue {
        isString ? .string(text) : ScalarValue(resolving: text)
    }
}

/// The typed value of a scalar.
public enum ScalarValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    var isNumber: Bool {
        switch self {
        case .int, .float: return true
        default: return false
        }
    }

    init(resolving text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL":
            self = .null
        case "true", "True", "TRUE":
            self = .bool(true)
        case "false", "False", "FALSE":
            self = .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
            self = .float(.infinity)
        case "-.inf", "-.Inf", "-.INF":
            self = .float(-.infinity)
        case ".nan", ".NaN", ".NAN":
            self = .float(.nan)
        default:
            if let int = ScalarValue.parseInt(text) {
                self = int
            } else if ScalarValue.isFloatSyntax(text), let double = Double(text) {
                self = .float(double)
            } else {
                self = .string(text)
            }
        }
    }

    /// Decimal, `0x` and `0o` integers; a decimal too large for `Int` becomes a float
    /// so that the range check, not a type error, reports it.
    private static func parseInt(_ text: String) -> ScalarValue? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if text.hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) }
        else if text.hasPrefix("0o") { radix = 8; digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        if radix == 10, !digits.allSatisfy(\.isNumber) { return nil }
        guard let magnitude = Int(digits, radix: radix) else {
            return radix == 10 ? Double(text).map(ScalarValue.float) : nil
        }
        return .int(negative ? -magnitude : magnitude)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isFloatSyntax(_ text: String) -> Bool {
        var chars = Substring(text)
        if let sign = chars.first, sign == "-" || sign == "+" { chars = chars.dropFirst() }
        let mantissaEnd = chars.firstIndex { $0 == "e" || $0 == "E" } ?? chars.endIndex
        let mantissa = chars[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.allSatisfy(isDigits), parts.contains(where: { !$0.isEmpty }) else { return false }
        if parts.count == 2, parts[0].isEmpty, parts[1].isEmpty { return false }
        guard mantissaEnd != chars.endIndex else { return true }
        var exponent = chars[chars.index(after: mantissaEnd)...]
        if let sign = exponent.first, sign == "-" || sign == "+" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && isDigits(exponent)
    }
}

/// A node of a spec: a scalar, an ordered mapping or a sequence, and where it was written.
///
/// Unlike Yams' `Node` it is a plain value tree with string keys, which keeps the
/// merging, overriding and validating code free of YAML's general key types.
public struct SpecNode: Sendable {
    public indirect enum Kind: Sendable {
        case scalar(SpecScalar)
        case mapping([Pair])
        case sequence([SpecNode])
    }

    /// One `key: value` of a mapping; the key keeps its own position for "unknown key" errors.
    public struct Pair: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: SpecNode

        public init(key: String, keyLocation: SourceLocation, value: SpecNode) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public var kind: Kind
    public var location: SourceLocation
    /// Written in flow style (`{a: 1}`, `[1, 2]`); kept so the resolved YAML looks like the input.
    public var isFlow: Bool

    public init(_ kind: Kind, at location: SourceLocation, isFlow: Bool = false) {
        self.kind = kind
        self.location = location
        self.isFlow = isFlow
    }

    public static func scalar(_ text: String, isString: Bool = false, at location: SourceLocation) -> SpecNode {
        SpecNode(.scalar(SpecScalar(text, isString: isString)), at: location)
    }

    public static func mapping(_ pairs: [Pair], at location: SourceLocation, isFlow: Bool = false) -> SpecNode {
        SpecNode(.mapping(pairs), at: location, isFlow: isFlow)
    }

    public static func sequence(_ items: [SpecNode], at location: SourceLocation, isFlow: Bool = false) -> SpecNode {
        SpecNode(.sequence(items), at: location, isFlow: isFlow)
    }

    public var scalar: SpecScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var pairs: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    public var items: [SpecNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var isNull: Bool { scalar?.value == .null }

    public subscript(key: String) -> SpecNode? {
        pairs?.first { $0.key == key }?.value
    }

    public func pair(_ key: String) -> Pair? {
        pairs?.first { $0.key == key }
    }

    /// The node at a dotted path such as `model.layers.0.out_features`.
    public func node(at path: [String]) -> SpecNode? {
        var node = self
        for segment in path {
            switch node.kind {
            case .mapping(let pairs):
                guard let next = pairs.first(where: { $0.key == segment })?.value else { return nil }
                node = next
            case .sequence(let items):
                guard let index = Int(segment), items.indices.contains(index) else { return nil }
                node = items[index]
            case .scalar:
                return nil
            }
        }
        return node
    }

    /// How a message names this node's kind: `a mapping`, `a list`, `null`, or the scalar itself.
    var shortDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if scalar.value == .null { return "null" }
            return "'\(scalar.text.count > 40 ? scalar.text.prefix(37) + "..." : scalar.text)'"
        }
    }
}

extension SpecNode {
    /// Returns the node with `key` set to `value`, appended when new so that written order survives.
    func setting(_ key: String, to value: SpecNode, keyLocation: SourceLocation) -> SpecNode {
        guard var pairs else { return self }
        if let index = pairs.firstIndex(where: { $0.key == key }) {
            pairs[index].value = value
        } else {
            pairs.append(Pair(key: key, keyLocation: keyLocation, value: value))
        }
        var copy = self
        copy.kind = .mapping(pairs)
        return copy
    }

    func removing(_ key: String) -> SpecNode {
        guard let pairs else { return self }
        var copy = self
        copy.kind = .mapping(pairs.filter { $0.key != key })
        return copy
    }
}

/// Joins key-path segments the way `--set` spells them.
func joinPath(_ path: [String]) -> String {
    path.joined(separator: ".")
}
