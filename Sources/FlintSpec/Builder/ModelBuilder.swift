import Flint
import FlintNN

/// One row of a model summary: a layer (or a block, or one copy of a repeated block).
public struct LayerSummary: Sendable, Equatable {
    /// The state-dict prefix: `fc1`, `3`, `layer1.0.conv1`.
    public let name: String
    /// The layer type (`conv2d`), or the block's name for a block and its copies.
    public let type: String
    /// Per-sample output shape, without the batch dimension.
    public let output: [Int]
    /// Parameters of the layer, its children included.
    public let parameters: Int
    /// 0 for `model.layers`, one more for each block level.
    public let depth: Int
    /// True for a block use or block copy, whose parameters are those of the rows under it.
    public let isContainer: Bool
}

/// A built model, its per-sample output shape and one row per layer.
public struct BuiltModel {
    public let module: Module
    /// Per-sample shape of the first output.
    public let output: [Int]
    /// Per-sample shape of each output, in the order of `model.outputs`.
    public let outputs: [[Int]]
    /// In execution order, each block followed by its layers.
    public let layers: [LayerSummary]

    /// Scalar parameters of the whole model.
    public var parameterCount: Int { module.parameterCount }
}

extension Builder {
    /// The model of the spec, every shape inferred and checked. Layers run as a
    /// `Sequential` when each reads the one before it, else as a `Graph`; blocks
    /// become child modules named by their use (`layer1.0.conv1.weight`).
    public static func build(_ spec: ModelSpec) throws(SpecError) -> BuiltModel {
        if let problem = MemoryEstimate.problem(perSampleOutput: spec.input) {
            throw SpecError([.error(at: spec.inputLocation, "`model.input`: \(problem)", keyPath: "model.input")])
        }
        var assembler = ModelAssembler()
        let built = assembler.build(spec.layers, input: spec.input, prefix: "", depth: 0, context: "", outputs: spec.outputs)
        guard let built, let first = built.outputs.first, assembler.diagnostics.isEmpty else {
            var seen: Set<String> = []
            throw SpecError(assembler.diagnostics.filter { seen.insert($0.description).inserted })
        }
        return BuiltModel(module: built.module, output: first, outputs: built.outputs, layers: assembler.rows)
    }

    /// The model as a module and its per-sample output shape.
    public static func model(_ spec: ModelSpec) throws(SpecError) -> (module: Module, output: [Int]) {
        let built = try build(spec)
        return (built.module, built.output)
    }
}

/// Builds one list of layers at a time, recursing into blocks, collecting every
/// problem and the summary rows.
private struct ModelAssembler {
    var diagnostics: [Diagnostic] = []
    var rows: [LayerSummary] = []
    /// Bytes that training the layers built so far holds for their parameters.
    var parameterBytes = 0.0

    /// - Parameters:
    ///   - prefix: the state-dict prefix of the list (`layer1.0.`).
    ///   - context: appended to messages about layers of a block: ` (in block 'basic' used at spec.yaml:30:7)`.
    ///   - outputs: names of the layers whose outputs the list returns; nil for the last layer.
    /// - Returns: the module and the per-sample shape of each output; nil once a problem has been reported.
    mutating func build(_ layers: [LayerSpec], input: [Int], prefix: String, depth: Int,
                        context: String, outputs: [String]? = nil) -> (module: Module, outputs: [[Int]])? {
        let graph = LayerGraph(layers)
        guard let order = graph.order(), let last = layers.indices.last else {
            // The validator rejects cycles and empty lists; reaching here means a spec bypassed it.
            diagnostics.append(.error(at: layers.first?.location ?? .wholeFile(""),
                                      "the layers cannot be ordered (a cycle or no layers)\(context)"))
            return nil
        }
        var shapes: [Int: [Int]] = [:]
        var modules: [Int: Module] = [:]
        for position in order {
            let layer = layers[position]
            var inputShapes: [[Int]] = []
            for source in graph.sources[position] {
                switch source {
                case .input: inputShapes.append(input)
                case .layer(let other): if let shape = shapes[other] { inputShapes.append(shape) }
                }
            }
            // A layer reading one that failed has no shape to check; its problem is the earlier one.
            guard inputShapes.count == graph.sources[position].count else { continue }
            if LayerTypes.maskedNames.contains(layer.type), graph.sources[position].count == 2 {
                // The mask's dtype and meaning (true at padding) are what padding_mask makes; ONNX export relies on it.
                guard case .layer(let source) = graph.sources[position][1], layers[source].type == "padding_mask" else {
                    diagnostics.append(.error(at: layer.location(of: "inputs"),
                                              "\(layer.type): the second input is the key-padding mask and must be a "
                                              + "padding_mask layer (reading the token ids)\(context)",
                                              keyPath: layer.keyPath(of: "inputs")))
                    continue
                }
            }
            let name = layer.name ?? String(position)
            if let built = buildLayer(layer, inputShapes, name: prefix + name, depth: depth, context: context) {
                let problems = Builder.applyInit(layer, to: built.module, context: context)
                diagnostics += problems
                guard problems.isEmpty else { continue }
                shapes[position] = built.output
                modules[position] = built.module
            }
        }
        guard modules.count == layers.count else { return nil }
        tieWeights(layers, modules, context: context)
        let names = layers.indices.map { layers[$0].name ?? String($0) }
        // The validator checked `outputs` against the names; an unknown one here means a spec bypassed it.
        let returned = outputs.map { $0.compactMap { name in layers.firstIndex { $0.name == name } } } ?? [last]
        let outputShapes = returned.compactMap { shapes[$0] }
        guard !returned.isEmpty, outputShapes.count == (outputs?.count ?? 1) else {
            diagnostics.append(.error(at: layers[last].location, "model.outputs names a layer that is not in the list\(context)"))
            return nil
        }
        if graph.isChain, returned == [last] {
            return (Sequential(order.compactMap { position in modules[position].map { (names[position], $0) } }), outputShapes)
        }
        do {
            let nodes = order.compactMap { position -> Graph.Node? in
                guard let module = modules[position] else { return nil }
                let inputs = graph.sources[position].map { source -> Graph.Source in
                    switch source {
                    case .input: return .input
                    case .layer(let other): return .node(names[other])
                    }
                }
                return Graph.Node(names[position], module, inputs: inputs)
            }
            return (try Graph(nodes: nodes, outputs: returned.map { .node(names[$0]) }), outputShapes)
        } catch {
            diagnostics.append(.error(at: layers[last].location, "\(error)\(context)"))
            return nil
        }
    }

