import CHDF5
import Foundation
import XCTest
import FlintTestSupport
@testable import FlintHDF5

final class HDF5ErrorTests: TemporaryDirectoryTestCase {
    private func makeMNISTLike(_ name: String) throws -> String {
        let file = path(name)
        let output = try HDF5File.create(file)
        try output.createDataset("train/images", values: [UInt8](repeating: 7, count: 8), shape: [2, 1, 2, 2])
        try output.createDataset("train/labels", values: [3, 4] as [Int64], shape: [2])
        try output.createDataset("test/labels", values: [5] as [Int64], shape: [1])
        return file
    }

    func testMissingDatasetListsWhatIsNearby() throws {
        let name = try makeMNISTLike("mnist.h5")
        let file = try HDF5File.open(name)
        let error = hdf5Error(try file.dataset("train/imgs"))
        XCTAssertEqual(error?.kind, .notFound)
        XCTAssertEqual(error?.object, "train/imgs")
        XCTAssertEqual(error?.description, "\(name): no dataset 'train/imgs' (available: train/images, train/labels)")

        XCTAssertEqual(hdf5Error(try file.dataset("trian/images"))?.message,
                       "no dataset 'trian/images' (available: test/labels, train/images, train/labels)")
        XCTAssertEqual(hdf5Error(try file.group("validation"))?.message,
                       "no group 'validation' (available: test, train)")
        XCTAssertEqual(hdf5Error(try file.dataset("train/labels/x"))?.message,
                       "no dataset 'train/labels/x' (available: train/images, train/labels)")
    }

    func testWrongKindIsReported() throws {
        let file = try HDF5File.open(try makeMNISTLike("kinds.h5"))
        let error = hdf5Error(try file.dataset("train"))
        XCTAssertEqual(error?.kind, .wrongKind)
        XCTAssertEqual(error?.message, "'train' is a group, not a dataset")
        XCTAssertEqual(hdf5Error(try file.group("train/labels"))?.message, "'train/labels' is a dataset, not a group")
    }

    func testMissingFile() {
        let name = path("absent.h5")
        let error = hdf5Error(try HDF5File.open(name))
        XCTAssertEqual(error?.kind, .fileAccess)
        XCTAssertEqual(error?.description, "\(name): no such file")
        let create = hdf5Error(try HDF5File.create(path("no/such/dir/out.h5")))
        XCTAssertEqual(create?.kind, .fileAccess)
        XCTAssertEqual(create?.message, "cannot create the file: directory '\(path("no/such/dir"))' does not exist")
    }

    func testNotHDF5() throws {
        let name = path("notes.h5")
        try "just some text, long enough to hold a superblock if it were one".write(toFile: name, atomically: true, encoding: .utf8)
        let error = hdf5Error(try HDF5File.open(name))
        XCTAssertEqual(error?.kind, .notHDF5)
        XCTAssertEqual(error?.description, "\(name): not an HDF5 file")
        XCTAssertEqual(hdf5Error(try HDF5File.open(directory.path))?.message, "is a directory, not an HDF5 file")
    }

