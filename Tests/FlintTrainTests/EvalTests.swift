import XCTest
import Foundation
import Flint
import FlintSpec
@testable import FlintTrain

/// `flint eval`: metric formulas against hand calculations and a
/// numpy-generated fixture (Tests/Interop/make_metrics_fixture.py), and the
/// report of a trained checkpoint.
final class EvalTests: XCTestCase {
    func testConfusionMatrixByHand() {
        // y_true = [0, 1, 2, 2, 1, 0, 2], y_pred = [0, 2, 2, 2, 1, 1, 0], 4 classes (3 never occurs).
        var cm = ConfusionMatrix(classes: 4)
        for (t, p) in zip([0, 1, 2, 2, 1, 0, 2], [0, 2, 2, 2, 1, 1, 0]) { cm.add(target: t, prediction: p) }
        XCTAssertEqual(cm.counts, [[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
        XCTAssertEqual(cm.accuracy, 4.0 / 7, accuracy: 1e-12)
        // class 0: TP 1, FP 1 (a 2 predicted 0), FN 1 → P = R = F1 = 1/2
        XCTAssertEqual(cm.precision(0), 0.5)
        XCTAssertEqual(cm.recall(0), 0.5)
        XCTAssertEqual(cm.f1(0), 0.5)
        // class 2: TP 2, FP 1, FN 1 → P = R = 2/3
        XCTAssertEqual(cm.precision(2), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(cm.f1(2), 2.0 / 3, accuracy: 1e-12)
        // class 3: no samples, no predictions → 0 (zero_division=0) and left out of macro averages.
        XCTAssertEqual(cm.precision(3), 0)
        XCTAssertEqual(cm.presentClasses, [0, 1, 2])
        // macro P = (1/2 + 1/2 + 2/3) / 3
        XCTAssertEqual(cm.macro(cm.precision), (0.5 + 0.5 + 2.0 / 3) / 3, accuracy: 1e-12)
        // weighted F1 = (2·1/2 + 2·1/2 + 3·2/3) / 7
        XCTAssertEqual(cm.weighted(cm.f1), (1 + 1 + 2) / 7.0, accuracy: 1e-12)
        // An ignored target (outside the classes) is not counted.
        cm.add(target: -100, prediction: 1)
        XCTAssertEqual(cm.total, 7)
    }

    func testTopKAndRegressionByHand() throws {
        var acc = MetricAccumulator(metrics: [MetricSpec(.topKAccuracy, k: 2), MetricSpec(.accuracy)], loss: "cross_entropy_loss")
        // Row 0: target 2 scores third → miss; row 1: target 0 scores second → hit.
        try acc.add(output: try Tensor([Float(0.1), 0.9, 0.5, 0.7, 0.6, 0.9, 0.1, 0.2], shape: [2, 4]), targets: try Tensor([Int64(2), 0]))
        XCTAssertEqual(acc.values["top_2_accuracy"], 0.5)
        XCTAssertEqual(acc.values["accuracy"], 0)

        var reg = RegressionAccumulator()
        // targets 1, 2, 3 (mean 2, SS_tot 2); outputs 1, 2, 5 → errors 0, 0, 2.
        try reg.add(outputs: try Tensor([Float(1), 2]), targets: try Tensor([Float(1), 2]))
        try reg.add(outputs: try Tensor([Float(5)]), targets: try Tensor([Float(3)]))
        XCTAssertEqual(try XCTUnwrap(reg.metrics["mse"]), 4.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(reg.metrics["mae"]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(reg.metrics["r2"]), 1 - 4.0 / 2, accuracy: 1e-12)
    }

    private func fixture() throws -> [String: Any] {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/Interop/fixtures/metrics.json")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// AUROC's radix sort orders doubles as the comparison sort does: signs, zeros, subnormals,
    /// infinities, ties, and probabilities whose high bits all agree (the skipped passes).
    func testRadixSortOrdersDoublesAsComparisonSortDoes() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
        let special: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNormalMagnitude,
                                 .greatestFiniteMagnitude, -1, 1, 0.5, 0.5, 0.5]
        let wide = (0..<3000).map { _ in Double(bitPattern: next()) }.filter { !$0.isNaN }
        let probabilities = (0..<3000).map { _ in Double(Float(next() >> 40) * 0x1p-24) }
        for values in [special + wide, probabilities, [2.0], special] {
            let sorted = ClassificationAccumulator.radixSorted(values)
            XCTAssertEqual(sorted, values.sorted())
            XCTAssertTrue(zip(sorted, sorted.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }

    func testClassificationMetricsMatchNumpyFixture() throws {
        let c = try XCTUnwrap(try fixture()["classification"] as? [String: Any])
        let classes = try XCTUnwrap(c["classes"] as? Int), k = try XCTUnwrap(c["top_k"] as? Int)
        let scores = try XCTUnwrap(c["scores"] as? [Double]).map { Float($0) }
        let labels = try XCTUnwrap(c["labels"] as? [Int]).map { Int64($0) }
        let metrics = try XCTUnwrap(c["metrics"] as? [String: Double])
        var acc = MetricAccumulator(metrics: evaluationMetrics(topK: k), loss: "cross_entropy_loss")
        // In two uneven batches, as a loader would give them.
        let split = 40
        try acc.add(output: try Tensor(Array(scores[..<(split * classes)]), shape: [split, classes]), targets: try Tensor(Array(labels[..<split])))
        try acc.add(output: try Tensor(Array(scores[(split * classes)...]), shape: [labels.count - split, classes]),
                    targets: try Tensor(Array(labels[split...])))
        XCTAssertEqual(acc.confusion?.counts, try XCTUnwrap(c["confusion_matrix"] as? [[Int]]))
        for (name, value) in metrics {
            XCTAssertEqual(try XCTUnwrap(acc.values[name], name), value, accuracy: 1e-12, name)
        }
        let cm = try XCTUnwrap(acc.confusion)
        for (name, f) in [("precision", cm.precision), ("recall", cm.recall), ("f1", cm.f1)] as [(String, (Int) -> Double)] {
            let expected = try XCTUnwrap(c[name] as? [Double])
            for cls in 0..<classes { XCTAssertEqual(f(cls), expected[cls], accuracy: 1e-12, "\(name) of class \(cls)") }
        }
        XCTAssertEqual((0..<classes).map(cm.support), try XCTUnwrap(c["support"] as? [Int]))
    }

    func testRegressionMetricsMatchNumpyFixture() throws {
        let r = try XCTUnwrap(try fixture()["regression"] as? [String: Any])
        let width = try XCTUnwrap(r["width"] as? Int)
        let outputs = try XCTUnwrap(r["outputs"] as? [Double]).map { Float($0) }
        let targets = try XCTUnwrap(r["targets"] as? [Double]).map { Float($0) }
        var acc = RegressionAccumulator()
        try acc.add(outputs: try Tensor(outputs, shape: [outputs.count / width, width]), targets: try Tensor(targets, shape: [targets.count / width, width]))
        for (name, value) in try XCTUnwrap(r["metrics"] as? [String: Double]) {
            XCTAssertEqual(try XCTUnwrap(acc.metrics[name], name), value, accuracy: 1e-9, name)
        }
    }

    func testReportOfATrainedCheckpoint() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir)
        let report = try FlintCommands.evaluate(checkpoint: checkpoint, split: "test", data: nil, scope: .full(topK: 3))
        XCTAssertEqual(report.samples, 50)
        let cm = try XCTUnwrap(report.confusion)
        XCTAssertEqual(cm.total, 50)
        XCTAssertEqual(try XCTUnwrap(report.metrics["accuracy"]), cm.accuracy)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(report.metrics["top_3_accuracy"]), try XCTUnwrap(report.metrics["accuracy"]))
        for name in ["precision", "recall", "f1", "weighted_f1", "auroc"] { XCTAssertNotNil(report.metrics[name], name) }
        // The trainer's evaluation gives the same loss and accuracy.
        let plain = try FlintCommands.evaluate(checkpoint: checkpoint, split: "test", data: nil, scope: .logged).metrics
        XCTAssertEqual(try XCTUnwrap(plain["accuracy"]), try XCTUnwrap(report.metrics["accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(plain["loss"]), try XCTUnwrap(report.metrics["loss"]), accuracy: 1e-9)

        let r = try TestSupport.runFlint(["eval", checkpoint, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let obj = try TestSupport.lastJSONLine(r.out)
        XCTAssertEqual(obj["samples"] as? Int, 50)
        XCTAssertEqual((obj["per_class"] as? [[String: Any]])?.count, 10)
        XCTAssertEqual((obj["confusion_matrix"] as? [[Int]])?.flatMap { $0 }.reduce(0, +), 50)
        XCTAssertNotNil((obj["metrics"] as? [String: Double])?["top_5_accuracy"])

        let table = try TestSupport.runFlint(["eval", checkpoint, "--top-k", "2"])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("top_2_accuracy"), table.out)
        XCTAssertTrue(table.out.contains("confusion matrix"), table.out)
    }
}
