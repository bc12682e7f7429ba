import XCTest
@testable import FlintSpec

/// Broken specs and the exact diagnostics they must produce. Each case changes lines of
/// `mlpSpec`, so the expected line is the replaced line and the column is counted in it.
final class SpecDiagnosticsTests: XCTestCase {
    private struct Case {
        let name: String
        let yaml: String
        var overrides: [String] = []
        let expected: [String]
    }

    private func check(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) {
        for testCase in cases {
            XCTAssertEqual(diagnostics(testCase.yaml, overrides: testCase.overrides), testCase.expected,
                           testCase.name, file: file, line: line)
        }
    }

    func testUnknownKeysAndTypesSuggestTheNearestName() {
        check([
            Case(name: "unknown key", yaml: mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lrr: 0.05, momentum: 0.9}"),
                 expected: ["spec.yaml:22:24: error: unknown key 'lrr' in optimizer 'sgd'; did you mean 'lr'?"]),
            Case(name: "unknown layer type", yaml: mlpSpec(replacing: 16, with: "    - {type: lineer, out_features: 256}"),
                 expected: ["spec.yaml:16:14: error: unknown layer type 'lineer'; did you mean 'linear'?"]),
            Case(name: "PyTorch class name", yaml: mlpSpec(replacing: 17, with: "    - {type: ReLU}"),
                 expected: ["spec.yaml:17:14: error: unknown layer type 'ReLU'; did you mean 'relu'?"]),
            Case(name: "unknown optimizer without a near miss", yaml: mlpSpec(replacing: 22, with: "optimizer: {type: lbfgs}"),
                 expected: ["spec.yaml:22:19: error: unknown optimizer type 'lbfgs'"]),
            Case(name: "unknown top-level key", yaml: mlpSpec(replacing: 23, with: "trian:"),
                 expected: ["spec.yaml:23:1: error: unknown top-level key 'trian'; did you mean 'train'?"]),
            Case(name: "unknown key in a section", yaml: mlpSpec(replacing: 8, with: "  batchsize: 64"),
                 expected: ["spec.yaml:8:3: error: unknown key 'batchsize' in data; did you mean 'batch_size'?"]),
            Case(name: "unknown key in a nested section", yaml: mlpSpec(replacing: 5, with: "  train: {x: train/images, z: train/labels}"),
                 expected: ["spec.yaml:5:28: error: unknown key 'z' in data.train; did you mean 'y'?"]),
            Case(name: "a typo does not also count as a missing key", yaml: mlpSpec(replacing: 20, with: "    - {type: linear, out_feature: 10}"),
                 expected: ["spec.yaml:20:22: error: unknown key 'out_feature' in layer 'linear'; did you mean 'out_features'?"]),
            Case(name: "boolean typo", yaml: mlpSpec(replacing: 20, with: "    - {type: linear, out_features: 10, bias: flase}"),
                 expected: ["spec.yaml:20:46: error: model.layers[5].bias: expected true or false, got 'flase'; did you mean 'false'?"]),
        ])
    }

    func testWrongKindsAndRanges() {
        check([
            Case(name: "text for an integer", yaml: mlpSpec(replacing: 18, with: "    - {type: linear, out_features: abc}"),
                 expected: ["spec.yaml:18:36: error: model.layers[3].out_features: expected an integer, got 'abc'"]),
            Case(name: "fraction for an integer", yaml: mlpSpec(replacing: 18, with: "    - {type: linear, out_features: 64.5}"),
                 expected: ["spec.yaml:18:36: error: model.layers[3].out_features: expected an integer, got '64.5'"]),
            Case(name: "negative learning rate", yaml: mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lr: -0.1}"),
                 expected: ["spec.yaml:22:28: error: lr must be >= 0, got -0.1"]),
            Case(name: "YAML 1.1 boolean", yaml: mlpSpec(replacing: 8, with: "  shuffle: yes"),
                 expected: ["spec.yaml:8:12: error: data.shuffle: expected true or false, got 'yes'"]),
            Case(name: "enum typo", yaml: mlpSpec(replacing: 21, with: "loss: {type: cross_entropy_loss, reduction: meen}"),
                 expected: ["spec.yaml:21:45: error: loss.reduction: expected one of 'mean', 'sum', 'none', got 'meen'; did you mean 'mean'?"]),
            Case(name: "pair with three values",
                 yaml: mlpSpec(replacing: 15, with: "    - {type: conv2d, out_channels: 8, kernel_size: [3, 3, 3]}"),
                 expected: ["spec.yaml:15:52: error: kernel_size must have 2 values, got 3"]),
            Case(name: "split outside (0, 1)", yaml: mlpSpec(replacing: 6, with: "  val: {split: 1.5}"),
                 expected: ["spec.yaml:6:16: error: split must be in (0, 1), got 1.5"]),
            Case(name: "each bad list item", yaml: mlpSpec(replacing: 13, with: "  input: [1, 0, x]"),
                 expected: ["spec.yaml:13:14: error: input must be > 0, got 0",
                            "spec.yaml:13:17: error: model.input[2]: expected an integer, got 'x'"]),
            Case(name: "section given as a list", yaml: mlpSpec(replacing: 5, with: "  train: [train/images, train/labels]"),
                 expected: ["spec.yaml:5:10: error: data.train: expected a mapping, got a list"]),
            Case(name: "layer written as a bare name", yaml: mlpSpec(replacing: 17, with: "    - relu"),
                 expected: ["spec.yaml:17:7: error: model.layers[2]: expected a layer like {type: linear}, got 'relu'"]),
            Case(name: "required value left null", yaml: mlpSpec(replacing: 4, with: "  source:"),
                 expected: ["spec.yaml:4:10: error: data.source: expected a file path, got null"]),
        ])
    }

    func testMissingRequiredKeys() {
        let withoutModel = mlpSpec.components(separatedBy: "\n").enumerated()
            .filter { !(11...19).contains($0.offset) }.map(\.element).joined(separator: "\n")
        check([
            Case(name: "layer field", yaml: mlpSpec(replacing: 20, with: "    - {type: linear}"),
                 expected: ["spec.yaml:20:7: error: missing required key 'out_features' in layer 'linear'"]),
            Case(name: "entry type", yaml: mlpSpec(replacing: 21, with: "loss: {reduction: sum}"),
                 expected: ["spec.yaml:21:7: error: missing required key 'type' in loss"]),
            Case(name: "top-level section", yaml: withoutModel,
                 expected: ["spec.yaml:1:1: error: missing required key 'model'"]),
        ])
    }

    func testCrossFieldChecks() {
        check([
            Case(name: "val with split and arrays", yaml: mlpSpec(replacing: 6, with: "  val: {split: 0.1, x: val/images}"),
                 expected: ["spec.yaml:6:8: error: data.val takes either split or x and y, not both"]),
            Case(name: "scheduler without optimizer", yaml: mlpSpec(replacing: 22, with: "scheduler: {type: step_lr, step_size: 1}"),
                 expected: ["spec.yaml:1:1: error: missing required key 'optimizer'",
                            "spec.yaml:22:1: error: a scheduler needs an optimizer to schedule"]),
            Case(name: "nesterov without momentum", yaml: mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lr: 0.1, nesterov: true}"),
                 expected: ["spec.yaml:22:43: error: nesterov momentum requires a momentum and zero dampening"]),
            Case(name: "groups", yaml: mlpSpec(replacing: 15, with: "    - {type: conv2d, out_channels: 10, kernel_size: 3, groups: 4}"),
                 expected: ["spec.yaml:15:36: error: out_channels must be divisible by groups (10 and 4)"]),
            Case(name: "normalize lengths",
                 yaml: mlpSpec(replacing: 11, with: "    - {type: normalize, mean: [0.5, 0.5], std: [0.2]}"),
                 expected: ["spec.yaml:11:48: error: mean and std must have one value per channel each, got 2 and 1"]),
            Case(name: "merge layer with one input", yaml: mlpSpec(replacing: 17, with: "    - {type: add}"),
                 expected: ["spec.yaml:17:7: error: add joins branches and needs at least two inputs, got 0"]),
            Case(name: "dangling input",
                 yaml: mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, name: fc1}\n    - {type: add, inputs: [fc1, fc2]}"),
                 expected: ["spec.yaml:17:27: error: unknown layer 'fc2' in inputs; did you mean 'fc1'?"]),
            Case(name: "duplicate layer name",
                 yaml: mlpSpec(replacing: 16, with: "    - {type: linear, out_features: 256, name: fc}\n    - {type: relu, name: fc}"),
                 expected: ["spec.yaml:17:26: error: duplicate layer name 'fc' (first used at spec.yaml:16:47)"]),
        ])
    }

    func testYAMLSyntaxErrorsCarryLibyamlsPosition() {
        check([
            Case(name: "unclosed flow sequence", yaml: mlpSpec(replacing: 13, with: "  input: [1, 28, 28"),
                 expected: ["spec.yaml:14:9: error: invalid YAML: did not find expected ',' or ']' "
                            + "(while parsing a flow sequence at 13:10)"]),
            Case(name: "tab indentation", yaml: mlpSpec(replacing: 8, with: "\tbatch_size: 64"),
                 expected: ["spec.yaml:8:1: error: invalid YAML: tabs cannot indent YAML; use spaces"]),
            Case(name: "duplicate key", yaml: mlpSpec(replacing: 8, with: "  batch_size: 64\n  batch_size: 32"),
                 expected: ["spec.yaml:9:3: error: duplicate key 'batch_size' in mapping"]),
            Case(name: "top level is a list", yaml: "- a\n- b\n",
                 expected: ["spec.yaml:1:1: error: expected a mapping of sections (data, model, loss, ...) at the top level, got a list"]),
        ])
    }

    func testEveryProblemIsReportedInOnePassInReadingOrder() {
        let yaml = mlpSpec(replacing: 16, with: "    - {type: lineer, out_features: 256}")
            .replacingOccurrences(of: "out_features: 128", with: "out_features: abc")
            .replacingOccurrences(of: "lr: 0.05", with: "lr: -0.1")
            .replacingOccurrences(of: "train:\n  epochs: 2", with: "trian:\n  epochs: 2")
        XCTAssertEqual(diagnostics(yaml, overrides: ["data.batch_size=0", "model.layers.7.bias=false"]), [
            "spec.yaml:16:14: error: unknown layer type 'lineer'; did you mean 'linear'?",
            "spec.yaml:18:36: error: model.layers[3].out_features: expected an integer, got 'abc'",
            "spec.yaml:22:28: error: lr must be >= 0, got -0.1",
            "spec.yaml:23:1: error: unknown top-level key 'trian'; did you mean 'train'?",
            "--set data.batch_size=0: error: batch_size must be > 0, got 0",
            "--set model.layers.7.bias=false: error: index 7 is out of range: 'model.layers' has 6 entries",
        ])
    }

    func testBadOverrides() {
        check([
            Case(name: "unknown key", yaml: mlpSpec, overrides: ["optimizer.lrr=0.1"],
                 expected: ["--set optimizer.lrr=0.1: error: unknown key 'lrr' in optimizer 'sgd'; did you mean 'lr'?"]),
            Case(name: "bad value", yaml: mlpSpec, overrides: ["optimizer.lr=abc"],
                 expected: ["--set optimizer.lr=abc: error: optimizer.lr: expected a number, got 'abc'"]),
            Case(name: "index out of range", yaml: mlpSpec, overrides: ["model.layers.9.out_features=3"],
                 expected: ["--set model.layers.9.out_features=3: error: index 9 is out of range: 'model.layers' has 6 entries"]),
            Case(name: "index that is not a number", yaml: mlpSpec, overrides: ["model.layers.last.out_features=3"],
                 expected: ["--set model.layers.last.out_features=3: error: 'model.layers' is a list; expected an index, got 'last'"]),
            Case(name: "indexing a scalar", yaml: mlpSpec, overrides: ["optimizer.lr.x=1"],
                 expected: ["--set optimizer.lr.x=1: error: cannot set 'optimizer.lr.x': 'optimizer.lr' is '0.05', not a mapping or a list"]),
            Case(name: "removing a missing key", yaml: mlpSpec, overrides: ["data.vall~"],
                 expected: ["--set data.vall~: error: cannot remove 'data.vall': no such key; did you mean 'data.val'?"]),
            Case(name: "no value", yaml: mlpSpec, overrides: ["optimizer.lr"],
                 expected: ["--set optimizer.lr: error: expected KEY=VALUE or KEY~ (to remove a key)"]),
            Case(name: "value that is not YAML", yaml: mlpSpec, overrides: ["optimizer={type: adam"],
                 expected: ["--set optimizer={type: adam: error: invalid YAML: did not find expected ',' or '}' "
                            + "(while parsing a flow mapping at 1:1)"]),
            Case(name: "empty segment", yaml: mlpSpec, overrides: ["optimizer..lr=1"],
                 expected: ["--set optimizer..lr=1: error: 'optimizer..lr' has an empty key; write KEY as a.b.c"]),
            Case(name: "extends", yaml: mlpSpec, overrides: ["extends=base.yaml"],
                 expected: ["--set extends=base.yaml: error: extends cannot be overridden; it is resolved when the file is read"]),
            Case(name: "bad key inside a flow value", yaml: mlpSpec, overrides: ["optimizer={type: adam, betas: [0.9]}"],
                 expected: ["--set optimizer={type: adam, betas: [0.9]}: error: betas must have 2 values, got 1"]),
        ])
    }

    func testFileErrorsComeBeforeOverrideErrorsInArgumentOrder() {
        let yaml = mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lrr: 0.05}")
        XCTAssertEqual(diagnostics(yaml, overrides: ["train.epochs=0", "optimizer.momentum=x", "seed=-1"]), [
            "spec.yaml:22:24: error: unknown key 'lrr' in optimizer 'sgd'; did you mean 'lr'?",
            "--set train.epochs=0: error: epochs must be > 0, got 0",
            "--set optimizer.momentum=x: error: optimizer.momentum: expected a number, got 'x'",
            "--set seed=-1: error: seed must be >= 0, got -1",
        ])
    }

    func testInterpolationErrors() {
        check([
            Case(name: "unknown path", yaml: mlpSpec(replacing: 1, with: "name: run-${sede}"),
                 expected: ["spec.yaml:1:7: error: unknown key path 'sede' in ${sede}; did you mean '${seed}'?"]),
            Case(name: "cycle", yaml: mlpSpec(replacing: 2, with: "seed: ${train.epochs}")
                    .replacingOccurrences(of: "epochs: 2", with: "epochs: ${seed}"),
                 expected: ["spec.yaml:2:7: error: interpolation cycle: seed -> train.epochs -> seed"]),
            Case(name: "mapping into text", yaml: mlpSpec(replacing: 1, with: "name: run-${data.train}"),
                 expected: ["spec.yaml:1:7: error: cannot insert a mapping into text: ${data.train} must name a single value"]),
            Case(name: "unterminated", yaml: mlpSpec(replacing: 1, with: "name: run-${seed"),
                 expected: ["spec.yaml:1:7: error: unterminated '${' in 'run-${seed'"]),
            Case(name: "referenced value has the wrong kind", yaml: mlpSpec(replacing: 24, with: "  epochs: ${name}"),
                 expected: ["spec.yaml:24:11: error: train.epochs: expected an integer, got 'mnist-mlp'"]),
        ])
    }

    func testAMissingSpecFileIsOneClearDiagnostic() {
        XCTAssertThrowsError(try Spec.load(path: "no/such/spec.yaml")) { error in
            XCTAssertEqual("\(error)", "no/such/spec.yaml: error: no such spec file")
        }
    }
}
