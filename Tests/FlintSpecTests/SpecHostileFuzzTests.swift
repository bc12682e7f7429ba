import Foundation
import XCTest
import Flint
@testable import FlintSpec
import FlintTestSupport

/// Generated hostile specs and `--set` overrides: sizes at and past every limit, deep
/// nesting, anchors, huge and non-finite numbers. Each must validate and build, or fail with
/// diagnostics located in the text or at an override; none may trap, hang or overflow the stack.
/// `make test` runs a fixed number of cases; `make fuzz FUZZ_CASES=20000` runs more.
final class SpecHostileFuzzTests: XCTestCase {
    private static var cases: Int { Int(ProcessInfo.processInfo.environment["FLINT_FUZZ_CASES"] ?? "") ?? 300 }

    /// Layer sizes: valid small ones, and ones past a limit (refused before anything is allocated);
    /// none that fits yet fills gigabytes, which the suite cannot afford.
    private static let layerSizes = ["0", "1", "3", "-1", "1e8", "1099511627776", "1099511627777", "4611686018427387904"]
    private static let sizes = ["0", "1", "3", "-1", "1e8", "100000000", "1099511627776", "1099511627777", "4611686018427387904",
                                "0x7fffffffffffffff", "9223372036854775808", "99999999999999999999", ".inf", "-.inf", ".nan",
                                "1e400", "[]", "[1, 2, 3]", "{}", "'7'", "null", "true", "ten"]
    private static let keys = ["model.layers.0.start_dim", "model.input", "model.input.0",
                               "data.batch_size", "train.epochs", "seed", "optimizer.lr", "optimizer.momentum",
                               "data.val.split", "model.layers.-1.out_features", "model.layers.9.out_features",
                               "loss.label_smoothing", "train.clip_grad_norm.max_norm", "data.prefetch"]

    private func value(_ rng: inout SplitMix64) -> String {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            let depth = Int.random(in: 1...200, using: &rng)
            return String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        case 1:
            let depth = Int.random(in: 1...200, using: &rng)
            return String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth)
        case 2: return "${" + Self.keys[Int.random(in: 0..<Self.keys.count, using: &rng)] + "}"
        default: return Self.sizes[Int.random(in: 0..<Self.sizes.count, using: &rng)]
        }
    }

    private func override(_ rng: inout SplitMix64) -> String {
        if Int.random(in: 0..<8, using: &rng) == 0 {
            let depth = Int.random(in: 1...300, using: &rng)
            return "vars." + Array(repeating: "k", count: depth).joined(separator: ".") + "=" + value(&rng)
        }
        return Self.keys[Int.random(in: 0..<Self.keys.count, using: &rng)] + "=" + value(&rng)
    }

    private func layers(_ rng: inout SplitMix64) -> String {
        let templates = ["{type: linear, out_features: %}", "{type: conv2d, out_channels: %, kernel_size: %, padding: %}",
                         "{type: unflatten, dim: 1, unflattened_size: [%, %]}", "{type: flatten}", "{type: relu, repeat: %}",
                         "{type: embedding, num_embeddings: %, embedding_dim: %}", "{type: adaptive_avg_pool2d, output_size: %}",
                         "{type: max_pool2d, kernel_size: %, dilation: %}", "{type: lstm, hidden_size: %}"]
        return (0..<Int.random(in: 1...4, using: &rng)).map { _ in
            var text = "    - " + templates[Int.random(in: 0..<templates.count, using: &rng)]
            while let hole = text.firstIndex(of: "%") {
                text.replaceSubrange(hole...hole, with: Self.layerSizes[Int.random(in: 0..<Self.layerSizes.count, using: &rng)])
            }
            return text
        }.joined(separator: "\n")
    }

    func testGeneratedHostileSpecsAndOverridesNeverTrap() throws {
        var rng = SplitMix64(state: 572_647)
        var accepted = 0, refused = 0
        for index in 0..<Self.cases {
            let yaml = mlpSpec.replacingOccurrences(of: "    - {type: flatten}\n", with: "    - {type: flatten}\n" + layers(&rng) + "\n")
            let overrides = (0..<Int.random(in: 0...3, using: &rng)).map { _ in override(&rng) }
            do {
                let spec = try Spec.parse(yaml: yaml, overrides: overrides)
                let check = SpecCheck.run(spec, overrides: overrides)
                for diagnostic in check.diagnostics where diagnostic.severity == .error {
                    XCTAssertTrue(diagnostic.location.file == "spec.yaml" || diagnostic.location.file == nil,
                                  "case \(index): \(diagnostic)")
                }
                if check.hasErrors { refused += 1 } else { accepted += 1 }
            } catch {
                XCTAssertFalse(error.errors.isEmpty, "case \(index): thrown without an error")
                for diagnostic in error.errors {
                    if let file = diagnostic.location.file {
                        XCTAssertEqual(file, "spec.yaml", "case \(index): \(diagnostic)")
                        XCTAssertGreaterThan(diagnostic.location.line, 0, "case \(index): \(diagnostic) is not located")
                    }
                }
                refused += 1
            }
        }
        XCTAssertEqual(accepted + refused, Self.cases)
        XCTAssertGreaterThan(refused, 0, "the generator made no hostile case")
    }
}
