import Foundation
import XCTest
@testable import Flint
@testable import FlintNN

/// The pieces of a causal language model: the causal encoder layer, position
/// embeddings and cross-entropy over `[N, L, C]` logits.
final class SequenceModelTests: XCTestCase {
    /// With `causal`, output position i depends on inputs 0...i only: changing the
    /// input at position k leaves every earlier output exactly as it was.
    func testCausalEncoderLayerNeverLooksAhead() throws {
        let generator = Generator(seed: 7)
        for normFirst in [false, true] {
            let layer = try TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true,
                                                    normFirst: normFirst, causal: true, generator: generator)
            layer.eval()
            let x = try Tensor.randn([2, 6, 8], generator: generator)
            let before = try layer(x).toArray(Float.self)
            for k in [1, 3, 5] {
                let changed = try x.clone()
                try changed.narrow(1, start: k, length: 1).copyFrom(try Tensor.randn([2, 1, 8], generator: generator))
                let after = try layer(changed).toArray(Float.self)
                for n in 0..<2 {
                    for position in 0..<6 {
                        let range = (n * 48 + position * 8)..<(n * 48 + position * 8 + 8)
                        if position < k {
                            XCTAssertEqual(Array(after[range]), Array(before[range]), "position \(position) saw position \(k)")
                        } else if position == k {
                            XCTAssertNotEqual(Array(after[range]), Array(before[range]))
                        }
                    }
                }
            }
            // Without the mask, earlier positions do see later ones.
            let open = try TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true,
                                                   generator: generator)
            open.eval()
            let changed = try x.clone()
            try changed.narrow(1, start: 5, length: 1).copyFrom(try Tensor.zeros([2, 1, 8]))
            XCTAssertNotEqual(try open(changed).narrow(1, start: 0, length: 1).toArray(Float.self),
                              try open(x).narrow(1, start: 0, length: 1).toArray(Float.self))
        }
    }

    /// The sinusoidal table is the one of PyTorch's transformer tutorial (written by
    /// Tests/Fixtures/train/lm_parity.py); the learned one adds `weight[:L]`.
    func testPositionalEmbeddings() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/train/lm_parity.json")
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let block = try XCTUnwrap(doc["block"] as? Int), dim = try XCTUnwrap(doc["dim"] as? Int)
        let expected = try XCTUnwrap(doc["sinusoids"] as? [Double])
        let fixed = try PositionalEmbedding(maxLen: block, embeddingDim: dim, sinusoidal: true)
        XCTAssertTrue(fixed.namedParameters().isEmpty)
        for (got, want) in zip(try fixed.table().toArray(Double.self), expected) {
            XCTAssertEqual(got, want, accuracy: 1e-6)  // float32 storage of values in [-1, 1]
        }
        let learned = try PositionalEmbedding(maxLen: 5, embeddingDim: 3)
        let x = try Tensor.randn([2, 4, 3])
        let table = try XCTUnwrap(learned.parameter("weight")).toArray(Float.self)
        let y = try learned(x).toArray(Float.self), xs = x.toArray(Float.self)
        for i in xs.indices { XCTAssertEqual(y[i], xs[i] + table[i % 12]) }
        XCTAssertThrowsError(try learned(try Tensor.randn([1, 6, 3])))
        XCTAssertThrowsError(try learned.outputShape(input: [6, 3]))
    }

    /// `classesLast` over `[N, L, C]` is PyTorch's loss over the transposed `[N, C, L]`.
    func testCrossEntropyClassesLastIsTheLossOfTheTransposedLogits() throws {
        let logits = try Tensor.randn([3, 5, 7], generator: Generator(seed: 1))
        let target = try Tensor((0..<15).map { Int64(($0 * 5) % 7) }, shape: [3, 5])
        try target.view([-1]).narrow(0, start: 4, length: 1).copyFrom(try Tensor([Int64(-100)]))
        for reduction in [Reduction.mean, .sum, .none] {
            let last = try CrossEntropyLoss(reduction: reduction, classesLast: true)(logits, target)
            let torchLayout = try CrossEntropyLoss(reduction: reduction)(logits.transpose(1, 2), target)
            XCTAssertEqual(last.shape, torchLayout.shape)
            for (a, b) in zip(last.toArray(Double.self), torchLayout.toArray(Double.self)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        XCTAssertThrowsError(try CrossEntropyLoss(classesLast: true)(logits, try Tensor.zeros([3, 7], dtype: .int64)))
    }

    /// d/dz of the mean per-position cross-entropy, by central differences in float64.
    func testCrossEntropyClassesLastGradientByFiniteDifferences() throws {
        let values = (0..<30).map { sin(Double($0) * 1.7) * 2 }
        let target = try Tensor([Int64(1), 4, -100, 0, 2, 3], shape: [2, 3])
        let loss = CrossEntropyLoss(classesLast: true)
        func value(_ v: [Double]) throws -> Double { try loss(try Tensor(v, shape: [2, 3, 5]), target).item() }
        let z = try Tensor(values, shape: [2, 3, 5])
        z.requiresGrad = true
        try loss(z, target).backward()
        let analytic = try XCTUnwrap(z.grad).toArray(Double.self)
        let eps = 1e-6
        for i in values.indices {
            var plus = values, minus = values
            plus[i] += eps
            minus[i] -= eps
            XCTAssertEqual(analytic[i], (try value(plus) - (try value(minus))) / (2 * eps), accuracy: 1e-7, "element \(i)")
        }
        // The ignored position gets no gradient.
        XCTAssertEqual(Array(analytic[10..<15]), [Double](repeating: 0, count: 5))
    }
}
