import Foundation
import XCTest
@testable import FlintHDF5

/// A fresh directory per test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var directory = URL(fileURLWithPath: NSTemporaryDirectory())

    override func setUpWithError() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("flint-hdf5-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The error `body` throws, as an HDF5Error; fails the test otherwise.
    func hdf5Error<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> HDF5Error? {
        do {
            _ = try body()
            XCTFail("expected an HDF5Error", file: file, line: line)
        } catch let error as HDF5Error {
            return error
        } catch {
            XCTFail("expected an HDF5Error, got \(error)", file: file, line: line)
        }
        return nil
    }
}

