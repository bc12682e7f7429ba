import Foundation
import XCTest
@testable import Flint
import FlintTestSupport

/// One tensor as the generator wrote it.
struct FixtureTensor {
    let dtype: DType
    let shape: [Int]
    let values: [Double]
    /// How the op's input is made from this base: c, t (transposed), s (sliced), e (expanded).
    let layout: String
    let viewShape: [Int]

    init(_ json: [String: Any]) throws {
        guard let d = json["dtype"] as? String, let dtype = DType(rawValue: d),
              let shape = json["shape"] as? [Int], let raw = json["values"] as? [Any] else {
            throw FixtureError.malformed("tensor \(json.keys.sorted())")
        }
        self.dtype = dtype
        self.shape = shape
        self.values = try raw.map(FixtureJSON.number)
        self.layout = json["layout"] as? String ?? "c"
        self.viewShape = json["view_shape"] as? [Int] ?? shape
    }

    /// The base tensor, converted to `dtype` (float64 for gradient checks).
    func base(as target: DType? = nil) throws -> Tensor {
        let t = try Tensor.zeros(shape, dtype: target ?? dtype)
        t.assign(values)
        return t
    }

    /// The op's input: a view of `base` with this tensor's layout.
    func view(of base: Tensor) throws -> Tensor {
        switch layout {
        case "t": return try base.transpose(-1, -2)
        case "s": return try base.slice(-1, step: 2)
        case "e": return try base.expand(viewShape)
        default: return base
        }
    }
}

enum FixtureError: Error { case malformed(String), missing(String) }

/// Non-tensor arguments of a case, read by name.
struct Args {
    let raw: [String: Any]

    func int(_ k: String) throws -> Int {
        guard let v = raw[k] as? Int else { throw FixtureError.missing(k) }
        return v
    }
    func int(_ k: String, default d: Int) -> Int { raw[k] as? Int ?? d }
    func optInt(_ k: String) -> Int? { raw[k] as? Int }
    func double(_ k: String) throws -> Double {
        guard let v = optDouble(k) else { throw FixtureError.missing(k) }
        return v
    }
    func double(_ k: String, default d: Double) -> Double { optDouble(k) ?? d }
    /// Numbers, and the strings the generator writes for infinities.
    func optDouble(_ k: String) -> Double? {
        switch raw[k] {
        case let v as Double: return v
        case let v as Int: return Double(v)
        case "inf" as String: return .infinity
        case "-inf" as String: return -.infinity
        default: return nil
        }
    }
    func bool(_ k: String, default d: Bool = false) -> Bool { raw[k] as? Bool ?? d }
    func string(_ k: String) throws -> String {
        guard let v = raw[k] as? String else { throw FixtureError.missing(k) }
        return v
    }
    func string(_ k: String, default d: String) -> String { raw[k] as? String ?? d }
    /// An int or a list of ints (PyTorch's `int or tuple` arguments).
    func ints(_ k: String) throws -> [Int] {
        if let v = raw[k] as? [Int] { return v }
        if let v = raw[k] as? Int { return [v] }
        throw FixtureError.missing(k)
    }
    func ints(_ k: String, default d: [Int]) -> [Int] { (try? ints(k)) ?? d }
    func optInts(_ k: String) -> [Int]? { try? ints(k) }
    func doubles(_ k: String) throws -> [Double] {
        guard let v = raw[k] as? [Any] else { throw FixtureError.missing(k) }
        return v.compactMap { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }
    func has(_ k: String) -> Bool { raw[k] != nil && !(raw[k] is NSNull) }
}

/// One generated case.
struct FixtureCase {
    let op: String
    let args: Args
    let inputs: [FixtureTensor]
    let outputs: [FixtureTensor]
    let weights: [FixtureTensor?]
    let grads: [FixtureTensor?]
    let error: String?
    let rtol: Double?, atol: Double?
    /// False for piecewise-constant ops, where finite differences see only jumps.
    let finiteDifferences: Bool

    init(_ json: [String: Any]) throws {
        guard let op = json["op"] as? String, let inputs = json["inputs"] as? [[String: Any]] else {
            throw FixtureError.malformed("case")
        }
        self.op = op
        self.args = Args(raw: json["args"] as? [String: Any] ?? [:])
        self.inputs = try inputs.map(FixtureTensor.init)
        self.outputs = try (json["outputs"] as? [[String: Any]] ?? []).map(FixtureTensor.init)
        self.weights = try (json["weights"] as? [Any] ?? []).map { try ($0 as? [String: Any]).map(FixtureTensor.init) }
        self.grads = try (json["grads"] as? [Any] ?? []).map { try ($0 as? [String: Any]).map(FixtureTensor.init) }
        self.error = json["error"] as? String
        finiteDifferences = json["fd"] as? Bool ?? true
        let tol = json["tol"] as? [Double]
        rtol = tol?.first
        atol = tol?.last
    }

    var label: String { "\(op)(\(inputs.map { "\($0.dtype)\($0.viewShape)\($0.layout == "c" ? "" : $0.layout)" }.joined(separator: ", ")), \(args.raw))" }
}

enum Fixtures {
    static let directory = Repository.fixtures()

    static func load(_ family: String) throws -> [FixtureCase] {
        try FixtureJSON.cases(family, in: directory).map(FixtureCase.init)
    }

    static var families: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }
}

/// Compares `actual` with the expected fixture tensor: dtype, shape, values
/// (NaN matches NaN), within |a − e| ≤ atol + rtol·|e|.
func assertMatches(_ actual: Tensor, _ expected: FixtureTensor, rtol: Double, atol: Double, checkDType: Bool = true,
                   _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
    if checkDType && actual.dtype != expected.dtype {
        XCTFail("\(what()): dtype \(actual.dtype), expected \(expected.dtype)", file: file, line: line)
        return
    }
    guard actual.shape == expected.shape else {
        XCTFail("\(what()): shape \(actual.shape), expected \(expected.shape)", file: file, line: line)
        return
    }
    let a = actual.toArray(Double.self)
    var worst = 0.0, worstIndex = -1
    for (i, (x, e)) in zip(a, expected.values).enumerated() {
        if e.isNaN && x.isNaN { continue }
        if e.isInfinite && x == e { continue }
        let excess = Swift.abs(x - e) - (atol + rtol * Swift.abs(e))
        if !(excess <= 0) && (worstIndex < 0 || excess > worst || excess.isNaN) { worst = excess; worstIndex = i }
    }
    if worstIndex >= 0 {
        XCTFail("\(what()): element \(worstIndex) is \(a[worstIndex]), expected \(expected.values[worstIndex])", file: file, line: line)
    }
}