    /// `tie_weights: NAME` makes a linear layer's weight the very tensor of the embedding
    /// called NAME in the same list (`head.weight = wte.weight`): one parameter, trained once.
    private mutating func tieWeights(_ layers: [LayerSpec], _ modules: [Int: Module], context: String) {
        for (position, layer) in layers.enumerated() {
            guard let target = layer.string("tie_weights"), let module = modules[position] else { continue }
            let at = layer.location(of: "tie_weights"), keyPath = layer.keyPath(of: "tie_weights")
            guard let source = layers.firstIndex(where: { $0.name == target }), let embedding = modules[source] as? Embedding,
                  let shared = embedding.parameter("weight") else {
                let names = layers.compactMap { $0.type == "embedding" ? $0.name : nil }
                diagnostics.append(.error(at: at, "tie_weights names '\(target)', which is not an embedding layer of this list"
                                          + (names.isEmpty ? " (name the embedding with name:)" : Suggest.hint(for: target, in: names))
                                          + context, keyPath: keyPath))
                continue
            }
            guard let own = module.parameter("weight"), own.shape == shared.shape else {
                diagnostics.append(.error(at: at, "tie_weights: \(layer.type) weight \(module.parameter("weight")?.shape ?? []) "
                                          + "must have the shape of '\(target)'.weight \(shared.shape) "
                                          + "(out_features = num_embeddings, in_features = embedding_dim)\(context)",
                                          keyPath: keyPath))
                continue
            }
            module.registerParameter("weight", shared)
        }
    }

