import Foundation
import XCTest
import Flint
import FlintHDF5
import FlintTestSupport

/// Paths and fixtures shared by the training and CLI tests.
enum TestSupport {
    static let repoRoot = Repository.root
    static let mnist = repoRoot.appendingPathComponent("datasets/mnist.h5").path

    /// A fresh temporary directory, removed when the test ends.
    static func tempDir(_ test: XCTestCase) throws -> URL { try temporaryDirectory(for: test) }

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

    /// Runs `flint` with `args`; returns exit status, stdout and stderr. With `fileSizeLimit`
    /// the child may write no file past that many bytes (writes fail with EFBIG, as on a full
    /// disk): the limit and an ignored SIGXFSZ are in force while it starts, and it inherits both.
    /// With `addressSpaceLimit` (bytes) the child runs under `ulimit -v`, which Flint takes as its memory.
    static func runFlint(_ args: [String], cwd: URL? = nil, fileSizeLimit: Int? = nil,
                         addressSpaceLimit: Int? = nil) throws -> (status: Int32, out: String, err: String) {
        guard let binary = flintBinary else { throw XCTSkip("the flint executable is not built; run `make test`") }
        let p = Process()
        if let addressSpaceLimit {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "ulimit -v \(addressSpaceLimit / 1024) && exec \"$0\" \"$@\"", binary] + args
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args
        }
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let fileSizeLimit {
            var saved = rlimit()
            guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved) == 0 else { throw XCTSkip("getrlimit failed") }
            var limit = saved
            limit.rlim_cur = rlim_t(fileSizeLimit)
            let handler = signal(SIGXFSZ, SIG_IGN)
            defer {
                _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
                signal(SIGXFSZ, handler)
            }
            guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else { throw XCTSkip("setrlimit failed") }
            try p.run()
        } else {
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The MLP spec of `models/` pointed at `data`, as text; `extra` is appended (to the `train:` section, or top-level keys).
    static func mlpSpec(data: String, epochs: Int = 1, extra: String = "") -> String {
        spec(data: data, name: "test-mlp", epochs: epochs,
             layers: "    - {type: flatten}\n    - {type: linear, out_features: 64}\n    - {type: relu}\n    - {type: linear, out_features: 10}")
            + extra + "\n"
    }
}

import FlintTrain

extension TestSupport {
    /// The MLP spec trained for one epoch on the first `train`/`test` rows of
    /// MNIST, in `dir`; returns the checkpoint and the data file.
    static func trainedCheckpoint(in dir: URL, train: Int = 200, test: Int = 50, extra: String = "") throws -> (checkpoint: String, data: String) {
        let data = try mnistSlice(in: dir, train: train, test: test)
        let specPath = dir.appendingPathComponent("mlp.yaml").path
        try mlpSpec(data: data, extra: extra).write(toFile: specPath, atomically: true, encoding: .utf8)
        let result = try FlintCommands.train(specPath: specPath, overrides: [], runDir: dir.appendingPathComponent("run").path,
                                             resume: nil, quiet: true)
        return (result.checkpoint, data)
    }

    /// The last line of a command's stdout as a JSON object.
    static func lastJSONLine(_ out: String) throws -> [String: Any] {
        let line = try XCTUnwrap(out.split(separator: "\n").last, "no output")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }
}

// MARK: - Run-directory and trainer-loop tests

extension TestSupport {
    /// A small spec on `data` with a `model:`, `optimizer:` and extra sections given as YAML text.
    static func spec(data: String, name: String = "tiny", batchSize: Int = 32, epochs: Int = 2, val: Bool = true,
                     layers: String = "    - {type: flatten}\n    - {type: linear, out_features: 32}\n    - {type: relu}\n    - {type: linear, out_features: 10}",
                     optimizer: String = "{type: sgd, lr: 0.05, momentum: 0.9}", extra: String = "", augment: String = "") -> String {
        """
        name: \(name)
        seed: 0
        data:
          source: \(data)
          train: {x: train/images, y: train/labels}
        \(val ? "  val: {split: 0.1}" : "")
          test: {x: test/images, y: test/labels}
          batch_size: \(batchSize)
          shuffle: true
          transforms:
            - {type: to_tensor}
            - {type: normalize, mean: [0.1307], std: [0.3081]}\(augment.isEmpty ? "" : "\n" + augment)
        model:
          input: [1, 28, 28]
          layers:
        \(layers)
        loss: {type: cross_entropy_loss}
        optimizer: \(optimizer)\(extra.isEmpty ? "" : "\n" + extra)
        train:
          epochs: \(epochs)

        """
    }

    /// Writes `text` to `name` in `dir` and returns its path.
    @discardableResult
    static func write(_ text: String, _ dir: URL, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The object of a JSON file.
    static func jsonObject(_ path: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "\(path) is missing")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every parameter and buffer of a checkpoint as raw bit patterns, by name.
    static func weightBits(_ path: String) throws -> [String: [UInt32]] {
        let file = try HDF5File.open(path)
        let group = try file.group("model")
        var out: [String: [UInt32]] = [:]
        for child in try group.children() {
            out[child.name] = try group.dataset(child.name).readTensor().toArray(Float.self).map(\.bitPattern)
        }
        return out
    }
}
