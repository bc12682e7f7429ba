import XCTest
import Foundation
import Flint
import FlintHDF5
import FlintSpec
@testable import FlintExport
@testable import FlintTrain

/// Files that are not what they seem (FIFOs, an output that is an input), full disks,
/// leftovers of killed runs and two trainings in one run directory.
final class FileSafetyTests: XCTestCase {
    func testAFIFOIsRefusedWithoutBlocking() throws {
        let dir = try TestSupport.tempDir(self)
        let fifo = dir.appendingPathComponent("pipe.h5").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Opening a FIFO for reading blocks until a writer comes: each of these must fail at once.
        XCTAssertThrowsError(try HDF5File.open(fifo)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try Checkpoint.read(from: fifo)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try Spec.load(path: fifo)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
    }

    func testAnOutputThatIsItsOwnInputIsRefusedEvenWithForce() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        // The same file by another name: a symbolic link.
        let alias = dir.appendingPathComponent("alias.h5").path
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: checkpoint)
        XCTAssertThrowsError(try FlintCommands.export(checkpoint: checkpoint, format: .h5, output: alias, force: true)) {
            XCTAssertTrue("\($0)".contains("it is the input"), "\($0)")
        }
        XCTAssertThrowsError(try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: data, force: true)) {
            XCTAssertTrue("\($0)".contains("it is the input"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before)
        XCTAssertNoThrow(try Checkpoint.read(from: checkpoint))
    }

    func testTemporaryFilesOfDeadWritersAreRemovedAtTheNextWrite() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        let folder = URL(fileURLWithPath: checkpoint).deletingLastPathComponent()
        // A process that has exited: its pid is free (until reused, which this test tolerates).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let stale = folder.appendingPathComponent(".last.h5.tmp-\(child.processIdentifier)-12345").path
        let mine = folder.appendingPathComponent(".other.h5.tmp-\(getpid())-1").path
        FileManager.default.createFile(atPath: stale, contents: Data("torn".utf8))
        FileManager.default.createFile(atPath: mine, contents: Data("in progress".utf8))
        try Checkpoint.read(from: checkpoint).write(to: checkpoint)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine), "a live process's temporary file stays")
    }

    /// Every writer, out of space: exit 1 (a runtime failure, not bad input) with a message
    /// saying why, the previous output as it was, no temporary file left, and no crash of
    /// libhdf5 at exit. A file-size limit stands in for the full disk (EFBIG, not ENOSPC):
    /// each command runs in its own process, which inherits the limit.
    func testAFullDiskIsARuntimeFailureThatKeepsThePreviousFile() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir, train: 1200, test: 16)
        var csv = "a,b,c,d,label\n"
        for row in 0..<4000 { csv += "\(row),\(row * 3),\(Double(row) / 7),\(row % 5),\(row % 3)\n" }
        try csv.write(to: dir.appendingPathComponent("table.csv"), atomically: true, encoding: .utf8)
        let spec = try TestSupport.write(TestSupport.mlpSpec(data: data), dir, "mlp.yaml")
        let writers: [(output: String, args: [String])] = [
            ("weights.h5", ["export", checkpoint, "--format", "h5", "--output", "weights.h5", "--force"]),
            ("weights.safetensors", ["export", checkpoint, "--format", "safetensors", "--output", "weights.safetensors", "--force"]),
            ("predictions.h5", ["predict", checkpoint, "--input", data + ":train/images", "--output", "predictions.h5", "--force"]),
            ("table.h5", ["import", "csv", "table.csv", "--target", "label", "--output", "table.h5", "--force"]),
        ]
        let limit = 64 * 1024
        for writer in writers {
            let first = try TestSupport.runFlint(writer.args, cwd: dir)
            XCTAssertEqual(first.status, 0, "\(writer.args): \(first.err)")
            let path = dir.appendingPathComponent(writer.output)
            let before = try Data(contentsOf: path)
            XCTAssertGreaterThan(before.count, limit, "\(writer.output) must outgrow the limit for the test to mean anything")
            let full = try TestSupport.runFlint(writer.args, cwd: dir, fileSizeLimit: limit)
            XCTAssertEqual(full.status, 1, "\(writer.args): \(full.err)")
            XCTAssertTrue(full.err.contains("cannot write") && full.err.contains("file too large"), "\(writer.args): \(full.err)")
            XCTAssertEqual(try Data(contentsOf: path), before, "\(writer.output) changed")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [], "\(writer.args)")
        }
        // Training: its first checkpoint outgrows the limit.
        let train = try TestSupport.runFlint(["train", spec, "--run-dir", "run-full", "--quiet"], cwd: dir, fileSizeLimit: limit)
        XCTAssertEqual(train.status, 1, train.err)
        XCTAssertTrue(train.err.contains("cannot write checkpoint") && train.err.contains("file too large"), train.err)
        let checkpoints = dir.appendingPathComponent("run-full/checkpoints").path
        XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).filter { $0.contains(".tmp-") }, [])
    }

    func testASecondTrainingIntoALockedRunDirectoryIsRefused() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 16)
        let spec = try TestSupport.write(TestSupport.mlpSpec(data: data), dir, "mlp.yaml")
        let run = dir.appendingPathComponent("run").path
        try FlintCommands.claimRunDir(run)
        try RunLock.acquire(run)
        defer { RunLock.release(run) }
        FileManager.default.createFile(atPath: run + "/metrics.jsonl", contents: Data())
        for force in [false, true] {
            let result = try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet"] + (force ? ["--force"] : []))
            XCTAssertEqual(result.status, 2, result.err)
            XCTAssertTrue(result.err.contains("is in use by another training (pid \(getpid())"), result.err)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/metrics.jsonl"), "--force must not delete a run in progress")
    }
}
