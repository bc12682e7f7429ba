import XCTest
import Foundation
@testable import FlintTrain

/// SIGINT, SIGTERM and SIGKILL during training (issue 6): a checkpoint at the
/// next batch boundary and a message naming it; a second Ctrl-C exits at once;
/// a process killed at any moment leaves a checkpoint that loads and resumes.
final class InterruptTests: XCTestCase {
    private var dir: URL!
    private var spec = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        // 64 samples in batches of 32: an epoch, and so a checkpoint, every two steps.
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 32)
        spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 100_000, val: false), dir, "long.yaml")
    }

    /// `flint ARGS` started in the background, its output going to files.
    private func start(_ args: [String], _ tag: String) throws -> (process: Process, out: URL, err: URL) {
        guard let binary = TestSupport.flintBinary else { throw XCTSkip("the flint executable is not built; run `make test`") }
        let out = dir.appendingPathComponent("\(tag).out"), err = dir.appendingPathComponent("\(tag).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return (p, out, err)
    }

    /// Waits until `path` exists (the first checkpoint), up to 30 s.
    private func waitFor(_ path: String) throws {
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline else { throw XCTSkip("training did not write \(path) within 30 s") }
            usleep(10_000)
        }
    }

    private func finish(_ p: Process) -> Int32 {
        p.waitUntilExit()
        return p.terminationStatus
    }

    func testSIGINTWritesACheckpointAndResumeCompletes() throws {
        let run = dir.appendingPathComponent("run").path
        let (p, _, err) = try start(["train", spec, "--run-dir", run], "int")
        try waitFor(run + "/checkpoints/last.h5")
        usleep(100_000)
        p.interrupt()
        XCTAssertEqual(finish(p), 130, "Ctrl-C exits with 128 + SIGINT")
        let message = try String(contentsOf: err, encoding: .utf8)
        XCTAssertTrue(message.contains("interrupted by SIGINT at epoch"), message)
        XCTAssertTrue(message.contains("checkpoint written to \(run)/checkpoints/last.h5"), message)
        XCTAssertTrue(message.contains("--resume \(run)"), message)
        let ckpt = try Checkpoint.read(from: run + "/checkpoints/last.h5")
        let summary = try XCTUnwrap(JSONValue.parse(try String(contentsOfFile: run + "/summary.json", encoding: .utf8)))
        XCTAssertEqual(summary["status"]?.string, "interrupted")
        XCTAssertEqual(summary["steps"]?.int, ckpt.step, "the checkpoint is the state the run stopped in")
        let runs = try TestSupport.runFlint(["runs", run, "--json"])
        XCTAssertEqual(JSONValue.parse(runs.out)?["runs"]?.array?.first?["status"]?.string, "interrupted")

        let resumed = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "train.epochs=\(ckpt.epoch + 1)", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertEqual(JSONValue.parse(try XCTUnwrap(resumed.out.split(separator: "\n").last))?["epochs"]?.int, ckpt.epoch + 1)
        XCTAssertEqual(try Checkpoint.read(from: run + "/checkpoints/last.h5").epoch, ckpt.epoch + 1)
    }

    func testSIGTERMExitsWith143() throws {
        let run = dir.appendingPathComponent("run").path
        let (p, _, err) = try start(["train", spec, "--run-dir", run, "--quiet"], "term")
        try waitFor(run + "/checkpoints/last.h5")
        p.terminate()
        XCTAssertEqual(finish(p), 143)
        XCTAssertTrue(try String(contentsOf: err, encoding: .utf8).contains("interrupted by SIGTERM"))
        XCTAssertNoThrow(try Checkpoint.read(from: run + "/checkpoints/last.h5"))
    }

    /// The second Ctrl-C comes a millisecond after the first, inside a step
    /// that takes far longer (a wide layer, large batches), so the run exits
    /// before it reaches the batch boundary where it would write a checkpoint.
    /// Epochs are 16 steps, so the first signal, 30 ms after a checkpoint
    /// appears, lands inside a step and not in the next epoch's checkpoint
    /// write (with 2-step epochs and faster steps it landed in the write).
    func testSecondCtrlCExitsAtOnceAndKeepsTheLastCheckpoint() throws {
        let data = try TestSupport.mnistSlice(in: dir, train: 4096, test: 32)
        let wide = "    - {type: flatten}\n    - {type: linear, out_features: 2048}\n    - {type: relu}\n    - {type: linear, out_features: 10}"
        let slow = try TestSupport.write(TestSupport.spec(data: data, batchSize: 256, epochs: 1000, val: false, layers: wide), dir, "wide.yaml")
        for attempt in 0..<3 {
            let run = dir.appendingPathComponent("run\(attempt)").path
            let (p, _, err) = try start(["train", slow, "--run-dir", run], "twice\(attempt)")
            try waitFor(run + "/checkpoints/last.h5")
            let before = try TestSupport.weightBits(run + "/checkpoints/last.h5")
            usleep(30_000)
            kill(p.processIdentifier, SIGINT)
            usleep(1_000)
            kill(p.processIdentifier, SIGINT)
            XCTAssertEqual(finish(p), 130)
            // (The first signal's notice may not get out: a second signal taken on another thread exits first.)
            let message = try String(contentsOf: err, encoding: .utf8)
            // Rarely the first signal lands just before a batch boundary and the run stops the graceful way; try again.
            if message.contains("checkpoint written") { continue }
            XCTAssertEqual(try TestSupport.weightBits(run + "/checkpoints/last.h5"), before, "the last good checkpoint is left as it was")
            return
        }
        XCTFail("three times the second Ctrl-C came too late to test exiting at once")
    }

    /// SIGKILL at random moments, most of them inside a checkpoint write (an
    /// epoch here is two steps and one checkpoint): each time, the previous
    /// checkpoint loads and the run picks up from it; in the end one resume completes.
    func testSIGKILLAtRandomMomentsNeverLeavesATornCheckpoint() throws {
        let run = dir.appendingPathComponent("run").path
        let last = run + "/checkpoints/last.h5"
        var generator = SystemRandomNumberGenerator()
        var previousEpoch = -1
        for round in 0..<24 {
            let args = FileManager.default.fileExists(atPath: last)
                ? ["train", spec, "--resume", run, "--quiet"] : ["train", spec, "--run-dir", run, "--quiet", "--force"]
            let (p, _, err) = try start(args, "kill\(round)")
            usleep(UInt32.random(in: 80_000...400_000, using: &generator))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "round \(round) ended on its own: \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
            guard FileManager.default.fileExists(atPath: last) else { continue }
            let ckpt = try Checkpoint.read(from: last)
            XCTAssertGreaterThanOrEqual(ckpt.epoch, previousEpoch, "round \(round): the checkpoint never goes back")
            for (name, t) in ckpt.model { XCTAssertTrue(t.toArray(Float.self).allSatisfy(\.isFinite), name) }
            previousEpoch = ckpt.epoch
        }
        let ckpt = try Checkpoint.read(from: last)
        XCTAssertGreaterThan(ckpt.epoch, 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.contains(".tmp-") }
        XCTAssertLessThanOrEqual(leftovers.count, 1, "a new start clears the temporary files of killed writes: \(leftovers)")
        let table = try TestSupport.runFlint(["runs", run, "--json"])
        XCTAssertEqual(JSONValue.parse(table.out)?["runs"]?.array?.first?["status"]?.string, "failed", "a killed run shows as failed")
        let resumed = try TestSupport.runFlint(["train", spec, "--resume", run, "--set", "train.epochs=\(ckpt.epoch + 1)", "--quiet", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertEqual(try Checkpoint.read(from: last).epoch, ckpt.epoch + 1)
    }
}
