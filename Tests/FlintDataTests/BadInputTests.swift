import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

/// Each kind of bad data fails with a message naming the file and the place.
final class BadInputTests: DataTestCase {
    private func writeFile(x: Tensor, y: Tensor) throws -> String {
        let file = try HDF5File.create(path("data.h5"))
        try file.createDataset("train/x", tensor: x)
        try file.createDataset("train/y", tensor: y)
        try file.close()
        return path("data.h5")
    }

    func testMissingDatasetPathNamesFileAndAlternatives() throws {
        let file = try writeFile(x: Tensor.zeros([4, 2]), y: Tensor.zeros([4], dtype: .int64))
        do {
            _ = try DataSources.open(file: file, x: "train/images", y: "train/y")
            XCTFail("expected an error")
        } catch let error as HDF5Error {
            XCTAssertEqual(error.kind, .notFound)
            XCTAssertTrue(error.description.hasPrefix("\(file): "), error.description)
            XCTAssertTrue(error.description.contains("train/images"), error.description)
        }
    }

    func testLengthMismatchNamesBothArrays() throws {
        let file = try writeFile(x: Tensor.zeros([4, 2]), y: Tensor.zeros([3], dtype: .int64))
        XCTAssertEqual(dataError(try DataSources.open(file: file, x: "train/x", y: "train/y"))?.description,
                       "\(file): 'train/x' and \(file): 'train/y': x has 4 samples but y has 3")
        XCTAssertEqual(dataError(try TensorDataset(x: Tensor.zeros([4, 2]), y: Tensor.zeros([3])))?.description,
                       "input 'x' and y: x has 4 samples but y has 3")
    }

    func testLabelsOutOfRangeAreCounted() throws {
        let file = try writeFile(x: Tensor.zeros([5, 2]), y: try Tensor([Int64(0), 3, 1, -1, 7]))
        let source = try DataSources.open(file: file, x: "train/x", y: "train/y", options: SourceOptions(cache: .none))
        XCTAssertEqual(dataError(try DataChecks.checkLabels(source, classes: 3))?.description,
                       "\(file): 'train/y': 3 labels are outside 0..<3, first: 3 at row 1")
        XCTAssertNoThrow(try DataChecks.checkLabels(source, classes: 8, ignoreIndex: -1))
    }

    func testNonFiniteFeaturesAreCounted() throws {
        let x = try Tensor([Float(1), .nan, 2, 3, .infinity, .nan, 0, 0], shape: [4, 2])
        let file = try writeFile(x: x, y: Tensor.zeros([4], dtype: .int64))
        let source = try DataSources.open(file: file, x: "train/x", y: "train/y")
        XCTAssertEqual(dataError(try DataChecks.checkFinite(source))?.description,
                       "\(file): 'train/x': 2 NaN and 1 infinite values in 2 samples (first at row 0, element 1); clean or impute them before training")
        XCTAssertNotNil(dataError(try Standardize.fit(source)))
    }

    func testTransformsRejectWrongShapesClearly() throws {
        let crop = try RandomCrop(size: [32])
        XCTAssertEqual(dataError(try crop.outputShape([1, 28, 28]))?.description,
                       "random_crop: crop size [32, 32] is larger than the image size [28, 28]; set padding or pad_if_needed")
    }
}

extension BadInputTests {
    func testImageTransformsNeedImageBatches() throws {
        let flip = try RandomFlip(horizontal: true, p: 1)
        XCTAssertEqual(dataError(try flip(Tensor.zeros([4, 10])))?.description,
                       "random_horizontal_flip: needs image batches [B, C, H, W] or [B, H, W], got shape [4, 10]")
        XCTAssertEqual(dataError(try OneHot(numClasses: 3)(try Tensor([Int64(0), 5])))?.description,
                       "one_hot: 1 labels are outside 0..<3, first: 5 at row 1")
        XCTAssertEqual(dataError(try ColorJitter(brightness: [0.5])(Tensor.zeros([1, 3, 2, 2], dtype: .int64)))?.description,
                       "color_jitter: needs float images in [0, 1] or uint8 images, got int64")
    }
}
