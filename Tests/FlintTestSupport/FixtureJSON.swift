import Foundation

/// The JSON the generator scripts write from PyTorch (`Tests/Fixtures/generate.py`, `nn/generate_nn.py`):
/// a file of `{"cases": [...]}`, whose numbers are JSON numbers or the strings "nan", "inf" and "-inf".
public enum FixtureJSON {
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cases of `<directory>/<family>.json`.
    public static func cases(_ family: String, in directory: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(family).json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else {
            throw Malformed(description: "malformed fixture: \(family).json has no cases")
        }
        return cases
    }

    /// One value of a tensor's `values`.
    public static func number(_ value: Any) throws -> Double {
        // Double first: Foundation bridges the numbers 0 and 1 to Bool too, and would lose −0.0.
        if let d = value as? Double { return d }
        if let b = value as? Bool { return b ? 1 : 0 }
        if let i = value as? Int { return Double(i) }
        switch value as? String {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: throw Malformed(description: "malformed fixture: value \(value)")
        }
    }
}
