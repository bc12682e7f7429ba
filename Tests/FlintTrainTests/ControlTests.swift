import XCTest
import Foundation
import Flint
import FlintHDF5
import FlintSpec
@testable import FlintTrain

/// Training control (issue 8): early stopping against PyTorch Lightning,
/// max_time, eval_every_epochs, the NaN guard, the checkpoint policy, and
/// reading all of it from a spec's `train:` section.
final class ControlTests: XCTestCase {
    // MARK: - Early stopping against Lightning

    /// Tests/Fixtures/train/early_stopping.json records, for each metric
    /// history, when a real `lightning.Trainer` with `EarlyStopping` stopped
    /// (made by early_stopping.py; Lightning is the oracle).
    func testEarlyStoppingStopsWhereLightningDoes() throws {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/train/early_stopping.json")
        // JSONValue reads numbers exactly; the fixture's best scores are float32 values written as doubles.
        let doc = try XCTUnwrap(JSONValue.parse(try String(contentsOf: url, encoding: .utf8)))
        let cases = try XCTUnwrap(doc["cases"]?.array)
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        func number(_ v: JSONValue?) -> Double {
            switch v {
            case .number(let d)?: return d
            case .string("inf")?: return .infinity
            case .string("-inf")?: return -.infinity
            default: return .nan
            }
        }
        for c in cases {
            let name = try XCTUnwrap(c["name"]?.string)
            let history = try XCTUnwrap(c["history"]?.array).map(number)
            let expected = try XCTUnwrap(c["expected"])
            let every = try XCTUnwrap(c["eval_every_epochs"]?.int)
            var stopper = EarlyStopping(EarlyStopping.Config(
                monitor: try XCTUnwrap(expected["monitor"]?.string),
                mode: try XCTUnwrap(EarlyStopping.Mode(rawValue: try XCTUnwrap(c["mode"]?.string))),
                patience: try XCTUnwrap(c["patience"]?.int), minDelta: number(c["min_delta"])))
            var trained = history.count
            for epoch in 1...history.count where epoch % every == 0 {
                if stopper.check(history[epoch - 1], epoch: epoch).stop {
                    trained = epoch
                    break
                }
            }
            XCTAssertEqual(trained, expected["epochs_trained"]?.int, name)
            // Lightning's stopped_epoch is its 0-based current_epoch, 0 when it never stopped.
            XCTAssertEqual(stopper.stoppedEpoch == 0 ? 0 : stopper.stoppedEpoch - 1, expected["stopped_epoch"]?.int, name)
            XCTAssertEqual(stopper.waitCount, expected["wait_count"]?.int, name)
            XCTAssertEqual(Double(stopper.bestScore), number(expected["best_score"]), name)
        }
    }

    // MARK: - The loop

