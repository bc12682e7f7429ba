import Foundation
import XCTest
@testable import FlintSpec

final class SpecDecodingTests: XCTestCase {
    func testValidSpecDecodesWithItsValuesAndPyTorchDefaults() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, file: "models/mnist_mlp.yaml"))
        XCTAssertEqual(spec.name, "mnist-mlp")
        XCTAssertEqual(spec.seed, 7)
        XCTAssertEqual(spec.file, "models/mnist_mlp.yaml")

        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(spec.data.source, URL(fileURLWithPath: cwd).appendingPathComponent("datasets/mnist.h5").path)
        XCTAssertEqual(spec.data.train.x, "train/images")
        XCTAssertEqual(spec.data.train.y, "train/labels")
        guard case .split(let split) = spec.data.val else { return XCTFail("expected a split, got \(spec.data.val)") }
        XCTAssertEqual(split, 0.1)
        XCTAssertEqual(spec.data.test?.x, "test/images")
        XCTAssertEqual(spec.data.batchSize, 64)
        XCTAssertTrue(spec.data.shuffle)
        XCTAssertEqual(spec.data.transforms.map(\.type), ["to_tensor", "normalize"])
        XCTAssertEqual(spec.data.transforms[1].doubles("mean"), [0.1307])
        XCTAssertEqual(spec.data.transforms[1].doubles("std"), [0.3081])
        XCTAssertTrue(spec.data.augment.isEmpty)

        XCTAssertEqual(spec.model.input, [1, 28, 28])
        XCTAssertEqual(spec.model.layers.map(\.type), ["flatten", "linear", "relu", "linear", "relu", "linear"])
        let first = spec.model.layers[1]
        XCTAssertEqual(first.int("out_features"), 256)
        XCTAssertNil(first.int("in_features"), "inferred sizes stay unset")
        XCTAssertEqual(first.bool("bias"), true)
        XCTAssertTrue(first.isSet("out_features"))
        XCTAssertFalse(first.isSet("bias"))
        XCTAssertEqual(first.keyPath, "model.layers.1")
        XCTAssertEqual(first.location.description, "models/mnist_mlp.yaml:16:7")
        XCTAssertEqual(first.location(of: "out_features").description, "models/mnist_mlp.yaml:16:36")
        XCTAssertEqual(spec.model.layers[0].int("start_dim"), 1)
        XCTAssertEqual(spec.model.layers[0].int("end_dim"), -1)
        XCTAssertNil(spec.model.layers[0].name)
        XCTAssertNil(spec.model.initFrom)

        XCTAssertEqual(spec.loss.type, "cross_entropy_loss")
        XCTAssertEqual(spec.loss.int("ignore_index"), -100)
        XCTAssertEqual(spec.loss.string("reduction"), "mean")
        XCTAssertEqual(spec.loss.double("label_smoothing"), 0)
        XCTAssertNil(spec.loss.doubles("weight"))

        XCTAssertEqual(spec.optimizer.type, "sgd")
        XCTAssertEqual(spec.optimizer.double("lr"), 0.05)
        XCTAssertEqual(spec.optimizer.double("momentum"), 0.9)
        XCTAssertEqual(spec.optimizer.double("weight_decay"), 0)
        XCTAssertEqual(spec.optimizer.bool("nesterov"), false)
        XCTAssertNil(spec.scheduler)

        XCTAssertEqual(spec.train.epochs, 2)
        XCTAssertEqual(spec.train.metrics, [MetricSpec(.accuracy)])
        XCTAssertNil(spec.train.logEverySteps)
        XCTAssertTrue(spec.warnings.isEmpty)
    }

    func testIntOrPairFieldsExpandAndDefaultsFollowPyTorch() throws {
        let yaml = mlpSpec(replacing: 15, with: """
            - {type: conv2d, out_channels: 16, kernel_size: 5, padding: [2, 1]}
            - {type: max_pool2d, kernel_size: 2}
            - {type: conv2d, out_channels: 8, kernel_size: 3, padding: same}
            - {type: flatten}
        """)
        let spec = try XCTUnwrap(parsed(yaml))
        let conv = spec.model.layers[0]
        XCTAssertEqual(conv.ints("kernel_size", count: 2), [5, 5])
        XCTAssertEqual(conv.ints("padding", count: 2), [2, 1])
        XCTAssertEqual(conv.ints("stride", count: 2), [1, 1])
        XCTAssertEqual(conv.ints("dilation", count: 2), [1, 1])
        XCTAssertEqual(conv.int("groups"), 1)
        XCTAssertEqual(conv.string("padding_mode"), "zeros")
        let pool = spec.model.layers[1]
        XCTAssertNil(pool.ints("stride", count: 2), "PyTorch's stride=None means kernel_size")
        XCTAssertEqual(pool.ints("padding", count: 2), [0, 0])
        XCTAssertEqual(pool.bool("ceil_mode"), false)
        XCTAssertEqual(spec.model.layers[2].string("padding"), "same")
    }

    func testOptimizerAndSchedulerDefaults() throws {
        var yaml = mlpSpec(replacing: 22, with: "optimizer: {type: adamw}\nscheduler: {type: step_lr, step_size: 3}")
        var spec = try XCTUnwrap(parsed(yaml))
        XCTAssertEqual(spec.optimizer.double("lr"), 1e-3)
        XCTAssertEqual(spec.optimizer.doubles("betas"), [0.9, 0.999])
        XCTAssertEqual(spec.optimizer.double("eps"), 1e-8)
        XCTAssertEqual(spec.optimizer.double("weight_decay"), 1e-2)
        XCTAssertEqual(spec.optimizer.bool("amsgrad"), false)
        XCTAssertEqual(spec.scheduler?.int("step_size"), 3)
        XCTAssertEqual(spec.scheduler?.double("gamma"), 0.1)

        yaml = mlpSpec(replacing: 22, with: "optimizer: {type: adam, lr: 1e-3, betas: [0.8, 0.9]}")
        spec = try XCTUnwrap(parsed(yaml))
        XCTAssertEqual(spec.optimizer.double("weight_decay"), 0)
        XCTAssertEqual(spec.optimizer.double("lr"), 0.001, "1e-3 is a number under the YAML 1.2 core schema")
        XCTAssertEqual(spec.optimizer.doubles("betas"), [0.8, 0.9])
    }

    func testGraphLayersAcceptNamesAndInputs() throws {
        let yaml = mlpSpec(replacing: 15, with: """
            - {type: flatten, name: flat}
            - {type: linear, out_features: 784, name: branch}
            - {type: add, inputs: [flat, branch]}
            - {type: cat, inputs: [input, input], dim: 1}
            - {type: flatten, inputs: flat}
        """)
        let spec = try XCTUnwrap(parsed(yaml))
        XCTAssertEqual(spec.model.layers[0].name, "flat")
        XCTAssertEqual(spec.model.layers[2].inputs, ["flat", "branch"])
        XCTAssertEqual(spec.model.layers[4].inputs, ["flat"])
        XCTAssertNil(spec.model.layers[5].inputs)
        XCTAssertEqual(spec.model.layers[3].int("dim"), 1)
    }

    func testValidationArraysAndOptionalSections() throws {
        let yaml = mlpSpec(replacing: 6, with: "  val: {x: val/images, y: val/labels}")
            .replacingOccurrences(of: "train:\n  epochs: 2\n  metrics: [accuracy]", with: "")
        let spec = try XCTUnwrap(parsed(yaml))
        guard case .arrays(let arrays) = spec.data.val else { return XCTFail("expected arrays") }
        XCTAssertEqual(arrays.x, "val/images")
        XCTAssertEqual(spec.train.epochs, 1)
        XCTAssertEqual(spec.train.metrics, [])
    }

    func testNameDefaultsToTheFileName() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec(replacing: 1, with: ""), file: "models/lenet.yaml"))
        XCTAssertEqual(spec.name, "lenet")
    }

    func testResolvedYAMLKeepsOrderAndStyleAndRoundTrips() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, file: "/specs/mlp.yaml"))
        let yaml = spec.yaml()
        let expected = mlpSpec
            .replacingOccurrences(of: "../datasets/mnist.h5", with: "/datasets/mnist.h5")
            .replacingOccurrences(of: "\n    - {", with: "\n  - {")
            .replacingOccurrences(of: "\n    -", with: "\n  -")
        XCTAssertEqual(yaml, expected + "\n")
        let again = try XCTUnwrap(parsed(yaml, file: "checkpoint:/config"))
        XCTAssertEqual(again.yaml(), yaml)
        XCTAssertEqual(again.data.source, "/datasets/mnist.h5")
    }

    func testResolvedYAMLQuotesStringsThatLookLikeOtherTypes() throws {
        let yaml = mlpSpec(replacing: 1, with: "name: '0.5'")
            .replacingOccurrences(of: "x: test/images", with: "x: 'yes'")
        let spec = try XCTUnwrap(parsed(yaml))
        let text = spec.yaml()
        XCTAssertTrue(text.hasPrefix("name: '0.5'\n"), text)
        XCTAssertTrue(text.contains("test: {x: 'yes', y: test/labels}"), text)
        XCTAssertEqual(try XCTUnwrap(parsed(text)).name, "0.5")
    }

    func testYAMLWithDefaultsShowsEveryValueAndReadsBack() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec.replacingOccurrences(of: "train:\n  epochs: 2\n  metrics: [accuracy]", with: "")))
        let text = spec.yaml(includingDefaults: true)
        XCTAssertTrue(text.contains("  - {type: linear, out_features: 256, bias: true}\n"), text)
        XCTAssertTrue(text.contains("  - {type: flatten, start_dim: 1, end_dim: -1}\n"), text)
        XCTAssertTrue(text.contains("loss: {type: cross_entropy_loss, ignore_index: -100, reduction: mean, "
                                    + "label_smoothing: 0.0}\n"), text)
        XCTAssertTrue(text.contains("optimizer: {type: sgd, lr: 0.05, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, "
                                    + "nesterov: false, maximize: false}\n"), text)
        XCTAssertTrue(text.contains("  batch_size: 64\n  transforms:"), "written keys keep their place:\n\(text)")
        XCTAssertTrue(text.contains("  shuffle: true\n"), text)
        XCTAssertTrue(text.hasSuffix("train:\n  epochs: 1\n  eval_every_epochs: 1\n  accumulate_steps: 1\n"
                                     + "  nan_guard: stop\n  tensorboard: false\n  tensorboard_histograms: false\n"
                                     + "  checkpoint:\n    every_epochs: 1\n    keep_last: 0\n"),
                      "an absent train is all defaults, early stopping staying off:\n\(text)")
        let again = try XCTUnwrap(parsed(text))
        XCTAssertEqual(again.yaml(includingDefaults: true), text)
        XCTAssertEqual(again.yaml(), text, "nothing is left to fill")
    }

    func testWarningsDoNotBlock() throws {
        let yaml = mlpSpec(replacing: 22, with: "optimizer: {type: sgd}\nscheduler: {type: cosine_annealing_lr, T_max: 1}")
        let spec = try XCTUnwrap(parsed(yaml))
        XCTAssertEqual(spec.warnings.map(\.description), [
            "spec.yaml:23:47: warning: T_max 1 is shorter than train.epochs 2; the learning rate rises again after epoch 1",
        ])
    }

    func testScalarResolutionFollowsTheCoreSchema() {
        XCTAssertEqual(ScalarValue(resolving: "1e-3"), .float(0.001))
        XCTAssertEqual(ScalarValue(resolving: "-4"), .int(-4))
        XCTAssertEqual(ScalarValue(resolving: "0x10"), .int(16))
        XCTAssertEqual(ScalarValue(resolving: ".5"), .float(0.5))
        XCTAssertEqual(ScalarValue(resolving: "1."), .float(1))
        XCTAssertEqual(ScalarValue(resolving: "~"), .null)
        XCTAssertEqual(ScalarValue(resolving: "True"), .bool(true))
        XCTAssertEqual(ScalarValue(resolving: "yes"), .string("yes"))
        XCTAssertEqual(ScalarValue(resolving: "1e"), .string("1e"))
        XCTAssertEqual(ScalarValue(resolving: "."), .string("."))
        XCTAssertEqual(ScalarValue(resolving: "12abc"), .string("12abc"))
        XCTAssertEqual(ScalarValue(resolving: "99999999999999999999"), .float(1e20))
    }

    func testSuggestionsFindTyposAndPyTorchClassNames() {
        let layers = SpecSchema.layers.types.map(\.name)
        XCTAssertEqual(Suggest.closest(to: "lineer", in: layers), "linear")
        XCTAssertEqual(Suggest.closest(to: "lienar", in: layers), "linear")
        XCTAssertEqual(Suggest.closest(to: "BatchNorm2d", in: layers), "batch_norm2d")
        XCTAssertEqual(Suggest.closest(to: "Conv2d", in: layers), "conv2d")
        XCTAssertEqual(Suggest.closest(to: "CrossEntropyLoss", in: SpecSchema.losses.types.map(\.name)),
                       "cross_entropy_loss")
        XCTAssertNil(Suggest.closest(to: "transformer", in: layers))
    }

    func testMarkdownDocsListEveryTypeAndField() {
        let markdown = SpecSchema.markdown()
        for category in SpecSchema.categories {
            XCTAssertTrue(markdown.contains("## \(category.plural.capitalized)"), category.name)
            for type in category.types {
                XCTAssertTrue(markdown.contains("### `\(type.name)`\n\n`\(type.pytorch)`"), type.name)
                for field in type.fields {
                    XCTAssertTrue(markdown.contains("| `\(field.name)` |"), "\(type.name).\(field.name)")
                }
            }
        }
        for section in SpecSchema.sections {
            XCTAssertTrue(markdown.contains("### `\(section.name)`"), section.name)
        }
        XCTAssertTrue(markdown.contains("| `lr` | float | `0.001` | `>= 0` | Learning rate. |"), markdown)
        XCTAssertTrue(markdown.contains("| `out_features` | int | **required** | `> 0` |"), markdown)
    }
}
