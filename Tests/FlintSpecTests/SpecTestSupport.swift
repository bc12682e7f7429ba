import Foundation
import XCTest
@testable import FlintSpec

/// The MLP spec of the first slice; broken specs are made by replacing one of its lines,
/// so each expected diagnostic's line number can be read off this listing.
let mlpSpec = """
name: mnist-mlp
seed: 7
data:
  source: ../datasets/mnist.h5
  train: {x: train/images, y: train/labels}
  val: {split: 0.1}
  test: {x: test/images, y: test/labels}
  batch_size: 64
  transforms:
    - {type: to_tensor}
    - {type: normalize, mean: [0.1307], std: [0.3081]}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: linear, out_features: 256}
    - {type: relu}
    - {type: linear, out_features: 128}
    - {type: relu}
    - {type: linear, out_features: 10}
loss: {type: cross_entropy_loss}
optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
train:
  epochs: 2
  metrics: [accuracy]
"""

/// `mlpSpec` with 1-based `line` replaced (several lines when `text` holds newlines).
func mlpSpec(replacing line: Int, with text: String) -> String {
    var lines = mlpSpec.components(separatedBy: "\n")
    lines[line - 1] = text
    return lines.joined(separator: "\n")
}

/// The diagnostics of parsing `yaml`, one description per entry; empty when it validates.
func diagnostics(_ yaml: String, file: String = "spec.yaml", overrides: [String] = []) -> [String] {
    do {
        _ = try Spec.parse(yaml: yaml, file: file, overrides: overrides)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

func parsed(_ yaml: String, file: String = "spec.yaml", overrides: [String] = [],
            sourceFile: StaticString = #filePath, sourceLine: UInt = #line) -> Spec? {
    do {
        return try Spec.parse(yaml: yaml, file: file, overrides: overrides)
    } catch {
        XCTFail("unexpected diagnostics:\n\(error)", file: sourceFile, line: sourceLine)
        return nil
    }
}

/// A fresh directory for spec files, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("flint-spec-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func write(_ text: String, to directory: URL, _ name: String) throws -> String {
    let url = directory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}
