import XCTest
import Foundation
import Flint
import FlintHDF5
import FlintSpec
import FlintNN
@testable import FlintTrain

/// The training features a spec turns on, against the PyTorch loops of
/// Tests/Fixtures/train/spec_training.py (`spec_training.json`): each case starts from
/// PyTorch's initial weights, trains on the same batches in the same order through
/// Flint's trainer, and must end with PyTorch's parameters and learning rates.
final class SpecTrainingParityTests: XCTestCase {
    private var dir: URL!
    private var data = ""
    private static let fixture: [String: Any] = {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/train/spec_training.json")
        guard let bytes = try? Data(contentsOf: url),
              let doc = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return [:] }
        return doc
    }()

    private static let classifier = """
            - {type: linear, out_features: 8, name: fc1}
            - {type: relu}
            - {type: batch_norm1d, name: bn}
            - {type: linear, out_features: 3, name: fc2}
        """

    override func setUpWithError() throws {
        dir = try TestSupport.tempDir(self)
        let doc = Self.fixture
        let features = try XCTUnwrap(doc["features"] as? Int)
        func floats(_ key: String, width: Int = features) throws -> Tensor {
            let values = try XCTUnwrap(doc[key] as? [Double]).map { Float($0) }
            return try Tensor(values, shape: [values.count / width, width])
        }
        func ints(_ key: String) throws -> Tensor { try Tensor(try XCTUnwrap(doc[key] as? [Int]).map { Int64($0) }) }
        data = dir.appendingPathComponent("data.h5").path
        let file = try HDF5File.create(data)
        _ = try file.createDataset("train/x", tensor: try floats("x"))
        _ = try file.createDataset("train/y", tensor: try ints("y"))
        _ = try file.createDataset("train/pairs", tensor: try ints("pairs"))
        _ = try file.createDataset("train/target", tensor: try floats("targets", width: try XCTUnwrap(doc["target_features"] as? Int)))
        _ = try file.createDataset("val/x", tensor: try floats("val_x"))
        _ = try file.createDataset("val/y", tensor: try ints("val_y"))
        _ = try file.createDataset("val/target", tensor: try floats("val_targets", width: try XCTUnwrap(doc["target_features"] as? Int)))
        try file.close()
    }

    /// Smooth, without batch norm: every gradient is far from zero, so Adam-family steps are well conditioned.
    private static let regressor = """
            - {type: linear, out_features: 8, name: fc1}
            - {type: tanh}
            - {type: linear, out_features: 3, name: fc2}
        """

    private func spec(layers: String = classifier, outputs: String = "", loss: String = "{type: cross_entropy_loss}",
                      optimizer: String, epochs: Int, y: String = "train/y", val: String? = nil, extra: String = "",
                      train: String = "") -> String {
        """
        name: parity
        seed: 0
        data:
          source: \(data)
          train: {x: train/x, y: \(y)}
        \(val.map { "  val: {x: val/x, y: \($0)}" } ?? "")
          batch_size: 4
          shuffle: false
        model:
          input: [4]
        \(outputs.isEmpty ? "" : "  outputs: \(outputs)")
          layers:
        \(layers)
        loss: \(loss)
        optimizer: \(optimizer)
        \(extra)
        train:
          epochs: \(epochs)
          log_every_steps: 1
        \(train.isEmpty ? "" : "  " + train)

        """
    }

    private func stateDict(_ entries: Any?) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, value) in try XCTUnwrap(entries as? [String: [String: Any]]) {
            let shape = try XCTUnwrap(value["shape"] as? [Int]), values = try XCTUnwrap(value["values"] as? [Double])
            out[name] = value["dtype"] as? String == "int64"
                ? try Tensor(values.map { Int64($0) }, shape: shape) : try Tensor(values.map { Float($0) }, shape: shape)
        }
        return out
    }

    /// Trains `specText` from the case's initial weights; returns the plan, the run and its per-step records.
    /// The final parameters must be within `atol + rtol·|torch's|` of torch's.
    @discardableResult
    private func train(_ specText: String, case name: String, rtol: Double = 1e-4, atol: Double = 2e-5,
                       file: StaticString = #filePath, line: UInt = #line)
        throws -> (plan: RunPlan, result: TrainResult, steps: [MetricRecord]) {
        let cases = try XCTUnwrap(Self.fixture["cases"] as? [String: Any], "run spec_training.py")
        let fixture = try XCTUnwrap(cases[name] as? [String: Any])
        let path = try TestSupport.write(specText, dir, "\(name).yaml")
        let plan = try RunPlan(spec: try Spec.load(path: path))
        _ = try plan.model.loadStateDict(try stateDict(fixture["initial"]), strict: true)
        let runDir = dir.appendingPathComponent(name).path
        let result = try Trainer(plan: plan, options: TrainOptions(runDir: runDir, quiet: true)).run()
        let expected = try stateDict(fixture["final"])
        for (key, tensor) in plan.model.stateDict() where tensor.dtype == .float32 {
            let want = try XCTUnwrap(expected[key], key).toArray(Double.self), got = tensor.toArray(Double.self)
            XCTAssertEqual(want.count, got.count, key, file: file, line: line)
            for (w, g) in zip(want, got) {
                XCTAssertEqual(g, w, accuracy: atol + rtol * abs(w), "\(name): \(key)", file: file, line: line)
            }
        }
        let steps = MetricsLog.read(runDir + "/metrics.jsonl").filter { $0.kind == .step }
        return (plan, result, steps)
    }

    private func expectedLRs(_ name: String, _ key: String = "lrs") throws -> [Double] {
        let cases = try XCTUnwrap(Self.fixture["cases"] as? [String: Any])
        return try XCTUnwrap((cases[name] as? [String: Any])?[key] as? [Double])
    }

    /// Weight decay on fc1.weight only, none on biases and batch norm, and fc2.weight at its own rate.
    func testParamGroupsMatchTorchParamGroups() throws {
        let optimizer = """
            {type: sgd, lr: 0.05, momentum: 0.9, weight_decay: 0.1, param_groups: [{params: ['*.bias', 'bn.*'], weight_decay: 0}, {params: fc2.weight, lr: 0.2}]}
            """
        let run = try train(spec(optimizer: optimizer, epochs: 2), case: "param_groups")
        let groups = run.plan.optimizer.paramGroups
        XCTAssertEqual(groups.map(\.params.count), [1, 4, 1])
        XCTAssertEqual(groups.map(\.lr), [0.05, 0.05, 0.2])
        XCTAssertEqual(try XCTUnwrap(run.plan.optimizer as? SGD).groups.map(\.options.weightDecay), [0.1, 0, 0.1])
    }

    /// An Adam-family optimizer with the groups `[fc1.weight]` (the optimizer's own settings),
    /// `[fc1.bias, fc2.bias]` without weight decay and `[fc2.weight]` with `lastGroup`, trained for
    /// 3 epochs of 6 steps on the regressor: parameters within 1e-5 relative of torch's. The groups
    /// must matter far beyond that tolerance (torch's run without them ends elsewhere).
    @discardableResult
    private func trainAdamFamily(_ name: String, _ optimizer: String, lastGroup: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> RunPlan {
        let text = "{\(optimizer), param_groups: [{params: '*.bias', weight_decay: 0}, {params: fc2.weight, \(lastGroup)}]}"
        let run = try train(spec(layers: Self.regressor, loss: "{type: mse_loss}", optimizer: text, epochs: 3, y: "train/target"),
                            case: name, rtol: 1e-5, atol: 1e-6, file: file, line: line)
        let cases = try XCTUnwrap(Self.fixture["cases"] as? [String: Any])
        let effect = try XCTUnwrap((cases[name] as? [String: Any])?["group_effect"] as? Double)
        XCTAssertGreaterThan(effect, 1e-3, "\(name): the groups barely change torch's result", file: file, line: line)
        XCTAssertEqual(run.plan.optimizer.paramGroups.map(\.params.count), [1, 2, 1], file: file, line: line)
        return run.plan
    }

    func testAdamWithParamGroupsMatchesTorch() throws {
        let plan = try trainAdamFamily("adam_param_groups", "type: adam, lr: 0.01, weight_decay: 0.1",
                                       lastGroup: "lr: 0.03, betas: [0.8, 0.99]")
        XCTAssertEqual(try XCTUnwrap(plan.optimizer as? Adam).groups.map(\.options.betas.0), [0.9, 0.9, 0.8])
    }

    /// AdamW's decoupled decay with AMSGrad in two groups and plain Adam steps in the third;
    /// β₂ = 0.6 lets the second moment fall, so the running maximum takes over.
    func testAdamWWithAMSGradParamGroupsMatchesTorch() throws {
        let plan = try trainAdamFamily("adamw_amsgrad_param_groups",
                                       "type: adamw, lr: 0.01, betas: [0.9, 0.6], weight_decay: 0.1, amsgrad: true",
                                       lastGroup: "lr: 0.03, amsgrad: false")
        XCTAssertEqual(try XCTUnwrap(plan.optimizer as? AdamW).groups.map(\.options.amsgrad), [true, true, false])
        let cases = try XCTUnwrap(Self.fixture["cases"] as? [String: Any])
        let active = try XCTUnwrap((cases["adamw_amsgrad_param_groups"] as? [String: Any])?["amsgrad_active"] as? Int)
        XCTAssertGreaterThan(active, 0, "AMSGrad's maximum never differed from the second moment in torch's run")
    }

    func testNAdamWithParamGroupsMatchesTorch() throws {
        try trainAdamFamily("nadam_param_groups", "type: nadam, lr: 0.01, weight_decay: 0.05, momentum_decay: 0.01",
                            lastGroup: "lr: 0.03, decoupled_weight_decay: true")
    }

    /// 18 steps: RAdam's unrectified steps (ρₜ ≤ 5, the first five) and its rectified ones.
    func testRAdamWithParamGroupsMatchesTorch() throws {
        try trainAdamFamily("radam_param_groups", "type: radam, lr: 0.01, weight_decay: 0.05, decoupled_weight_decay: true",
                            lastGroup: "lr: 0.03, weight_decay: 0.01")
    }

    /// The scheduler's rate after every optimizer step equals torch's.
    private func assertStepLRs(_ steps: [MetricRecord], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try expectedLRs(name)
        XCTAssertEqual(steps.count, want.count, file: file, line: line)
        for (record, lr) in zip(steps, want) {
            XCTAssertEqual(try XCTUnwrap(record.values["lr"]), lr, accuracy: 1e-12 * Swift.max(lr, 1e-3),
                           "\(name): step \(record.step)", file: file, line: line)
        }
    }

    private func oneCycle(in plan: RunPlan, at index: Int) throws -> OneCycleLR {
        let sequence = try XCTUnwrap(plan.scheduler as? SequentialLR)
        return try XCTUnwrap(sequence.schedulers[index] as? OneCycleLR)
    }

    /// A warm-up then OneCycleLR without total_steps: the cycle lasts from its milestone to the
    /// run's end (3 epochs of 6 steps, stepped per batch), as SequentialLR steps it in torch.
    func testOneCycleLastInSequentialLRRunsToTheEndLikeTorch() throws {
        let scheduler = """
            scheduler:
              type: sequential_lr
              interval: step
              milestones: [4]
              schedulers: [{type: linear_lr, start_factor: 0.25, total_iters: 4}, {type: one_cycle_lr, max_lr: 0.3}]
            """
        let run = try train(spec(layers: Self.regressor, loss: "{type: mse_loss}", optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}",
                                 epochs: 3, y: "train/target", extra: scheduler), case: "sequential_one_cycle_last")
        try assertStepLRs(run.steps, "sequential_one_cycle_last")
        XCTAssertEqual(try oneCycle(in: run.plan, at: 1).totalSteps, try XCTUnwrap(Self.fixture["run_steps"] as? Int) - 4)
    }

    /// OneCycleLR between two milestones lasts the steps between them.
    func testOneCycleBetweenMilestonesOfSequentialLRLikeTorch() throws {
        let scheduler = """
            scheduler:
              type: sequential_lr
              interval: step
              milestones: [3, 12]
              schedulers:
                - {type: constant_lr, factor: 0.5, total_iters: 3}
                - {type: one_cycle_lr, max_lr: 0.3, three_phase: true}
                - {type: exponential_lr, gamma: 0.9}
            """
        let run = try train(spec(layers: Self.regressor, loss: "{type: mse_loss}", optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}",
                                 epochs: 3, y: "train/target", extra: scheduler), case: "sequential_one_cycle_middle")
        try assertStepLRs(run.steps, "sequential_one_cycle_middle")
        XCTAssertEqual(try oneCycle(in: run.plan, at: 1).totalSteps, 12 - 3)
    }

    /// A one_cycle_lr whose segment starts where the run ends has no length to infer.
    func testOneCycleInSequentialLRWithoutStepsLeftIsASpecError() throws {
        let text = spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 3, extra: """
            scheduler:
              type: sequential_lr
              milestones: [3]
              schedulers:
                - {type: linear_lr, total_iters: 3}
                - {type: one_cycle_lr, max_lr: 0.5}
            """)
        let path = try TestSupport.write(text, dir, "late.yaml")
        let entry = Self.position(of: "{type: one_cycle_lr", in: text)
        XCTAssertThrowsError(try RunPlan(spec: try Spec.load(path: path))) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.description), [
                "\(path):\(entry.line):\(entry.column): error: one_cycle_lr cannot infer total_steps: sequential_lr starts it at "
                    + "milestone 3, but the run steps the scheduler only 3 times (once per epoch); give total_steps or a milestone below 3",
            ])
        }
    }

    /// The 1-based line and column where `needle` first occurs in `text`.
    static func position(of needle: String, in text: String) -> (line: Int, column: Int) {
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            if let range = line.range(of: needle) { return (index + 1, line.distance(from: line.startIndex, to: range.lowerBound) + 1) }
        }
        return (0, 0)
    }

    /// An explicit cycle shorter than its segment fails in torch: a spec error at total_steps.
    func testOneCycleShorterThanItsSegmentIsASpecError() throws {
        let text = spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 3, extra: """
            scheduler:
              type: sequential_lr
              interval: step
              milestones: [4]
              schedulers:
                - {type: linear_lr, total_iters: 4}
                - {type: one_cycle_lr, max_lr: 0.5, total_steps: 10}
            """)
        let path = try TestSupport.write(text, dir, "short_segment.yaml")
        let field = Self.position(of: "10}", in: text)
        XCTAssertThrowsError(try RunPlan(spec: try Spec.load(path: path))) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.location.description), ["\(path):\(field.line):\(field.column)"])
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.message), [
                "one_cycle_lr lasts 10 steps but sequential_lr steps it 14 times (milestone 4 to the run's end, once per "
                    + "optimizer step); PyTorch fails past the end of the cycle",
            ])
        }
    }

    /// clip_grad_norm_ on the gradients summed over two micro-batches, before the momentum step.
    func testClipGradNormAfterAccumulationMatchesTorch() throws {
        try train(spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 2,
                       train: "accumulate_steps: 2\n  clip_grad_norm: {max_norm: 0.05, norm_type: 2}"),
                  case: "clip_grad_norm")
    }

    func testClipGradNormWithInfinityNormMatchesTorch() throws {
        try train(spec(optimizer: "{type: sgd, lr: 0.1}", epochs: 1, train: "clip_grad_norm: {max_norm: 0.02, norm_type: .inf}"),
                  case: "clip_grad_norm_inf")
    }

    func testClipGradValueMatchesTorch() throws {
        try train(spec(optimizer: "{type: sgd, lr: 0.5}", epochs: 1, train: "clip_grad_value: 0.01"), case: "clip_grad_value")
    }

    /// OneCycleLR steps after every optimizer step by default, its length the whole run (3 epochs of 6 steps).
    func testOneCycleStepsPerBatchLikeTorch() throws {
        let run = try train(spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 3,
                                 extra: "scheduler: {type: one_cycle_lr, max_lr: 0.5}"),
                            case: "one_cycle_per_step")
        let want = try expectedLRs("one_cycle_per_step")
        XCTAssertEqual(run.steps.count, want.count)
        for (record, lr) in zip(run.steps, want) {
            XCTAssertEqual(try XCTUnwrap(record.values["lr"]), lr, accuracy: 1e-12 + 1e-12 * lr, "step \(record.step)")
        }
    }

    /// ReduceLROnPlateau steps on each epoch's val/loss, which must exist: 5 epochs of SGD on the smooth
    /// regressor (on the batch-norm classifier they magnified float rounding past the tolerance), with
    /// threshold 0.5 so that torch's run cuts the rate at least once; parameters within 1e-5 relative.
    func testReduceLROnPlateauMonitorsValidationLossLikeTorch() throws {
        let lrs = try expectedLRs("plateau")
        XCTAssertLessThan(lrs.min() ?? .nan, 0.1, "torch's run never reduced the rate: the case tests nothing")
        let scheduler = "scheduler: {type: reduce_lr_on_plateau, monitor: val/loss, factor: 0.5, patience: 0, threshold: 0.5}"
        let run = try train(spec(layers: Self.regressor, loss: "{type: mse_loss}", optimizer: "{type: sgd, lr: 0.1}", epochs: 5,
                                 y: "train/target", val: "val/target", extra: scheduler),
                            case: "plateau", rtol: 1e-5, atol: 1e-6)
        // Should the rates differ, a val loss within rounding of best·(1 - threshold) would explain it.
        let cases = try XCTUnwrap(Self.fixture["cases"] as? [String: Any])
        let margin = (cases["plateau"] as? [String: Any])?["decision_margin"] as? Double ?? .nan
        XCTAssertEqual(run.plan.optimizer.lr, lrs.last ?? .nan, accuracy: 1e-15, "closest decision: \(margin) relative")
        let epochs = MetricsLog.read(dir.appendingPathComponent("plateau/metrics.jsonl").path).filter { $0.kind == .epoch }
        XCTAssertEqual(epochs.compactMap { $0.values["lr"] }, try expectedLRs("plateau", "epoch_lrs"))
        for (record, loss) in zip(epochs, try expectedLRs("plateau", "val_losses")) {
            XCTAssertEqual(try XCTUnwrap(record.values["val/loss"]), loss, accuracy: 1e-5)
        }
    }

    /// A classifier head and a reconstruction head: cross-entropy + 0.5 · MSE(recon, x).
    func testTwoOutputsWithWeightedLossesMatchTorch() throws {
        let layers = """
                - {type: linear, out_features: 6, name: code}
                - {type: relu, name: act}
                - {type: linear, out_features: 3, name: logits, inputs: act}
                - {type: linear, out_features: 4, name: recon, inputs: act}
            """
        let loss = "[{type: cross_entropy_loss, output: logits}, {type: mse_loss, output: recon, target: x, loss_weight: 0.5}]"
        let run = try train(spec(layers: layers, outputs: "[logits, recon]", loss: loss, optimizer: "{type: sgd, lr: 0.1}",
                                 epochs: 1), case: "two_outputs")
        // Equal batches: the epoch's loss is the mean of torch's step losses.
        let losses = try expectedLRs("two_outputs", "losses")
        XCTAssertEqual(try XCTUnwrap(run.result.metrics["train/loss"]), losses.reduce(0, +) / Double(losses.count), accuracy: 1e-5)
    }

    /// CosineEmbeddingLoss over two towers' outputs and ±1 targets.
    func testCosineEmbeddingLossOverTwoOutputsMatchesTorch() throws {
        let layers = """
                - {type: linear, out_features: 3, name: left, inputs: input}
                - {type: linear, out_features: 3, name: right, inputs: input}
            """
        try train(spec(layers: layers, outputs: "[left, right]", loss: "{type: cosine_embedding_loss, margin: 0.2}",
                       optimizer: "{type: sgd, lr: 0.1}", epochs: 1, y: "train/pairs"), case: "cosine_embedding")
    }

    /// A run resumed from a mid-epoch checkpoint continues a per-step OneCycleLR (rate and cycled momentum) exactly.
    func testPerStepSchedulerResumesBitForBit() throws {
        let text = spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 3,
                        extra: "scheduler: {type: one_cycle_lr, max_lr: 0.5}")
        let path = try TestSupport.write(text, dir, "resume.yaml")
        var control = try TrainingControl(spec: try Spec.load(path: path))
        control.checkpoint = CheckpointPolicy(everySteps: 8, keepLast: -1)
        var plan = try RunPlan(spec: try Spec.load(path: path))
        plan.control = control
        let straight = try Trainer(plan: plan, options: TrainOptions(runDir: dir.appendingPathComponent("a").path, quiet: true)).run()
        let mid = try Checkpoint.read(from: dir.appendingPathComponent("a/checkpoints/epoch=1-step=8.h5").path)
        let resumed = try Trainer(plan: try RunPlan(spec: try Spec.load(path: path)),
                                  options: TrainOptions(runDir: dir.appendingPathComponent("b").path, quiet: true, resume: mid)).run()
        let x = try TestSupport.weightBits(straight.checkpoint), y = try TestSupport.weightBits(resumed.checkpoint)
        XCTAssertEqual(x, y)
        XCTAssertEqual(try Checkpoint.read(from: straight.checkpoint).optimizerLRs, try Checkpoint.read(from: resumed.checkpoint).optimizerLRs)
    }

    /// PyTorch's OneCycleLR fails past total_steps; a cycle shorter than the run (3 epochs of 6 steps) is a spec error.
    func testOneCycleShorterThanTheRunIsASpecError() throws {
        let text = spec(optimizer: "{type: sgd, lr: 0.1, momentum: 0.9}", epochs: 3,
                        extra: "scheduler: {type: one_cycle_lr, max_lr: 0.5, total_steps: 10}")
        let path = try TestSupport.write(text, dir, "short.yaml")
        XCTAssertThrowsError(try RunPlan(spec: try Spec.load(path: path))) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.message), [
                "one_cycle_lr lasts 10 steps but the run steps it 18 times (once per optimizer step); "
                    + "PyTorch fails past the end of the cycle",
            ])
        }
    }

    /// A monitored metric the run does not compute is a spec error at its line, before any data is read.
    func testPlateauMonitorWithoutValidationSplitIsASpecError() throws {
        let text = spec(optimizer: "{type: sgd, lr: 0.5}", epochs: 1, extra: "scheduler: {type: reduce_lr_on_plateau, monitor: val/loss}")
        XCTAssertThrowsError(try Spec.parse(yaml: text, file: "p.yaml")) { error in
            let message = (error as? SpecError)?.diagnostics.map(\.description).joined(separator: "\n") ?? ""
            let lines = text.components(separatedBy: "\n")
            let line = (lines.firstIndex { $0.hasPrefix("scheduler:") } ?? 0) + 1
            let column = (lines[line - 1].range(of: "val/loss").map { lines[line - 1].distance(from: lines[line - 1].startIndex, to: $0.lowerBound) } ?? 0) + 1
            XCTAssertEqual(message, "p.yaml:\(line):\(column): error: monitor 'val/loss' is not a metric of this run: "
                           + "the spec has no validation split (data.val)")
        }
    }
}
