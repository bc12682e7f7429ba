import XCTest
import Flint
import FlintNN
@testable import FlintSpec

/// Every registered type builds from the example its registration carries and is
/// documented in `flint docs`, and each category of the schema lists exactly the
/// registered types, so a type cannot be half-added. (ExportTests exports each layer.)
final class RegistryTests: XCTestCase {
    /// A spec around `model` (the text after `model:`) and `rest` (top-level keys).
    private func spec(input: [Int], layers: [String], outputs: [String]? = nil,
                      loss: String = "{type: mse_loss}", rest: String = "") -> String {
        var text = """
            data: {source: d.h5, train: {x: a, y: b}}
            model:
              input: \(input)

            """
        if let outputs { text += "  outputs: [\(outputs.joined(separator: ", "))]\n" }
        text += "  layers:\n" + layers.map { "    - \($0)\n" }.joined()
        text += "loss: \(loss)\noptimizer: {type: sgd, lr: 0.1}\n" + rest
        return text
    }

    func testEveryCategoryListsExactlyTheRegisteredTypes() {
        let registered: [(TypeCategory, [String])] = [
            (SpecSchema.layers, LayerTypes.all.map(\.name)),
            (SpecSchema.losses, LossTypes.all.map(\.name)),
            (SpecSchema.schedulers, SchedulerTypes.all.map(\.name)),
            (SpecSchema.transforms, TransformTypes.all.map(\.name)),
            (SpecSchema.initializers, InitializerTypes.all.map(\.name)),
            (SpecSchema.optimizers, Builder.optimizerTypes.keys.sorted()),
        ]
        for (category, names) in registered {
            XCTAssertEqual(category.types.map(\.name).sorted(), names.sorted(), category.plural)
            XCTAssertEqual(Set(names).count, names.count, "duplicate \(category.plural)")
        }
        XCTAssertEqual(LayerTypes.byName.count, LayerTypes.all.count)
        XCTAssertEqual(SpecSchema.pairwiseLosses, ["cosine_embedding_loss", "margin_ranking_loss"])
        XCTAssertEqual(LayerTypes.mergeNames, ["add", "mul", "cat", "bilinear"])
        XCTAssertEqual(LayerTypes.maskedNames, ["transformer_encoder_layer", "mean_pool", "last_token"])
    }

    /// `flint docs` prints each type's heading, its PyTorch class and doc, and a row per field.
    func testEveryRegisteredTypeIsDocumented() {
        let docs = SpecSchema.markdown()
        let schemas = LayerTypes.all.map(\.schema) + LossTypes.all.map(\.schema) + SchedulerTypes.all.map(\.schema)
            + TransformTypes.all.map(\.schema) + InitializerTypes.all.map(\.schema) + SpecSchema.optimizers.types
        for schema in schemas {
            XCTAssertTrue(docs.contains("### `\(schema.name)`\n\n`\(schema.pytorch)`: \(schema.doc)\n\n"), schema.name)
            for field in schema.fields {
                XCTAssertTrue(docs.contains("| `\(field.name)` | \(field.kind.summary) |"), "\(schema.name).\(field.name)")
            }
        }
    }

    func testEveryLayerTypeBuildsFromItsExample() throws {
        for type in LayerTypes.all {
            let text = spec(input: type.example.input, layers: [type.exampleEntry])
            let model = try XCTUnwrap(parsed(text), type.name).model
            let built = try Builder.build(model)
            XCTAssertEqual(built.layers.map(\.type), [type.name])
            // The output shape the builder inferred is the one the module computes.
            let input = try Tensor.zeros([2] + type.example.input, dtype: type.name == "embedding" ? .int64 : .float32)
            built.module.eval()
            let output = try noGrad { try built.module(input) }
            XCTAssertEqual(output.shape, [2] + built.output, type.name)
        }
    }

