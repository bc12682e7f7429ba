import Foundation
import XCTest
import Flint
import FlintNN
@testable import FlintSpec

/// The repository's root, from this file's place in it.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The shipped specs, the parameter counts PyTorch gives their equivalent modules, and the
/// generated reference: the checks that keep models/, the builder and docs/spec.md honest.
final class SpecModelsTests: XCTestCase {
    private struct Expected: Decodable {
        let parameters: Int
        let stateDict: [[JSONValue]]

        enum CodingKeys: String, CodingKey {
            case parameters
            case stateDict = "state_dict"
        }
    }

    /// `["conv1.weight", [16, 1, 5, 5]]`: a name and a shape.
    private enum JSONValue: Decodable, Equatable {
        case name(String)
        case shape([Int])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let name = try? container.decode(String.self) { self = .name(name) } else { self = .shape(try container.decode([Int].self)) }
        }
    }

    private func shippedSpecs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("models").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "models/" + $0 }
    }

    /// Counts from `Tests/Fixtures/spec/param_counts.py` (torch): same total, same state-dict names and shapes, same order.
    func testParameterCountsAndStateDictNamesEqualPyTorchs() throws {
        let data = try Data(contentsOf: repository.appendingPathComponent("Tests/Fixtures/spec/param_counts.json"))
        var fixture = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        fixture["torch_version"] = nil
        let expected = try JSONDecoder().decode([String: Expected].self,
                                                from: JSONSerialization.data(withJSONObject: fixture))
        XCTAssertTrue(Set(try shippedSpecs()).isSubset(of: expected.keys),
                      "every spec in models/ needs its torch module in param_counts.py")
        for (path, counts) in expected.sorted(by: { $0.key < $1.key }) {
            let spec = try Spec.load(path: repository.appendingPathComponent(path).path)
            let built = try Builder.build(spec.model)
            XCTAssertEqual(built.parameterCount, counts.parameters, path)
            XCTAssertEqual(ModelSummary(input: spec.model.input, built: built).totalParameters, counts.parameters, path)
            let names = built.module.stateDict().map { [JSONValue.name($0.name), .shape($0.tensor.shape)] }
            XCTAssertEqual(names, counts.stateDict, path)
        }
    }

    /// What `flint check` does short of reading data: validate, build, and one forward and
    /// backward pass on a random batch of the declared input shape.
    func testEveryShippedSpecChecksAndRunsAForwardAndBackwardPass() throws {
        let specs = try shippedSpecs()
        XCTAssertGreaterThanOrEqual(specs.count, 4)
        for path in specs {
            let check = try SpecCheck.run(path: repository.appendingPathComponent(path).path)
            XCTAssertEqual(check.diagnostics.map(\.description), [], path)
            let model = try XCTUnwrap(check.model, path)
            // A model that starts with an embedding reads token ids below num_embeddings.
            let first = check.spec.model.layers.first
            let input = first?.type == "embedding"
                ? try Tensor.randint(0, first?.int("num_embeddings") ?? 1, [3] + check.spec.model.input)
                : try Tensor.randn([3] + check.spec.model.input)
            let output = try model.module.forward(input)
            XCTAssertEqual(output.shape, [3] + model.output, path)
            try output.sum().backward()
            for (name, parameter) in model.module.namedParameters() {
                XCTAssertNotNil(parameter.grad, "\(path): \(name) gets no gradient")
            }
        }
    }

    func testTheResNetSpecIsShortAndUsesBlocksAndTheGraphForm() throws {
        let text = try String(contentsOf: repository.appendingPathComponent("models/mnist_resnet.yaml"), encoding: .utf8)
        XCTAssertLessThan(text.split(separator: "\n").count, 40, "lines")
        let spec = try Spec.load(path: repository.appendingPathComponent("models/mnist_resnet.yaml").path)
        XCTAssertTrue(spec.model.layers.contains { $0.block?.repeatCount == 2 })
        XCTAssertTrue(spec.model.layers.compactMap(\.block).flatMap(\.layers).contains { $0.inputs != nil })
        let names = try Builder.build(spec.model).module.stateDict().map(\.name)
        XCTAssertTrue(names.contains("layer2.1.conv1.weight"), "\(names)")
    }

    /// docs/spec.md is `flint docs` output; regenerate it with `flint docs --output docs/spec.md`.
    func testTheSpecReferenceIsGeneratedFromTheSchema() throws {
        let committed = try String(contentsOf: repository.appendingPathComponent("docs/spec.md"), encoding: .utf8)
        XCTAssertEqual(committed, SpecSchema.markdown(),
                       "docs/spec.md is out of date: run `flint docs --output docs/spec.md`")
    }
}
