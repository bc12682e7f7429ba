import XCTest
import Foundation
import Flint
import FlintHDF5
@testable import FlintTrain

/// A checkpoint either reads back exactly as written or is refused: bit flips anywhere in
/// the file, edited counters and wrong-shaped state never give a different model silently.
final class CheckpointIntegrityTests: XCTestCase {
    /// Everything `Checkpoint.read` returns, as comparable text (tensors by their bits).
    private func fingerprint(_ c: Checkpoint) -> String {
        var parts = ["\(c.epoch) \(c.step) \(c.optimizerType) \(c.optimizerSteps) \(c.optimizerLRs.map(\.bitPattern))",
                     c.config, "\(c.dataOrder) \(c.dataBatchIndex)",
                     "\(c.scheduler.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" })",
                     "\(c.rng.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })",
                     "\(c.history.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map(\.bitPattern))" })",
                     "\(c.trainer.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" })"]
        for (name, tensor) in c.model + c.optimizerState {
            parts.append("\(name) \(tensor.dtype) \(tensor.shape) \(tensor.toArray(Double.self).map(\.bitPattern))")
        }
        return parts.joined(separator: "\n")
    }

    func testSingleBitFlipsAreRefusedOrChangeNothing() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, _) = try TestSupport.trainedCheckpoint(in: dir, train: 64, test: 16)
        let intact = fingerprint(try Checkpoint.read(from: checkpoint))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        var generator = SystemRandomNumberGenerator()
        let flipped = dir.appendingPathComponent("flipped.h5").path
        var refused = 0, unchanged = 0
        // Dense over the first 4 kB (superblock and object headers), then random bits anywhere:
        // metadata, tensors and strings are all hit.
        var positions = stride(from: 0, to: Swift.min(4096, bytes.count) * 8, by: 13 * 8 + 3).map { $0 }
        positions += (0..<150).map { _ in Int.random(in: 0..<(bytes.count * 8), using: &generator) }
        for bit in positions {
            var copy = bytes
            copy[bit / 8] ^= UInt8(1 << (bit % 8))
            try copy.write(to: URL(fileURLWithPath: flipped))
            do {
                let read = try Checkpoint.read(from: flipped)
                XCTAssertEqual(fingerprint(read), intact, "bit \(bit) of \(bytes.count * 8) changed the checkpoint without an error")
                unchanged += 1
            } catch {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, positions.count / 2, "most flips land in data the checksums cover")
        XCTAssertEqual(refused + unchanged, positions.count)
    }

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