    func testTruncatedFile() throws {
        let whole = try makeMNISTLike("whole.h5")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let name = path("truncated.h5")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: name))
        let error = hdf5Error(try HDF5File.open(name))
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertTrue(error?.description.hasPrefix("\(name): is truncated or corrupt") ?? false, "\(String(describing: error))")
    }

    func testConflictingOpenIsNotCalledCorrupt() throws {
        let name = try makeMNISTLike("twice.h5")
        let reader = try HDF5File.open(name)
        let error = hdf5Error(try HDF5File.open(name, mode: .readWrite))
        XCTAssertEqual(error?.kind, .fileAccess)
        XCTAssertTrue(error?.message.hasPrefix("is already open in this process") ?? false, "\(String(describing: error))")
        XCTAssertTrue(reader.contains("train"))
    }

    func testBufferSizesAndRowsAreChecked() throws {
        let file = try HDF5File.open(try makeMNISTLike("sizes.h5"))
        let images = try file.dataset("train/images")
        var small = [UInt8](repeating: 0, count: 3)
        let size = try small.withUnsafeMutableBytes { buffer in hdf5Error(try images.read(into: buffer)) }
        XCTAssertEqual(size?.kind, .invalidArgument)
        XCTAssertEqual(size?.message,
                       "dataset 'train/images' (uint8 [2, 1, 2, 2]): all elements need 8 bytes, but the buffer holds 3")
        XCTAssertEqual(hdf5Error(try images.readArray(rows: 1..<3, as: UInt8.self))?.message,
                       "rows 1..<3 are out of range for dataset 'train/images' with 2 rows")
        XCTAssertEqual(hdf5Error(try images.readArray(rowIndices: [0, 2], as: UInt8.self))?.message,
                       "row index 2 is out of range for dataset 'train/images' with 2 rows")
    }

    func testUnsupportedAndUnconvertibleTypes() throws {
        let name = path("types.h5")
        let file = try HDF5File.create(name)
        try file.createDataset("mask", values: [true, false], shape: [2])
        try file.createDataset("config", string: "seed: 0")
        let mask = try file.dataset("mask")
        XCTAssertEqual(hdf5Error(try mask.readArray(as: Float.self))?.message,
                       "cannot read bool [2] dataset 'mask' as float32")
        XCTAssertEqual(hdf5Error(try file.dataset("config").readArray(as: Float.self))?.message,
                       "dataset 'config' holds string, which has no Flint dtype")

        // Types Flint never writes, made with the C API as numpy would store them.
        var dims: [hsize_t] = [3]
        let space = H5.Screate_simple(1, &dims, nil)
        defer { _ = H5.Sclose(space) }
        let shorts = H5.Dcreate2(file.id, "shorts", H5.T_STD_I16LE_g.pointee, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        let values: [Int16] = [-300, 0, 300]
        _ = values.withUnsafeBytes { H5.Dwrite(shorts, H5.T_NATIVE_SHORT_g.pointee, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), $0.baseAddress) }
        _ = H5.Dclose(shorts)
        let widened = try file.dataset("shorts")
        XCTAssertEqual(widened.dtype, .int32)
        XCTAssertEqual(widened.storedType, "int16")
        XCTAssertEqual(try widened.readArray(as: Int32.self), [-300, 0, 300])

        let pair = H5.Tcreate(H5T_COMPOUND, 8)
        _ = H5.Tinsert(pair, "a", 0, H5.T_NATIVE_INT_g.pointee)
        _ = H5.Tinsert(pair, "b", 4, H5.T_NATIVE_INT_g.pointee)
        _ = H5.Dclose(H5.Dcreate2(file.id, "pairs", pair, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)))
        _ = H5.Tclose(pair)
        let pairs = try file.dataset("pairs")
        XCTAssertNil(pairs.dtype)
        XCTAssertEqual(hdf5Error(try pairs.readArray(as: Int32.self))?.message,
                       "dataset 'pairs' holds compound, which has no Flint dtype")
    }

    func testClosedFileRefusesWork() throws {
        let file = try HDF5File.open(try makeMNISTLike("closed.h5"))
        let labels = try file.dataset("train/labels")
        try file.close()
        XCTAssertEqual(hdf5Error(try labels.readArray(as: Int64.self))?.kind, .closed)
        XCTAssertEqual(hdf5Error(try file.dataset("train/labels"))?.message, "the file is closed")
        XCTAssertFalse(file.contains("train"))
    }

    func testInvalidCreationArguments() throws {
        let file = try HDF5File.create(path("arguments.h5"))
        XCTAssertEqual(hdf5Error(try file.createDataset("x", dtype: .uint8, shape: [2, -1]))?.message,
                       "cannot create dataset 'x': shape [2, -1] has negative size -1")
        XCTAssertEqual(hdf5Error(try file.createDataset("x", dtype: .uint8, shape: [4], chunks: [8]))?.kind, .invalidArgument)
        XCTAssertEqual(hdf5Error(try file.createDataset("x", dtype: .uint8, shape: [4], deflate: 12))?.message,
                       "cannot create dataset 'x': deflate level 12 is not in 0...9")
        XCTAssertEqual(hdf5Error(try file.createDataset("x", values: [1, 2, 3] as [Int64], shape: [2]))?.message,
                       "cannot create dataset 'x': 3 values do not fill shape [2] (2 elements)")
    }
}
