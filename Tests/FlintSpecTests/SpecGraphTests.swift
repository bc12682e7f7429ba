import XCTest
import Flint
import FlintNN
@testable import FlintSpec

/// A spec around `model` text: the header is 7 lines, so the model's first line is line 8.
func modelSpec(_ model: String) -> String {
    """
    data:
      source: data.h5
      train: {x: x, y: y}
    loss: {type: cross_entropy_loss}
    optimizer: {type: sgd, lr: 0.1}
    model:
      input: [8]
    \(model)
    """
}

func builtModel(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> BuiltModel {
    let spec = try XCTUnwrap(parsed(yaml, sourceFile: file, sourceLine: line), file: file, line: line)
    return try Builder.build(spec.model)
}

/// Diagnostics of validating and then building the model: what `flint check` reports before reading data.
func buildDiagnostics(_ yaml: String) -> [String] {
    do {
        let spec = try Spec.parse(yaml: yaml, file: "spec.yaml")
        _ = try Builder.build(spec.model)
        return spec.warnings.map(\.description)
    } catch {
        return error.diagnostics.map(\.description)
    }
}

final class SpecGraphTests: XCTestCase {
    func testAResidualGraphRunsItsLayersInDataFlowOrder() throws {
        let built = try builtModel(modelSpec("""
              layers:
                - {type: linear, out_features: 8, name: fc1}
                - {type: relu, name: act}
                - {type: add, inputs: [input, act], name: res}
                - {type: linear, out_features: 3, name: head}
            """))
        let graph = try XCTUnwrap(built.module as? Graph)
        XCTAssertEqual(graph.nodes.map(\.name), ["fc1", "act", "res", "head"])
        XCTAssertEqual(built.module.stateDict().map(\.name), ["fc1.weight", "fc1.bias", "head.weight", "head.bias"])
        XCTAssertEqual(built.output, [3])
        XCTAssertEqual(built.layers.map(\.output), [[8], [8], [8], [3]])

        // head(x + relu(fc1(x))), composed by hand from the same parameters.
        let x = try Tensor.randn([4, 8])
        let state = Dictionary(uniqueKeysWithValues: built.module.stateDict().map { ($0.name, $0.tensor) })
        let fc1 = try Functional.linear(x, weight: try XCTUnwrap(state["fc1.weight"]), bias: state["fc1.bias"])
        let hidden = try x + fc1.relu()
        let expected = try Functional.linear(hidden, weight: try XCTUnwrap(state["head.weight"]), bias: state["head.bias"])
        let output = try built.module.forward(x)
        XCTAssertEqual(output.shape, [4, 3])
        XCTAssertEqual(output.toArray(Float.self), expected.toArray(Float.self))
    }

    func testLayersMayReadLaterLayersAndAPlainChainStaysSequential() throws {
        let graph = try builtModel(modelSpec("""
              layers:
                - {type: cat, inputs: [a, b], dim: 1, name: joined}
                - {type: linear, out_features: 4, inputs: input, name: a}
                - {type: linear, out_features: 6, inputs: input, name: b}
                - {type: linear, out_features: 2, inputs: joined}
            """))
        XCTAssertEqual((graph.module as? Graph)?.nodes.map(\.name), ["a", "b", "joined", "3"])
        XCTAssertEqual(graph.layers.first { $0.name == "joined" }?.output, [10])
        XCTAssertEqual(try graph.module.forward(Tensor.randn([5, 8])).shape, [5, 2])

        let chain = try builtModel(modelSpec("""
              layers:
                - {type: linear, out_features: 4}
                - {type: relu, inputs: 0x0}
            """).replacingOccurrences(of: ", inputs: 0x0", with: ""))
        XCTAssertTrue(chain.module is Sequential)
    }

    func testBroadcastingMulAndCatShapes() throws {
        let built = try builtModel(modelSpec("""
              layers:
                - {type: linear, out_features: 1, name: gate}
                - {type: sigmoid, name: g}
                - {type: mul, inputs: [input, g], name: gated}
                - {type: cat, inputs: [gated, input, g], dim: -1}
            """))
        XCTAssertEqual(built.layers.map(\.output), [[1], [1], [8], [17]])
    }

    func testBlocksSubstituteParametersAndNestLikePyTorch() throws {
        let built = try builtModel(modelSpec("""
              blocks:
                residual:
                  params: {width: 8, hidden: 16}
                  layers:
                    - {type: linear, out_features: '${params.hidden}', name: fc1}
                    - {type: relu}
                    - {type: linear, out_features: '${params.width}', name: fc2}
                    - {type: add, inputs: [input, fc2]}
              layers:
                - {type: residual, name: stem, hidden: 4}
                - {type: residual, name: layer1, hidden: 32, repeat: 2}
                - {type: linear, out_features: 3, name: head}
            """))
        XCTAssertEqual(built.module.stateDict().map(\.name), [
            "stem.fc1.weight", "stem.fc1.bias", "stem.fc2.weight", "stem.fc2.bias",
            "layer1.0.fc1.weight", "layer1.0.fc1.bias", "layer1.0.fc2.weight", "layer1.0.fc2.bias",
            "layer1.1.fc1.weight", "layer1.1.fc1.bias", "layer1.1.fc2.weight", "layer1.1.fc2.bias",
            "head.weight", "head.bias",
        ])
        let state = Dictionary(uniqueKeysWithValues: built.module.stateDict().map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(state["stem.fc1.weight"], [4, 8])
        XCTAssertEqual(state["layer1.1.fc1.weight"], [32, 8])
        XCTAssertEqual(built.layers.filter { $0.depth == 0 }.map(\.name), ["stem", "layer1", "head"])
        XCTAssertEqual(built.layers.first { $0.name == "layer1" }?.type, "residual ×2")
        XCTAssertEqual(built.layers.first { $0.name == "layer1.1.fc1" }?.depth, 2)
        // (8·4 + 4 + 4·8 + 8) + 2 · (8·32 + 32 + 32·8 + 8) + (8·3 + 3)
        XCTAssertEqual(built.parameterCount, 76 + 2 * 552 + 27)
        XCTAssertEqual(try built.module.forward(Tensor.randn([2, 8])).shape, [2, 3])
    }

    func testBlockParametersInsideTextAndNestedBlocks() throws {
        let built = try builtModel(modelSpec("""
              blocks:
                inner:
                  params: {n: ~}
                  layers: [{type: linear, out_features: '${params.n}', name: 'fc_${params.n}'}]
                outer:
                  params: {n: 5}
                  layers: [{type: inner, n: '${params.n}', name: body}]
              layers:
                - {type: outer, name: wrap, n: 6}
            """))
        XCTAssertEqual(built.module.stateDict().map(\.name), ["wrap.body.fc_6.weight", "wrap.body.fc_6.bias"])
    }

    func testTheResolvedYAMLKeepsBlockParameterReferences() throws {
        let spec = try XCTUnwrap(parsed(modelSpec("""
              blocks:
                b:
                  params: {n: 4}
                  layers: [{type: linear, out_features: '${params.n}'}]
              layers: [{type: b}]
            """)))
        let text = spec.yaml()
        XCTAssertTrue(text.contains("out_features: '${params.n}'"), text)
        XCTAssertNotNil(parsed(text), "the resolved spec reads back")
    }

    func testGraphAndBlockDiagnostics() {
        let cases: [(String, String, [String])] = [
            ("a cycle", """
              layers:
                - {type: linear, out_features: 8, name: a, inputs: c}
                - {type: relu, name: b}
                - {type: add, inputs: [b, input], name: c}
            """, ["spec.yaml:9:56: error: the layers form a cycle: 'a' -> 'b' -> 'c' -> 'a'"]),
            ("a layer reading itself", """
              layers:
                - {type: relu, name: a, inputs: [a]}
            """, ["spec.yaml:9:37: error: the layers form a cycle: 'a' -> 'a'"]),
            ("two inputs to a layer that takes one", """
              layers:
                - {type: linear, out_features: 8, name: a}
                - {type: linear, out_features: 8, inputs: [a, input]}
            """, ["spec.yaml:10:47: error: linear takes one input, got 2; join branches with add, mul or cat first"]),
            ("a shape conflict at add", """
              layers:
                - {type: linear, out_features: 4, name: a}
                - {type: add, inputs: [a, input]}
            """, ["spec.yaml:10:7: error: add: inputs must have the same per-sample shape, got [4] and [8]"]),
            ("cat along the batch", """
              layers:
                - {type: cat, inputs: [input, input], dim: 0}
            """, ["spec.yaml:9:7: error: cat: cannot concatenate along dim 0, the batch dimension"]),
            ("an unused branch", """
              layers:
                - {type: linear, out_features: 4, name: a}
                - {type: linear, out_features: 4, inputs: input}
            """, ["spec.yaml:9:7: warning: the output of layer 'a' is never used; the last layer's output is the model's"]),
            ("a typo in inputs next to a layer that does not validate", """
              layers:
                - {type: linear, out_feature: 8, name: a}
                - {type: add, inputs: [a, inptu]}
            """, ["spec.yaml:9:22: error: unknown key 'out_feature' in layer 'linear'; did you mean 'out_features'?",
                  "spec.yaml:10:27: error: unknown layer 'inptu' in inputs; did you mean 'input'?"]),
            ("a block parameter outside blocks", """
              layers:
                - {type: linear, out_features: '${params.n}'}
            """, ["spec.yaml:9:36: error: ${params.n} names a block parameter; it can only be used in the layers of model.blocks"]),
        ]
        for (name, model, expected) in cases {
            XCTAssertEqual(buildDiagnostics(modelSpec(model)), expected, name)
        }
    }

    func testBlockDiagnostics() {
        let block = """
              blocks:
                res:
                  params: {width: 8, hidden: ~}
                  layers:
                    - {type: linear, out_features: '${params.hidden}', name: fc1}
                    - {type: linear, out_features: '${params.width}', name: fc2}
                    - {type: add, inputs: [input, fc2]}
              layers:
            """
        let cases: [(String, String, [String])] = [
            ("unknown parameter at the use", "    - {type: res, hiden: 4}",
             ["spec.yaml:16:19: error: unknown key 'hiden' in block 'res'; did you mean 'hidden'?"]),
            ("missing parameter", "    - {type: res}",
             ["spec.yaml:16:7: error: missing required key 'hidden' in block 'res'"]),
            ("bad repeat", "    - {type: res, hidden: 4, repeat: 0}",
             ["spec.yaml:16:38: error: repeat must be in [1, 1000], got 0"]),
            ("a bad value is reported where the use wrote it", "    - {type: res, hidden: -4}",
             ["spec.yaml:16:27: error: out_features must be > 0, got -4"]),
            ("a shape conflict inside a block names the use", "    - {type: res, hidden: 4, width: 5}",
             ["spec.yaml:14:11: error: add: inputs must have the same per-sample shape, got [8] and [5] "
              + "(in block 'res' used at spec.yaml:16:7)"]),
            ("a typo in a block type", "    - {type: rse, hidden: 4}",
             ["spec.yaml:9:5: warning: block 'res' is never used",
              "spec.yaml:16:14: error: unknown layer type 'rse'; did you mean 'res'?"]),
        ]
        for (name, layers, expected) in cases {
            XCTAssertEqual(buildDiagnostics(modelSpec(block + "\n" + layers)), expected, name)
        }
    }

    func testBlockDefinitionDiagnostics() {
        let cases: [(String, String, [String])] = [
            ("unknown parameter in the block's layers", """
              blocks:
                b:
                  params: {width: 8}
                  layers: [{type: linear, out_features: '${params.widht}'}]
              layers: [{type: b}]
            """, ["spec.yaml:11:45: error: unknown parameter 'widht' of block 'b' in ${params.widht}; did you mean '${params.width}'?"]),
            ("a block named like a layer type", """
              blocks:
                relu: {layers: [{type: tanh}]}
              layers: [{type: relu}]
            """, ["spec.yaml:9:5: error: block name 'relu' is already a layer type; choose another name"]),
            ("a reserved parameter name", """
              blocks:
                b: {params: {repeat: 2}, layers: [{type: tanh}]}
              layers: [{type: b}]
            """, ["spec.yaml:9:18: error: 'repeat' cannot be a block parameter: a use of the block gives it its own meaning"]),
            ("a block without layers", """
              blocks:
                b: {params: {n: 1}, layer: [{type: tanh}]}
              layers: [{type: b}]
            """, ["spec.yaml:9:8: error: missing required key 'layers' in block 'b'",
                  "spec.yaml:9:25: error: unknown key 'layer' in block 'b'; did you mean 'layers'?"]),
            ("a shape conflict in a later copy names the copy", """
              blocks:
                g:
                  layers:
                    - {type: linear, out_features: 4, name: fc}
                    - {type: add, inputs: [input, fc]}
                    - {type: linear, out_features: 6}
              layers:
                - {type: linear, out_features: 4}
                - {type: g, repeat: 2}
            """, ["spec.yaml:12:11: error: add: inputs must have the same per-sample shape, got [6] and [4] "
                  + "(in copy 1 of block 'g' used at spec.yaml:16:7)"]),
            ("a block that uses itself", """
              blocks:
                a: {layers: [{type: b}]}
                b: {layers: [{type: a}]}
              layers: [{type: a}]
            """, ["spec.yaml:10:25: error: block 'a' uses itself: a -> b -> a"]),
            ("an unused block is still checked", """
              blocks:
                b: {layers: [{type: linear, out_feature: 3}]}
              layers: [{type: tanh}]
            """, ["spec.yaml:9:5: warning: block 'b' is never used",
                  "spec.yaml:9:33: error: unknown key 'out_feature' in layer 'linear'; did you mean 'out_features'?"]),
        ]
        for (name, model, expected) in cases {
            XCTAssertEqual(buildDiagnostics(modelSpec(model)), expected, name)
        }
    }
}
