import Foundation
import PropertyBased
import Testing

/// The fuzz properties' budget and replay, from the environment (`make fuzz` sets them):
/// `FLINT_FUZZ_CASES` generated cases per property, `FLINT_FUZZ_SEED` the seed a failure
/// report printed (`.fixedSeed("…")`), which replays that one case and shrinks it again, and
/// `FLINT_FUZZ_TIMEOUT` the seconds after which a run counts as hung.
enum FuzzBudget {
    private static let environment = ProcessInfo.processInfo.environment

    /// True under `make fuzz`: fresh random seeds and shrinking. `make test` instead runs a
    /// fixed sequence of cases, so that CI never turns red on a seed it happened to draw.
    static var exploring: Bool { environment["FLINT_FUZZ_CASES"] != nil || replaySeed != nil }

    static var cases: Int { environment["FLINT_FUZZ_CASES"].flatMap { Int($0) }.map { max(0, $0) } ?? 8 }

    static var timeout: TimeInterval { environment["FLINT_FUZZ_TIMEOUT"].flatMap { Double($0) } ?? 120 }

    static var replaySeed: String? {
        guard let seed = environment["FLINT_FUZZ_SEED"]?.trimmingCharacters(in: CharacterSet(charactersIn: "()\" ")),
              !seed.isEmpty else { return nil }
        return seed
    }
}

/// Replays `FLINT_FUZZ_SEED` through PropertyBased's fixed-seed trait; without it the
/// properties draw fresh seeds, as property tests do.
struct FuzzReplayTrait: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil, let seed = FuzzBudget.replaySeed else { return try await function() }
        guard let state = Xoshiro(seed: seed)?.currentState else {
            Issue.record("FLINT_FUZZ_SEED=\(seed) is not a seed that a fuzz report printed")
            return
        }
        try await FixedSeedTrait.fixedSeed(state.0, state.1, state.2, state.3)
            .provideScope(for: test, testCase: testCase, performing: function)
    }
}

extension Trait where Self == FuzzReplayTrait {
    static var fuzzReplay: Self { FuzzReplayTrait() }
}

/// How one run of `flint` ended. Exit codes 0, 1 and 2 are answers; a signal is a crash,
/// and a run still going after `FuzzBudget.timeout` is a hang (killed, then reported).
struct FlintRun: CustomStringConvertible {
    enum End: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case hung
    }

    var arguments: [String]
    var end: End
    var out: String
    var err: String

    var status: Int32? {
        if case .exited(let code) = end { return code }
        return nil
    }

    var description: String {
        let how: String
        switch end {
        case .exited(let code): how = "exit \(code)"
        case .signalled(let signal): how = "killed by signal \(signal)"
        case .hung: how = "still running after \(Int(FuzzBudget.timeout)) s"
        }
        return "flint \(arguments.joined(separator: " ")): \(how)\n\(err.suffix(1500))"
    }

    /// Lines of stderr that report an error.
    var errorLines: [Substring] {
        err.split(separator: "\n").filter { $0.contains("error:") }
    }
}

enum Fuzz {
    /// Checks `body` on `FuzzBudget.cases` inputs of `generator`: under `make fuzz` through
    /// PropertyBased's `propertyCheck` (random seeds; a failure is shrunk and printed with its
    /// seed), in `make test` on the same inputs every time, drawn from a fixed seed.
    static func property<Value, Shrink: Sequence>(_ generator: Generator<Value, Shrink>,
                                                  _ body: (Value) async throws -> Void) async throws {
        if FuzzBudget.exploring {
            await propertyCheck(count: FuzzBudget.cases, input: generator, perform: body)
        } else {
            var rng = Xoshiro(seed: (0x466C_696E_74, 17, 0x5EED, 3))
            for _ in 0..<FuzzBudget.cases { try await body(generator.run(using: &rng)) }
        }
    }

    /// Runs `flint` in `directory`, writing stdout and stderr to files there (a pipe left
    /// unread could block a chatty child), and kills it once the budget's timeout passes.
    static func flint(_ arguments: [String], in directory: URL) throws -> FlintRun {
        guard let binary = TestSupport.flintBinary else {
            throw FuzzSkip("the flint executable is not built; run `make test`")
        }
        let outURL = directory.appendingPathComponent(".stdout"), errURL = directory.appendingPathComponent(".stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(FuzzBudget.timeout)
        var hung = false
        while process.isRunning {
            if Date() > deadline {
                hung = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        let end: FlintRun.End = hung ? .hung
            : process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus)
            : .exited(process.terminationStatus)
        return FlintRun(arguments: arguments, end: end,
                        out: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                        err: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }

    /// A fresh folder for one generated case, holding `files`; removed by the caller.
    static func caseDirectory(_ files: [String: Data] = [:]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flint-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: url.appendingPathComponent(name)) }
        return url
    }

    /// Expects an answer (one of `allowed` exit codes), never a crash or a hang.
    static func expectAnswer(_ run: FlintRun, _ allowed: Set<Int32> = [0, 2],
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status.map(allowed.contains) == true, "\(run)", sourceLocation: sourceLocation)
    }
}

/// The flint executable is missing: the properties cannot run (they need a process each,
/// so that a crash is observed rather than suffered).
struct FuzzSkip: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
