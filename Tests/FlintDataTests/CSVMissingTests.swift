import Foundation
import FlintHDF5
import XCTest
@testable import FlintData

/// `flint import csv --missing drop|mean|median|error` (Ludwig's missing_value_strategy): what
/// becomes of missing feature values, and which rows and columns the report names.
final class CSVMissingTests: DataTestCase {
    /// Lines 3 and 5 miss `a`, line 4 misses `b`; the column means over present values are
    /// a: (1 + 4 + 8) / 3, b: (10 + 20 + 40 + 80) / 4, the medians a: 4, b: (20 + 40) / 2.
    private func table() throws -> String {
        let text = "a,b,y\n1,10,n\n,20,p\n4,,n\nNA,40,p\n8,80,n\n"
        try text.write(toFile: path("t.csv"), atomically: true, encoding: .utf8)
        return path("t.csv")
    }

    private func features(_ strategy: CSVImportOptions.MissingStrategy) throws -> (CSVImportReport, [Float]) {
        let out = path("t-\(strategy.rawValue).h5")
        let report = try importCSV(try table(), output: out, options: CSVImportOptions(target: "y", missing: strategy))
        return (report, try HDF5File.open(out).dataset("train/features").readArray(as: Float.self))
    }

    func testDropLeavesOutTheRowsAndSaysWhich() throws {
        let (report, x) = try features(.drop)
        XCTAssertEqual(report.rows, 2)
        XCTAssertEqual(x, [1, 10, 8, 80])
        XCTAssertEqual(report.rowsWithMissing, [3, 4, 5])
        XCTAssertTrue(report.description.contains("dropped 3 rows with missing values (lines 3, 4, 5); columns: 'a' 2, 'b' 1"),
                      report.description)
        let labels = try HDF5File.open(path("t-drop.h5")).dataset("train/labels").readArray(as: Int64.self)
        XCTAssertEqual(labels, [0, 0])
    }

    func testMeanAndMedianFillNumericColumns() throws {
        let (mean, xm) = try features(.mean)
        XCTAssertEqual(mean.rows, 5)
        XCTAssertEqual(xm[2], Float(13.0 / 3))
        XCTAssertEqual(xm[5], Float(150.0 / 4))
        XCTAssertEqual(xm[6], Float(13.0 / 3))
        XCTAssertFalse(xm.contains { $0.isNaN })
        XCTAssertTrue(mean.description.contains("filled with the column mean"), mean.description)
        let (_, xd) = try features(.median)
        XCTAssertEqual([xd[2], xd[5], xd[6]], [4, 30, 4])
    }

    func testErrorNamesTheLineAndColumn() throws {
        let error = dataError(try features(.error))
        XCTAssertEqual(error?.description, "\(path("t.csv")):3: column 'a' is missing (--missing error); "
                       + "--missing drop leaves such rows out, mean or median fills them")
    }

    func testMeanOfACategoricalColumnIsRefused() throws {
        try "c,y\nred,0\n,1\nblue,0\n".write(toFile: path("c.csv"), atomically: true, encoding: .utf8)
        let error = dataError(try importCSV(path("c.csv"), output: path("c.h5"), options: CSVImportOptions(target: "y", missing: .mean)))
        XCTAssertTrue(error?.description.contains("column 'c' has missing values but holds categories") ?? false, "\(String(describing: error))")
    }
}
