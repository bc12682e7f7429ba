import XCTest
import Foundation
import Flint
import FlintData
import FlintHDF5
import FlintNN
import FlintSpec
@testable import FlintTrain

/// A causal transformer language model from a spec: parity with PyTorch over 50
/// Adam steps (Tests/Fixtures/train/lm_parity.py), its metrics, and `flint generate`.
final class LanguageModelTests: XCTestCase {
    private static let fixture: [String: Any] = {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/train/lm_parity.json")
        guard let bytes = try? Data(contentsOf: url),
              let doc = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return [:] }
        return doc
    }()

    /// The model of lm_parity.py, as a spec reading `source`.
    private static func spec(source: String, vocab: Int, dim: Int, heads: Int, feedforward: Int, block: Int, batch: Int,
                             lr: Double, epochs: Int = 1, shuffle: Bool = false, extra: String = "") -> String {
        """
        name: tiny-lm
        seed: 0
        data:
          source: \(source)
          train: {tokens: train/tokens, block_size: \(block)}
          batch_size: \(batch)
          shuffle: \(shuffle)
        \(extra)
        model:
          input: [\(block)]
          layers:
            - {type: embedding, name: wte, num_embeddings: \(vocab), embedding_dim: \(dim)}
            - {type: positional_embedding, name: wpe}
            - {type: transformer_encoder_layer, name: h0, nhead: \(heads), dim_feedforward: \(feedforward), dropout: 0, causal: true, norm_first: true}
            - {type: transformer_encoder_layer, name: h1, nhead: \(heads), dim_feedforward: \(feedforward), dropout: 0, causal: true, norm_first: true}
            - {type: layer_norm, name: ln_f}
            - {type: linear, name: head, out_features: \(vocab), bias: false, tie_weights: wte}
        loss: {type: cross_entropy_loss}
        optimizer: {type: adam, lr: \(lr)}
        train:
          epochs: \(epochs)
          log_every_steps: 1
          metrics: [perplexity, bits_per_token]

        """
    }

    private func stateDict(_ entries: Any?) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, value) in try XCTUnwrap(entries as? [String: [String: Any]]) {
            let shape = try XCTUnwrap(value["shape"] as? [Int]), values = try XCTUnwrap(value["values"] as? [Double])
            out[name] = try Tensor(values.map { Float($0) }, shape: shape)
        }
        return out
    }

    /// Both sides start from torch's weights and see the same 50 batches; the loss of
    /// every step and the final parameters (the tied head once) must agree.
    func testTwoLayerCausalTransformerMatchesPyTorchOver50AdamSteps() throws {
        let doc = Self.fixture
        let tokens = try XCTUnwrap(doc["tokens"] as? [Int], "run Tests/Fixtures/train/lm_parity.py")
        let dir = try TestSupport.tempDir(self)
        let data = dir.appendingPathComponent("tokens.h5").path
        let file = try HDF5File.create(data)
        try file.createDataset("train/tokens", values: tokens.map { Int64($0) }, shape: [tokens.count])
        try file.close()
        func int(_ key: String) throws -> Int { try XCTUnwrap(doc[key] as? Int, key) }
        let text = Self.spec(source: data, vocab: try int("vocab"), dim: try int("dim"), heads: try int("heads"),
                             feedforward: try int("feedforward"), block: try int("block"), batch: try int("batch"),
                             lr: try XCTUnwrap(doc["lr"] as? Double))
        let plan = try RunPlan(spec: try Spec.load(path: try TestSupport.write(text, dir, "lm.yaml")))
        _ = try plan.model.loadStateDict(try stateDict(doc["initial"]), strict: true)
        XCTAssertEqual(plan.train.batchesPerEpoch, try int("steps"))
        // The tied head is one parameter: the optimizer must not see it twice.
        XCTAssertFalse(plan.model.namedParameters().contains { $0.name == "head.weight" })
        XCTAssertTrue(plan.model.stateDict().contains { $0.name == "head.weight" })
        let runDir = dir.appendingPathComponent("run").path
        _ = try Trainer(plan: plan, options: TrainOptions(runDir: runDir, quiet: true)).run()

        let losses = try XCTUnwrap(doc["losses"] as? [Double])
        let steps = MetricsLog.read(runDir + "/metrics.jsonl").filter { $0.kind == .step }
        XCTAssertEqual(steps.count, losses.count)
        for (record, want) in zip(steps, losses) {
            let got = try XCTUnwrap(record.values["train/loss"])
            XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, abs(want)), "step \(record.step)")
        }
        // The key projection's bias adds q·b_k to every score of a row, which softmax ignores: its
        // gradient is zero in exact arithmetic and rounding noise in both libraries, which Adam
        // scales up to full-size steps. It changes no output, so only the query and value thirds
        // of in_proj_bias are compared.
        let dim = try int("dim")
        let expected = try stateDict(doc["final"])
        for (key, tensor) in plan.model.stateDict() {
            var want = try XCTUnwrap(expected[key], key).toArray(Double.self), got = tensor.toArray(Double.self)
            XCTAssertEqual(want.count, got.count, key)
            if key.hasSuffix("self_attn.in_proj_bias") {
                want.removeSubrange(dim..<(2 * dim))
                got.removeSubrange(dim..<(2 * dim))
            }
            let worst = zip(want, got).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(key): largest difference from torch")
        }
    }

    /// A text imported with `flint import text`, trained briefly through the CLI, then
    /// sampled: the same seed gives the same text, --json gives one log-probability
    /// per token (each a log of a probability), unseen prompt characters are <unk>.
    func testImportTrainAndGenerateFromTheCheckpointAlone() throws {
        let dir = try TestSupport.tempDir(self)
        let text = String(repeating: "the cat sat on the mat. the dog sat on the log.\n", count: 40)
        let textFile = dir.appendingPathComponent("corpus.txt")
        try text.write(to: textFile, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("corpus.h5").path
        let imported = try TestSupport.runFlint(["import", "text", textFile.path, "--val-fraction", "0.1", "--output", data])
        XCTAssertEqual(imported.status, 0, imported.err)
        let vocab = try XCTUnwrap(try TextVocabulary.read(file: data)).count
        let spec = Self.spec(source: data, vocab: vocab, dim: 16, heads: 2, feedforward: 32, block: 16, batch: 8, lr: 1e-2,
                             epochs: 2, shuffle: true).replacingOccurrences(
            of: "  train: {tokens: train/tokens, block_size: 16}",
            with: "  train: {tokens: train/tokens, block_size: 16}\n  val: {tokens: val/tokens, block_size: 16}")
        let specPath = try TestSupport.write(spec, dir, "lm.yaml")
        let runDir = dir.appendingPathComponent("run").path
        let trained = try TestSupport.runFlint(["train", specPath, "--run-dir", runDir, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.err)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(
            (trained.out.split(separator: "\n").last.map(String.init) ?? "").utf8)) as? [String: Any])
        let metrics = try XCTUnwrap(summary["metrics"] as? [String: Double])
        let loss = try XCTUnwrap(metrics["val/loss"]), perplexity = try XCTUnwrap(metrics["val/perplexity"])
        // With no ignored positions the mean loss is the mean per-token cross-entropy.
        XCTAssertEqual(perplexity, exp(loss), accuracy: 1e-6 * perplexity)
        XCTAssertEqual(try XCTUnwrap(metrics["val/bits_per_token"]), loss / log(2), accuracy: 1e-6 * loss)

        func generate(_ extra: [String]) throws -> (status: Int32, out: String, err: String) {
            try TestSupport.runFlint(["generate", runDir, "--prompt", "the c", "--tokens", "30", "--top-k", "5"] + extra)
        }
        let first = try generate(["--seed", "3"]), again = try generate(["--seed", "3"])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(first.out, again.out)
        XCTAssertTrue(first.out.hasPrefix("the c"))
        XCTAssertEqual(first.out.dropLast().unicodeScalars.count, "the c".unicodeScalars.count + 30)
        let json = try generate(["--seed", "3", "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let generated = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(generated.count, 30)
        XCTAssertEqual(object["text"] as? String, String(first.out.dropFirst("the c".count).dropLast()))
        for token in generated { XCTAssertLessThanOrEqual(try XCTUnwrap(token["log_prob"] as? Double), 0) }
        let greedy = try TestSupport.runFlint(["generate", runDir, "--prompt", "Zth€ c", "--tokens", "5", "--temperature", "0"])
        XCTAssertEqual(greedy.status, 0, greedy.err)
        let bad = try TestSupport.runFlint(["generate", runDir, "--prompt", "x", "--top-p", "1.5"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("--top-p"), bad.err)
    }
}
