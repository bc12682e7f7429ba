import Foundation
import XCTest
import FlintTestSupport
@testable import FlintData

/// The torchvision fixtures written by `Tests/Fixtures/data/generate_data.py`.
struct DataFixture {
    struct Case {
        let kind: String
        let params: [String: Any]
        let input: Tensor
        let output: Tensor

        func ints(_ key: String) -> [Int] { (params[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
        func doubles(_ key: String) -> [Double]? { (params[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } }
        func int(_ key: String) -> Int { (params[key] as? NSNumber)?.intValue ?? 0 }
        func double(_ key: String) -> Double { (params[key] as? NSNumber)?.doubleValue ?? 0 }
        func string(_ key: String) -> String { params[key] as? String ?? "" }
        var label: String { "\(kind) \(params)" }
    }

    struct DecodedImageRecord {
        let file: String
        let mode: String
        let shape: [Int]
        let values: [UInt8]
    }

    let cases: [Case]
    let images: [DecodedImageRecord]

    static let directory = Repository.fixtures("data")

    static func load() throws -> DataFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("transforms.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]]).map { c in
            Case(kind: c["kind"] as? String ?? "", params: c["params"] as? [String: Any] ?? [:],
                 input: try tensor(c["input"]), output: try tensor(c["output"]))
        }
        let images = try XCTUnwrap(root["images"] as? [[String: Any]]).map { r in
            DecodedImageRecord(file: r["file"] as? String ?? "", mode: r["mode"] as? String ?? "",
                               shape: (r["shape"] as? [NSNumber])?.map(\.intValue) ?? [],
                               values: (r["values"] as? [NSNumber])?.map(\.uint8Value) ?? [])
        }
        return DataFixture(cases: cases, images: images)
    }

    static func tensor(_ any: Any?) throws -> Tensor {
        let object = try XCTUnwrap(any as? [String: Any])
        let shape = try XCTUnwrap(object["shape"] as? [NSNumber]).map(\.intValue)
        let values = try XCTUnwrap(object["values"] as? [NSNumber])
        switch object["dtype"] as? String {
        case "uint8": return try Tensor(values.map(\.uint8Value), shape: shape)
        case "int64": return try Tensor(values.map(\.int64Value), shape: shape)
        default: return try Tensor(values.map(\.floatValue), shape: shape)
        }
    }

    func cases(_ kind: String) -> [Case] { cases.filter { $0.kind == kind } }
}

/// Asserts equal shapes and dtypes and elementwise |a − b| ≤ atol; returns the
/// number of elements that differ by more (for kernels where a float32 rounding
/// at a pixel boundary legitimately moves a nearest-neighbour tap).
@discardableResult
func assertClose(_ actual: Tensor, _ expected: Tensor, atol: Double, allowedMismatches: Int = 0, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Int {
    XCTAssertEqual(actual.shape, expected.shape, "shape: \(label)", file: file, line: line)
    XCTAssertEqual(actual.dtype, expected.dtype, "dtype: \(label)", file: file, line: line)
    guard actual.shape == expected.shape else { return Int.max }
    let a = actual.toArray(Double.self), b = expected.toArray(Double.self)
    var worst = 0.0, bad = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if d > atol { bad += 1; worst = max(worst, d) }
    }
    XCTAssertLessThanOrEqual(bad, allowedMismatches, "\(bad) of \(a.count) elements differ by more than \(atol) (worst \(worst)): \(label)",
                             file: file, line: line)
    return bad
}
