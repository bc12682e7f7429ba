import Foundation
import PropertyBased
import Testing
import FlintHDF5
@testable import FlintTrain

/// Property-based fuzzing of every place hostile input enters `flint`: specs and `--set`
/// overrides, NPY/CSV/IDX files, HDF5 data files and checkpoints with flipped bits. Each case
/// runs the real executable in its own process, so a crash or a hang is observed, not suffered.
/// The properties: `flint` never crashes, never hangs, and answers bad input with exit 2 and an
/// error that says where (the spec's FILE:LINE:COL or the `--set` text, the file's name);
/// a flipped checkpoint is refused as corrupt or gives exactly the intact checkpoint's results.
///
/// `make test` runs `FuzzBudget.cases` fixed cases per property; `make fuzz` runs more
/// (`FUZZ_CASES`) with fresh seeds and replays a reported failure (`FUZZ_SEED`). A failure prints
/// its shrunk case and seed; once fixed it joins the property's committed regression cases.
@Suite(.serialized, .fuzzReplay, .enabled(if: TestSupport.flintBinary != nil, "needs the flint executable (make test builds it)"))
struct FuzzTests {
    @Test func specsAndOverridesAreAnsweredWithLocatedErrors() async throws {
        let fixture = try FuzzFixture.shared.get()
        try await Fuzz.property(FuzzGen.specs) { spec in try checkSpec(spec, fixture) }
    }

