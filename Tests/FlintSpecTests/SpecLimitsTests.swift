import Foundation
import XCTest
import Flint
@testable import FlintSpec

/// Hostile specs: each must end in located diagnostics, quickly, without a trap or a
/// stack overflow (the test process would die), whatever it tries to expand to.
final class SpecLimitsTests: XCTestCase {
    private func errors(_ yaml: String, overrides: [String] = []) -> [String] {
        diagnostics(yaml, overrides: overrides)
    }

    private func assertOneError(_ found: [String], containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(found.isEmpty, "expected an error containing '\(text)'", file: file, line: line)
        XCTAssertTrue(found.contains { $0.contains(text) && $0.contains("error:") }, "\(found.prefix(3))", file: file, line: line)
        XCTAssertLessThan(found.count, 5, "one hostile construct should give one message, got \(found.count)", file: file, line: line)
    }

    func testAnAliasChainDeeperThanTheLimitIsAnErrorNotAStackOverflow() {
        var lines = ["vars:", "  a0: &a0 [1]"]
        for i in 1..<50_000 { lines.append("  a\(i): &a\(i) [*a\(i - 1)]") }
        assertOneError(errors(mlpSpec + "\n" + lines.joined(separator: "\n") + "\n"), containing: "more than \(SpecLimits.maxDepth) deep")
    }

    func testDeepFlowAndBlockNestingAreErrorsAtTheirLine() {
        let flow = errors(mlpSpec + "\nvars: {x: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}\n")
        assertOneError(flow, containing: "more than \(SpecLimits.maxDepth) deep")
        XCTAssertTrue(flow[0].hasPrefix("spec.yaml:26:"), flow[0])
        var block = "vars:\n"
        for depth in 1...3000 { block += String(repeating: " ", count: depth) + "k:\n" }
        block += String(repeating: " ", count: 3001) + "v: 1\n"
        assertOneError(errors(mlpSpec + "\n" + block), containing: "deep")
        // Just inside the limit is fine.
        let nested = String(repeating: "[", count: SpecLimits.maxDepth - 3) + String(repeating: "]", count: SpecLimits.maxDepth - 3)
        XCTAssertEqual(errors(mlpSpec + "\nvars: {x: \(nested)}\n"), [])
    }

    func testDeepSetPathsAndValuesAreErrorsAtTheOverride() {
        let path = "vars." + Array(repeating: "a", count: 3000).joined(separator: ".")
        assertOneError(errors(mlpSpec, overrides: ["\(path)=1"]), containing: "keys deep")
        let value = "vars.x=" + String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
        assertOneError(errors(mlpSpec, overrides: [value]), containing: "deep")
    }

    func testInterpolationThatDoublesATextStopsAtTheLengthLimit() {
        var vars = "vars:\n  s0: xxxxxxxx\n"
        for i in 1..<40 { vars += "  s\(i): ${vars.s\(i - 1)}${vars.s\(i - 1)}\n" }
        let found = errors(mlpSpec.replacingOccurrences(of: "name: mnist-mlp", with: "name: ${vars.s39}") + "\n" + vars)
        assertOneError(found, containing: "longer than \(SpecLimits.maxStringLength) bytes")
    }

    func testReferencesThatDoubleATreeStopAtTheNodeLimit() {
        var vars = "vars:\n  m0: [1, 2]\n"
        for i in 1..<40 { vars += "  m\(i):\n    - ${vars.m\(i - 1)}\n    - ${vars.m\(i - 1)}\n" }
        assertOneError(errors(mlpSpec + "\n" + vars + "  top: ${vars.m39}\n"), containing: "more than \(SpecLimits.maxNodes) values")
    }

    func testExponentialBlocksStopAtTheLayerLimit() {
        var blocks = "  blocks:\n    b0: {layers: [{type: relu}]}\n"
        for i in 1..<40 { blocks += "    b\(i): {layers: [{type: b\(i - 1)}, {type: b\(i - 1)}]}\n" }
        let yaml = mlpSpec.replacingOccurrences(of: "model:\n", with: "model:\n" + blocks)
            .replacingOccurrences(of: "    - {type: relu}\n    - {type: linear, out_features: 128}", with: "    - {type: b39}\n    - {type: linear, out_features: 128}")
        assertOneError(errors(yaml), containing: "more than \(SpecLimits.maxLayers) layers")
        var repeated = "  blocks:\n    r0: {layers: [{type: relu}]}\n"
        for i in 1..<6 { repeated += "    r\(i): {layers: [{type: r\(i - 1), repeat: 1000}]}\n" }
        let yaml2 = mlpSpec.replacingOccurrences(of: "model:\n", with: "model:\n" + repeated)
            .replacingOccurrences(of: "    - {type: relu}\n    - {type: linear, out_features: 128}", with: "    - {type: r5}\n    - {type: linear, out_features: 128}")
        assertOneError(errors(yaml2), containing: "more than \(SpecLimits.maxLayers) layers")
    }

