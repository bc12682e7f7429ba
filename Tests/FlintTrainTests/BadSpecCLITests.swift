import XCTest
import Foundation

/// The bad specs issue 4 names, through the `flint` executable: a layer whose inferred
/// input does not fit, an unknown optimizer field, a negative learning rate and a
/// scheduler without an optimizer. Each is a `FILE:LINE:COL: error:` line on stderr at
/// the spot written, and exit code 2, from `flint train` and `flint check` alike.
final class BadSpecCLITests: XCTestCase {
    private struct Case {
        let name: String
        /// Text of the valid MLP spec and what replaces it.
        let replacing: String, with: String
        /// The error's position is where `at` first occurs in the broken spec.
        let at: String
        let message: String
    }

    private let cases = [
        Case(name: "conv2d after flatten", replacing: "- {type: linear, out_features: 64}",
             with: "- {type: conv2d, out_channels: 8, kernel_size: 3}", at: "{type: conv2d",
             message: "conv2d: expected a per-sample input [C, H, W], got shape [784]"),
        Case(name: "unknown optimizer field", replacing: "lr: 0.05, momentum: 0.9", with: "lr: 0.05, momentun: 0.9",
             at: "momentun", message: "unknown key 'momentun' in optimizer 'sgd'; did you mean 'momentum'?"),
        Case(name: "negative learning rate", replacing: "lr: 0.05", with: "lr: -0.05", at: "-0.05",
             message: "lr must be >= 0, got -0.05"),
        Case(name: "scheduler without an optimizer", replacing: "optimizer: {type: sgd, lr: 0.05, momentum: 0.9}",
             with: "scheduler: {type: step_lr, step_size: 1}", at: "scheduler",
             message: "a scheduler needs an optimizer to schedule"),
    ]

    func testEachBadSpecIsAnErrorAtItsLineAndColumnWithExitCode2() throws {
        let dir = try TestSupport.tempDir(self)
        let valid = TestSupport.mlpSpec(data: TestSupport.mnist)
        for (index, c) in cases.enumerated() {
            XCTAssertTrue(valid.contains(c.replacing), c.name)
            let text = valid.replacingOccurrences(of: c.replacing, with: c.with)
            let path = try TestSupport.write(text, dir, "bad\(index).yaml")
            let lines = text.components(separatedBy: "\n")
            let row = try XCTUnwrap(lines.firstIndex { $0.contains(c.at) }, c.name)
            let column = try XCTUnwrap(lines[row].range(of: c.at)).lowerBound.utf16Offset(in: lines[row]) + 1
            let expected = "\(path):\(row + 1):\(column): error: \(c.message)"
            for command in ["train", "check"] {
                var args = [command, path]
                if command == "train" { args += ["--run-dir", dir.appendingPathComponent("run\(index)").path] }
                let r = try TestSupport.runFlint(args)
                XCTAssertEqual(r.status, 2, "\(c.name), flint \(command): \(r.err)")
                XCTAssertTrue(r.err.components(separatedBy: "\n").contains(expected),
                              "\(c.name), flint \(command): expected the line\n\(expected)\nin\n\(r.err)")
            }
        }
    }
}
