import Foundation
import XCTest
import Flint
import FlintNN
@testable import FlintSpec

/// Document classification specs: `padding_mask` read by `transformer_encoder_layer`
/// and `mean_pool` as their second input, and the shipped `models/fortunes_topics.yaml`.
final class TextClassificationSpecTests: XCTestCase {
    static let topicsSpec = """
    name: topics
    data:
      source: docs.h5
      train: {x: train/tokens, y: train/labels}
    model:
      input: [12]
      layers:
        - {type: embedding, name: emb, num_embeddings: 50, embedding_dim: 8, padding_idx: 1}
        - {type: positional_embedding, name: pos}
        - {type: padding_mask, name: mask, inputs: [input], padding_idx: 1}
        - {type: transformer_encoder_layer, name: enc, inputs: [pos, mask], nhead: 2, dim_feedforward: 16, dropout: 0}
        - {type: mean_pool, name: pool, inputs: [enc, mask]}
        - {type: linear, name: head, out_features: 3}
    loss: {type: cross_entropy_loss}
    optimizer: {type: adam}
    """

    private func topics(replacing line: Int, with text: String) -> String {
        var lines = Self.topicsSpec.components(separatedBy: "\n")
        lines[line - 1] = text
        return lines.joined(separator: "\n")
    }

    /// The graph computes what the layers compute by hand: one mask, made from the ids,
    /// reaches both the encoder and the pooling.
    func testTheMaskFeedsTheEncoderAndThePooling() throws {
        let spec = try XCTUnwrap(parsed(Self.topicsSpec))
        let built = try Builder.build(spec.model)
        XCTAssertEqual(built.output, [3])
        let graph = try XCTUnwrap(built.module as? Graph)
        graph.eval()
        func module(_ name: String) throws -> Module { try XCTUnwrap(graph.nodes.first { $0.name == name }?.module, name) }
        // Row 0 holds 3 tokens, row 1 holds 8; the rest is <pad> (1).
        var ids: [Int64] = []
        for (row, length) in [3, 8].enumerated() {
            for position in 0..<12 {
                ids.append(position < length ? Int64(2 + (row * 12 + position) * 7 % 48) : 1)
            }
        }
        let tokens = try Tensor(ids, shape: [2, 12])
        let mask = try module("mask")(tokens)
        XCTAssertEqual(mask.toArray(Int64.self), ids.map { $0 == 1 ? 1 : 0 })
        let hidden = try module("enc").forward([try module("pos")(try module("emb")(tokens)), mask])
        let expected = try module("head")(try module("pool").forward([hidden, mask]))
        XCTAssertEqual(try graph(tokens).toArray(Float.self), expected.toArray(Float.self))
    }

    func testMaskWiringMistakesAreReportedWhereTheyAre() throws {
        XCTAssertEqual(buildDiagnostics(topics(replacing: 11, with:
            "    - {type: transformer_encoder_layer, name: enc, inputs: [pos, emb], nhead: 2, dim_feedforward: 16}")),
                       ["spec.yaml:11:60: error: transformer_encoder_layer: the second input is the key-padding mask and must be "
                        + "a padding_mask layer (reading the token ids)"])
        XCTAssertEqual(diagnostics(topics(replacing: 12, with: "    - {type: mean_pool, name: pool, inputs: [enc, mask, emb]}")),
                       ["spec.yaml:12:45: error: mean_pool reads [sequence] or [sequence, key_padding_mask], got 3 inputs"])
        XCTAssertEqual(buildDiagnostics(topics(replacing: 10, with: "    - {type: padding_mask, name: mask, inputs: [emb], padding_idx: 1}")),
                       ["spec.yaml:10:7: error: padding_mask: expected per-sample token ids [L], got shape [12, 8]"])
        XCTAssertEqual(diagnostics(topics(replacing: 10, with: "    - {type: padding_mask, name: mask, inputs: [input]}")).count, 1)
    }

    /// The shipped topic classifier validates, builds and reads a batch of its dataset.
    func testShippedTopicsModelChecks() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/fortunes_topics.yaml").path
        let check = try SpecCheck.run(path: path)
        XCTAssertEqual(check.diagnostics.map(\.description), [])
        let model = try XCTUnwrap(check.model)
        let types = check.spec.model.layers.map(\.type)
        XCTAssertTrue(types.contains("padding_mask") && types.contains("mean_pool"), "\(types)")
        XCTAssertEqual(model.output.count, 1)
    }
}