    func testIntegersPastTheSizeLimitAndNonFiniteNumbersAreRefusedAtTheField() {
        let huge = errors(mlpSpec.replacingOccurrences(of: "out_features: 256", with: "out_features: 0x7fffffffffffffff"))
        assertOneError(huge, containing: "out_features must be at most 2^40")
        XCTAssertTrue(huge[0].hasPrefix("spec.yaml:16:"), huge[0])
        for lr in [".inf", "1e400", ".nan", "-.inf"] {
            let found = errors(mlpSpec, overrides: ["optimizer.lr=\(lr)"])
            assertOneError(found, containing: "lr must be a finite number")
        }
        // A norm's p may be infinite, as in PyTorch.
        XCTAssertEqual(errors(mlpSpec.replacingOccurrences(of: "  epochs: 2", with: "  epochs: 2\n  clip_grad_norm: {max_norm: 1, norm_type: .inf}")), [])
        // A seed is any 64-bit value.
        XCTAssertEqual(errors(mlpSpec.replacingOccurrences(of: "seed: 7", with: "seed: 0x7fffffffffffffff")), [])
    }

    func testParametersThatDoNotFitInMemoryNameTheFieldAndTheBytes() throws {
        let yaml = mlpSpec.replacingOccurrences(of: "out_features: 256", with: "out_features: 1000000000000")
        let spec = try Spec.parse(yaml: yaml)
        let check = SpecCheck.run(spec)
        let error = try XCTUnwrap(check.diagnostics.first { $0.severity == .error }).description
        XCTAssertTrue(error.hasPrefix("spec.yaml:16:"), error)
        XCTAssertTrue(error.contains("`model.layers[1].out_features`: 3.1 PB of parameters do not fit in memory ("), error)
        XCTAssertTrue(error.hasSuffix(" here)"), error)
    }

    func testTheMemoryWarningCountsTheDataCache() throws {
        let spec = try Spec.parse(yaml: mlpSpec)
        let model = try XCTUnwrap(SpecCheck.run(spec).model)
        XCTAssertNil(MemoryEstimate.warning(model, batchSize: 64, at: spec.data.batchSizeLocation))
        // The splits held in memory count with the parameters and activations: here they fill it alone.
        let cached = Double(MemoryBudget.availableBytes)
        let warning = try XCTUnwrap(MemoryEstimate.warning(model, batchSize: 64, cachedBytes: cached, at: spec.data.batchSizeLocation))
        XCTAssertEqual(warning.severity, .warning)
        XCTAssertTrue(warning.message.contains("; the data cache (data.cache) \(MemoryBudget.describe(bytes: cached))), more than"),
                      warning.message)
    }

    func testOutputsThatCannotExistNameTheFieldThatMadeThem() throws {
        let yaml = mlpSpec.replacingOccurrences(of: "    - {type: flatten}\n", with: "    - {type: conv2d, out_channels: 4, kernel_size: 3, padding: 1000000000000}\n    - {type: flatten}\n")
        let check = SpecCheck.run(try Spec.parse(yaml: yaml))
        let error = try XCTUnwrap(check.diagnostics.first { $0.severity == .error }).description
        XCTAssertTrue(error.contains("`model.layers[0].padding`"), error)
        XCTAssertTrue(error.contains("does not fit in memory"), error)
    }

    func testAnUnflattenWhoseSizesOverflowIsAShapeError() throws {
        let yaml = mlpSpec.replacingOccurrences(of: "    - {type: linear, out_features: 256}\n",
                                                with: "    - {type: unflatten, dim: 1, unflattened_size: [1099511627776, 1099511627776]}\n    - {type: flatten}\n    - {type: linear, out_features: 256}\n")
        let check = SpecCheck.run(try Spec.parse(yaml: yaml))
        XCTAssertTrue(check.hasErrors)
    }

    func testARunNameIsNotAPath() {
        for name in ["../../x", "a/b", "..", "."] {
            assertOneError(errors(mlpSpec, overrides: ["name=\(name)"]), containing: "name must be a plain name")
        }
    }
}
