import XCTest
import Foundation
@testable import FlintReport
@testable import FlintTrain

/// Run directories, `flint runs`, `flint plot` and the sweep examples (issue 8).
final class RunsTests: XCTestCase {
    private var dir: URL!
    private var spec = ""

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        let data = try TestSupport.mnistSlice(in: dir, train: 320, test: 64)
        spec = try TestSupport.write(TestSupport.spec(data: data, epochs: 2), dir, "tiny.yaml")
    }

    private func shell(_ script: String, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        guard let flint = TestSupport.flintBinary else { throw XCTSkip("the flint executable is not built; run `make test`") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = dir
        p.environment = ProcessInfo.processInfo.environment.merging(env.merging(["FLINT": flint]) { $1 }) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testRunDirectoryHoldsEverything() throws {
        let run = dir.appendingPathComponent("run").path
        let r = try TestSupport.runFlint(["train", spec, "--set", "optimizer.lr=0.02", "--run-dir", run, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        for name in ["config.yaml", "overrides.txt", "metrics.jsonl", "metrics.csv", "summary.json", "train.log",
                     "checkpoints/last.h5", "checkpoints/best.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/" + name), name)
        }
        let config = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        XCTAssertTrue(config.hasPrefix("# flint train \(spec) --set optimizer.lr=0.02\n"), config)
        XCTAssertTrue(config.contains("lr: 0.02"), config)
        XCTAssertEqual(try String(contentsOfFile: run + "/overrides.txt", encoding: .utf8), "optimizer.lr=0.02\n")
        let log = try String(contentsOfFile: run + "/train.log", encoding: .utf8)
        XCTAssertTrue(log.contains("epoch 2/2"), log)
        XCTAssertFalse(r.out.contains("epoch 1/2"), "progress never goes to stdout")
        XCTAssertTrue(r.err.contains("epoch 1/2"), "plain progress lines on a stderr that is not a terminal")
    }

    /// metrics.jsonl and metrics.csv hold the same numbers, and summary.json's
    /// final metrics are the last epoch's (plus the test metrics).
    func testMetricsFilesAgreeAndSummaryEndsWithTheLastEpoch() throws {
        let run = dir.appendingPathComponent("run").path
        let r = try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "", "--quiet prints nothing but errors")
        let records = MetricsLog.read(run + "/metrics.jsonl")
        XCTAssertEqual(records.filter { $0.kind == .epoch }.count, 2)
        let csv = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(csv.first)
        XCTAssertEqual(Array(header.prefix(3)), ["kind", "epoch", "step"])
        XCTAssertEqual(csv.count - 1, records.count)
        for (row, record) in zip(csv.dropFirst(), records) {
            XCTAssertEqual(row[0], record.kind.rawValue)
            XCTAssertEqual(Int(row[1]), record.epoch)
            XCTAssertEqual(Int(row[2]), record.step)
            for (i, key) in header.enumerated().dropFirst(3) {
                if let v = record.values[key] {
                    XCTAssertEqual(Double(row[i]), v, "\(key) of epoch \(record.epoch)")
                } else {
                    XCTAssertEqual(row[i], "", key)
                }
            }
            XCTAssertEqual(Set(record.values.keys), Set(header.dropFirst(3).enumerated().filter { !row[$0.offset + 3].isEmpty }.map(\.element)))
        }
        let summary = try XCTUnwrap(JSONValue.parse(try String(contentsOfFile: run + "/summary.json", encoding: .utf8)))
        let final = try XCTUnwrap(summary["final"]?.object)
        let last = try XCTUnwrap(records.last { $0.kind == .epoch })
        for key in ["train/loss", "val/loss", "val/accuracy"] { XCTAssertEqual(final[key]?.double, last.values[key], key) }
        let result = try XCTUnwrap(JSONValue.parse(try XCTUnwrap(r.out.split(separator: "\n").last)))
        for key in ["test/loss", "test/accuracy", "val/loss"] { XCTAssertEqual(final[key]?.double, result["metrics"]?[key]?.double, key) }
        XCTAssertEqual(summary["status"]?.string, "finished")
        XCTAssertEqual(summary["epochs"]?.int, 2)
        XCTAssertEqual(summary["flint_version"]?.string, FlintVersion.string)
        XCTAssertGreaterThan(summary["peak_memory_bytes"]?.int ?? 0, 1_000_000)
        XCTAssertNotNil(summary["best_epoch"]?.int)
        XCTAssertGreaterThan(summary["wall_seconds"]?.double ?? 0, 0)
    }

    func testExistingRunIsNeverOverwrittenWithoutForce() throws {
        let run = dir.appendingPathComponent("run").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet"]).status, 0)
        let before = try String(contentsOfFile: run + "/summary.json", encoding: .utf8)
        let again = try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet"])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.err.contains("already exists"), again.err)
        XCTAssertTrue(again.err.contains("--force"), again.err)
        XCTAssertEqual(try String(contentsOfFile: run + "/summary.json", encoding: .utf8), before)
        let forced = try TestSupport.runFlint(["train", spec, "--run-dir", run, "--quiet", "--force"])
        XCTAssertEqual(forced.status, 0, forced.err)
        XCTAssertNotEqual(try String(contentsOfFile: run + "/summary.json", encoding: .utf8), before)
        // --force replaces run directories only.
        let other = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try TestSupport.write("mine", other, "todo.txt")
        let refused = try TestSupport.runFlint(["train", spec, "--run-dir", other.path, "--force"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: other.appendingPathComponent("todo.txt").path))
    }

    /// Issue 8's "must show": a 6-run grid from a shell loop, one run made to
    /// fail (its learning rate explodes after the first epoch), read back with `flint runs`.
    func testShellLoopGridIsListedByFlintRuns() throws {
        let script = """
            for lr in 0.01 0.05 0.1; do
              for bs in 32 64; do
                if [ "$lr" = 0.1 ] && [ "$bs" = 64 ]; then
                  "$FLINT" train tiny.yaml --set optimizer.lr=$lr --set data.batch_size=$bs \\
                    --set 'scheduler={type: exponential_lr, gamma: 1.0e30}' --run-dir grid/lr$lr-bs$bs --quiet
                else
                  "$FLINT" train tiny.yaml --set optimizer.lr=$lr --set data.batch_size=$bs --run-dir grid/lr$lr-bs$bs --quiet
                fi || echo "failed: lr=$lr bs=$bs"
              done
            done
            """
        let loop = try shell(script)
        XCTAssertEqual(loop.out.split(separator: "\n"), ["failed: lr=0.1 bs=64"], loop.err)

        let table = try TestSupport.runFlint(["runs", dir.appendingPathComponent("grid").path, "--sort", "val/accuracy"])
        XCTAssertEqual(table.status, 0, table.err)
        let lines = table.out.split(separator: "\n")
        let header = try XCTUnwrap(lines.first).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        for column in ["run", "status", "data.batch_size", "optimizer.lr", "scheduler", "epochs", "time", "val/accuracy", "val/loss", "test/accuracy"] {
            XCTAssertTrue(header.contains(column), "column \(column) missing: \(header)")
        }
        XCTAssertFalse(header.contains("seed"), "overrides that do not differ are not columns")
        XCTAssertTrue(table.out.contains("lr0.1-bs64") && table.out.contains("failed"), table.out)

        let json = try TestSupport.runFlint(["runs", dir.appendingPathComponent("grid").path, "--sort", "val/accuracy", "--json"])
        let runs = try XCTUnwrap(JSONValue.parse(json.out)?["runs"]?.array)
        XCTAssertEqual(runs.count, 6)
        XCTAssertEqual(runs.last?["run"]?.string, "lr0.1-bs64")
        XCTAssertEqual(runs.last?["status"]?.string, "failed")
        XCTAssertEqual(runs.filter { $0["status"]?.string == "finished" }.count, 5)
        let accuracies = runs.dropLast().compactMap { $0["final"]?["val/accuracy"]?.double }
        XCTAssertEqual(accuracies.count, 5)
        XCTAssertEqual(accuracies, accuracies.sorted(by: >), "sorted best first")
        XCTAssertEqual(Set(runs.compactMap { $0["overrides"]?["optimizer.lr"]?.string }), ["0.01", "0.05", "0.1"])

        let filtered = try TestSupport.runFlint(["runs", dir.appendingPathComponent("grid").path, "--filter", "data.batch_size=32", "--csv"])
        XCTAssertEqual(filtered.status, 0, filtered.err)
        let csv = filtered.out.split(separator: "\n")
        XCTAssertEqual(csv.count, 4, filtered.out)
        XCTAssertTrue(csv[0].hasPrefix("run,status,"), filtered.out)
        let byLoss = try TestSupport.runFlint(["runs", dir.appendingPathComponent("grid").path, "--sort", "val/loss", "--json", "--filter", "status=finished"])
        let losses = try XCTUnwrap(JSONValue.parse(byLoss.out)?["runs"]?.array).compactMap { $0["final"]?["val/loss"]?.double }
        XCTAssertEqual(losses, losses.sorted(), "a loss sorts lowest first")

        let svg = dir.appendingPathComponent("curves.svg").path
        let plot = try TestSupport.runFlint(["plot", dir.appendingPathComponent("grid").path, "--metric", "val/accuracy", "--output", svg])
        XCTAssertEqual(plot.status, 0, plot.err)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "<polyline class=\"run\"").count - 1, 6)
        XCTAssertTrue(text.contains(">lr0.01-bs32</text>"), "legend names each run")
        XCTAssertTrue(text.contains(">epoch</text>") && text.contains(">val/accuracy</text>"), "axes are labelled")
        XCTAssertEqual(Set(Plot.palette.filter { text.contains("stroke=\"\($0)\"") }).count, 6, "one colour per run")
    }

    func testSweepExamplesRunOnATinySpec() throws {
        for (script, out) in [("sweep.sh", "seq"), ("sweep-parallel.sh", "par")] {
            let path = TestSupport.repoRoot.appendingPathComponent("examples/\(script)").path
            let r = try shell("sh '\(path)' tiny.yaml \(out)", env: ["LRS": "0.01 0.1", "BATCH_SIZES": "32 64", "JOBS": "2"])
            XCTAssertEqual(r.status, 0, "\(script): \(r.err)")
            let lines = r.out.split(separator: "\n")
            XCTAssertTrue(lines.first?.hasPrefix("run") ?? false, r.out)
            XCTAssertEqual(lines.filter { $0.contains("finished") }.count, 4, "\(script):\n\(r.out)")
            for name in ["lr=0.01-bs=32", "lr=0.01-bs=64", "lr=0.1-bs=32", "lr=0.1-bs=64"] {
                XCTAssertTrue(r.out.contains(name), "\(script) lists \(name)")
            }
        }
    }

    /// On a terminal (a pseudo-terminal from `script`), a live bar redrawn in
    /// place; with --quiet, nothing at all.
    func testProgressBarOnATerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) is not installed") }
        guard let flint = TestSupport.flintBinary else { throw XCTSkip("the flint executable is not built; run `make test`") }
        let bar = try shell("/usr/bin/script -qec \"'\(flint)' train tiny.yaml --run-dir tty\" /dev/null")
        XCTAssertEqual(bar.status, 0, bar.err)
        XCTAssertTrue(bar.out.contains("\r\u{1B}[2Kepoch 1/2 "), bar.out)
        for part in ["samples/s", "loss ", "ETA ", "epoch 2/2  train/loss"] { XCTAssertTrue(bar.out.contains(part), part) }
        let quiet = try shell("/usr/bin/script -qec \"'\(flint)' train tiny.yaml --run-dir ttyq --quiet\" /dev/null")
        XCTAssertEqual(quiet.status, 0, quiet.err)
        XCTAssertFalse(quiet.out.contains("epoch"), quiet.out)
    }

    /// `--init` starts from given weights: with a learning rate of 0 they come out unchanged.
    func testInitStartsFromTheGivenWeights() throws {
        let first = dir.appendingPathComponent("first").path
        XCTAssertEqual(try TestSupport.runFlint(["train", spec, "--run-dir", first, "--quiet"]).status, 0)
        let weights = first + "/checkpoints/last.h5"
        let second = dir.appendingPathComponent("second").path
        let r = try TestSupport.runFlint(["train", spec, "--init", weights, "--set", "optimizer.lr=0", "--set", "train.epochs=1",
                                          "--run-dir", second, "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try TestSupport.weightBits(second + "/checkpoints/last.h5"), try TestSupport.weightBits(weights))
        let both = try TestSupport.runFlint(["train", spec, "--init", weights, "--resume", first])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.err.contains("--init and --resume"), both.err)
    }

    func testRunsOfAMissingFolderIsBadInput() throws {
        let r = try TestSupport.runFlint(["runs", dir.appendingPathComponent("none").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("no such directory"), r.err)
    }
}
