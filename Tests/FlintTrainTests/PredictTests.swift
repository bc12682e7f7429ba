import XCTest
import Foundation
import Flint
import FlintData
import FlintHDF5
@testable import FlintTrain

/// `flint predict`: outputs equal the model applied to the transformed
/// inputs, whatever the batch size; files appear whole or not at all.
final class PredictTests: XCTestCase {
    func testOutputsPredictionsAndProbabilitiesMatchTheModel() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let out = dir.appendingPathComponent("pred.h5").path
        let result = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out, batchSize: 7)
        XCTAssertEqual(result.samples, 50)
        XCTAssertEqual(result.outputShape, [10])
        XCTAssertTrue(result.classifier)

        // The oracle: the restored model on the whole split at once, after to_tensor and normalize.
        let restored = try RestoredModel.load(checkpoint: checkpoint)
        let images = try HDF5File.open(data).dataset("test/images").readTensor()
        let x = try (images.casted(to: .float32) / 255 - 0.1307) / 0.3081
        let expected = try noGrad { try restored.module(x) }

        let file = try HDF5File.open(out)
        let outputs = try file.dataset("outputs").readTensor()
        XCTAssertEqual(outputs.shape, [50, 10])
        for (a, b) in zip(outputs.toArray(Float.self), expected.toArray(Float.self)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(try file.dataset("predictions").readTensor().toArray(Int64.self), try expected.argmax(dim: 1).toArray(Int64.self))
        let probabilities = try file.dataset("probabilities").readTensor()
        for row in try probabilities.sum(dim: 1).toArray(Float.self) { XCTAssertEqual(row, 1, accuracy: 1e-5) }
        XCTAssertEqual(try file.stringAttribute("input"), data + ":test/images")
    }

    func testBatchSizeDoesNotChangeTheOutput() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        var outputs: [[Float]] = []
        for batch in [1, 13, 50, 64] {
            let out = dir.appendingPathComponent("pred-\(batch).h5").path
            _ = try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/images", output: out, batchSize: batch)
            outputs.append(try HDF5File.open(out).dataset("outputs").readTensor().toArray(Float.self))
        }
        for o in outputs.dropFirst() {
            for (a, b) in zip(o, outputs[0]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testDatasetIsChosenOrNamed() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        // Without a dataset, the spec's test inputs are taken from a file that has them.
        let out = dir.appendingPathComponent("a.h5").path
        XCTAssertEqual(try FlintCommands.predict(checkpoint: checkpoint, input: data, output: out).dataset, "test/images")

        XCTAssertThrowsError(try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/imgs",
                                                       output: dir.appendingPathComponent("b.h5").path)) { error in
            XCTAssertTrue("\(error)".contains("no dataset 'test/imgs' (available: test/images, test/labels, train/images, train/labels)"), "\(error)")
        }
        // Labels are not images: their shape does not fit the model.
        XCTAssertThrowsError(try FlintCommands.predict(checkpoint: checkpoint, input: data + ":test/labels",
                                                       output: dir.appendingPathComponent("c.h5").path)) { error in
            XCTAssertTrue("\(error)".contains("test/labels"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.h5").path))
    }

    func testExistingOutputIsKeptWithoutForce() throws {
        let dir = try TestSupport.tempDir(self)
        let (checkpoint, data) = try TestSupport.trainedCheckpoint(in: dir)
        let out = dir.appendingPathComponent("pred.h5").path
        try "precious".write(toFile: out, atomically: true, encoding: .utf8)
        let refused = try TestSupport.runFlint(["predict", checkpoint, "--input", data + ":test/images", "--output", out])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.err.contains("--force"), refused.err)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "precious")

        let forced = try TestSupport.runFlint(["predict", checkpoint, "--input", data + ":test/images", "--output", out, "--force", "--json"])
        XCTAssertEqual(forced.status, 0, forced.err)
        XCTAssertEqual(try TestSupport.lastJSONLine(forced.out)["samples"] as? Int, 50)
        XCTAssertEqual(try HDF5File.open(out).dataset("predictions").shape, [50])
    }
}
