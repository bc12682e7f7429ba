import XCTest
import Foundation
import Flint
import FlintSpec
@testable import FlintTrain

/// Exact resume (issue 6): a run resumed from a checkpoint taken in the middle
/// of an epoch ends with the same weights, bit for bit, as a run never stopped.
final class ResumeTests: XCTestCase {
    private var dir: URL!
    private var data = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        // 800 samples, 10% for validation, batches of 16: 45 batches per epoch, so batch 37 is mid-epoch.
        data = try TestSupport.mnistSlice(in: dir, train: 800, test: 64)
    }

    private func plan(_ spec: String, _ control: TrainingControl = TrainingControl()) throws -> RunPlan {
        let path = try TestSupport.write(spec, dir, "spec-\(UUID().uuidString).yaml")
        var plan = try RunPlan(spec: try Spec.load(path: path))
        plan.control = control
        return plan
    }

    /// Runs `spec` straight through, saving a numbered checkpoint every 37
    /// steps; resumes from the one at step 37 in a new directory; returns both final checkpoints.
    private func straightAndResumed(_ spec: String, accumulate: Int = 1) throws -> (straight: String, resumed: String, a: TrainResult, b: TrainResult) {
        var control = TrainingControl(accumulateSteps: accumulate)
        control.checkpoint = CheckpointPolicy(everySteps: 37, keepLast: -1)
        let a = try Trainer(plan: try plan(spec, control), options: TrainOptions(runDir: dir.appendingPathComponent("straight").path, quiet: true)).run()
        let mid = dir.appendingPathComponent("straight/checkpoints/epoch=0-step=37.h5").path
        let ckpt = try Checkpoint.read(from: mid)
        XCTAssertEqual(ckpt.epoch, 0)
        XCTAssertEqual(ckpt.dataBatchIndex, 37 * accumulate, "the checkpoint is taken after 37 optimizer steps")
        let b = try Trainer(plan: try plan(spec, TrainingControl(accumulateSteps: accumulate)),
                            options: TrainOptions(runDir: dir.appendingPathComponent("resumed").path, quiet: true, resume: ckpt)).run()
        return (a.checkpoint, b.checkpoint, a, b)
    }

    private func assertBitIdentical(_ r: (straight: String, resumed: String, a: TrainResult, b: TrainResult),
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try TestSupport.weightBits(r.straight), y = try TestSupport.weightBits(r.resumed)
        XCTAssertEqual(Set(x.keys), Set(y.keys), file: file, line: line)
        for (name, bits) in x { XCTAssertEqual(bits, y[name], "\(name) differs after resume", file: file, line: line) }
        // The resumed epoch's loss includes the batches before the checkpoint, so the metrics agree too.
        XCTAssertEqual(r.a.metrics, r.b.metrics, file: file, line: line)
    }

    func testSGDMomentumWithDropoutAndStepScheduler() throws {
        let layers = "    - {type: flatten}\n    - {type: linear, out_features: 32}\n    - {type: relu}\n    - {type: dropout, p: 0.3}\n    - {type: linear, out_features: 10}"
        let spec = TestSupport.spec(data: data, batchSize: 16, layers: layers, optimizer: "{type: sgd, lr: 0.05, momentum: 0.9}",
                                    extra: "scheduler: {type: step_lr, step_size: 1, gamma: 0.5}")
        try assertBitIdentical(try straightAndResumed(spec))
    }

    func testAdamWithDropoutCosineSchedulerAndAugmentation() throws {
        let layers = "    - {type: flatten}\n    - {type: dropout, p: 0.2}\n    - {type: linear, out_features: 32}\n    - {type: relu}\n    - {type: linear, out_features: 10}"
        let spec = TestSupport.spec(data: data, batchSize: 16, layers: layers, optimizer: "{type: adam, lr: 0.001}",
                                    extra: "scheduler: {type: cosine_annealing_lr, T_max: 2}",
                                    augment: "  augment:\n    - {type: random_crop, size: 28, padding: 2}")
        try assertBitIdentical(try straightAndResumed(spec))
    }

    func testGradientAccumulationResumesAtAnOptimizerStep() throws {
        let spec = TestSupport.spec(data: data, batchSize: 8, epochs: 1)
        try assertBitIdentical(try straightAndResumed(spec, accumulate: 2))
    }

    /// `flint train --resume RUN_DIR` with more epochs and another learning
    /// rate applies both and says so on stderr; it continues in the same run directory.
    func testResumeWithChangedSpecAppliesAndReportsChanges() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, batchSize: 64, epochs: 1), dir, "spec.yaml")
        let run = dir.appendingPathComponent("run").path
        let first = try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet", "--set", "optimizer.momentum=0.8"])
        XCTAssertEqual(first.status, 0, first.err)
        let second = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "optimizer.momentum=0.8",
                                               "--set", "train.epochs=3", "--set", "optimizer.lr=0.01", "--json"])
        XCTAssertEqual(second.status, 0, second.err)
        // The spec and this command's overrides make the resumed config; only what differs from the checkpoint's is reported.
        XCTAssertFalse(second.err.contains("momentum"), second.err)
        XCTAssertEqual(try String(contentsOfFile: run + "/overrides.txt", encoding: .utf8),
                       "optimizer.momentum=0.8\ntrain.epochs=3\noptimizer.lr=0.01\n")
        XCTAssertTrue(second.err.contains("train.epochs: 1 → 3"), second.err)
        XCTAssertTrue(second.err.contains("optimizer.lr: 0.05 → 0.01"), second.err)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(second.out.split(separator: "\n").last).utf8)) as? [String: Any])
        XCTAssertEqual(result["epochs"] as? Int, 3)
        XCTAssertEqual(result["run_dir"] as? String, run)
        let records = MetricsLog.read(run + "/metrics.jsonl").filter { $0.kind == .epoch }
        XCTAssertEqual(records.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(records[0].values["lr"], 0.05)
        XCTAssertEqual(records[1].values["lr"], 0.01, "the changed learning rate applies after resume")
        XCTAssertEqual(try Checkpoint.read(from: run + "/checkpoints/last.h5").optimizerLRs, [0.01])
        let dropped = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "train.epochs=4"])
        XCTAssertEqual(dropped.status, 0, dropped.err)
        XCTAssertTrue(dropped.err.contains("optimizer.momentum: 0.8 → 0.9"), "an override left out is reported as a change: \(dropped.err)")
    }

    func testResumeWithDifferentModelIsRefused() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, batchSize: 64, epochs: 1), dir, "spec.yaml")
        let run = dir.appendingPathComponent("run").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet"]).status, 0)
        let before = try TestSupport.weightBits(run + "/checkpoints/last.h5")
        let r = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "model.layers.1.out_features=16"])
        XCTAssertEqual(r.status, 2, r.err)
        XCTAssertTrue(r.err.contains("different model"), r.err)
        XCTAssertTrue(r.err.contains("model.layers.1.out_features is 32 in the checkpoint, 16 in the spec"), r.err)
        XCTAssertEqual(try TestSupport.weightBits(run + "/checkpoints/last.h5"), before, "a refused resume leaves the checkpoint alone")
        let other = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "optimizer={type: adam, lr: 0.001}"])
        XCTAssertEqual(other.status, 2, other.err)
        XCTAssertTrue(other.err.contains("optimizer type changed from sgd to adam"), other.err)
    }

    func testResumeFromMissingOrForeignFileIsBadInput() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 1), dir, "spec.yaml")
        let missing = try TestSupport.runFlint(["train", spec, "--resume", dir.appendingPathComponent("nope.h5").path])
        XCTAssertEqual(missing.status, 2, missing.err)
        let text = try TestSupport.write("not hdf5", dir, "text.h5")
        let foreign = try TestSupport.runFlint(["train", spec, "--resume", text])
        XCTAssertEqual(foreign.status, 2, foreign.err)
        XCTAssertTrue(foreign.err.contains("text.h5"), foreign.err)
    }
}
