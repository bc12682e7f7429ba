import Foundation
import XCTest

/// The repository's folders, found from this file's place in `Tests/FlintTestSupport`.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Tests/Fixtures/<folder>`, where the generator scripts write what PyTorch computed.
    public static func fixtures(_ folder: String = "") -> URL {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(folder)
    }
}

/// A fresh temporary directory, removed when `test` ends.
public func temporaryDirectory(for test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("flint-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A test case with a fresh directory per test, removed afterwards.
open class TemporaryDirectoryTestCase: XCTestCase {
    public private(set) var directory = URL(fileURLWithPath: NSTemporaryDirectory())

    open override func setUpWithError() throws {
        try super.setUpWithError()
        directory = try temporaryDirectory(for: self)
    }

    /// `name` inside the test's directory.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The error of type `E` that `body` throws; fails the test when it throws nothing or another error.
    public func thrown<E: Error, T>(_: E.Type, by body: @autoclosure () throws -> T,
                                   file: StaticString = #filePath, line: UInt = #line) -> E? {
        do {
            _ = try body()
            XCTFail("expected \(E.self)", file: file, line: line)
        } catch let error as E {
            return error
        } catch {
            XCTFail("expected \(E.self), got \(error)", file: file, line: line)
        }
        return nil
    }
}

/// SplitMix64: a generator whose fixed seed makes every failure of a fuzz test reproducible.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
