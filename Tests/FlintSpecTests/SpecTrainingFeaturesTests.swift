import Foundation
import XCTest
import Flint
import FlintNN
@testable import FlintSpec

/// `init`, `param_groups`, gradient clipping, scheduler stepping and several outputs
/// and losses: what the spec accepts, what it builds, and every bad input reported
/// at its line and column. Columns are read off the line each test writes.
final class SpecTrainingFeaturesTests: XCTestCase {
    /// `FILE:LINE:COL` of the first `needle` on 1-based `line` of `text`.
    private func at(_ text: String, line: Int, _ needle: String, file: String = "spec.yaml") -> String {
        let row = text.components(separatedBy: "\n")[line - 1]
        let column = row.range(of: needle).map { row.distance(from: row.startIndex, to: $0.lowerBound) + 1 } ?? 0
        return "\(file):\(line):\(column)"
    }

    // MARK: init

    func testInitReplacesDefaultsWithConstantsPerParameter() throws {
        let text = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {weight: ones, bias: {type: constant, val: 0.25}}}")
        let spec = try XCTUnwrap(parsed(text))
        let model = try Builder.build(spec.model).module
        let state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
        XCTAssertEqual(Set(try XCTUnwrap(state["1.weight"]).toArray(Double.self)), [1])
        XCTAssertEqual(Set(try XCTUnwrap(state["1.bias"]).toArray(Double.self)), [0.25])
        // Other layers keep PyTorch's default U(±1/√fan_in).
        XCTAssertGreaterThan(Set(try XCTUnwrap(state["3.weight"]).toArray(Double.self)).count, 1)
    }

    func testInitPatternsMatchEveryParameterTheyName() throws {
        let text = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {'*': zeros}}")
        let model = try Builder.build(try XCTUnwrap(parsed(text)).model).module
        for (name, tensor) in model.namedParameters() where name.hasPrefix("1.") {
            XCTAssertEqual(Set(tensor.toArray(Double.self)), [0], name)
        }
    }

    func testInitOnABlockUseNamesParametersInsideIt() throws {
        let text = """
        data: {source: d.h5, train: {x: a, y: b}}
        model:
          input: [8]
          blocks:
            pair:
              layers:
                - {type: linear, out_features: 4, name: fc1}
                - {type: linear, out_features: 4, name: fc2}
          layers:
            - {type: pair, name: stage, repeat: 2, init: {'*.fc2.weight': ones, '*.bias': zeros}}
        loss: {type: mse_loss}
        optimizer: {type: sgd}
        """
        let model = try Builder.build(try XCTUnwrap(parsed(text)).model).module
        let state = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
        XCTAssertEqual(Set(try XCTUnwrap(state["stage.1.fc2.weight"]).toArray(Double.self)), [1])
        XCTAssertEqual(Set(try XCTUnwrap(state["stage.0.fc1.bias"]).toArray(Double.self)), [0])
        XCTAssertGreaterThan(Set(try XCTUnwrap(state["stage.0.fc1.weight"]).toArray(Double.self)).count, 1)
    }

    /// Each initialiser on a large weight draws values with torch.nn.init's statistics
    /// (Tests/Fixtures/train/spec_training.py, `init`): the same std within 3%, the same bounds.
    func testRandomInitialisersMatchTorchStatistics() throws {
        let url = repository.appendingPathComponent("Tests/Fixtures/train/spec_training.json")
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(doc["init"] as? [[String: Any]])
        XCTAssertEqual(Set(cases.compactMap { $0["type"] as? String }).count, 8)
        for item in cases {
            let type = try XCTUnwrap(item["type"] as? String), shape = try XCTUnwrap(item["shape"] as? [Int])
            let kwargs = try XCTUnwrap(item["kwargs"] as? [String: Any])
            let fields = kwargs.keys.sorted().map { key -> String in
                let value = kwargs[key].map { "\($0)" } ?? ""
                return "\(key): \(value)"
            }
            let initializer = (["type: \(type)"] + fields).joined(separator: ", ")
            let layer = shape.count == 2
                ? "{type: linear, out_features: \(shape[0]), init: {weight: {\(initializer)}}}"
                : "{type: conv2d, out_channels: \(shape[0]), kernel_size: \(shape[2]), init: {weight: {\(initializer)}}}"
            let input = shape.count == 2 ? "[\(shape[1])]" : "[\(shape[1]), 8, 8]"
            let text = """
            data: {source: d.h5, train: {x: a, y: b}}
            model:
              input: \(input)
              layers: [\(layer)]
            loss: {type: mse_loss}
            optimizer: {type: sgd}
            """
            Generator.manualSeed(3)
            let model = try Builder.build(try XCTUnwrap(parsed(text), type).model).module
            let weight = try XCTUnwrap(model.namedParameters().first { $0.name.hasSuffix("weight") }?.tensor, type)
            XCTAssertEqual(weight.shape, shape, type)
            let values = weight.toArray(Double.self)
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
            let torchStd = try XCTUnwrap(item["std"] as? Double), torchMean = try XCTUnwrap(item["mean"] as? Double)
            XCTAssertEqual(std, torchStd, accuracy: 0.03 * torchStd, "\(type) \(kwargs)")
            XCTAssertEqual(mean, torchMean, accuracy: 6 * torchStd / Double(values.count).squareRoot(), "\(type) \(kwargs)")
            if ["uniform", "kaiming_uniform", "xavier_uniform", "trunc_normal"].contains(type) {
                let span = try XCTUnwrap(item["max"] as? Double) - (try XCTUnwrap(item["min"] as? Double))
                XCTAssertEqual(values.min() ?? .nan, try XCTUnwrap(item["min"] as? Double), accuracy: 0.01 * span, type)
                XCTAssertEqual(values.max() ?? .nan, try XCTUnwrap(item["max"] as? Double), accuracy: 0.01 * span, type)
            }
        }
    }

    func testInitErrorsAreReportedWhereTheyAreWritten() throws {
        let typo = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {weight: kaiming_normall}}")
        XCTAssertEqual(diagnostics(typo), [
            "\(at(typo, line: 16, "kaiming_normall")): error: unknown initializer type 'kaiming_normall'; did you mean 'kaiming_normal'?",
        ])
        let field = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {weight: {type: kaiming_normal, mode: fan_outt}}}")
        XCTAssertEqual(diagnostics(field), [
            "\(at(field, line: 16, "fan_outt")): error: model.layers[1].init.weight.mode: expected one of 'fan_in', 'fan_out', got 'fan_outt'; did you mean 'fan_out'?",
        ])
        let name = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {weigth: zeros}}")
        XCTAssertEqual(buildDiagnostics(name), [
            "\(at(name, line: 16, "weigth")): error: init: 'weigth' matches no parameter of linear (it has weight, bias); "
                + "did you mean 'weight'?",
        ])
        let none = mlpSpec(replacing: 17, with: "    - {type: relu, init: {weight: zeros}}")
        XCTAssertEqual(buildDiagnostics(none), ["\(at(none, line: 17, "{weight")): error: init: relu has no parameters to initialise"])
        let fan = mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, init: {bias: kaiming_uniform}}")
        XCTAssertEqual(buildDiagnostics(fan), [
            "\(at(fan, line: 16, "kaiming_uniform")): error: init: kaiming_uniform cannot initialise 'bias': fan in and fan out "
                + "can not be computed for a tensor with fewer than 2 dimensions (shape [256])",
        ])
    }

    // MARK: param_groups

    private let groupsSpec = """
        data: {source: d.h5, train: {x: a, y: b}}
        model:
          input: [4]
          layers:
            - {type: linear, out_features: 8, name: fc1}
            - {type: batch_norm1d, name: bn}
            - {type: linear, out_features: 3, name: fc2}
        loss: {type: cross_entropy_loss}
        optimizer:
          type: adam
          lr: 0.01
          weight_decay: 0.1
          param_groups:
            - {params: ['*.bias', 'bn.*'], weight_decay: 0, betas: [0.8, 0.9]}
            - {params: fc2.weight, lr: 0.05, amsgrad: true}
        """

    private func optimizer(_ text: String) throws -> Optimizer {
        let spec = try XCTUnwrap(parsed(text))
        return try Builder.optimizer(spec.optimizer, parameters: try Builder.build(spec.model).module.namedParameters())
    }

    func testParamGroupsSplitParametersByPatternInPyTorchOrder() throws {
        let groups = try optimizer(groupsSpec).paramGroups
        XCTAssertEqual(groups.count, 3)
        // The rest first, then each group's parameters in model order.
        XCTAssertEqual(groups.map(\.params.count), [1, 4, 1])
        XCTAssertEqual(groups.map(\.lr), [0.01, 0.01, 0.05])
        let options = try XCTUnwrap(try optimizer(groupsSpec) as? Adam).groups.map(\.options)
        XCTAssertEqual(options.map(\.weightDecay), [0.1, 0, 0.1])
        XCTAssertEqual(options.map(\.betas.0), [0.9, 0.8, 0.9])
        XCTAssertEqual(options.map(\.amsgrad), [false, false, true])
    }

    func testParamGroupsTakingEveryParameterLeaveNoDefaultGroup() throws {
        let text = groupsSpec.replacingOccurrences(of: "{params: fc2.weight,", with: "{params: '*.weight',")
        XCTAssertEqual(try optimizer(text).paramGroups.map(\.params.count), [4, 2])
    }

    func testParamGroupErrorsNameThePatternAndTheKey() throws {
        let key = groupsSpec.replacingOccurrences(of: "weight_decay: 0,", with: "weight_decy: 0,")
        XCTAssertEqual(diagnostics(key), [
            "\(at(key, line: 14, "weight_decy")): error: unknown key 'weight_decy' in parameter group 'adam'; did you mean 'weight_decay'?",
        ])
        let missing = groupsSpec.replacingOccurrences(of: "{params: fc2.weight, lr: 0.05, amsgrad: true}", with: "{lr: 0.05}")
        XCTAssertEqual(diagnostics(missing), [
            "\(at(missing, line: 15, "{lr")): error: missing required key 'params' in parameter group 'adam'",
        ])
        let unmatched = groupsSpec.replacingOccurrences(of: "{params: fc2.weight,", with: "{params: fc2.wieght,")
        XCTAssertThrowsError(try optimizer(unmatched)) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.description), [
                "\(at(unmatched, line: 15, "fc2.wieght")): error: param_groups: 'fc2.wieght' matches no parameter (the model has "
                    + "fc1.weight, fc1.bias, bn.weight, bn.bias, fc2.weight, fc2.bias); did you mean 'fc2.weight'?",
            ])
        }
        let taken = groupsSpec.replacingOccurrences(of: "{params: fc2.weight,", with: "{params: fc2.bias,")
        XCTAssertThrowsError(try optimizer(taken)) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.description), [
                "\(at(taken, line: 15, "fc2.bias")): error: param_groups: 'fc2.bias' matches only parameters that an earlier group took",
            ])
        }
        let notList = mlpSpec(replacing: 22, with: "optimizer: {type: sgd, param_groups: fc1}")
        XCTAssertEqual(diagnostics(notList), [
            "\(at(notList, line: 22, "fc1")): error: optimizer.param_groups: expected a list of mappings like {params: '*.bias', weight_decay: 0}, got 'fc1'",
        ])
    }

    func testNamePatternsAreFnmatch() {
        XCTAssertTrue(NamePattern.matches("*.bias", "layer1.0.conv1.bias"))
        XCTAssertTrue(NamePattern.matches("bn*", "bn1.weight"))
        XCTAssertTrue(NamePattern.matches("fc?.weight", "fc2.weight"))
        XCTAssertTrue(NamePattern.matches("*", ""))
        XCTAssertFalse(NamePattern.matches("*.bias", "bias_ih_l0"))
        XCTAssertFalse(NamePattern.matches("fc?.weight", "fc12.weight"))
        XCTAssertTrue(NamePattern.matches("a*b*c", "a--b--b--c"))
    }

    // MARK: clipping and scheduling

    func testGradientClippingIsOneOrTheOther() {
        let both = mlpSpec(replacing: 25, with: "  metrics: [accuracy]\n  clip_grad_norm: {max_norm: 1}\n  clip_grad_value: 0.5")
        XCTAssertEqual(diagnostics(both), [
            "spec.yaml:27:3: error: train.clip_grad_norm and train.clip_grad_value are alternatives; keep one",
        ])
        let noMax = mlpSpec(replacing: 25, with: "  metrics: [accuracy]\n  clip_grad_norm: {norm_typ: 2}")
        XCTAssertEqual(diagnostics(noMax), [
            "spec.yaml:26:19: error: missing required key 'max_norm' in train.clip_grad_norm",
            "spec.yaml:26:20: error: unknown key 'norm_typ' in train.clip_grad_norm; did you mean 'norm_type'?",
        ])
        let negative = mlpSpec(replacing: 25, with: "  metrics: [accuracy]\n  clip_grad_value: -1")
        XCTAssertEqual(diagnostics(negative), ["spec.yaml:26:20: error: clip_grad_value must be > 0, got -1"])
    }

    func testSchedulerIntervalDefaultsAndErrors() throws {
        let cycle = mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lr: 0.1, momentum: 0.9}\nscheduler: {type: one_cycle_lr, max_lr: 0.5}")
        XCTAssertEqual(try XCTUnwrap(parsed(cycle)?.scheduler).schedulerInterval, "step")
        let step = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: step_lr, step_size: 1, interval: step}")
        XCTAssertEqual(try XCTUnwrap(parsed(step)?.scheduler).schedulerInterval, "step")
        let typo = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: step_lr, step_size: 1, interval: stepp}")
        XCTAssertEqual(diagnostics(typo), [
            "\(at(typo, line: 23, "stepp")): error: scheduler.interval: expected one of 'epoch', 'step', got 'stepp'; did you mean 'step'?",
        ])
        let plateau = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: reduce_lr_on_plateau, interval: step}")
        XCTAssertEqual(diagnostics(plateau), [
            "\(at(plateau, line: 23, "step}")): error: reduce_lr_on_plateau steps on an epoch's metric; it takes interval: epoch",
        ])
        let monitor = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: reduce_lr_on_plateau, monitor: val/acuracy}")
        XCTAssertEqual(diagnostics(monitor), [
            "\(at(monitor, line: 23, "val/acuracy")): error: monitor 'val/acuracy' is not a metric of this run: the run reports "
                + "train/loss, train/accuracy, val/loss, val/accuracy; did you mean 'val/accuracy'?",
        ])
        let half = mlpSpec(replacing: 22, with: "optimizer: {type: sgd, momentum: 0.9}\nscheduler: {type: one_cycle_lr, max_lr: 0.5, epochs: 3}")
        XCTAssertEqual(diagnostics(half), [
            "\(at(half, line: 23, "3}")): error: one_cycle_lr needs epochs and steps_per_epoch together (or total_steps, "
                + "or neither to cover the whole run)",
        ])
        let chained = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: sequential_lr, milestones: [1], "
                                + "schedulers: [{type: linear_lr, interval: step}, {type: exponential_lr, gamma: 0.9}]}")
        XCTAssertEqual(diagnostics(chained), [
            "\(at(chained, line: 23, "interval")): error: unknown key 'interval' in scheduler 'linear_lr'; interval belongs on "
                + "the sequential_lr itself, which steps every scheduler it chains (`scheduler: {type: sequential_lr, interval: step, ...}`)",
        ])
    }

    /// A one_cycle_lr in a sequential_lr without total_steps lasts its segment: the steps
    /// between its milestones, the last one's until the run ends (torch's SequentialLR
    /// restarts each child at its milestone). Where that length is unknown or empty, it is
    /// an error at the entry; `flint check`, which cannot count steps per epoch, reports
    /// it only for a scheduler stepped per epoch.
    func testOneCycleInSequentialLRTakesItsSegmentsLength() throws {
        func text(_ interval: String) -> String {
            mlpSpec(replacing: 22, with: "optimizer: {type: sgd, momentum: 0.9}\nscheduler: {type: sequential_lr, \(interval)"
                    + "milestones: [2, 5], schedulers: [{type: one_cycle_lr, max_lr: 0.1}, {type: one_cycle_lr, max_lr: 0.2}, "
                    + "{type: one_cycle_lr, max_lr: 0.3}]}")
        }
        let perEpoch = text("")
        let spec = try XCTUnwrap(parsed(perEpoch))
        let scheduler = try XCTUnwrap(spec.scheduler)
        let optimizer = try Builder.optimizer(spec.optimizer, parameters: [("weight", try Tensor.zeros([2]))])
        let sequence = try XCTUnwrap(try Builder.scheduler(scheduler, optimizer: optimizer, runSteps: 12) as? SequentialLR)
        XCTAssertEqual(sequence.schedulers.compactMap { ($0 as? OneCycleLR)?.totalSteps }, [2, 5 - 2, 12 - 5])
        let last = at(perEpoch, line: 23, "{type: one_cycle_lr, max_lr: 0.3")
        XCTAssertThrowsError(try Builder.scheduler(scheduler, optimizer: optimizer)) { error in
            XCTAssertEqual((error as? SpecError)?.diagnostics.map(\.description), [
                "\(last): error: one_cycle_lr cannot infer total_steps: sequential_lr runs it from milestone 5 to the end of a "
                    + "run of unknown length; give total_steps",
            ])
        }
        XCTAssertEqual(SpecCheck.run(spec).diagnostics.map(\.description), [
            "\(last): error: one_cycle_lr cannot infer total_steps: sequential_lr starts it at milestone 5, but the run steps "
                + "the scheduler only 2 times (once per epoch); give total_steps or a milestone below 2",
        ])
        XCTAssertEqual(SpecCheck.run(try XCTUnwrap(parsed(text("interval: step, ")))).diagnostics.map(\.description), [])
    }

    // MARK: outputs and losses

    private let twoHeads = """
        data: {source: d.h5, train: {x: a, y: b}}
        model:
          input: [4]
          outputs: [logits, recon]
          layers:
            - {type: linear, out_features: 6, name: code}
            - {type: linear, out_features: 3, name: logits}
            - {type: linear, out_features: 4, name: recon, inputs: code}
        loss:
          - {type: cross_entropy_loss, output: logits}
          - {type: mse_loss, output: recon, target: x, loss_weight: 0.1}
        optimizer: {type: sgd}
        """

    func testSeveralOutputsBuildAGraphWithEveryOutput() throws {
        let spec = try XCTUnwrap(parsed(twoHeads))
        let built = try Builder.build(spec.model)
        XCTAssertEqual(built.outputs, [[3], [4]])
        let objective = try Builder.objective(spec.losses, outputs: spec.model.outputs)
        XCTAssertEqual(objective.terms.map(\.outputs), [[0], [1]])
        XCTAssertEqual(objective.terms.map(\.target), [.y, .x])
        XCTAssertEqual(objective.terms.map(\.weight), [1, 0.1])
        XCTAssertEqual(objective.metricOutput, 0)
        // The objective is the weighted sum of the two losses, each computed alone.
        let x = try Tensor.randn([5, 4]), y = try Tensor([Int64(0), 1, 2, 1, 0])
        let outputs = try objective.outputs(of: built.module, x)
        XCTAssertEqual(outputs.map(\.shape), [[5, 3], [5, 4]])
        let total = try objective(outputs, x: x, y: y).item()
        let ce = try CrossEntropyLoss()(outputs[0], y).item(), mse = try MSELoss()(outputs[1], x).item()
        XCTAssertEqual(total, ce + 0.1 * mse, accuracy: 1e-5)
    }

    func testPairwiseLossesReadTwoOutputs() throws {
        for loss in SpecSchema.pairwiseLosses.sorted() {
            let text = twoHeads.replacingOccurrences(of: "out_features: 3, name: logits}", with: "out_features: 4, name: logits, inputs: code}")
                .replacingOccurrences(of: "  - {type: cross_entropy_loss, output: logits}\n  - {type: mse_loss, output: recon, target: x, loss_weight: 0.1}",
                                      with: "  - {type: \(loss)}")
            let spec = try XCTUnwrap(parsed(text), loss)
            let objective = try Builder.objective(spec.losses, outputs: spec.model.outputs)
            XCTAssertEqual(objective.terms.map(\.outputs), [[0, 1]], loss)
            XCTAssertNil(objective.metricOutput)
        }
    }

    func testOutputAndLossErrorsHaveLocationsAndSuggestions() throws {
        let unknown = twoHeads.replacingOccurrences(of: "outputs: [logits, recon]", with: "outputs: [logits, recn]")
        XCTAssertEqual(diagnostics(unknown), [
            "\(at(unknown, line: 4, "[logits")): error: unknown layer 'recn' in model.outputs (named layers: code, logits, recon); "
                + "did you mean 'recon'?",
        ])
        let dangling = twoHeads.replacingOccurrences(of: "output: recon,", with: "output: recom,")
        XCTAssertEqual(diagnostics(dangling), [
            "\(at(dangling, line: 11, "recom")): error: unknown model output 'recom' (the model's outputs are logits, recon); "
                + "did you mean 'recon'?",
        ])
        let implicit = twoHeads.replacingOccurrences(of: "{type: cross_entropy_loss, output: logits}", with: "{type: cross_entropy_loss}")
        XCTAssertEqual(diagnostics(implicit), [
            "\(at(implicit, line: 10, "{type")): error: cross_entropy_loss reads one model output but the model has 2; "
                + "say which with output (the model's outputs are logits, recon)",
        ])
        let pair = mlpSpec(replacing: 21, with: "loss: {type: cosine_embedding_loss}")
        XCTAssertEqual(diagnostics(pair), [
            "spec.yaml:21:7: error: cosine_embedding_loss compares two model outputs but the model has 1; "
                + "name two layers in model.outputs and list them in output",
        ])
        let count = twoHeads.replacingOccurrences(of: "{type: cross_entropy_loss, output: logits}",
                                                  with: "{type: margin_ranking_loss, output: logits}")
        XCTAssertEqual(diagnostics(count), [
            "\(at(count, line: 10, "logits")): error: margin_ranking_loss compares two model outputs, got 1 in output",
        ])
        let empty = mlpSpec(replacing: 21, with: "loss: []")
        XCTAssertEqual(diagnostics(empty), ["spec.yaml:21:7: error: loss: expected a loss or a list of losses, got an empty list"])
        let twice = twoHeads.replacingOccurrences(of: "outputs: [logits, recon]", with: "outputs: [logits, logits]")
        XCTAssertEqual(diagnostics(twice).first, "\(at(twice, line: 4, "[logits")): error: 'logits' is listed twice in model.outputs")
    }

    func testDocsDescribeTheNewForms() {
        let markdown = SpecSchema.markdown()
        for heading in ["## Initialisation", "## Parameter groups", "## Gradient clipping and scheduling",
                        "## Several outputs and losses", "## Initializers", "### `train.clip_grad_norm`"] {
            XCTAssertTrue(markdown.contains(heading), heading)
        }
        XCTAssertTrue(markdown.contains("| `param_groups` | list of parameter groups |"))
        XCTAssertTrue(markdown.contains("| `interval` | epoch \\| step |"))
    }

    private var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
