import XCTest
import FlintTestSupport
@testable import FlintHDF5

extension TemporaryDirectoryTestCase {
    /// The error `body` throws, as an HDF5Error; fails the test otherwise.
    func hdf5Error<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> HDF5Error? {
        thrown(HDF5Error.self, by: try body(), file: file, line: line)
    }
}