    func testEveryLossBuildsFromItsExample() throws {
        for type in LossTypes.all {
            let entry = "{type: \(type.name)" + (type.example.isEmpty ? "" : ", \(type.example)") + "}"
            let text = type.isPairwise
                ? spec(input: [4], layers: ["{type: linear, out_features: 3, name: a}",
                                            "{type: linear, out_features: 3, name: b, inputs: input}"],
                       outputs: ["a", "b"], loss: entry)
                : spec(input: [4], layers: ["{type: linear, out_features: 3}"], loss: entry)
            let loaded = try XCTUnwrap(parsed(text), type.name)
            let criterion = try Builder.criterion(try XCTUnwrap(loaded.losses.first))
            XCTAssertEqual(criterion.typeName, type.name)
            XCTAssertEqual(criterion.arity, type.isPairwise ? 2 : 1, type.name)
        }
    }

    func testEverySchedulerBuildsFromItsExample() throws {
        let parameters = [(name: "weight", tensor: try Tensor.zeros([2, 2]))]
        for type in SchedulerTypes.all {
            var fields = type.example
            if type.name == "sequential_lr" {
                // Chains every scheduler a chain may hold, each from its own example.
                let chained = SpecSchema.chainedSchedulers.types.compactMap { SchedulerTypes.byName[$0.name] }
                let children = chained.map { "{type: \($0.name)" + ($0.example.isEmpty ? "" : ", \($0.example)") + "}" }
                fields = "schedulers: [\(children.joined(separator: ", "))], milestones: \(Array(1..<children.count))"
            }
            let entry = "{type: \(type.name)" + (fields.isEmpty ? "" : ", \(fields)") + "}"
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"], rest: "scheduler: \(entry)\n")
            let loaded = try XCTUnwrap(parsed(text), type.name)
            let optimizer = try Builder.optimizer(loaded.optimizer, parameters: parameters)
            XCTAssertNoThrow(try Builder.scheduler(try XCTUnwrap(loaded.scheduler), optimizer: optimizer, runSteps: 20),
                             type.name)
        }
    }

    func testEveryOptimizerBuilds() throws {
        let parameters = [(name: "weight", tensor: try Tensor.zeros([2, 2]))]
        for type in SpecSchema.optimizers.types {
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"])
                .replacingOccurrences(of: "optimizer: {type: sgd, lr: 0.1}", with: "optimizer: {type: \(type.name), lr: 0.1}")
            let loaded = try XCTUnwrap(parsed(text), type.name)
            XCTAssertEqual(try Builder.optimizer(loaded.optimizer, parameters: parameters).lr, 0.1, type.name)
        }
    }

    func testEveryTransformBuildsFromItsExample() throws {
        for type in TransformTypes.all {
            let entry = "{type: \(type.name)" + (type.example.isEmpty ? "" : ", \(type.example)") + "}"
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"]).replacingOccurrences(
                of: "train: {x: a, y: b}}", with: "train: {x: a, y: b}, transforms: [\(entry)]}")
            let loaded = try XCTUnwrap(parsed(text), type.name)
            XCTAssertEqual(try Builder.transforms(loaded.data.transforms).count, 1, type.name)
        }
    }

    func testEveryInitializerBuildsFromItsExample() throws {
        for type in InitializerTypes.all {
            let entry = "{type: \(type.name)" + (type.example.isEmpty ? "" : ", \(type.example)") + "}"
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3, init: {weight: \(entry)}}"])
            let model = try XCTUnwrap(parsed(text), type.name).model
            let weight = try XCTUnwrap(Builder.build(model).module.stateDict().first { $0.name == "0.weight" }).tensor
            XCTAssertEqual(weight.shape, [3, 4], type.name)
            XCTAssertTrue(weight.toArray(Float.self).allSatisfy(\.isFinite), type.name)
        }
    }

    /// A registration reading a field its schema leaves optional gets an error naming the field, not a guess.
    func testAMissingValueIsAProblemNamingTheField() throws {
        let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"])
        let linear = try XCTUnwrap(parsed(text)?.model.layers.first)
        XCTAssertEqual(try linear.intValue("out_features"), 3)
        XCTAssertEqual(try linear.boolValue("bias"), true)
        XCTAssertThrowsError(try linear.intValue("in_features")) { error in
            XCTAssertEqual((error as? BuildProblem)?.field, "in_features")
            XCTAssertTrue("\(error)".contains("'in_features'"), "\(error)")
        }
    }
}