    private mutating func buildLayer(_ layer: LayerSpec, _ inputs: [[Int]], name: String, depth: Int,
                                     context: String) -> (module: Module, output: [Int])? {
        if let block = layer.block {
            return buildBlock(layer, block, input: inputs.first ?? [], name: name, depth: depth, context: context)
        }
        do {
            let built: (module: Module, output: [Int])
            built = try MemoryBudget.withLimit(MemoryEstimate.trainableLimit) {
                switch LayerTypes.byName[layer.type]?.build {
                case .merge(let merge)?: return try merge(layer, inputs)
                case .single(let single)? where inputs.count == 1: return try single(layer, inputs[0])
                case .masked(let single)? where inputs.count == 1: return try single(layer, inputs[0])
                case .masked(let single)? where inputs.count == 2:
                    guard let length = inputs[0].first, inputs[1] == [length] else {
                        throw BuildProblem("the key-padding mask must be [L] per sample for a sequence [L, *], got per-sample "
                                           + "shapes \(inputs[0]) and \(inputs[1])")
                    }
                    return try single(layer, inputs[0])
                default: throw BuildProblem("there is no builder for this layer type")
                }
            }
            if let problem = MemoryEstimate.problem(perSampleOutput: built.output) {
                let field = MemoryEstimate.sizeField(of: layer, inputs: inputs)
                diagnostics.append(.error(at: field.map(layer.location(of:)) ?? layer.location,
                                          "`\(displayKeyPath(field.map(layer.keyPath(of:)) ?? layer.keyPath))`: \(layer.type)'s "
                                          + "output \(problem)\(context)",
                                          keyPath: field.map(layer.keyPath(of:)) ?? layer.keyPath))
                return nil
            }
            parameterBytes += Double(built.module.parameterCount) * MemoryEstimate.trainingBytesPerParameter
            guard parameterBytes <= Double(MemoryBudget.availableBytes) else {
                let field = MemoryEstimate.sizeField(of: layer, inputs: inputs)
                let keyPath = field.map(layer.keyPath(of:)) ?? layer.keyPath
                diagnostics.append(.error(at: field.map(layer.location(of:)) ?? layer.location,
                                          "`\(displayKeyPath(keyPath))`: the model's parameters up to here need "
                                          + "\(MemoryBudget.describe(bytes: parameterBytes)) to train (with gradients and optimizer "
                                          + "state), more than the \(MemoryBudget.describeMemory(MemoryBudget.availableBytes)) of memory here\(context)",
                                          keyPath: keyPath))
                return nil
            }
            rows.append(LayerSummary(name: name, type: layer.type, output: built.output,
                                     parameters: built.module.parameterCount, depth: depth, isContainer: false))
            return built
        } catch TensorError.outOfMemory(_, let bytes, _) {
            // The layer's parameters: blame the size the user wrote that asked for them.
            let field = MemoryEstimate.sizeField(of: layer, inputs: inputs)
            let keyPath = field.map(layer.keyPath(of:)) ?? layer.keyPath
            diagnostics.append(.error(at: field.map(layer.location(of:)) ?? layer.location,
                                      "`\(displayKeyPath(keyPath))`: \(MemoryBudget.describe(bytes: bytes)) of parameters do not "
                                      + "fit in memory (\(MemoryBudget.describeMemory(MemoryBudget.availableBytes)) here"
                                      + (bytes <= Double(MemoryBudget.availableBytes) ? "; training holds each with its gradient "
                                         + "and optimizer state, 4 times its size" : "") + ")\(context)",
                                      keyPath: keyPath))
            return nil
        } catch let problem as BuildProblem {
            let field = problem.field.flatMap { layer.isSet($0) ? $0 : nil }
            diagnostics.append(.error(at: field.map(layer.location(of:)) ?? layer.location,
                                      "\(layer.type): \(problem.message)\(context)",
                                      keyPath: field.map(layer.keyPath(of:)) ?? layer.keyPath))
            return nil
        } catch {
            // FlintNN's errors already name the op (`conv2d: expected ...`); the message names the layer type once.
            var message = "\(error)"
            if case TensorError.invalidArgument(_, let detail) = error { message = detail }
            let prefix = message.hasPrefix(layer.type + ":") ? "" : "\(layer.type): "
            diagnostics.append(.error(at: layer.location, prefix + message + context, keyPath: layer.keyPath))
            return nil
        }
    }

    /// A block use: the block's layers under the use's name, or with `repeat`, that many
    /// copies named `0`, `1`, ... in a `Sequential`, as PyTorch's ResNet builds its stages.
    private mutating func buildBlock(_ layer: LayerSpec, _ block: BlockUse, input: [Int], name: String, depth: Int,
                                     context: String) -> (module: Module, output: [Int])? {
        let useRow = rows.count
        // Nested blocks read inside out: (in block 'inner' used at ...) (in block 'outer' used at ...).
        let usedAt = " (in block '\(block.name)' used at \(layer.location))" + context
        guard let count = block.repeatCount else {
            guard let built = build(block.layers, input: input, prefix: name + ".", depth: depth + 1, context: usedAt),
                  let output = built.outputs.first
            else { return nil }
            rows.insert(LayerSummary(name: name, type: block.name, output: output,
                                     parameters: built.module.parameterCount, depth: depth, isContainer: true),
                        at: useRow)
            return (built.module, output)
        }
        var shape = input
        var copies: [(String, Module)] = []
        for copy in 0..<count {
            let copyRow = rows.count
            let copyName = "\(name).\(copy)"
            let copyContext = " (in copy \(copy) of block '\(block.name)' used at \(layer.location))"
            guard let built = build(block.layers, input: shape, prefix: copyName + ".", depth: depth + 2,
                                    context: copyContext + context),
                  let output = built.outputs.first
            else { return nil }
            rows.insert(LayerSummary(name: copyName, type: block.name, output: output,
                                     parameters: built.module.parameterCount, depth: depth + 1, isContainer: true),
                        at: copyRow)
            copies.append((String(copy), built.module))
            shape = output
        }
        let module = Sequential(copies)
        rows.insert(LayerSummary(name: name, type: "\(block.name) ×\(count)", output: shape,
                                 parameters: module.parameterCount, depth: depth, isContainer: true), at: useRow)
        return (module, shape)
    }
}
