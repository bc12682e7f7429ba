import XCTest
import FlintData
@testable import FlintSpec

/// The `train:` loop controls and `data:` loader fields: they validate with the
/// same diagnostics as every other field, and their defaults reach `Spec`.
final class TrainAndDataFieldsTests: XCTestCase {
    func testNewFieldsReportTheExactDiagnostic() {
        let cases: [(name: String, yaml: String, expected: [String])] = [
            ("unknown key under train.early_stopping",
             mlpSpec + "\n  early_stopping: {monitor: val/loss, patience: 2, min_detla: 0.01}",
             ["spec.yaml:26:52: error: unknown key 'min_detla' in train.early_stopping; did you mean 'min_delta'?"]),
            ("nan_guard outside its choices", mlpSpec + "\n  nan_guard: bogus",
             ["spec.yaml:26:14: error: train.nan_guard: expected one of 'stop', 'skip', got 'bogus'"]),
            ("negative prefetch", mlpSpec(replacing: 8, with: "  prefetch: -1"),
             ["spec.yaml:8:13: error: prefetch must be >= 0, got -1"]),
            ("checkpoint.best needs its metric", mlpSpec + "\n  checkpoint: {best: {mode: max}}",
             ["spec.yaml:26:22: error: missing required key 'metric' in train.checkpoint.best"]),
            ("cache outside its choices", mlpSpec(replacing: 8, with: "  cache: memroy"),
             ["spec.yaml:8:10: error: data.cache: expected one of 'auto', 'memory', 'none', got 'memroy'; did you mean 'memory'?"]),
        ]
        for c in cases {
            XCTAssertEqual(diagnostics(c.yaml), c.expected, c.name)
        }
    }

    func testLoaderFieldsHaveTorchDefaults() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec))
        XCTAssertEqual(spec.data.prefetch, 2)
        XCTAssertFalse(spec.data.dropLast)
        XCTAssertEqual(spec.data.cache, .auto)
        XCTAssertEqual(spec.data.cacheBudgetMB, 1024)
        XCTAssertNil(spec.data.shuffleBuffer)
        XCTAssertFalse(spec.data.stratify)
    }

    func testLoaderAndLoopFieldsAreRead() throws {
        let yaml = mlpSpec(replacing: 6, with: "  val: {split: 0.1, stratify: true}\n  drop_last: true\n  prefetch: 0\n"
                           + "  cache: none\n  cache_budget_mb: 64\n  shuffle_buffer: 512")
            + "\n  max_time: 1h30m\n  accumulate_steps: 4\n  checkpoint: {every_steps: 100, keep_last: -1, best: {metric: val/accuracy}}"
        let spec = try XCTUnwrap(parsed(yaml))
        XCTAssertTrue(spec.data.stratify)
        XCTAssertTrue(spec.data.dropLast)
        XCTAssertEqual(spec.data.prefetch, 0)
        XCTAssertEqual(spec.data.cache, CacheMode.none)
        XCTAssertEqual(spec.data.cacheBudgetMB, 64)
        XCTAssertEqual(spec.data.shuffleBuffer, 512)
    }

    func testNewTransformsValidate() {
        let yaml = mlpSpec(replacing: 11, with: """
                - {type: normalize, mean: [0.1307], std: [0.3081]}
              augment:
                - {type: random_affine, degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1]}
                - {type: random_rotation, degrees: [-5, 5], fill: 0}
                - {type: color_jitter, brightness: 0.2}
                - {type: random_erasing, p: 0.25}
                - {type: gaussian_noise, sigma: 0.05, clip: false}
                - {type: random_vertical_flip}
                - {type: center_crop, size: 28}
                - {type: resize, size: [28, 28], interpolation: nearest}
            """)
        XCTAssertEqual(diagnostics(yaml), [])
    }
}
