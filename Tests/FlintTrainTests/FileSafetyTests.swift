import XCTest
import Foundation
import Flint
import FlintHDF5
import FlintSpec
@testable import FlintExport
@testable import FlintTrain

/// Files that are not what they seem (FIFOs, an output that is an input), leftovers of
/// killed runs and two trainings in one run directory.
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
