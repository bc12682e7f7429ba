import XCTest
@testable import FlintData

/// The random draws of each augmentation, against hand-derived expectations
/// (torchvision's draws come from torch's generator, so only their laws compare).
final class RandomTransformTests: XCTestCase {
    /// Image b, channel c, pixel (y, x) holds 1000·b + 100·c + 10·y + x.
    private func labelled(_ b: Int, _ c: Int, _ h: Int, _ w: Int) throws -> Tensor {
        var values: [Float] = []
        for i in 0..<b { for j in 0..<c { for y in 0..<h { for x in 0..<w { values.append(Float(1000 * i + 100 * j + 10 * y + x)) } } } }
        return try Tensor(values, shape: [b, c, h, w])
    }

    func testRandomCropPicksEveryValidWindowPerSample() throws {
        let crop = try RandomCrop(size: [2, 3], seed: 1)
        let out = try crop(try labelled(200, 1, 4, 5), generator: Generator(seed: 4)).toArray(Float.self)
        var corners = Set<Int>()
        for b in 0..<200 {
            // The window's top-left value says where it was cut: 10·top + left.
            let corner = Int(out[b * 6]) - 1000 * b
            let (top, left) = (corner / 10, corner % 10)
            XCTAssertTrue((0...2).contains(top) && (0...2).contains(left))
            XCTAssertEqual(out[b * 6 + 5], Float(1000 * b + 10 * (top + 1) + left + 2))
            corners.insert(corner)
        }
        XCTAssertEqual(corners.count, 9, "every one of the 3 × 3 windows turns up")
    }

    func testFlipProbability() throws {
        let x = try labelled(2000, 1, 1, 2)
        let flipped = try RandomFlip(horizontal: true, p: 0.3)(x, generator: Generator(seed: 2)).toArray(Float.self)
        let share = Double(stride(from: 0, to: flipped.count, by: 2).filter { flipped[$0] > flipped[$0 + 1] }.count) / 2000
        XCTAssertEqual(share, 0.3, accuracy: 0.04)
        XCTAssertEqual(try RandomFlip(horizontal: false, p: 0)(x).toArray(Float.self), x.toArray(Float.self))
    }

    func testDegenerateRangesEqualTheDeterministicCores() throws {
        let x = try labelled(2, 3, 6, 7) / 1000
        let rotation = try RandomRotation(degrees: [25, 25], interpolation: .bilinear)
        XCTAssertEqual(try rotation(x).toArray(Float.self), try rotation.rotate(x, angle: 25).toArray(Float.self))
        let affine = try RandomAffine(degrees: [-10, -10], scale: [1.2, 1.2], shear: [5, 5, -3, -3])
        XCTAssertEqual(try affine(x).toArray(Float.self),
                       try affine.affine(x, AffineParameters(angle: -10, scale: 1.2, shear: (5, -3))).toArray(Float.self))
        let jitter = try ColorJitter(brightness: [1.4, 1.4])
        XCTAssertEqual(try jitter(x).toArray(Float.self), try jitter.adjust(x, op: 0, factor: 1.4).toArray(Float.self))
    }

    func testAffineTranslationIsWholePixelsWithinTheBound() throws {
        let affine = try RandomAffine(degrees: [0], translate: [0.3, 0.1])
        let g = Generator(seed: 3)
        for _ in 0..<200 {
            let p = affine.draw(g, height: 10, width: 20)
            XCTAssertEqual(p.translate.0, p.translate.0.rounded())
            XCTAssertLessThanOrEqual(abs(p.translate.0), 6)
            XCTAssertLessThanOrEqual(abs(p.translate.1), 1)
        }
    }

    func testRandomErasingAreaAndProbability() throws {
        let erasing = try RandomErasing(p: 1, scale: [0.1, 0.2], ratio: [0.5, 2], value: .constant([-1]))
        let x = try Tensor.zeros([300, 1, 20, 20]) + 1
        let out = try erasing(x, generator: Generator(seed: 5)).toArray(Float.self)
        for b in 0..<300 {
            let erased = out[(b * 400)..<((b + 1) * 400)].filter { $0 == -1 }.count
            // Rounding h and w moves the area a little past the drawn fraction.
            XCTAssertTrue((30...100).contains(erased), "sample \(b) erased \(erased) of 400 pixels")
        }
        let never = try RandomErasing(p: 0)
        XCTAssertEqual(try never(x).toArray(Float.self), x.toArray(Float.self))
    }

    func testGaussianNoiseStatisticsAndClip() throws {
        let x = try Tensor.zeros([100, 1, 20, 20]) + 0.5
        let noisy = try GaussianNoise(mean: 0.1, sigma: 0.05, clip: false)(x, generator: Generator(seed: 6)).toArray(Float.self)
        let deltas = noisy.map { Double($0) - 0.5 }
        let mean = deltas.reduce(0, +) / Double(deltas.count)
        let std = (deltas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deltas.count)).squareRoot()
        XCTAssertEqual(mean, 0.1, accuracy: 0.003)
        XCTAssertEqual(std, 0.05, accuracy: 0.003)
        let clipped = try GaussianNoise(sigma: 2)(x).toArray(Float.self)
        XCTAssertTrue(clipped.allSatisfy { (0...1).contains($0) })
        XCTAssertEqual(try GaussianNoise(sigma: 0)(x).toArray(Float.self), x.toArray(Float.self))
    }

    func testOwnGeneratorSnapshotRepeatsDraws() throws {
        let crop = try RandomCrop(size: [2], padding: [2], seed: 8)
        let x = try labelled(4, 1, 3, 3)
        let words = crop.generator.snapshot
        let first = try crop(x).toArray(Float.self)
        try crop.generator.restore(words)
        XCTAssertEqual(try crop(x).toArray(Float.self), first)
    }

    func testCastAndUint8RoundTrips() throws {
        let labels = try Tensor([Int64(1), 2])
        XCTAssertEqual(try Cast(dtypeName: "float32")(labels).dtype, .float32)
        XCTAssertThrowsError(try Cast(dtypeName: "float16"))
        let pixels = try Tensor((0..<16).map { UInt8($0 * 16) }, shape: [1, 1, 4, 4])
        let flipped = try RandomFlip(horizontal: false, p: 1)(pixels)
        XCTAssertEqual(flipped.dtype, .uint8)
        XCTAssertEqual(flipped.toArray(UInt8.self).prefix(4), [192, 208, 224, 240])
    }
}
