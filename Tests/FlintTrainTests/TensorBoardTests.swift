import XCTest
import Foundation
import FlintSpec
@testable import FlintTrain

/// TensorBoard event files, read back by the `tensorboard` package's own
/// reader (skipped with a message where it is not installed; `make
/// test-interop-tensorboard` installs it and runs this).
final class TensorBoardTests: XCTestCase {
    /// CRC-32C check values from RFC 3720 (iSCSI), B.4.
    func testCRC32CMatchesTheStandardCheckValues() {
        XCTAssertEqual(CRC32C.checksum(Data(repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum(Data(repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum(Data((0..<32).map { UInt8($0) })), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum(Data("123456789".utf8)), 0xE306_9283)
    }

    private func python(_ script: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testTensorBoardReadsTheScalarsAndHistograms() throws {
        guard (try? python("import tensorboard", []))?.status == 0 else {
            throw XCTSkip("the tensorboard Python package is not installed (pip install tensorboard, or make test-interop-tensorboard)")
        }
        let dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 320, test: 64)
        let path = try TestSupport.write(TestSupport.spec(data: data, epochs: 3), dir, "spec.yaml")
        var plan = try RunPlan(spec: try Spec.load(path: path))
        plan.control = TrainingControl(logEverySteps: 4, tensorboard: true, tensorboardHistograms: true)
        let run = dir.appendingPathComponent("run").path
        let result = try Trainer(plan: plan, options: TrainOptions(runDir: run, quiet: true)).run()

        let reader = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "histograms": 0})
            acc.Reload()
            tags = acc.Tags()
            out = {"scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
                   "histograms": {t: [[e.step, e.histogram_value.num] for e in acc.Histograms(t)] for t in tags["histograms"]}}
            print(json.dumps(out))
            """
        let r = try python(reader, [run + "/tensorboard"])
        XCTAssertEqual(r.status, 0, r.err)
        let doc = try XCTUnwrap(JSONValue.parse(r.out))
        let scalars = try XCTUnwrap(doc["scalars"]?.object)
        for tag in ["train/loss", "val/loss", "val/accuracy", "lr", "epoch", "train/loss_step", "lr_step", "test/loss", "test/accuracy"] {
            XCTAssertNotNil(scalars[tag], "missing tag \(tag); have \(scalars.keys.sorted())")
        }
        // Epoch scalars sit at the global step of each epoch's end: 9 steps per epoch.
        let epochRecords = MetricsLog.read(run + "/metrics.jsonl").filter { $0.kind == .epoch }
        let loss = try XCTUnwrap(scalars["train/loss"]?.array).map { $0.array ?? [] }
        XCTAssertEqual(loss.map { $0.first?.int }, [9, 18, 27])
        for (point, record) in zip(loss, epochRecords) {
            XCTAssertEqual(point.last?.double ?? .nan, Double(Float(record.values["train/loss"] ?? .nan)), accuracy: 1e-7)
        }
        XCTAssertEqual(try XCTUnwrap(scalars["train/loss_step"]?.array).map { $0.array?.first?.int }, [4, 8, 12, 16, 20, 24])
        XCTAssertEqual(try XCTUnwrap(scalars["test/accuracy"]?.array).first?.array?.last?.double ?? .nan,
                       result.metrics["test/accuracy"] ?? 0, accuracy: 1e-6)
        let histograms = try XCTUnwrap(doc["histograms"]?.object)
        // 784·32 weights of the first linear layer, at each epoch's end.
        XCTAssertEqual(try XCTUnwrap(histograms["1.weight"]?.array).map { $0.array?.last?.double }, [25088, 25088, 25088])
    }
}
