import XCTest
import Foundation

/// The `flint` executable on bad input: one clear message on stderr, exit code 2, no trap.
final class CLITests: XCTestCase {
    private func writeSpec(_ text: String, _ dir: URL, _ name: String = "spec.yaml") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testMissingSpecFile() throws {
        let r = try TestSupport.runFlint(["train", "/nonexistent/spec.yaml"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("/nonexistent/spec.yaml"), r.err)
        XCTAssertTrue(r.err.contains("error:"), r.err)
    }

    func testYAMLSyntaxErrorHasLineAndColumn() throws {
        let dir = try TestSupport.tempDir(self)
        let path = try writeSpec("name: x\nmodel: {layers: [\n  - a\n", dir)
        let r = try TestSupport.runFlint(["train", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertNotNil(r.err.range(of: #"spec\.yaml:\d+:\d+: error: "#, options: .regularExpression), r.err)
    }

    func testUnknownKeyIsReportedWithSuggestion() throws {
        let dir = try TestSupport.tempDir(self)
        let spec = TestSupport.mlpSpec(data: TestSupport.mnist).replacingOccurrences(of: "momentum: 0.9", with: "momentun: 0.9")
        let path = try writeSpec(spec, dir)
        let r = try TestSupport.runFlint(["train", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("spec.yaml:21:"), r.err)
        XCTAssertTrue(r.err.contains("momentun"), r.err)
        XCTAssertTrue(r.err.contains("did you mean 'momentum'"), r.err)
    }

    func testMissingDatasetPathNamesIt() throws {
        let dir = try TestSupport.tempDir(self)
        let spec = TestSupport.mlpSpec(data: TestSupport.mnist).replacingOccurrences(of: "x: train/images", with: "x: train/imgs")
        let path = try writeSpec(spec, dir)
        let r = try TestSupport.runFlint(["train", path, "--run-dir", dir.appendingPathComponent("run").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("spec.yaml:5:"), r.err)
        XCTAssertTrue(r.err.contains("train/imgs"), r.err)
    }

    func testSetNamingUnknownKey() throws {
        let dir = try TestSupport.tempDir(self)
        let path = try writeSpec(TestSupport.mlpSpec(data: TestSupport.mnist), dir)
        let r = try TestSupport.runFlint(["train", path, "--set", "optimizer.lrr=0.1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("--set optimizer.lrr=0.1"), r.err)
        XCTAssertTrue(r.err.contains("did you mean 'lr'"), r.err)
    }

    func testSetWithBadValue() throws {
        let dir = try TestSupport.tempDir(self)
        let path = try writeSpec(TestSupport.mlpSpec(data: TestSupport.mnist), dir)
        let r = try TestSupport.runFlint(["train", path, "--set", "optimizer.lr=abc"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("--set optimizer.lr=abc: error:"), r.err)
    }

    func testTrainJSONThenEvalAgree() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 300, test: 100)
        let path = try writeSpec(TestSupport.mlpSpec(data: data), dir)
        let r = try TestSupport.runFlint(["train", path, "--set", "optimizer.lr=0.01", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let last = try XCTUnwrap(r.out.split(separator: "\n").last)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let checkpoint = try XCTUnwrap(obj["checkpoint"] as? String)
        let metrics = try XCTUnwrap(obj["metrics"] as? [String: Double])
        // The default run directory sits in runs/ beside the spec.
        XCTAssertTrue(checkpoint.hasPrefix(dir.appendingPathComponent("runs").path), checkpoint)

        let e = try TestSupport.runFlint(["eval", checkpoint, "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        let evalObj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(e.out.split(separator: "\n").last).utf8)) as? [String: Any])
        let evalMetrics = try XCTUnwrap(evalObj["metrics"] as? [String: Double])
        XCTAssertEqual(try XCTUnwrap(evalMetrics["accuracy"]), try XCTUnwrap(metrics["test/accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(evalObj["samples"] as? Int, 100)
    }

    func testEvalOfNonCheckpointFile() throws {
        let dir = try TestSupport.tempDir(self)
        let path = dir.appendingPathComponent("not.h5").path
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try TestSupport.runFlint(["eval", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("not.h5"), r.err)
    }
}
