import XCTest
@testable import FlintSpec

/// Shape inference: every layer's input is known before data flows, so a layer that does
/// not fit is an error at its line, with the shapes involved. Lines are `mlpSpec`'s: its
/// model reads `[1, 28, 28]`, line 15 is the flatten, 16-20 the layers after it.
final class SpecShapeTests: XCTestCase {
    private func check(_ cases: [(String, String, [String])], file: StaticString = #filePath, line: UInt = #line) {
        for (name, yaml, expected) in cases {
            XCTAssertEqual(buildDiagnostics(yaml), expected, name, file: file, line: line)
        }
    }

    func testALayerWhoseInputDoesNotFitIsReportedAtItsLine() {
        check([
            ("conv2d after flatten", mlpSpec(replacing: 16, with: "    - {type: conv2d, out_channels: 8, kernel_size: 3}"),
             ["spec.yaml:16:7: error: conv2d: expected a per-sample input [C, H, W], got shape [784]"]),
            ("max_pool2d after flatten", mlpSpec(replacing: 16, with: "    - {type: max_pool2d, kernel_size: 2}"),
             ["spec.yaml:16:7: error: max_pool2d: expected a per-sample input [C, H, W], got shape [784]"]),
            ("an LSTM over images", mlpSpec(replacing: 15, with: "    - {type: lstm, hidden_size: 8}"),
             ["spec.yaml:15:7: error: lstm: expected a per-sample sequence [L, input_size], got shape [1, 28, 28]; "
              + "MNIST images [1, 28, 28] become rows with {type: flatten, start_dim: 1, end_dim: 2}"]),
            ("batch_norm2d after linear", mlpSpec(replacing: 17, with: "    - {type: batch_norm2d}"),
             ["spec.yaml:17:7: error: batch_norm2d: expected a per-sample input [C, H, W], got shape [256]"]),
            ("softmax over a dimension the output lacks", mlpSpec(replacing: 17, with: "    - {type: softmax, dim: 2}"),
             ["spec.yaml:17:7: error: softmax: expected dim 2 to name a dimension of a batch of per-sample shape [256], "
              + "got shape [256]"]),
        ])
    }

    func testADeclaredSizeThatDisagreesIsReportedAtTheValue() {
        check([
            ("in_features", mlpSpec(replacing: 16, with: "    - {type: linear, in_features: 100, out_features: 256}"),
             ["spec.yaml:16:35: error: linear: in_features is 100 but the input has 784 features (per-sample shape [784]); "
              + "omit in_features to infer it"]),
            ("in_channels", mlpSpec(replacing: 15, with: "    - {type: conv2d, in_channels: 3, out_channels: 8, kernel_size: 3}"),
             ["spec.yaml:15:35: error: conv2d: in_channels is 3 but the input has 1 channels (per-sample shape [1, 28, 28]); "
              + "omit in_channels to infer it"]),
            ("num_features", mlpSpec(replacing: 17, with: "    - {type: batch_norm1d, num_features: 128}"),
             ["spec.yaml:17:42: error: batch_norm1d: num_features is 128 but the input has 256 channels "
              + "(per-sample shape [256]); omit num_features to infer it"]),
        ])
    }

    func testLaterLayersOfABrokenChainAreNotAlsoReported() {
        let yaml = mlpSpec(replacing: 16, with: "    - {type: conv2d, out_channels: 8, kernel_size: 3}")
            .replacingOccurrences(of: "out_features: 128", with: "in_features: 5, out_features: 128")
        XCTAssertEqual(buildDiagnostics(yaml), ["spec.yaml:16:7: error: conv2d: expected a per-sample input [C, H, W], got shape [784]"])
    }

    func testSpecLevelChecksOfSequenceLayers() {
        check([
            ("batch_first false", mlpSpec(replacing: 15, with: "    - {type: gru, hidden_size: 8, batch_first: false}"),
             ["spec.yaml:15:48: error: batch_first must be true: batches in a spec are [N, ...], so sequences are "
              + "[N, L, features]"]),
            ("heads that do not divide", mlpSpec(replacing: 17, with: "    - {type: unflatten, dim: 1, unflattened_size: [16, 16]}\n"
                                                  + "    - {type: multihead_attention, num_heads: 3}"),
             ["spec.yaml:18:46: error: multihead_attention: num_heads 3 must divide embed_dim 16 (per-sample shape [16, 16])"]),
        ])
    }

    func testNegativeLearningRateAndSchedulerWithoutOptimizerAreSpecErrors() {
        XCTAssertEqual(diagnostics(mlpSpec(replacing: 22, with: "optimizer: {type: adam, lr: -0.001}")),
                       ["spec.yaml:22:29: error: lr must be >= 0, got -0.001"])
        XCTAssertEqual(diagnostics(mlpSpec(replacing: 22, with: "optimizer: ~\nscheduler: {type: step_lr, step_size: 1}")), [
            "spec.yaml:22:12: error: optimizer: expected a optimizer, got null",
            "spec.yaml:23:1: error: a scheduler needs an optimizer to schedule",
        ])
        XCTAssertEqual(diagnostics(mlpSpec(replacing: 22, with: "optimizer: {type: adamw, weight_decay: 0.1, momentum: 0.9}")),
                       ["spec.yaml:22:45: error: unknown key 'momentum' in optimizer 'adamw'"])
    }
}
