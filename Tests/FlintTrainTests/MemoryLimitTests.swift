import Foundation
import XCTest
import Flint
import FlintSpec

/// Models sized from this machine's memory: `check` and `summary` answer for a model of any
/// size without drawing its weights, and `train` refuses a run that cannot fit before it
/// draws one. Each assertion is on exit codes and messages, which a slow path would give too.
final class MemoryLimitTests: XCTestCase {
    private let available = MemoryBudget.availableBytes

    /// `flatten` then `linear` layers of `features`, on the MLP spec's 784 inputs.
    private func linearSpec(_ dir: URL, features: [Int], batchSize: Int = 32) throws -> String {
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 16)
        let layers = (["    - {type: flatten}"] + features.map { "    - {type: linear, out_features: \($0)}" }).joined(separator: "\n")
        return try TestSupport.write(TestSupport.spec(data: data, batchSize: batchSize, layers: layers), dir, "spec.yaml")
    }

    func testSummaryOfAModelFillingHalfOfMemoryCountsItsParametersWithoutDrawingThem() throws {
        let dir = try TestSupport.tempDir(self)
        // Training holds 16 bytes per parameter (value, gradient, two optimizer buffers):
        // 16·(784·F + F + 10·F + 10) is about half of memory.
        let features = available / 25_120
        let spec = try linearSpec(dir, features: [features, 10])
        let summary = try TestSupport.runFlint(["summary", spec, "--json"])
        XCTAssertEqual(summary.status, 0, summary.err)
        let json = try TestSupport.lastJSONLine(summary.out)
        XCTAssertEqual(json["total_params"] as? Int, 784 * features + features + 10 * features + 10)
    }

    func testAModelTooLargeToTrainIsRefusedAtItsFieldByCheckSummaryAndTrain() throws {
        let dir = try TestSupport.tempDir(self)
        // The weight [F, 784] is within the quarter of memory one tensor may take, while
        // training the layer (16 bytes per parameter) needs more than all of it.
        let features = available / 12_550
        let spec = try linearSpec(dir, features: [features, 10])
        let runDir = dir.appendingPathComponent("run").path
        let text = try String(contentsOfFile: spec, encoding: .utf8).components(separatedBy: "\n")
        let line = try XCTUnwrap(text.firstIndex { $0.contains("out_features: \(features)}") }) + 1
        for (command, options) in [("check", []), ("summary", []), ("train", ["--run-dir", runDir, "--quiet"])] {
            let run = try TestSupport.runFlint([command, spec] + options)
            XCTAssertEqual(run.status, 2, "\(command): \(run.err)")
            XCTAssertTrue(run.err.contains("spec.yaml:\(line):"), "\(command): \(run.err)")
            XCTAssertTrue(run.err.contains("`model.layers[1].out_features`: the model's parameters up to here need"), "\(command): \(run.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runDir + "/checkpoints"))
    }

    func testTrainRefusesARunWhoseBatchCannotFitBeforeItStarts() throws {
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 64, test: 16)
        // C channels of 28·28 per sample, kept with their gradients for a batch of 32:
        // 2·32·784·4·C bytes, twice the memory here; the parameters (12·C) are nothing.
        let channels = available / 100_000
        let layers = """
                - {type: conv2d, out_channels: \(channels), kernel_size: 1}
                - {type: adaptive_avg_pool2d, output_size: 1}
                - {type: flatten}
                - {type: linear, out_features: 10}
            """
        let spec = try TestSupport.write(TestSupport.spec(data: data, batchSize: 32, layers: layers), dir, "spec.yaml")
        let train = try TestSupport.runFlint(["train", spec, "--run-dir", dir.appendingPathComponent("run").path, "--quiet"])
        XCTAssertEqual(train.status, 2, train.err)
        XCTAssertTrue(train.err.contains("spec.yaml:8:15: error: `data.batch_size`: training needs about"), train.err)
        XCTAssertTrue(train.err.contains("activations of a batch of 32"), train.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/checkpoints").path))
        // `check` warns (the spec's batch size) and then refuses as `train` does.
        let check = try TestSupport.runFlint(["check", spec])
        XCTAssertEqual(check.status, 2, check.err)
        XCTAssertTrue(check.err.contains("spec.yaml:8:15: warning: training needs about"), check.err)
        XCTAssertTrue(check.err.contains("error: `data.batch_size`: training needs about"), check.err)
    }

    /// The splits `data.cache` holds count in `check`'s memory warning. The memory here is set
    /// with an address-space limit (`ulimit -v`, which Flint reads as its memory) just above what
    /// the model alone is estimated to need: identity layers add to the estimate (each output
    /// kept for backward) without holding memory, so the process runs well within the limit.
    func testCheckWarnsWhenTheDataCacheTakesTrainingPastTheMemory() throws {
        let dir = try TestSupport.tempDir(self)
        let samples = (train: 2_000, test: 200)
        let data = try TestSupport.mnistSlice(in: dir, train: samples.train, test: samples.test)
        let layers = (["    - {type: flatten}"] + Array(repeating: "    - {type: identity}", count: 600)
                      + ["    - {type: linear, out_features: 10}"]).joined(separator: "\n")
        let spec = try TestSupport.write(TestSupport.spec(data: data, batchSize: 256, layers: layers), dir, "spec.yaml")
        let model = try XCTUnwrap(SpecCheck.run(Spec.load(path: spec)).model)
        let (parameters, activations) = MemoryEstimate.trainingBytes(model, batchSize: 256)
        // Both splits in memory: uint8 images of 784 bytes and int64 labels.
        let cached = Double((samples.train + samples.test) * (784 + 8))
        func check(memory: Double) throws -> (status: Int32, out: String, err: String) {
            try TestSupport.runFlint(["check", spec], addressSpaceLimit: Int(memory))
        }
        let within = try check(memory: parameters + activations + 2 * cached)
        XCTAssertEqual(within.status, 0, within.err)
        XCTAssertFalse(within.err.contains("warning: training needs about"), within.err)
        let tipped = try check(memory: parameters + activations + cached / 2)
        XCTAssertEqual(tipped.status, 0, tipped.err)
        XCTAssertTrue(tipped.err.contains("spec.yaml:8:15: warning: training needs about"), tipped.err)
        XCTAssertTrue(tipped.err.contains("; the data cache (data.cache) "), tipped.err)
    }
}
