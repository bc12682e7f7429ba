import Foundation
import XCTest
import FlintTestSupport
@testable import FlintData

/// A fresh directory per test, removed afterwards.
class DataTestCase: TemporaryDirectoryTestCase {
    /// The `DataError` that `body` throws; fails the test otherwise.
    func dataError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> DataError? {
        thrown(DataError.self, by: try body(), file: file, line: line)
    }

    /// Every batch of one epoch: sample positions and the first input's values.
    func epoch(_ loader: DataLoader, start: Bool = true) throws -> [(indices: [Int], x: [Float], y: [Int64])] {
        if start { loader.startEpoch() }
        var out: [(indices: [Int], x: [Float], y: [Int64])] = []
        while let batch = try loader.next() {
            out.append((batch.indices, batch.x.toArray(Float.self), batch.y.toArray(Int64.self)))
        }
        return out
    }
}

/// A dataset whose sample i has x = [i, i + 0.5] and label i % 3, so every batch says which samples it holds.
func countingDataset(_ n: Int) throws -> TensorDataset {
    let x = try Tensor((0..<n).flatMap { [Float($0), Float($0) + 0.5] }, shape: [n, 2])
    return try TensorDataset(x: x, y: try Tensor((0..<n).map { Int64($0 % 3) }))
}
