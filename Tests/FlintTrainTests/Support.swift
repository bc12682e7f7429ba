import Foundation
import XCTest
import Flint
import FlintHDF5

/// Paths and fixtures shared by the training and CLI tests.
enum TestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mnist = repoRoot.appendingPathComponent("datasets/mnist.h5").path

    /// A fresh temporary directory, removed when the test ends.
    static func tempDir(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flint-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The first `train` and `test` rows of MNIST, written to a small HDF5 file.
    static func mnistSlice(in dir: URL, train: Int, test: Int) throws -> String {
        let src = try HDF5File.open(mnist)
        let path = dir.appendingPathComponent("mnist-slice.h5").path
        let out = try HDF5File.create(path)
        for (split, n) in [("train", train), ("test", test)] {
            for name in ["images", "labels"] {
                let t = try src.dataset("\(split)/\(name)").readTensor(rows: 0..<n)
                try out.createDataset("\(split)/\(name)", tensor: t)
            }
        }
        try out.close()
        return path
    }

    /// The built `flint` executable next to the test bundle, or in .build.
    static var flintBinary: String? {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("flint").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flint").path,
            repoRoot.appendingPathComponent(".build/release/flint").path,
            repoRoot.appendingPathComponent(".build/debug/flint").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `flint` with `args`; returns exit status, stdout and stderr.
    static func runFlint(_ args: [String], cwd: URL? = nil) throws -> (status: Int32, out: String, err: String) {
        guard let binary = flintBinary else { throw XCTSkip("the flint executable is not built; run `make test`") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The MLP spec of `models/` pointed at `data`, as text.
    static func mlpSpec(data: String, epochs: Int = 1, extra: String = "") -> String {
        """
        name: test-mlp
        seed: 0
        data:
          source: \(data)
          train: {x: train/images, y: train/labels}
          val: {split: 0.1}
          test: {x: test/images, y: test/labels}
          batch_size: 32
          shuffle: true
          transforms:
            - {type: to_tensor}
            - {type: normalize, mean: [0.1307], std: [0.3081]}
        model:
          input: [1, 28, 28]
          layers:
            - {type: flatten}
            - {type: linear, out_features: 64}
            - {type: relu}
            - {type: linear, out_features: 10}
        loss: {type: cross_entropy_loss}
        optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
        train:
          epochs: \(epochs)
        \(extra)
        """
    }
}
