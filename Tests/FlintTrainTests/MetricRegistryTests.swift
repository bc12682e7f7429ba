import XCTest
import Foundation
import Flint
import FlintSpec
@testable import FlintTrain

/// The metric registry (`train.metrics`): every metric against scikit-learn
/// (Tests/Interop/make_metrics_fixture.py writes the fixture), metrics of every
/// split during training, monitors on any metric, and `train.test_checkpoint`.
final class MetricRegistryTests: XCTestCase {
    private func registry() throws -> [String: Any] {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/Interop/fixtures/metrics.json")
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(doc["registry"] as? [String: Any])
    }

    /// The metrics a fixture entry lists, as the spec would write them.
    private func specs(_ list: [[String: Any]]) throws -> [(MetricSpec, name: String, value: Double)] {
        try list.map { m in
            let kind = try XCTUnwrap(MetricSpec.Kind(rawValue: try XCTUnwrap(m["type"] as? String)))
            let average = (m["average"] as? String).flatMap(MetricSpec.Average.init) ?? .macro
            let spec = MetricSpec(kind, k: m["k"] as? Int ?? 5, average: average)
            return (spec, try XCTUnwrap(m["name"] as? String), try XCTUnwrap(m["value"] as? Double))
        }
    }

    func testMulticlassMetricsMatchSklearn() throws {
        let c = try XCTUnwrap(try registry()["multiclass"] as? [String: Any])
        let classes = try XCTUnwrap(c["classes"] as? Int)
        let scores = try XCTUnwrap(c["scores"] as? [Double]).map { Float($0) }
        let labels = try XCTUnwrap(c["labels"] as? [Int]).map { Int64($0) }
        let expected = try specs(try XCTUnwrap(c["metrics"] as? [[String: Any]]))
        var acc = MetricAccumulator(metrics: expected.map { $0.0 } + [MetricSpec(.confusion)], loss: "cross_entropy_loss")
        // Three uneven batches; AUROC's logits-to-softmax rule is per batch, and every batch holds logits.
        for range in [0..<30, 30..<45, 45..<labels.count] {
            try acc.add(output: try Tensor(Array(scores[(range.lowerBound * classes)..<(range.upperBound * classes)]),
                                           shape: [range.count, classes]),
                        targets: try Tensor(Array(labels[range])))
        }
        XCTAssertEqual(acc.confusion?.counts, try XCTUnwrap(c["confusion_matrix"] as? [[Int]]))
        let values = acc.values
        XCTAssertNil(values["confusion"], "the confusion matrix is not a scalar")
        for (spec, name, value) in expected {
            XCTAssertEqual(spec.name, name)
            // Counts are exact; AUROC sums softmax probabilities in float64.
            XCTAssertEqual(try XCTUnwrap(values[name], name), value, accuracy: 1e-12, name)
        }
    }

    func testBinaryMetricsMatchSklearn() throws {
        let b = try XCTUnwrap(try registry()["binary"] as? [String: Any])
        let logits = try XCTUnwrap(b["logits"] as? [Double]).map { Float($0) }
        let targets = try XCTUnwrap(b["targets"] as? [Double]).map { Float($0) }
        let expected = try specs(try XCTUnwrap(b["metrics"] as? [[String: Any]]))
        var acc = MetricAccumulator(metrics: expected.map { $0.0 }, loss: "bce_with_logits_loss")
        let n = logits.count
        try acc.add(output: try Tensor(Array(logits[..<40]), shape: [40, 1]), targets: try Tensor(Array(targets[..<40]), shape: [40, 1]))
        try acc.add(output: try Tensor(Array(logits[40...]), shape: [n - 40, 1]), targets: try Tensor(Array(targets[40...]), shape: [n - 40, 1]))
        XCTAssertEqual(acc.task, .binary)
        for (_, name, value) in expected {
            XCTAssertEqual(try XCTUnwrap(acc.values[name], name), value, accuracy: 1e-12, name)
        }
    }

    // MARK: - In training

