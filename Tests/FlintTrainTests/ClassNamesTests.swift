import XCTest
import Foundation
import FlintData
import FlintHDF5
import ONNXProto
@testable import FlintExport
@testable import FlintTrain

/// Class names from the importer to the checkpoint, `eval`, `predict` and both exports.
final class ClassNamesTests: XCTestCase {
    func testClassNamesTravelFromImportToEveryOutput() throws {
        let dir = try TestSupport.tempDir(self)
        // Two features; the class is the sign of their sum, named as a user's CSV names it.
        var rows = ["a,b,side"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<120 {
            let a = Double.random(in: -1...1, using: &g), b = Double.random(in: -1...1, using: &g)
            rows.append("\(a),\(b),\(a + b < 0 ? "left" : "right")")
        }
        try rows.joined(separator: "\n").write(toFile: dir.appendingPathComponent("sides.csv").path, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("sides.h5").path
        try importCSV(dir.appendingPathComponent("sides.csv").path, output: data,
                      options: CSVImportOptions(target: "side", split: ImportSplit(testFraction: 0.25, seed: 0)))
        let spec = try TestSupport.write("""
            seed: 0
            data:
              source: \(data)
              train: {x: train/features, y: train/labels}
              test: {x: test/features, y: test/labels}
              batch_size: 16
            model:
              input: [2]
              layers:
                - {type: linear, out_features: 2}
            loss: {type: cross_entropy_loss}
            optimizer: {type: sgd, lr: 0.5}
            train: {epochs: 3}

            """, dir, "sides.yaml")
        let result = try FlintCommands.train(specPath: spec, overrides: [], runDir: dir.appendingPathComponent("run").path, resume: nil, quiet: true)
        XCTAssertEqual(try Checkpoint.read(from: result.checkpoint).classNames, ["left", "right"])

        let table = try TestSupport.runFlint(["eval", result.checkpoint])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("\nleft "), table.out)
        XCTAssertTrue(table.out.contains("\nright "), table.out)
        let report = try FlintCommands.evaluate(checkpoint: result.checkpoint, split: "test", data: nil)
        XCTAssertEqual(report.className(1), "right")

        let predictions = dir.appendingPathComponent("p.h5").path
        _ = try FlintCommands.predict(checkpoint: result.checkpoint, input: data + ":test/features", output: predictions)
        XCTAssertEqual(try HDF5File.open(predictions).dataset("predictions").stringArrayAttribute("classes"), ["left", "right"])

        let st = dir.appendingPathComponent("m.safetensors").path
        _ = try FlintCommands.export(checkpoint: result.checkpoint, format: .safetensors, output: st)
        XCTAssertEqual(try SafeTensors.read(from: st).metadata["classes"], #"["left", "right"]"#)
        let onnx = dir.appendingPathComponent("m.onnx").path
        _ = try FlintCommands.export(checkpoint: result.checkpoint, format: .onnx, output: onnx)
        let model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: onnx)))
        XCTAssertEqual(model.metadataProps.first { $0.key == "classes" }?.value, #"["left", "right"]"#)
    }
}
