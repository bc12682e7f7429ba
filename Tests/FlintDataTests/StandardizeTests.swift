import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

/// The tabular fixture of `Tests/Fixtures/data/generate_data.py` (`standardize.json`):
/// train, val and test splits that differ in location and scale, and scikit-learn's
/// StandardScaler statistics of the training split.
struct StandardizeFixture {
    let json: [String: Any]

    static func load() throws -> StandardizeFixture {
        let data = try Data(contentsOf: DataFixture.directory.appendingPathComponent("standardize.json"))
        return StandardizeFixture(json: try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    /// `train_x`, `val_y`, ...: float32 features, int64 labels.
    func tensor(_ name: String) throws -> Tensor {
        let object = try XCTUnwrap(json[name] as? [String: Any])
        let shape = try XCTUnwrap(object["shape"] as? [NSNumber]).map(\.intValue)
        let values = try XCTUnwrap(object["values"] as? [NSNumber])
        return name.hasSuffix("_y") ? try Tensor(values.map(\.int64Value), shape: shape) : try Tensor(values.map(\.floatValue), shape: shape)
    }

    func doubles(_ name: String) throws -> [Double] { try XCTUnwrap(json[name] as? [NSNumber]).map(\.doubleValue) }
}

final class StandardizeTests: DataTestCase {
    private func assertStatistics(_ s: Standardize.Statistics?, mean: [Double], std: [Double], _ label: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        guard let s else { return XCTFail("no statistics: \(label)", file: file, line: line) }
        XCTAssertEqual(s.mean.count, mean.count, label, file: file, line: line)
        for (a, b) in zip(s.mean, mean) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "mean: \(label)", file: file, line: line) }
        for (a, b) in zip(s.std, std) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "std: \(label)", file: file, line: line) }
    }

    func testStatisticsAreScikitLearnsOfTheTrainingSplit() throws {
        let f = try StandardizeFixture.load()
        let mean = try f.doubles("mean"), scale = try f.doubles("scale")
        let train = try TensorDataset(x: try f.tensor("train_x"), y: try f.tensor("train_y"))
        let (fitted, statistics) = try DataStatistics.fit([Standardize()], on: train)
        assertStatistics(statistics.standardize[0], mean: mean, std: scale, "in memory")
        // The constant column gets std 1 (scikit-learn's scale_ for zero variance).
        XCTAssertEqual(statistics.standardize[0]?.std.last, 1)
        let test = try f.tensor("test_x")
        assertClose(try fitted[0](test), try Tensor((try f.doubles("test_standardized")).map { Float($0) }, shape: test.shape),
                    atol: 1e-5, "scaler.transform(test)")

        // Streamed in blocks of a few rows: the same statistics.
        let file = try HDF5File.create(path("tabular.h5"))
        try file.createDataset("train/x", tensor: try f.tensor("train_x"))
        try file.createDataset("train/y", tensor: try f.tensor("train_y"))
        try file.close()
        let streamed = try HDF5Source(inputs: [("x", ArrayRef(file: path("tabular.h5"), path: "train/x"))],
                                      y: ArrayRef(file: path("tabular.h5"), path: "train/y"),
                                      blockBytes: 7 * (5 * 4 + 8))  // a row: 5 float32 features and an int64 label
        XCTAssertEqual(streamed.blockRows, 7)
        assertStatistics(try DataStatistics.fit([Standardize()], on: streamed).statistics.standardize[0],
                         mean: mean, std: scale, "streamed")
    }

    func testEachStandardizeIsFittedAfterTheTransformsBeforeIt() throws {
        let f = try StandardizeFixture.load()
        let train = try TensorDataset(x: try f.tensor("train_x"), y: try f.tensor("train_y"))
        let (_, statistics) = try DataStatistics.fit([Standardize(), Standardize()], on: train)
        XCTAssertEqual(statistics.standardize.keys.sorted(), [0, 1])
        // Standardised features have mean 0 and std 1; the constant column is all 0, whose std is taken as 1.
        // Up to float32 rounding: z = (x - mean) / std, rounded to float32 with the mean, is off by at most
        // ε·(|x| + |mean|) / std + ε·|z| (ε = 2^-23), so by 2ε·(max|x| + |mean|) / std, and so are the
        // second standardize's mean (from 0) and std (from 1). A feature far from 0 for its spread loses most.
        let first = try XCTUnwrap(statistics.standardize[0]), second = try XCTUnwrap(statistics.standardize[1])
        let x = try f.tensor("train_x").toArray(Double.self), features = first.mean.count
        for j in 0..<features {
            let largest = stride(from: j, to: x.count, by: features).map { Swift.abs(x[$0]) }.max() ?? 0
            let tolerance = 2 * Double(Float.ulpOfOne) * (largest + Swift.abs(first.mean[j])) / first.std[j]
            XCTAssertEqual(second.mean[j], 0, accuracy: tolerance, "feature \(j)")
            XCTAssertEqual(second.std[j], 1, accuracy: tolerance, "feature \(j)")
        }
        // A fitted transform keeps its statistics.
        let given = try Standardize(mean: [1, 2, 3, 4, 5], std: [1, 1, 1, 1, 1])
        XCTAssertEqual(try DataStatistics.fit([given], on: train).statistics, DataStatistics())
    }

    func testStoredStatisticsApplyAndRoundTripThroughHDF5() throws {
        let stored = DataStatistics(standardize: [1: try Standardize.Statistics(mean: [1, -2], std: [0.5, 4])])
        let file = try HDF5File.create(path("stats.h5"))
        try stored.write(to: try file.createGroup("data/transforms"))
        try file.close()
        let read = try DataStatistics.read(from: try HDF5File.open(path("stats.h5")).group("data/transforms"))
        XCTAssertEqual(read, stored)

        let applied = try read.apply(to: [ToTensor(), Standardize()])
        let x = try Tensor([Float(3), 6, 0, -2], shape: [2, 2])
        // (x - mean) / std by hand: [(3-1)/0.5, (6+2)/4, (0-1)/0.5, (-2+2)/4]
        XCTAssertEqual(try applied[1](x).toArray(Float.self), [4, 2, -2, 0])

        XCTAssertEqual(dataError(try DataStatistics().apply(to: [Standardize()]))?.description,
                       "data.transforms[0] (standardize) has no stored statistics to apply")
        XCTAssertEqual(dataError(try stored.apply(to: [Standardize(), ToTensor()]))?.description,
                       "data.transforms[0] (standardize) has no stored statistics to apply")
        XCTAssertEqual(dataError(try stored.apply(to: [try Standardize(mean: [0], std: [1])]))?.description,
                       "statistics are stored for data.transforms[1] (standardize), but that transform is not in the list")
        XCTAssertEqual(dataError(try Standardize()(x))?.description,
                       "standardize: not fitted; its statistics come from the training split or a checkpoint")
        XCTAssertEqual(dataError(try applied[1].outputShape([3]))?.description,
                       "standardize: 2 feature statistics for samples of shape [3]")
    }
}
