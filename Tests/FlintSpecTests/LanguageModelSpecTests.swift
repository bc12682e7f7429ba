import XCTest
import FlintNN
@testable import FlintSpec

/// Language-model specs: token-window splits, `positional_embedding`, `causal`
/// and `tie_weights`, with the same FILE:LINE:COL diagnostics as every field.
final class LanguageModelSpecTests: XCTestCase {
    static let lmSpec = """
    name: lm
    data:
      source: text.h5
      train: {tokens: train/tokens, block_size: 16}
      val: {tokens: val/tokens, block_size: 16, stride: 4}
    model:
      input: [16]
      layers:
        - {type: embedding, name: wte, num_embeddings: 40, embedding_dim: 8}
        - {type: positional_embedding, name: wpe}
        - {type: transformer_encoder_layer, nhead: 2, dim_feedforward: 16, causal: true}
        - {type: layer_norm}
        - {type: linear, out_features: 40, bias: false, tie_weights: wte}
    loss: {type: cross_entropy_loss}
    optimizer: {type: adamw}
    train: {metrics: [perplexity, bits_per_token]}
    """

    func lm(replacing line: Int, with text: String) -> String {
        var lines = Self.lmSpec.components(separatedBy: "\n")
        lines[line - 1] = text
        return lines.joined(separator: "\n")
    }

    func testTokenWindowsAndTheModelAreRead() throws {
        let spec = try XCTUnwrap(parsed(Self.lmSpec))
        XCTAssertEqual(spec.data.train.window?.blockSize, 16)
        XCTAssertNil(spec.data.train.window?.stride)
        guard case .arrays(let val) = spec.data.val else { return XCTFail("val should be its own token windows") }
        XCTAssertEqual(val.window?.stride, 4)
        XCTAssertEqual(val.x, "val/tokens")

        let built = try Builder.build(spec.model)
        XCTAssertEqual(built.output, [16, 40])
        let layers = try XCTUnwrap(built.module as? Sequential)
        let head = try XCTUnwrap(layers.child("4")?.parameter("weight")), table = try XCTUnwrap(layers.child("wte")?.parameter("weight"))
        XCTAssertTrue(head === table)
        // The shared 40·8 table is counted once, as PyTorch's parameters() does.
        let encoder: Int = layers.child("2")?.parameterCount ?? 0
        let shared: Int = 40 * 8, positions: Int = 16 * 8, norm: Int = 2 * 8
        XCTAssertEqual(built.module.parameterCount, shared + positions + encoder + norm)
        XCTAssertTrue((layers.child("2") as? TransformerEncoderLayer)?.causal ?? false)
    }

    func testMistakesAreReportedWhereTheyAre() throws {
        let cases: [(String, String, [String])] = [
            ("x with tokens", lm(replacing: 4, with: "  train: {tokens: train/tokens, block_size: 16, x: a}"),
             ["spec.yaml:4:10: error: data.train takes x and y, or tokens and block_size, not both"]),
            ("tokens without block_size", lm(replacing: 4, with: "  train: {tokens: train/tokens}"),
             ["spec.yaml:4:10: error: data.train needs tokens and block_size for a language model's windows"]),
            ("neither", lm(replacing: 4, with: "  train: {stride: 2}"),
             ["spec.yaml:4:10: error: data.train needs tokens and block_size for a language model's windows"]),
            ("val split with tokens", lm(replacing: 5, with: "  val: {split: 0.1, tokens: val/tokens, block_size: 16}"),
             ["spec.yaml:5:8: error: data.val takes either split or tokens and block_size, not both"]),
            ("zero block_size", lm(replacing: 4, with: "  train: {tokens: train/tokens, block_size: 0}"),
             ["spec.yaml:4:45: error: block_size must be > 0, got 0"]),
            ("unknown metric", lm(replacing: 16, with: "train: {metrics: [perplexty]}"),
             ["spec.yaml:16:19: error: unknown metric type 'perplexty'; did you mean 'perplexity'?"]),
        ]
        for (name, yaml, expected) in cases { XCTAssertEqual(diagnostics(yaml), expected, name) }
    }

    func testBuildProblemsNameTheField() throws {
        XCTAssertEqual(buildDiagnostics(lm(replacing: 13, with: "    - {type: linear, out_features: 40, bias: false, tie_weights: wpe}")),
                       ["spec.yaml:13:66: error: tie_weights names 'wpe', which is not an embedding layer of this list; did you mean 'wte'?"])
        XCTAssertEqual(buildDiagnostics(lm(replacing: 13, with: "    - {type: linear, out_features: 30, tie_weights: wte}")),
                       ["spec.yaml:13:53: error: tie_weights: linear weight [30, 8] must have the shape of 'wte'.weight [40, 8] "
                        + "(out_features = num_embeddings, in_features = embedding_dim)"])
        XCTAssertEqual(buildDiagnostics(lm(replacing: 10, with: "    - {type: positional_embedding, name: wpe, max_len: 8}")),
                       ["spec.yaml:10:56: error: positional_embedding: max_len 8 is shorter than the input's 16 positions (per-sample shape [16, 8])"])
    }
}
