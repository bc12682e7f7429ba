import Foundation

// JSON as Flint writes it, with a stable key order: metrics lines, `--json` output,
// summaries, attribute listings and safetensors headers. `JSONValue` (JSONValue.swift)
// reads them back.

/// A JSON document to write: objects keep their keys in the order given.
public indirect enum JSON {
    case string(String)
    case number(Double)
    case int(Int)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    public var text: String {
        switch self {
        case let .string(s): return JSON.quote(s)
        case let .number(d):
            guard d.isFinite else { return "null" }
            if d == d.rounded() && Swift.abs(d) < 1e15 { return String(format: "%.1f", d) }
            return "\(d)"
        case let .int(i): return String(i)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case let .object(pairs): return "{" + pairs.map { JSON.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string as serde_json writes it: `"` and `\` escaped, control
    /// characters as `\b \t \n \f \r` or `\u00XX`, everything else as UTF-8.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