    private var dir: URL!
    private var data = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        data = try TestSupport.mnistSlice(in: dir, train: 320, test: 64)
    }

    private func train(_ spec: String, _ control: TrainingControl, run: String = "run") throws -> TrainResult {
        let path = try TestSupport.write(spec, dir, "spec-\(run).yaml")
        var plan = try RunPlan(spec: try Spec.load(path: path))
        plan.control = control
        return try Trainer(plan: plan, options: TrainOptions(runDir: dir.appendingPathComponent(run).path, quiet: true)).run()
    }

    func testEarlyStoppingEndsTheRunAndSaysWhy() throws {
        // No improvement can beat a min_delta of 10, so the second check stops (patience 1).
        let control = TrainingControl(earlyStopping: EarlyStopping.Config(monitor: "val/loss", patience: 1, minDelta: 10))
        let r = try train(TestSupport.spec(data: data, epochs: 6), control)
        XCTAssertEqual(r.epochs, 2)
        XCTAssertEqual(r.status, "stopped")
        XCTAssertTrue(r.stopReason?.contains("early stopping: val/loss did not improve") ?? false, r.stopReason ?? "")
        let summary = try TestSupport.jsonObject(r.runDir + "/summary.json")
        XCTAssertEqual(summary["status"] as? String, "stopped")
        XCTAssertEqual(summary["epochs"] as? Int, 2)
        XCTAssertEqual(try Checkpoint.read(from: r.checkpoint).epoch, 2)
    }

    func testMaxTimeStopsWithACheckpoint() throws {
        let r = try train(TestSupport.spec(data: data, batchSize: 8, epochs: 500), TrainingControl(maxTime: 0.3))
        XCTAssertEqual(r.status, "stopped")
        XCTAssertLessThan(r.epochs, 500)
        XCTAssertTrue(r.stopReason?.hasPrefix("max_time") ?? false, r.stopReason ?? "")
        let ckpt = try Checkpoint.read(from: r.checkpoint)
        XCTAssertGreaterThan(ckpt.step, 0)
        // The checkpoint records the time used so a resumed run keeps counting; its exact
        // value depends on the machine, so only its presence is checked.
        XCTAssertGreaterThan(ckpt.trainer["elapsed_seconds"] ?? 0, 0)
    }

    func testEvalEveryEpochsValidatesOnScheduleAndAtTheEnd() throws {
        let r = try train(TestSupport.spec(data: data, epochs: 3), TrainingControl(evalEveryEpochs: 2))
        let epochs = MetricsLog.read(r.runDir + "/metrics.jsonl").filter { $0.kind == .epoch }
        XCTAssertEqual(epochs.map { $0.values["val/loss"] != nil }, [false, true, true])
        let history = try Checkpoint.read(from: r.checkpoint).history
        XCTAssertEqual(history["val/loss"]?.count, 3, "history keeps one value per epoch")
        XCTAssertTrue(history["val/loss"]?.first?.isNaN ?? false)
    }

    func testLogEveryStepsWritesStepRecords() throws {
        let r = try train(TestSupport.spec(data: data, epochs: 2), TrainingControl(logEverySteps: 3))
        let steps = MetricsLog.read(r.runDir + "/metrics.jsonl").filter { $0.kind == .step }
        // 288 training samples in batches of 32: 9 steps per epoch, 18 in all.
        XCTAssertEqual(steps.map(\.step), [3, 6, 9, 12, 15, 18])
        for s in steps {
            for key in ["lr", "train/loss", "seconds", "samples_per_second", "elapsed"] { XCTAssertNotNil(s.values[key], key) }
        }
    }

    /// Gradient accumulation over k micro-batches of n equals one batch of
    /// k·n up to rounding: each micro-batch loss is divided by k.
    func testAccumulatedGradientsMatchTheLargerBatch() throws {
        let sgd = "{type: sgd, lr: 0.05}"
        let big = try train(TestSupport.spec(data: data, batchSize: 32, epochs: 1, val: false, optimizer: sgd), TrainingControl(), run: "big")
        let small = try train(TestSupport.spec(data: data, batchSize: 16, epochs: 1, val: false, optimizer: sgd),
                              TrainingControl(accumulateSteps: 2), run: "small")
        let a = try Checkpoint.read(from: big.checkpoint), b = try Checkpoint.read(from: small.checkpoint)
        XCTAssertEqual(a.step, 10)
        XCTAssertEqual(b.step, 10)
        for ((name, x), (_, y)) in zip(a.model, b.model) {
            for (u, v) in zip(x.toArray(Float.self), y.toArray(Float.self)) { XCTAssertEqual(u, v, accuracy: 1e-5, name) }
        }
    }

    func testCheckpointPolicyKeepsTheLatestAndTheBest() throws {
        var control = TrainingControl()
        control.checkpoint = CheckpointPolicy(everySteps: 4, keepLast: 2, best: (metric: "val/accuracy", mode: .max))
        let r = try train(TestSupport.spec(data: data, epochs: 3), control)
        let names = try FileManager.default.contentsOfDirectory(atPath: r.runDir + "/checkpoints").sorted()
        XCTAssertEqual(names, ["best.h5", "epoch=2-step=24.h5", "epoch=2-step=27.h5", "last.h5"])
        let summary = try TestSupport.jsonObject(r.runDir + "/summary.json")
        let bestEpoch = try XCTUnwrap(summary["best_epoch"] as? Int)
        XCTAssertEqual(summary["best_metric"] as? String, "val/accuracy")
        let best = try Checkpoint.read(from: r.runDir + "/checkpoints/best.h5")
        XCTAssertEqual(best.epoch, bestEpoch)
        let accuracies = try XCTUnwrap(best.history["val/accuracy"])
        XCTAssertEqual(accuracies.last, accuracies.max())
    }

    func testEveryEpochsSavesOnScheduleAndAfterTheLastEpoch() throws {
        var control = TrainingControl()
        control.checkpoint = CheckpointPolicy(everyEpochs: 2, keepLast: -1)
        let r = try train(TestSupport.spec(data: data, epochs: 3), control)
        let numbered = try FileManager.default.contentsOfDirectory(atPath: r.runDir + "/checkpoints").filter { $0.hasPrefix("epoch=") }.sorted()
        XCTAssertEqual(numbered, ["epoch=1-step=18.h5", "epoch=2-step=27.h5"])
    }

    // MARK: - NaN guard

    /// A float dataset whose sample `bad` holds a NaN pixel.
    private func poisoned(bad: Int) throws -> String {
        let src = try HDF5File.open(data)
        let path = dir.appendingPathComponent("poisoned.h5").path
        let out = try HDF5File.create(path)
        for split in ["train", "test"] {
            var x = try src.dataset("\(split)/images").readTensor().toArray(Float.self).map { $0 / 255 }
            if split == "train" { x[bad * 784 + 300] = .nan }
            let n = x.count / 784
            try out.createDataset("\(split)/images", tensor: try Tensor(x, shape: [n, 1, 28, 28]))
            try out.createDataset("\(split)/labels", tensor: try src.dataset("\(split)/labels").readTensor())
        }
        try out.close()
        return path
    }

    private func poisonedSpec(_ path: String) -> String {
        TestSupport.spec(data: path, epochs: 2, val: false).replacingOccurrences(
            of: "  transforms:\n    - {type: to_tensor}\n    - {type: normalize, mean: [0.1307], std: [0.3081]}\n", with: "")
    }

    func testNaNGuardSkipsTheBatchWhenAskedTo() throws {
        let path = try poisoned(bad: 5)
        let r = try train(poisonedSpec(path), TrainingControl(nanGuard: .skip))
        XCTAssertEqual(r.status, "finished")
        let ckpt = try Checkpoint.read(from: r.checkpoint)
        // One batch in each of the two epochs holds the poisoned sample.
        XCTAssertEqual(ckpt.trainer["skipped_batches"], 2)
        XCTAssertEqual(ckpt.step, 2 * 10 - 2)
        for (name, t) in ckpt.model { XCTAssertTrue(t.toArray(Float.self).allSatisfy(\.isFinite), name) }
        let log = try String(contentsOfFile: r.runDir + "/train.log", encoding: .utf8)
        XCTAssertTrue(log.contains("loss is nan at step"), log)
    }

    func testNaNGuardStopsNamingTheStepAndTheLoss() throws {
        let path = try poisoned(bad: 5)
        XCTAssertThrowsError(try train(poisonedSpec(path), TrainingControl())) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("loss is nan at step "), message)
            XCTAssertTrue(message.contains("epoch 1, batch "), message)
        }
        let summary = try TestSupport.jsonObject(dir.appendingPathComponent("run/summary.json").path)
        XCTAssertEqual(summary["status"] as? String, "failed")
    }

    /// Issue 8's "must show": an absurd learning rate (here the schedule
    /// multiplies it by 1e12 after the first epoch) stops the run with exit 1,
    /// naming the step and the tensor, and leaves epoch 1's checkpoint.
    func testAbsurdLearningRateExitsOneAndKeepsTheLastGoodCheckpoint() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 3, extra: "scheduler: {type: step_lr, step_size: 1, gamma: 1.0e12}"),
                                         dir, "spec.yaml")
        let run = dir.appendingPathComponent("cli").path
        let r = try TestSupport.runFlint(["train", spec, "--run-dir", run])
        XCTAssertEqual(r.status, 1, r.err)
        let named = r.err.range(of: #"(loss is -?(nan|inf)|the gradient of '[\w.]+' contains (NaN|Inf)|parameter '[\w.]+' contains (NaN|Inf)) (at|after) step \d+"#,
                                options: .regularExpression)
        XCTAssertNotNil(named, r.err)
        XCTAssertTrue(r.err.contains("epoch 2"), r.err)
        XCTAssertTrue(r.err.contains("the last good checkpoint is \(run)/checkpoints/last.h5"), r.err)
        let ckpt = try Checkpoint.read(from: run + "/checkpoints/last.h5")
        XCTAssertEqual(ckpt.epoch, 1)
        for (name, t) in ckpt.model { XCTAssertTrue(t.toArray(Float.self).allSatisfy(\.isFinite), name) }
        XCTAssertEqual(try TestSupport.jsonObject(run + "/summary.json")["status"] as? String, "failed")
    }

    // MARK: - Reading the spec

    func testControlIsReadFromTheTrainSection() throws {
        let yaml = TestSupport.spec(data: data, epochs: 4) + """
              log_every_steps: 10
              eval_every_epochs: 2
              accumulate_steps: 4
              max_time: "00:01:30:00"
              nan_guard: skip
              tensorboard: true
              early_stopping: {monitor: val/accuracy, patience: 5, min_delta: 0.001}
              checkpoint: {every_epochs: 2, every_steps: 500, keep_last: 3, best: {metric: val/accuracy}}

            """
        let path = try TestSupport.write(yaml, dir, "train.yaml")
        let c = TrainingControl(spec: try Spec.load(path: path))
        XCTAssertEqual(c.logEverySteps, 10)
        XCTAssertEqual(c.evalEveryEpochs, 2)
        XCTAssertEqual(c.accumulateSteps, 4)
        XCTAssertEqual(c.maxTime, 5400)
        XCTAssertEqual(c.nanGuard, .skip)
        XCTAssertTrue(c.tensorboard)
        XCTAssertEqual(c.earlyStopping, EarlyStopping.Config(monitor: "val/accuracy", mode: .max, patience: 5, minDelta: 0.001))
        XCTAssertEqual(c.checkpoint, CheckpointPolicy(everyEpochs: 2, everySteps: 500, keepLast: 3, best: (metric: "val/accuracy", mode: .max)))
    }

    /// A spec without `train:` and `TrainingControl()` run the same loop: both take `TrainSpec`'s defaults.
    func testAnOmittedTrainSectionIsTheLibraryDefault() throws {
        let yaml = TestSupport.spec(data: data).replacingOccurrences(of: "train:\n  epochs: 2\n", with: "")
        XCTAssertFalse(yaml.contains("train:\n"), yaml)
        let spec = try Spec.load(path: try TestSupport.write(yaml, dir, "untrained.yaml"))
        XCTAssertEqual(TrainingControl(spec: spec), TrainingControl())
        let written = "  early_stopping: {}\n  checkpoint: {}\n  clip_grad_norm: {max_norm: 1}\n"
        let control = TrainingControl(spec: try Spec.load(path: try TestSupport.write(TestSupport.spec(data: data) + written,
                                                                                      dir, "sections.yaml")))
        XCTAssertEqual(control.earlyStopping, EarlyStopping.Config())
        XCTAssertEqual(control.checkpoint, CheckpointPolicy())
        XCTAssertEqual(control.gradientClipping, .norm(maxNorm: 1, normType: ClipGradNormSpec(maxNorm: 1).normType,
                                                       errorIfNonfinite: ClipGradNormSpec(maxNorm: 1).errorIfNonfinite))
    }

    func testBadControlValuesAreReportedAtTheirLines() throws {
        let yaml = TestSupport.spec(data: data) + "  accumulate_steps: 0\n  nan_guard: ignore\n  max_time: soon\n  early_stopping: {mode: up}\n"
        let path = try TestSupport.write(yaml, dir, "bad.yaml")
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ key: String) -> Int { (lines.firstIndex { $0.hasPrefix("  \(key):") } ?? -1) + 1 }
        XCTAssertThrowsError(try Spec.load(path: path)) { error in
            let text = "\(error)"
            for key in ["accumulate_steps", "nan_guard", "max_time", "early_stopping"] {
                XCTAssertTrue(text.contains("bad.yaml:\(line(key)):"), "\(key): \(text)")
            }
            XCTAssertTrue(text.contains("train.max_time must be"), text)
        }
    }

    func testDurations() {
        XCTAssertEqual(TrainSpec.parseDuration("90"), 90)
        XCTAssertEqual(TrainSpec.parseDuration("1h30m"), 5400)
        XCTAssertEqual(TrainSpec.parseDuration("45s"), 45)
        XCTAssertEqual(TrainSpec.parseDuration("00:12:00:00"), 43_200)
        XCTAssertEqual(TrainSpec.parseDuration("02:30"), 150)
        XCTAssertNil(TrainSpec.parseDuration("soon"))
        XCTAssertNil(TrainSpec.parseDuration("-5"))
        XCTAssertNil(TrainSpec.parseDuration("1:x"))
    }
}
