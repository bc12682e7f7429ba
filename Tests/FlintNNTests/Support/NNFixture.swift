import Foundation
import XCTest
import FlintNN
import FlintTestSupport

/// Reads the fixtures that `Tests/Fixtures/nn/generate_nn.py` writes from PyTorch.
enum NNFixture {
    static let directory = Repository.fixtures("nn")

    /// The cases of `family.json`.
    static func cases(_ family: String) throws -> [[String: Any]] {
        try FixtureJSON.cases(family, in: directory)
    }

    /// A tensor written by `encode(t)`: `{dtype, shape, values}`.
    static func tensor(_ json: Any?) throws -> Tensor {
        guard let obj = json as? [String: Any], let d = obj["dtype"] as? String, let dtype = DType(rawValue: d),
              let shape = obj["shape"] as? [Int], let raw = obj["values"] as? [Any] else {
            throw NNFixtureError.malformed("tensor \(String(describing: json))")
        }
        let values = try raw.map(FixtureJSON.number)
        switch dtype {
        case .float32: return try Tensor(values.map { Float($0) }, shape: shape)
        case .float64: return try Tensor(values, shape: shape)
        case .int64: return try Tensor(values.map { Int64($0) }, shape: shape)
        case .int32: return try Tensor(values.map { Int32($0) }, shape: shape)
        case .uint8: return try Tensor(values.map { UInt8($0) }, shape: shape)
        case .bool: return try Tensor(values.map { $0 != 0 }, shape: shape)
        }
    }

    static func tensors(_ json: Any?) throws -> [Tensor] {
        guard let list = json as? [Any] else { throw NNFixtureError.malformed("tensor list \(String(describing: json))") }
        return try list.map(tensor)
    }
}

enum NNFixtureError: Error, CustomStringConvertible {
    case malformed(String), unsupported(String)
    var description: String {
        switch self {
        case let .malformed(m): return "malformed fixture: \(m)"
        case let .unsupported(m): return "unsupported fixture case: \(m)"
        }
    }
}

/// A case's constructor arguments, read by PyTorch name.
struct FixtureArgs {
    let raw: [String: Any]
    init(_ raw: Any?) { self.raw = raw as? [String: Any] ?? [:] }

    func double(_ k: String, _ d: Double) -> Double { optDouble(k) ?? d }
    func optDouble(_ k: String) -> Double? { raw[k] as? Double ?? (raw[k] as? Int).map(Double.init) }
    func int(_ k: String, _ d: Int) -> Int { raw[k] as? Int ?? d }
    func optInt(_ k: String) -> Int? { raw[k] as? Int }
    func bool(_ k: String, _ d: Bool = false) -> Bool { raw[k] as? Bool ?? d }
    func string(_ k: String, _ d: String) -> String { raw[k] as? String ?? d }
    func ints(_ k: String) -> [Int]? {
        if let v = raw[k] as? Int { return [v] }
        return raw[k] as? [Int]
    }
    func doubles(_ k: String) -> [Double]? {
        if let v = optDouble(k) { return [v] }
        return (raw[k] as? [Any])?.compactMap { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }
    func pair(_ k: String, _ d: (Double, Double)) -> (Double, Double) {
        guard let v = doubles(k), v.count == 2 else { return d }
        return (v[0], v[1])
    }
}

/// Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise (NaNs must match).
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-4, atol: Double = 1e-4, _ what: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(what()): shape \(actual.shape), expected \(expected.shape)", file: file, line: line)
        return
    }
    let a = actual.toArray(Double.self), e = expected.toArray(Double.self)
    var worst = 0.0, worstIndex = -1
    for i in 0..<a.count {
        if a[i].isNaN && e[i].isNaN { continue }
        if a[i] == e[i] { continue }
        let excess = Swift.abs(a[i] - e[i]) - (atol + rtol * Swift.abs(e[i]))
        if !(excess <= 0) && (worstIndex < 0 || excess > worst || excess.isNaN) {
            worst = excess
            worstIndex = i
        }
    }
    if worstIndex >= 0 {
        XCTFail("\(what()): element \(worstIndex) is \(a[worstIndex]), expected \(e[worstIndex]) (shape \(actual.shape))", file: file, line: line)
    }
}
