import XCTest
@testable import FlintData

/// Every deterministic transform core against torchvision on the same inputs
/// (fixtures from `Tests/Fixtures/data/generate_data.py`).
final class TransformParityTests: XCTestCase {
    private var fixture: DataFixture!

    override func setUpWithError() throws { fixture = try DataFixture.load() }

    func testResize() throws {
        for c in fixture.cases("resize") {
            let maxSize = c.params["max_size"] as? NSNumber
            let t = try Resize(size: c.ints("size"), interpolation: Interpolation(rawValue: c.string("interpolation")) ?? .bilinear,
                               maxSize: maxSize?.intValue)
            // uint8 bilinear: torch resizes uint8 natively with its own fixed-point rounding.
            let atol = c.input.dtype == .uint8 ? (c.string("interpolation") == "bilinear" ? 1.0 : 0) : 1e-5
            assertClose(try t(c.input), c.output, atol: atol, c.label)
            XCTAssertEqual(try t.outputShape(Array(c.input.shape.dropFirst())), Array(c.output.shape.dropFirst()))
        }
    }

    func testCenterCrop() throws {
        for c in fixture.cases("center_crop") {
            let t = try CenterCrop(size: c.ints("size"))
            assertClose(try t(c.input), c.output, atol: 0, c.label)
        }
    }

    func testPadThenCropInEveryPaddingMode() throws {
        XCTAssertEqual(fixture.cases("pad_crop").count, 12)
        for c in fixture.cases("pad_crop") {
            let mode = try XCTUnwrap(PaddingMode(rawValue: c.string("mode")))
            let t = try RandomCrop(size: c.ints("size"), padding: c.ints("padding"), fill: [c.double("fill")], paddingMode: mode)
            assertClose(try t.crop(c.input, top: c.int("top"), left: c.int("left")), c.output, atol: 0, c.label)
        }
    }

    func testFlips() throws {
        for c in fixture.cases("flip") {
            let t = try RandomFlip(horizontal: c.params["horizontal"] as? Bool ?? true, p: 1)
            assertClose(try t(c.input), c.output, atol: 0, c.label)
        }
    }

    func testRotate() throws {
        for c in fixture.cases("rotate") {
            let t = try RandomRotation(degrees: [0], interpolation: Interpolation(rawValue: c.string("interpolation")) ?? .nearest,
                                       center: c.doubles("center"), fill: c.doubles("fill") ?? [0])
            let out = try t.rotate(c.input, angle: c.double("angle"))
            // A grid point within a float32 ulp of a pixel edge may pick the neighbour in nearest mode.
            let nearest = c.string("interpolation") == "nearest"
            assertClose(out, c.output, atol: c.input.dtype == .uint8 ? 1 : 1e-4,
                        allowedMismatches: nearest ? c.output.count / 100 : 0, c.label)
        }
    }

    func testAffine() throws {
        for c in fixture.cases("affine") {
            let t = try RandomAffine(degrees: [0], interpolation: Interpolation(rawValue: c.string("interpolation")) ?? .nearest,
                                     fill: c.doubles("fill") ?? [0])
            let translate = c.ints("translate"), shear = c.doubles("shear") ?? [0, 0]
            let p = AffineParameters(angle: c.double("angle"), translate: (Double(translate[0]), Double(translate[1])),
                                     scale: c.double("scale"), shear: (shear[0], shear[1]))
            let nearest = c.string("interpolation") == "nearest"
            assertClose(try t.affine(c.input, p), c.output, atol: 1e-4, allowedMismatches: nearest ? c.output.count / 100 : 0, c.label)
        }
    }

    func testColorAdjustments() throws {
        XCTAssertEqual(fixture.cases("color").count, 16)
        XCTAssertEqual(fixture.cases("color").filter { $0.input.dtype == .uint8 }.count, 8)
        let jitter = try ColorJitter()
        for c in fixture.cases("color") {
            let out = try jitter.adjust(c.input, op: c.int("op"), factor: c.double("factor"))
            // uint8 results are truncated: a float32 rounding just below an integer may
            // land one lower, so exact equality with a rare exception, never a systematic one.
            if c.input.dtype == .uint8 {
                assertClose(out, c.output, atol: 0, allowedMismatches: c.output.count / 100, c.label)
                assertClose(out, c.output, atol: 1, c.label)
            } else {
                assertClose(out, c.output, atol: 2e-5, c.label)
            }
        }
    }

    /// All four adjustments in a row on uint8 RGB in a drawn order, each step
    /// ending in uint8 as in torchvision's ColorJitter.
    func testColorJitterChainsOnUInt8() throws {
        XCTAssertEqual(fixture.cases("color_chain").count, 3)
        let jitter = try ColorJitter()
        for c in fixture.cases("color_chain") {
            var out = c.input
            for (op, factor) in zip(c.ints("ops"), c.doubles("factors") ?? []) { out = try jitter.adjust(out, op: op, factor: factor) }
            assertClose(out, c.output, atol: 0, allowedMismatches: c.output.count / 100, c.label)
            assertClose(out, c.output, atol: 1, c.label)
        }
    }

    func testErase() throws {
        for c in fixture.cases("erase") {
            let t = try RandomErasing(p: 1, value: .constant(c.doubles("value") ?? [0]))
            let out = try t.erase(c.input, top: c.int("top"), left: c.int("left"), height: c.int("height"), width: c.int("width"))
            assertClose(out, c.output, atol: 0, c.label)
        }
    }

    func testToTensorNormalizeOneHotStandardize() throws {
        let toTensor = try XCTUnwrap(fixture.cases("to_tensor").first)
        assertClose(try ToTensor()(toTensor.input), toTensor.output, atol: 1e-7, toTensor.label)

        let norm = try XCTUnwrap(fixture.cases("normalize").first)
        let normalize = try Normalize(mean: norm.doubles("mean") ?? [], std: norm.doubles("std") ?? [])
        assertClose(try normalize(norm.input), norm.output, atol: 1e-6, norm.label)

        let hot = try XCTUnwrap(fixture.cases("one_hot").first)
        assertClose(try OneHot(numClasses: hot.int("num_classes"))(hot.input), hot.output, atol: 0, hot.label)

        let std = try XCTUnwrap(fixture.cases("standardize").first)
        let dataset = try TensorDataset(x: std.input, y: Tensor.zeros([std.input.shape[0]], dtype: .int64))
        let standardize = try Standardize.fit(dataset)
        assertClose(try standardize(std.input), std.output, atol: 1e-4, std.label)
    }
}
