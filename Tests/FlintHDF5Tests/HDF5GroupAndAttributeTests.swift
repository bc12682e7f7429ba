import XCTest
import FlintTestSupport
@testable import FlintHDF5

final class HDF5GroupAndAttributeTests: TemporaryDirectoryTestCase {
    func testGroupsAreCreatedWithParentsAndListed() throws {
        let file = try HDF5File.create(path("groups.h5"))
        let conv = try file.createGroup("model/block1/conv")
        XCTAssertEqual(conv.path, "model/block1/conv")
        try file.createDataset("model/block1/conv/weight", dtype: .float32, shape: [2, 2])
        try file.createDataset("model/fc/bias", dtype: .float32, shape: [2])

        XCTAssertTrue(file.contains("model/block1"))
        XCTAssertTrue(file.contains("/model/fc/bias"))
        XCTAssertFalse(file.contains("model/block2/conv"))
        XCTAssertEqual(try file.kind(of: "model/fc"), .group)
        XCTAssertEqual(try file.kind(of: "model/fc/bias"), .dataset)
        XCTAssertNil(try file.kind(of: "nothing/here"))

        let model = try file.group("model")
        XCTAssertEqual(try model.children(), [HDF5Child(name: "block1", kind: .group), HDF5Child(name: "fc", kind: .group)])
        XCTAssertEqual(try model.group("block1").dataset("conv/weight").path, "model/block1/conv/weight")
        XCTAssertEqual(try model.group("block1").dataset("/model/fc/bias").path, "model/fc/bias")
        XCTAssertEqual(try file.datasetPaths(), ["model/block1/conv/weight", "model/fc/bias"])

        try file.remove("model/fc")
        XCTAssertFalse(file.contains("model/fc/bias"))
    }

    func testCreatingOverAnExistingObjectFails() throws {
        let file = try HDF5File.create(path("twice.h5"))
        try file.createGroup("train")
        try file.createDataset("train/images", dtype: .uint8, shape: [1])
        let group = hdf5Error(try file.createGroup("train"))
        XCTAssertEqual(group?.kind, .alreadyExists)
        XCTAssertEqual(group?.message, "cannot create group 'train': it already exists")
        let dataset = hdf5Error(try file.createDataset("train/images", dtype: .uint8, shape: [1]))
        XCTAssertEqual(dataset?.message, "cannot create dataset 'train/images': it already exists")
    }

    func testAttributesOfEveryKindOnFileGroupAndDataset() throws {
        let name = path("attributes.h5")
        do {
            let file = try HDF5File.create(name)
            let group = try file.createGroup("train")
            let dataset = try file.createDataset("train/images", dtype: .uint8, shape: [2, 2])
            for object in [file, group, dataset] as [HDF5Object] {
                try object.setAttribute("text", "grey levels, ünïcode")
                try object.setAttribute("count", Int64(60_000))
                try object.setAttribute("epoch", 3)
                try object.setAttribute("mean", 0.1307)
                try object.setAttribute("shape", [60_000, 28, 28] as [Int64])
                try object.setAttribute("std", [0.3081, 0.5])
                try object.setAttribute("classes", ["zero", "one"])
                try object.setAttribute("none", [Double]())
            }
            // Replacing an attribute may change its type.
            try dataset.setAttribute("epoch", "three")
        }
        let file = try HDF5File.open(name)
        let group = try file.group("train")
        let dataset = try file.dataset("train/images")
        for object in [file, group, dataset] as [HDF5Object] {
            XCTAssertEqual(try object.attributeNames(), ["classes", "count", "epoch", "mean", "none", "shape", "std", "text"])
            XCTAssertEqual(try object.stringAttribute("text"), "grey levels, ünïcode")
            XCTAssertEqual(try object.int64Attribute("count"), 60_000)
            XCTAssertEqual(try object.doubleAttribute("mean"), 0.1307)
            XCTAssertEqual(try object.doubleAttribute("count"), 60_000)
            XCTAssertEqual(try object.int64ArrayAttribute("shape"), [60_000, 28, 28])
            XCTAssertEqual(try object.doubleArrayAttribute("std"), [0.3081, 0.5])
            XCTAssertEqual(try object.stringArrayAttribute("classes"), ["zero", "one"])
            XCTAssertEqual(try object.attribute("none"), .doubleArray([]))
            XCTAssertTrue(try object.hasAttribute("mean"))
        }
        XCTAssertEqual(try file.int64Attribute("epoch"), 3)
        XCTAssertEqual(try dataset.attribute("epoch"), .string("three"))
    }

    func testAttributeErrorsNameTheAttributeAndObject() throws {
        let file = try HDF5File.create(path("attribute-errors.h5"))
        let dataset = try file.createDataset("train/labels", dtype: .int64, shape: [3])
        try dataset.setAttribute("source", "train-labels.idx1-ubyte.gz")
        try dataset.setAttribute("bytes", 60_008)

        let missing = hdf5Error(try dataset.attribute("sha256"))
        XCTAssertEqual(missing?.kind, .notFound)
        XCTAssertEqual(missing?.message, "no attribute 'sha256' on 'train/labels' (available: bytes, source)")
        XCTAssertEqual(hdf5Error(try file.attribute("x"))?.message, "no attribute 'x' on '/' (it has no attributes)")

        let wrongType = hdf5Error(try dataset.int64Attribute("source"))
        XCTAssertEqual(wrongType?.kind, .unsupportedType)
        XCTAssertEqual(wrongType?.message, "attribute 'source' of 'train/labels' is a string, not an int64")

        try dataset.removeAttribute("bytes")
        XCTAssertEqual(try dataset.attributeNames(), ["source"])
        XCTAssertEqual(hdf5Error(try dataset.removeAttribute("bytes"))?.kind, .notFound)
    }
}