    private func checkSpec(_ spec: FuzzGen.SpecCase, _ fixture: FuzzFixture) throws {
        let dir = try Fuzz.caseDirectory(["spec.yaml": Data(spec.yaml(data: fixture.data).utf8)])
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Fuzz.flint(["check", "spec.yaml"] + spec.overrides.flatMap { ["--set", $0] }, in: dir)
        Fuzz.expectAnswer(run)
        if run.status == 2 {
            #expect(!run.errorLines.isEmpty, "exit 2 without an error line: \(run)")
            for line in run.errorLines {
                let located = line.range(of: #"^spec\.yaml:[1-9][0-9]*:[1-9][0-9]*: error: "#, options: .regularExpression) != nil
                    || line.hasPrefix("--set ")
                #expect(located, "not located: \(line)\n\(spec.yaml(data: fixture.data))")
            }
        }
    }

    @Test func importedFilesAreAnsweredNamingTheFile() async throws {
        for file in Self.dataFileRegressions { try checkDataFile(file) }
        try await Fuzz.property(FuzzGen.dataFiles) { file in try checkDataFile(file) }
    }

    /// Inputs the property found. A CSV of one column (the target): "train/features: 0 rows
    /// written of 1", naming no file, until a file without feature columns was refused as such.
    /// An NPY of shape (2^40, 0, 2^40): no elements, so its size passed, but HDF5 cannot describe
    /// the dataset ("out.h5: dataset 'train/x' is corrupt"), until every non-zero dimension counted.
    static let dataFileRegressions = [
        FuzzGen.DataFileCase(format: 1, picks: [], payload: 1, variant: true),
        FuzzGen.DataFileCase(format: 0, picks: [0, 5, 2, 5], payload: 0, variant: false),
    ]

    private func checkDataFile(_ file: FuzzGen.DataFileCase) throws {
        let dir = try Fuzz.caseDirectory([file.name: file.bytes])
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Fuzz.flint(file.arguments, in: dir)
        Fuzz.expectAnswer(run)
        if run.status == 2 { #expect(run.err.contains(file.name), "the error does not name \(file.name): \(run)") }
        if run.status == 0 { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.h5").path)) }
    }

    @Test func flippedDataFilesAreAnswered() async throws {
        let fixture = try FuzzFixture.shared.get()
        try await Fuzz.property(FuzzGen.flips(bits: fixture.dataBytes.count * 8)) { bits in
            let dir = try Fuzz.caseDirectory(["data.h5": fixture.dataBytes.flipping(bits),
                                              "spec.yaml": Data(FuzzGen.SpecCase(layers: [], holes: [], overrides: []).yaml(data: "data.h5").utf8)])
            defer { try? FileManager.default.removeItem(at: dir) }
            Fuzz.expectAnswer(try Fuzz.flint(["inspect", "data.h5"], in: dir))
            Fuzz.expectAnswer(try Fuzz.flint(["check", "spec.yaml"], in: dir))
        }
    }

    /// Every flip is refused as corrupt (exit 2) or, landing in bytes that hold nothing, leaves
    /// the evaluation exactly as the intact checkpoint's.
    @Test func flippedCheckpointsAreRefusedOrIdentical() async throws {
        let fixture = try FuzzFixture.shared.get()
        for bits in Self.checkpointRegressions { try checkFlippedCheckpoint(bits, fixture) }
        try await Fuzz.property(FuzzGen.flips(bits: fixture.checkpointBytes.count * 8)) { bits in
            try checkFlippedCheckpoint(bits, fixture)
        }
    }

    /// Flips the property found. Bit 88080 landed in /model's link heap: listing the group
    /// (`flint inspect`) freed a wild pointer inside libhdf5 until links were iterated in stored order.
    static let checkpointRegressions = [[0], [88080]]

    private func checkFlippedCheckpoint(_ bits: [Int], _ fixture: FuzzFixture) throws {
        let dir = try Fuzz.caseDirectory(["ckpt.h5": fixture.checkpointBytes.flipping(bits)])
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Fuzz.flint(["eval", "ckpt.h5", "--json"], in: dir)
        Fuzz.expectAnswer(run)
        if run.status == 0 {
            #expect(FuzzFixture.metrics(run.out) == fixture.intactMetrics, "bits \(bits) changed the results: \(run.out)")
        } else if run.status == 2 {
            // Refused as corrupt; a flip in the signature makes it no HDF5 file at all.
            #expect(run.err.contains("ckpt.h5: checkpoint is corrupt") || run.err.contains("ckpt.h5: not an HDF5 file"),
                    "bits \(bits): \(run)")
        }
        Fuzz.expectAnswer(try Fuzz.flint(["inspect", "ckpt.h5"], in: dir))
        Fuzz.expectAnswer(try Fuzz.flint(["summary", "ckpt.h5"], in: dir))
    }
}

/// What the properties start from, made once per test process: a small data file (a slice of
/// the shipped digits dataset) and a checkpoint trained on it, with its intact evaluation.
struct FuzzFixture: Sendable {
    var directory: URL
    var data: String
    var dataBytes: Data
    var checkpointBytes: Data
    var intactMetrics: String?

    static let shared = Result<FuzzFixture, Error>(catching: { try FuzzFixture() })
    private static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-fuzz-fixture-\(getpid())")

    private init() throws {
        directory = FuzzFixture.directory
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzFixture.directory) }
        data = directory.appendingPathComponent("digits.h5").path
        let source = try HDF5File.open(TestSupport.repoRoot.appendingPathComponent("datasets/digits.h5").path)
        let out = try HDF5File.create(data)
        for (split, rows) in [("train", 48), ("test", 16)] {
            for name in ["images", "labels"] {
                try out.createDataset("\(split)/\(name)", tensor: try source.dataset("\(split)/\(name)").readTensor(rows: 0..<rows))
            }
        }
        try out.close()
        dataBytes = try Data(contentsOf: URL(fileURLWithPath: data))
        let spec = directory.appendingPathComponent("spec.yaml")
        try Data(FuzzGen.SpecCase(layers: [1, 0], holes: [1], overrides: []).yaml(data: data).utf8).write(to: spec)
        let trained = try FlintCommands.train(specPath: spec.path, overrides: [], runDir: directory.appendingPathComponent("run").path,
                                              resume: nil, quiet: true)
        checkpointBytes = try Data(contentsOf: URL(fileURLWithPath: trained.checkpoint))
        let intact = try Fuzz.flint(["eval", trained.checkpoint, "--json"], in: directory)
        intactMetrics = FuzzFixture.metrics(intact.out)
    }

    /// The `metrics` object of `eval --json`'s last line, as canonical JSON text.
    static func metrics(_ out: String) -> String? {
        guard let line = out.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let metrics = object["metrics"],
              let canonical = try? JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]) else { return nil }
        return String(decoding: canonical, as: UTF8.self)
    }
}