    private var dir: URL!
    private var data = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        data = try TestSupport.mnistSlice(in: dir, train: 240, test: 60)
    }

    private func trainSpec(_ train: String, name: String = "m.yaml") throws -> String {
        try TestSupport.write(TestSupport.mlpSpec(data: data, epochs: 3).replacingOccurrences(of: "train:\n  epochs: 3", with: "train:\n  epochs: 3\n" + train),
                              dir, name)
    }

    func testEveryMetricIsLoggedForEverySplitAndMonitorable() throws {
        let spec = try trainSpec("""
              metrics: [accuracy, f1, {type: top_k_accuracy, k: 3}, {type: recall, average: weighted}, auroc, confusion]
              early_stopping: {monitor: val/f1, patience: 5}
              checkpoint: {best: {metric: val/top_3_accuracy}}
            """)
        let run = dir.appendingPathComponent("run").path
        let result = try FlintCommands.train(specPath: spec, overrides: [], runDir: run, resume: nil, quiet: true)
        let epochs = MetricsLog.read(run + "/metrics.jsonl").filter { $0.kind == .epoch }
        XCTAssertEqual(epochs.count, 3)
        for record in epochs {
            for split in ["train", "val"] {
                for name in ["accuracy", "f1", "top_3_accuracy", "weighted_recall", "auroc"] {
                    let v = try XCTUnwrap(record.values["\(split)/\(name)"], "\(split)/\(name)")
                    XCTAssertTrue((0...1).contains(v), "\(split)/\(name) = \(v)")
                }
            }
            // Weighted recall is the accuracy for single-label classes (sklearn's identity).
            XCTAssertEqual(try XCTUnwrap(record.values["val/weighted_recall"]), try XCTUnwrap(record.values["val/accuracy"]), accuracy: 1e-12)
        }
        for name in ["test/f1", "test/top_3_accuracy", "test/auroc"] { XCTAssertNotNil(result.metrics[name], name) }
        let summary = try TestSupport.jsonObject(run + "/summary.json")
        XCTAssertEqual(summary["best_metric"] as? String, "val/top_3_accuracy")

        // The validation metrics are what `flint eval` computes from the last checkpoint.
        let evaluated = try FlintCommands.evaluate(checkpoint: result.checkpoint, split: "val", data: nil, scope: .logged).metrics
        for name in ["f1", "top_3_accuracy", "auroc", "loss"] {
            XCTAssertEqual(try XCTUnwrap(evaluated[name], name), try XCTUnwrap(epochs.last?.values["val/" + name]), accuracy: 1e-9, name)
        }

        // The confusion matrix is logged for every split at every evaluation, not as a scalar.
        XCTAssertNil(epochs.last?.values["val/confusion"])
        let lines = try String(contentsOfFile: run + "/confusion.jsonl", encoding: .utf8).split(separator: "\n")
        let parsed = try lines.map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(parsed.map { $0["split"] as? String }, ["train", "val", "train", "val", "train", "val", "test"])
        for line in parsed {
            let matrix = try XCTUnwrap(line["matrix"] as? [[Int]])
            let total = matrix.flatMap { $0 }.reduce(0, +)
            XCTAssertEqual(total, ["train": 216, "val": 24, "test": 60][line["split"] as? String ?? ""], "\(line)")
            // Its trace over its total is the split's accuracy for that epoch.
            if line["split"] as? String == "train", let epoch = line["epoch"] as? Int {
                let trace = (0..<matrix.count).reduce(0) { $0 + matrix[$1][$1] }
                XCTAssertEqual(Double(trace) / Double(total), try XCTUnwrap(epochs[epoch - 1].values["train/accuracy"]), accuracy: 1e-12)
            }
        }
    }

    func testMetricSpecErrors() throws {
        func problems(_ train: String) throws -> String {
            let spec = try trainSpec(train, name: "bad.yaml")
            let r = try TestSupport.runFlint(["check", spec])
            XCTAssertEqual(r.status, 2, r.err)
            return r.err
        }
        let unlisted = try problems("  early_stopping: {monitor: val/f1}")
        XCTAssertTrue(unlisted.contains("train.early_stopping.monitor 'val/f1' is not a metric of this run"), unlisted)
        XCTAssertTrue(unlisted.contains("add it to train.metrics"), unlisted)
        let typo = try problems("  metrics: [accuracy, f2]")
        XCTAssertTrue(typo.contains("unknown metric type 'f2'; did you mean 'f1'?"), typo)
        let misfit = try problems("  metrics: [accuracy, mse]")
        XCTAssertTrue(misfit.contains("bad.yaml:24:23: error: train.metrics: 'mse' does not apply: this is a classifier"), misfit)
        let confusion = try problems("  metrics: [confusion]\n  checkpoint: {best: {metric: val/confusion}}")
        XCTAssertTrue(confusion.contains("the confusion matrix is not a number"), confusion)
    }

    func testTestMetricsComeFromTheChosenCheckpoint() throws {
        // train/loss at its highest is the first epoch's, so the "best" checkpoint is not the last one.
        let best = try trainSpec("  checkpoint: {best: {metric: train/loss, mode: max}}", name: "best.yaml")
        let a = try FlintCommands.train(specPath: best, overrides: [], runDir: dir.appendingPathComponent("a").path, resume: nil, quiet: true)
        let bestEpoch = try XCTUnwrap(try TestSupport.jsonObject(a.runDir + "/summary.json")["best_epoch"] as? Int)
        XCTAssertEqual(bestEpoch, 1)
        XCTAssertEqual(a.testCheckpoint, a.runDir + "/checkpoints/best.h5")
        let fromBest = try FlintCommands.evaluate(checkpoint: a.runDir + "/checkpoints/best.h5", split: "test", data: nil, scope: .logged).metrics
        XCTAssertEqual(try XCTUnwrap(a.metrics["test/loss"]), try XCTUnwrap(fromBest["loss"]), accuracy: 1e-9)
        let fromLast = try FlintCommands.evaluate(checkpoint: a.checkpoint, split: "test", data: nil, scope: .logged).metrics
        XCTAssertNotEqual(try XCTUnwrap(a.metrics["test/loss"]), try XCTUnwrap(fromLast["loss"]))

        let last = try trainSpec("  checkpoint: {best: {metric: train/loss, mode: max}}\n  test_checkpoint: last", name: "last.yaml")
        let b = try TestSupport.runFlint(["train", last, "--run-dir", dir.appendingPathComponent("b").path, "--json"])
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertTrue(b.err.contains("test (last.h5, epoch 3)"), b.err)
        let json = try TestSupport.lastJSONLine(b.out)
        XCTAssertEqual(json["test_checkpoint"] as? String, dir.appendingPathComponent("b").path + "/checkpoints/last.h5")
        let testLoss = try XCTUnwrap((json["metrics"] as? [String: Double])?["test/loss"])
        XCTAssertEqual(testLoss, try XCTUnwrap(fromLast["loss"]), accuracy: 1e-9, "same seed, same last epoch")
    }
}
