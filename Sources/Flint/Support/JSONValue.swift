import Foundation

/// A parsed JSON document, read with `JSONDecoder`, which turns decimal text
/// back into the exact `Double` that was written (JSONSerialization on Linux
/// can be one unit in the last place off, and the metrics files must round-trip).
public indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses `text`; nil when it is not JSON.
    public static func parse<S: StringProtocol>(_ text: S) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var double: Double? {
        switch self {
        case .number(let d): return d
        case .null: return .nan
        default: return nil
        }
    }

    public var int: Int? {
        if case .number(let d) = self, d == d.rounded(), Swift.abs(d) < 9e15 { return Int(d) }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var object: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
