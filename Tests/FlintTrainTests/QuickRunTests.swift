import XCTest
import Foundation
import FlintSpec
@testable import FlintTrain

/// Quick runs and threads (`train.limit_*_batches`, `--fast-dev-run`, `--threads`,
/// `FLINT_NUM_THREADS`) and the guard rails new users ran into.
final class QuickRunTests: XCTestCase {
    private var dir: URL!
    private var data = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        data = try TestSupport.mnistSlice(in: dir, train: 200, test: 40)
    }

    func testLimitBatchesCapsEveryEpoch() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 2)
            .replacingOccurrences(of: "  epochs: 2\n", with: "  epochs: 2\n  limit_batches: 2\n  limit_val_batches: 1\n  limit_test_batches: 1\n"),
                                         dir, "limited.yaml")
        let r = try FlintCommands.train(specPath: spec, overrides: [], runDir: dir.appendingPathComponent("run").path, resume: nil, quiet: true)
        XCTAssertEqual(try Checkpoint.read(from: r.checkpoint).step, 4, "two batches in each of two epochs")
        // `flint eval` ignores the limits: it sees the whole test split.
        let report = try FlintCommands.evaluate(checkpoint: r.checkpoint, split: "test", data: nil)
        XCTAssertEqual(report.samples, 40)
    }

    func testFastDevRunWritesNothingUnlessAskedTo() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 5), dir, "fast.yaml")
        let r = try TestSupport.runFlint(["train", spec, "--fast-dev-run", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try TestSupport.lastJSONLine(r.out)
        XCTAssertEqual(json["epochs"] as? Int, 1)
        XCTAssertTrue(json["run_dir"] is NSNull)
        XCTAssertNotNil((json["metrics"] as? [String: Double])?["val/loss"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path), "no run directory beside the spec")

        let kept = dir.appendingPathComponent("kept").path
        let k = try TestSupport.runFlint(["train", spec, "--fast-dev-run", "--run-dir", kept, "--quiet"])
        XCTAssertEqual(k.status, 0, k.err)
        XCTAssertEqual(try Checkpoint.read(from: kept + "/checkpoints/last.h5").step, 1, "one training batch")
    }

    func testThreadsOptionAndEnvironment() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 1, val: false), dir, "t.yaml")
        let a = dir.appendingPathComponent("a").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--threads", "1", "--run-dir", a, "--quiet"]).status, 0)
        XCTAssertEqual(try TestSupport.jsonObject(a + "/summary.json")["threads"] as? Int, 1)
        setenv("FLINT_NUM_THREADS", "3", 1)
        defer { unsetenv("FLINT_NUM_THREADS") }
        let b = dir.appendingPathComponent("b").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--run-dir", b, "--quiet"]).status, 0)
        XCTAssertEqual(try TestSupport.jsonObject(b + "/summary.json")["threads"] as? Int, 3)
        let bad = try TestSupport.runFlint(["train", spec, "--threads", "0"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("--threads must be at least 1"), bad.err)
    }

    // MARK: - Guard rails

    func testUint8WithoutToTensorWarnsInCheckAndTrain() throws {
        let text = TestSupport.spec(data: data, epochs: 1, val: false).replacingOccurrences(of: "    - {type: to_tensor}\n", with: "")
        let spec = try TestSupport.write(text, dir, "raw.yaml")
        let warning = "are uint8 but data.transforms has no to_tensor, so normalize then runs on 0-255"
        let check = try TestSupport.runFlint(["check", spec])
        XCTAssertTrue(check.err.contains(warning), check.err)
        XCTAssertTrue(check.err.contains("raw.yaml:11:"), "at the normalize line: \(check.err)")
        let train = try TestSupport.runFlint(["train", spec, "--run-dir", dir.appendingPathComponent("raw").path])
        XCTAssertTrue(train.err.contains(warning), train.err)
        let fine = try TestSupport.runFlint(["check", try TestSupport.write(TestSupport.spec(data: data), dir, "ok.yaml")])
        XCTAssertEqual(fine.status, 0, fine.err)
        XCTAssertFalse(fine.err.contains("to_tensor"), fine.err)
    }

    func testAugmentFillAfterNormalizeWarns() throws {
        let text = TestSupport.spec(data: data, epochs: 1, augment: "  augment:\n    - {type: random_crop, size: 28, padding: 2, fill: 0}")
        let check = try TestSupport.runFlint(["check", try TestSupport.write(text, dir, "fill.yaml")])
        XCTAssertEqual(check.status, 0, check.err)
        XCTAssertTrue(check.err.contains("warning: data.augment runs after data.transforms, so random_crop's fill is in the units "
                                         + "normalize gives (normalised), not raw pixel values"), check.err)
    }

    func testPlotStepsWithoutStepLoggingSaysWhatToSet() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 1, val: false), dir, "p.yaml")
        let run = dir.appendingPathComponent("p").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet"]).status, 0)
        let r = try TestSupport.runFlint(["plot", run, "--steps", "--metric", "train/loss", "--output", dir.appendingPathComponent("p.svg").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("set train.log_every_steps") || r.err.contains("sets train.log_every_steps"), r.err)
    }

    func testEvalOfASpecSaysItTakesACheckpoint() throws {
        let spec = try TestSupport.write(TestSupport.spec(data: data), dir, "s.yaml")
        let r = try TestSupport.runFlint(["eval", spec])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("is a spec; this command takes a checkpoint (.h5) or a run directory"), r.err)
        XCTAssertTrue(r.err.contains("flint train \(spec)"), r.err)
    }
}
