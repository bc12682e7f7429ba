import Foundation
import XCTest
@testable import FlintSpec

/// `extends`, `--set` overrides and `${...}` interpolation.
final class SpecCompositionTests: XCTestCase {
    // MARK: Overrides

    func testOverridesSetValuesAtAnyPath() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, overrides: [
            "optimizer.lr=0.01",
            "model.layers.3.out_features=64",
            "model.layers.-1.bias=false",
            "data.transforms.1.mean=[0.5]",
            "train.log_every_steps=100",
        ]))
        XCTAssertEqual(spec.optimizer.double("lr"), 0.01)
        XCTAssertEqual(spec.optimizer.double("momentum"), 0.9, "untouched siblings stay")
        XCTAssertEqual(spec.model.layers[3].int("out_features"), 64)
        XCTAssertEqual(spec.model.layers[5].bool("bias"), false)
        XCTAssertEqual(spec.data.transforms[1].doubles("mean"), [0.5])
        XCTAssertEqual(spec.train.logEverySteps, 100)
        XCTAssertEqual(spec.optimizer.location(of: "lr").description, "--set optimizer.lr=0.01")
    }

    func testOverridesReplaceCollectionsAndCreateSections() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, overrides: [
            "optimizer={type: adam, lr: 0.002}",
            "scheduler.type=step_lr",
            "scheduler.step_size=5",
            "model.layers.6={type: log_softmax, dim: 1}",
        ]))
        XCTAssertEqual(spec.optimizer.type, "adam")
        XCTAssertEqual(spec.optimizer.double("lr"), 0.002)
        XCTAssertFalse(spec.optimizer.isSet("momentum"), "a whole value replaces, it does not merge")
        XCTAssertEqual(spec.scheduler?.type, "step_lr")
        XCTAssertEqual(spec.scheduler?.int("step_size"), 5)
        XCTAssertEqual(spec.model.layers.count, 7, "the list's length appends")
        XCTAssertEqual(spec.model.layers[6].type, "log_softmax")
        XCTAssertTrue(spec.yaml().contains("optimizer: {type: adam, lr: 0.002}\n"), spec.yaml())
    }

    func testOverridesRemoveKeysAndListItems() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, overrides: ["data.val~", "model.layers.4~", "train.metrics~"]))
        guard case .none = spec.data.val else { return XCTFail("data.val should be gone") }
        XCTAssertEqual(spec.model.layers.map(\.type), ["flatten", "linear", "relu", "linear", "linear"])
        XCTAssertEqual(spec.train.metrics, [])
        XCTAssertFalse(spec.yaml().contains("val:"))
    }

    func testAnOverriddenPathIsRelativeToTheWorkingDirectory() throws {
        let spec = try XCTUnwrap(parsed(mlpSpec, file: "/specs/mlp.yaml", overrides: ["data.source=other.h5"]))
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        XCTAssertEqual(spec.data.source, cwd.appendingPathComponent("other.h5").standardizedFileURL.path)
        XCTAssertEqual(spec.data.sourceLocation.description, "--set data.source=other.h5")
    }

    func testOverrideParsing() {
        XCTAssertEqual(Override("a.b=c=d")?.action, .set("c=d"), "the first = splits")
        XCTAssertEqual(Override("a.b=c=d")?.path, ["a", "b"])
        XCTAssertEqual(Override("a.0~")?.action, .remove)
        XCTAssertEqual(Override("a.0~")?.path, ["a", "0"])
        XCTAssertNil(Override("a.b"))
        XCTAssertEqual(Override("name=")?.action, .set(""))
    }

    // MARK: Interpolation

    func testInterpolationKeepsTypesAndSubstitutesText() throws {
        let yaml = mlpSpec(replacing: 1, with: "name: mlp-${seed}-${optimizer.lr}")
            .replacingOccurrences(of: "epochs: 2", with: "epochs: ${seed}")
            .replacingOccurrences(of: "test: {x: test/images, y: test/labels}", with: "test: ${data.train}")
        let spec = try XCTUnwrap(parsed(yaml, overrides: ["optimizer.lr=0.5"]))
        XCTAssertEqual(spec.name, "mlp-7-0.5", "overrides apply before interpolation")
        XCTAssertEqual(spec.train.epochs, 7)
        XCTAssertEqual(spec.data.test?.x, "train/images")
        XCTAssertEqual(spec.data.test?.xLocation.description, "spec.yaml:5:14",
                       "copied values keep the location they were written at")
        XCTAssertTrue(spec.yaml().contains("  test: {x: train/images, y: train/labels}\n"), spec.yaml())
    }

    func testInterpolationFollowsChainsAndEscapes() throws {
        let yaml = mlpSpec(replacing: 1, with: "name: 'cost \\${x} of ${data.batch_size}'")
            .replacingOccurrences(of: "batch_size: 64", with: "batch_size: ${train.epochs}")
            .replacingOccurrences(of: "epochs: 2", with: "epochs: 3")
        let spec = try XCTUnwrap(parsed(yaml))
        XCTAssertEqual(spec.name, "cost ${x} of 3")
        XCTAssertEqual(spec.data.batchSize, 3)
        let again = try XCTUnwrap(parsed(spec.yaml()))
        XCTAssertEqual(again.name, "cost ${x} of 3", "a literal ${ survives the round trip")
    }

    // MARK: Extends

    func testExtendsDeepMergesMappingsAndReplacesLists() throws {
        let directory = try temporaryDirectory(self)
        _ = try write(mlpSpec, to: directory, "shared/base.yaml")
        let child = try write("""
            extends: ../shared/base.yaml
            name: child
            optimizer: {lr: 0.01}
            model:
              layers:
                - {type: flatten}
                - {type: linear, out_features: 10}
            train: {epochs: 5}
            """, to: directory, "runs/child.yaml")
        let spec = try Spec.load(path: child)
        XCTAssertEqual(spec.name, "child")
        XCTAssertEqual(spec.optimizer.type, "sgd")
        XCTAssertEqual(spec.optimizer.double("lr"), 0.01)
        XCTAssertEqual(spec.optimizer.double("momentum"), 0.9)
        XCTAssertEqual(spec.model.input, [1, 28, 28])
        XCTAssertEqual(spec.model.layers.map(\.type), ["flatten", "linear"])
        XCTAssertEqual(spec.train.epochs, 5)
        XCTAssertEqual(spec.train.metrics, [MetricSpec(.accuracy)])
        XCTAssertEqual(spec.data.source, directory.appendingPathComponent("datasets/mnist.h5").standardizedFileURL.path,
                       "a path is relative to the file that wrote it")
        XCTAssertFalse(spec.yaml().contains("extends"))
        XCTAssertEqual(spec.model.layers[1].location.description, "\(child):7:7")
        XCTAssertEqual(spec.data.train.xLocation.description, "\(directory.path)/runs/../shared/base.yaml:5:14")
    }

    func testAChildChangingAnEntrysTypeReplacesTheEntry() throws {
        let directory = try temporaryDirectory(self)
        _ = try write(mlpSpec, to: directory, "base.yaml")
        let child = try write("extends: base.yaml\noptimizer: {type: adam}\n", to: directory, "child.yaml")
        let spec = try Spec.load(path: child)
        XCTAssertEqual(spec.optimizer.type, "adam")
        XCTAssertFalse(spec.optimizer.isSet("momentum"), "sgd's momentum must not leak into adam")
    }

    func testErrorsInABasePointIntoTheBase() throws {
        let directory = try temporaryDirectory(self)
        let base = try write(mlpSpec(replacing: 22, with: "optimizer: {type: sgd, lrr: 0.05}"), to: directory, "base.yaml")
        let child = try write("extends: base.yaml\ntrain: {epochs: 0}\n", to: directory, "child.yaml")
        XCTAssertThrowsError(try Spec.load(path: child)) { error in
            XCTAssertEqual("\(error)", """
                \(child):2:17: error: epochs must be > 0, got 0
                \(base):22:24: error: unknown key 'lrr' in optimizer 'sgd'; did you mean 'lr'?
                """)
        }
    }

    func testExtendsCyclesAndMissingBasesAreReported() throws {
        let directory = try temporaryDirectory(self)
        let a = try write("extends: b.yaml\nname: a\n", to: directory, "a.yaml")
        let b = try write("extends: a.yaml\nname: b\n", to: directory, "b.yaml")
        XCTAssertThrowsError(try Spec.load(path: a)) { error in
            XCTAssertEqual("\(error)", "\(b):1:10: error: extends cycle: \(a) -> \(b) -> \(a)")
        }
        let orphan = try write("extends: [a.yaml, nope.yaml]\n", to: directory, "orphan.yaml")
        XCTAssertThrowsError(try Spec.load(path: orphan)) { error in
            XCTAssertEqual("\(error)", """
                \(orphan):1:19: error: no such base spec 'nope.yaml' (looked for \(directory.path)/nope.yaml)
                \(b):1:10: error: extends cycle: \(a) -> \(b) -> \(a)
                """)
        }
    }

    func testABaseWithASyntaxErrorIsReportedInTheBase() throws {
        let directory = try temporaryDirectory(self)
        let base = try write("data: {source: x.h5\n", to: directory, "base.yaml")
        let child = try write("extends: base.yaml\n", to: directory, "child.yaml")
        do {
            _ = try Spec.load(path: child)
            XCTFail("a base with a syntax error must not load")
        } catch {
            XCTAssertEqual(error.diagnostics.first?.location.file, base)
            XCTAssertEqual(error.diagnostics.first?.location.line, 2)
        }
    }

    func testASpecThatIsNotUTF8PointsAtTheFirstBadByte() throws {
        let directory = try temporaryDirectory(self)
        let url = directory.appendingPathComponent("latin1.yaml")
        try Data("name: caf".utf8 + [0xE9] + Data("\n".utf8)).write(to: url)
        XCTAssertThrowsError(try Spec.load(path: url.path)) { error in
            XCTAssertEqual("\(error)", "\(url.path):1:10: error: the spec is not valid UTF-8 text")
        }
    }

    func testResolveGivesTheTreeEvenWhenValidationWouldFail() throws {
        let directory = try temporaryDirectory(self)
        let path = try write("model: {layers: [{type: lineer}]}\nseed: ${model.layers.0.type}\n", to: directory, "s.yaml")
        let (node, diagnostics) = Spec.resolve(path: path, overrides: ["name=x"])
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(node?.yaml(), "model: {layers: [{type: lineer}]}\nseed: lineer\nname: x\n")
    }
}
