import XCTest
import Foundation
import Flint
import FlintHDF5
@testable import FlintTrain

/// A checkpoint either reads back exactly as written or is refused: changed weights, edited
/// counters and wrong-shaped state never give a different model silently. (Random bit flips
/// over whole files run in `make test-robustness`, each in a process with a timeout.)
final class CheckpointIntegrityTests: XCTestCase {
    func testAFlippedWeightIsNamedInTheMessage() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        // Change one weight through HDF5, as a bit flip in the raw data would.
        let file = try HDF5File.open(checkpoint, mode: .readWrite)
        let dataset = try file.dataset("model/1.weight")
        var values = try dataset.readArray(as: Float.self)
        values[3] = values[3].nextUp
        try dataset.write(values)
        try file.close()
        XCTAssertThrowsError(try Checkpoint.read(from: checkpoint)) { error in
            XCTAssertEqual("\(error)", "\(checkpoint): checkpoint is corrupt: /model/1.weight fails its checksum")
        }
        XCTAssertThrowsError(try FlintCommands.evaluate(checkpoint: checkpoint, split: "test", data: nil))
        XCTAssertThrowsError(try RestoredModel.load(checkpoint: checkpoint))
    }

    func testEditedCountersAreRefused() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        for (name, value) in [("epoch", Int64.max), ("epoch", -4), ("step", -1)] {
            let copy = dir.appendingPathComponent("edited-\(name)-\(value).h5").path
            try FileManager.default.copyItem(atPath: checkpoint, toPath: copy)
            let file = try HDF5File.open(copy, mode: .readWrite)
            try file.setAttribute(name, value)
            try file.close()
            XCTAssertThrowsError(try Checkpoint.read(from: copy), "\(name) = \(value)") { error in
                XCTAssertTrue("\(error)".contains("checkpoint is corrupt"), "\(error)")
            }
        }
    }

    func testWrongShapedStateInAnUncheckedCheckpointIsRefused() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        var ckpt = try Checkpoint.read(from: checkpoint)
        ckpt.rng["default"] = [1, 2, 3]
        ckpt.epoch = 0
        let path = dir.appendingPathComponent("short-rng.h5").path
        try ckpt.write(to: path)
        XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
            XCTAssertTrue("\(error)".contains("/rng/default holds 3 words"), "\(error)")
        }
    }

    func testNonFiniteWeightsAreRefusedByEvalAndPredict() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        var ckpt = try Checkpoint.read(from: checkpoint)
        let weight = try XCTUnwrap(ckpt.model.firstIndex { $0.name == "1.weight" })
        ckpt.model[weight].tensor = try Tensor.full(ckpt.model[weight].tensor.shape, .nan)
        let path = dir.appendingPathComponent("nan.h5").path
        try ckpt.write(to: path)
        XCTAssertThrowsError(try FlintCommands.evaluate(checkpoint: path, split: "test", data: nil)) { error in
            XCTAssertTrue("\(error)".contains("non-finite"), "\(error)")
        }
        XCTAssertThrowsError(try RestoredModel.load(checkpoint: path))
    }
}
