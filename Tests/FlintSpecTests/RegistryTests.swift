import XCTest
import Flint
import FlintNN
import FlintData
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

    /// A module's or loss's settings as text: its stored numbers, flags, strings and enums (through its
    /// superclasses), and a module's parameter and buffer names and shapes (which show `bias` and `affine`).
    private func settings(of object: Any) -> [String] {
        var out = (object as? Module)?.stateDict().map { "\($0.name) \($0.tensor.shape)" } ?? []
        var mirror: Mirror? = Mirror(reflecting: object)
        while let m = mirror {
            for child in m.children {
                let value = child.value
                let style = Mirror(reflecting: value).displayStyle
                if value is Int || value is Double || value is Bool || value is String || value is [Int] || value is [Double]
                    || value is Int?
                    || value is Double? || style == .enum {
                    out.append("\(child.label ?? "?") = \(value)")
                }
            }
            mirror = m.superclassMirror
        }
        return out.sorted()
    }

    /// A layer's schema defaults are its FlintNN initialiser's: the module the registry builds from the example
    /// (every other field at its schema default) has the settings of the one FlintNN's initialiser makes from the
    /// same required arguments and its own default arguments. Sequence layers pass `batchFirst: true`, which a
    /// spec always is (PyTorch's and the initialiser's default is false).
    func testLayerSchemaDefaultsAreTheInitialisersDefaults() throws {
        func same<M: Module>(_ make: @escaping (M) throws -> Module) -> (Module) throws -> Module {
            { module in try make(try XCTUnwrap(module as? M, "\(type(of: module)) is no \(M.self)")) }
        }
        let initialisers: [String: (Module) throws -> Module] = [
            "leaky_relu": same { (_: LeakyReLU) in LeakyReLU() }, "prelu": same { (_: PReLU) in try PReLU() },
            "elu": same { (_: ELU) in ELU() }, "celu": same { (_: CELU) in try CELU() },
            "gelu": same { (_: GELU) in try GELU() }, "hardtanh": same { (_: Hardtanh) in try Hardtanh() },
            "softplus": same { (_: Softplus) in Softplus() }, "softshrink": same { (_: Softshrink) in try Softshrink() },
            "hardshrink": same { (_: Hardshrink) in Hardshrink() }, "glu": same { (_: GLU) in GLU() },
            "flatten": same { (_: Flatten) in Flatten() }, "cat": same { (_: Cat) in Cat() },
            "dropout": same { (_: Dropout) in try Dropout() }, "dropout2d": same { (_: Dropout2d) in try Dropout2d() },
            "linear": same { (m: Linear) in try Linear(inFeatures: m.inFeatures, outFeatures: m.outFeatures) },
            "bilinear": same { (m: Bilinear) in
                try Bilinear(in1Features: m.in1Features, in2Features: m.in2Features, outFeatures: m.outFeatures)
            },
            "conv1d": same { (m: Conv1d) in
                try Conv1d(inChannels: m.inChannels, outChannels: m.outChannels, kernelSize: m.kernelSize[0])
            },
            "conv2d": same { (m: Conv2d) in try Conv2d(inChannels: m.inChannels, outChannels: m.outChannels, kernelSize: m.kernelSize) },
            "conv_transpose2d": same { (m: ConvTranspose2d) in
                try ConvTranspose2d(inChannels: m.inChannels, outChannels: m.outChannels, kernelSize: m.kernelSize)
            },
            "max_pool1d": same { (m: MaxPool1d) in try MaxPool1d(kernelSize: m.kernelSize[0], stride: m.stride[0]) },
            "max_pool2d": same { (m: MaxPool2d) in try MaxPool2d(kernelSize: m.kernelSize, stride: m.stride) },
            "avg_pool1d": same { (m: AvgPool1d) in try AvgPool1d(kernelSize: m.kernelSize[0], stride: m.stride[0]) },
            "avg_pool2d": same { (m: AvgPool2d) in try AvgPool2d(kernelSize: m.kernelSize, stride: m.stride) },
            "batch_norm1d": same { (m: BatchNorm1d) in try BatchNorm1d(numFeatures: m.numFeatures) },
            "batch_norm2d": same { (m: BatchNorm2d) in try BatchNorm2d(numFeatures: m.numFeatures) },
            "layer_norm": same { (m: LayerNorm) in try LayerNorm(normalizedShape: m.normalizedShape) },
            "group_norm": same { (m: GroupNorm) in try GroupNorm(numGroups: m.numGroups, numChannels: m.numChannels) },
            "rnn": same { (m: RNN) in try RNN(inputSize: m.inputSize, hiddenSize: m.hiddenSize, batchFirst: true) },
            "lstm": same { (m: LSTM) in try LSTM(inputSize: m.inputSize, hiddenSize: m.hiddenSize, batchFirst: true) },
            "gru": same { (m: GRU) in try GRU(inputSize: m.inputSize, hiddenSize: m.hiddenSize, batchFirst: true) },
            "multihead_attention": same { (m: MultiheadAttention) in
                try MultiheadAttention(embedDim: m.embedDim, numHeads: m.numHeads, batchFirst: true)
            },
            "transformer_encoder_layer": same { (m: TransformerEncoderLayer) in
                try TransformerEncoderLayer(dModel: m.dModel, nhead: m.nhead, batchFirst: true)
            },
            "positional_embedding": same { (m: PositionalEmbedding) in
                try PositionalEmbedding(maxLen: m.maxLen, embeddingDim: m.embeddingDim)
            },
        ]
        // Defaults that are the spec's own (no initialiser argument, or a spec rule such as batch_first).
        let specOnly: Set<String> = ["inplace", "padding_mode", "batch_first"]
        for type in LayerTypes.all {
            let defaulted = type.schema.fields.filter { $0.defaultValue != nil && !specOnly.contains($0.name) }
            guard let initialiser = initialisers[type.name] else {
                XCTAssertEqual(defaulted.map(\.name), [], "\(type.name) has defaults but no initialiser in this test")
                continue
            }
            let text = spec(input: type.example.input, layers: [type.exampleEntry])
            let built = try Builder.build(try XCTUnwrap(parsed(text), type.name).model)
            let layer = try XCTUnwrap(built.module.child("0"), type.name)
            XCTAssertEqual(settings(of: layer), settings(of: try initialiser(layer)), type.name)
        }
    }

    /// A loss's schema defaults are its FlintNN initialiser's (a spec's cross-entropy reads classes last).
    func testLossSchemaDefaultsAreTheInitialisersDefaults() throws {
        let initialisers: [String: Any] = [
            "cross_entropy_loss": CrossEntropyLoss(classesLast: true), "nll_loss": NLLLoss(), "bce_loss": BCELoss(),
            "bce_with_logits_loss": BCEWithLogitsLoss(), "kl_div_loss": KLDivLoss(), "mse_loss": MSELoss(),
            "l1_loss": L1Loss(), "smooth_l1_loss": SmoothL1Loss(), "huber_loss": HuberLoss(),
            "cosine_embedding_loss": CosineEmbeddingLoss(), "margin_ranking_loss": MarginRankingLoss(),
        ]
        XCTAssertEqual(Set(initialisers.keys), Set(LossTypes.all.map(\.name)))
        for type in LossTypes.all {
            let text = type.isPairwise
                ? spec(input: [4], layers: ["{type: linear, out_features: 3, name: a}",
                                            "{type: linear, out_features: 3, name: b, inputs: input}"],
                       outputs: ["a", "b"], loss: "{type: \(type.name)}")
                : spec(input: [4], layers: ["{type: linear, out_features: 3}"], loss: "{type: \(type.name)}")
            let entry = try XCTUnwrap(try XCTUnwrap(parsed(text), type.name).losses.first)
            let built: Any
            switch type.build {
            case .single(let make): built = try make(entry)
            case .pair(let make): built = try make(entry)
            }
            XCTAssertEqual(settings(of: built), settings(of: try XCTUnwrap(initialisers[type.name])), type.name)
        }
    }

    /// A scheduler's schema defaults are its FlintNN initialiser's: the scheduler the registry builds from the
    /// example (every other field at its schema default) has the settings, and steps through the learning rates
    /// and momenta, of the one the initialiser makes from the same required arguments and its default arguments.
    func testSchedulerSchemaDefaultsAreTheInitialisersDefaults() throws {
        func same<S: LRScheduler>(_ make: @escaping (S, Optimizer) throws -> LRScheduler)
            -> (LRScheduler, Optimizer) throws -> LRScheduler {
            { scheduler, optimizer in
                try make(try XCTUnwrap(scheduler as? S, "\(type(of: scheduler)) is no \(S.self)"), optimizer)
            }
        }
        let initialisers: [String: (LRScheduler, Optimizer) throws -> LRScheduler] = [
            "step_lr": same { (s: StepLR, o) in StepLR(optimizer: o, stepSize: s.stepSize) },
            "multi_step_lr": same { (s: MultiStepLR, o) in MultiStepLR(optimizer: o, milestones: s.milestones) },
            "cosine_annealing_lr": same { (s: CosineAnnealingLR, o) in CosineAnnealingLR(optimizer: o, tMax: s.tMax) },
            "cosine_annealing_warm_restarts": same { (s: CosineAnnealingWarmRestarts, o) in
                try CosineAnnealingWarmRestarts(optimizer: o, t0: s.t0)
            },
            "linear_lr": same { (_: LinearLR, o) in try LinearLR(optimizer: o) },
            "constant_lr": same { (_: ConstantLR, o) in try ConstantLR(optimizer: o) },
            "polynomial_lr": same { (_: PolynomialLR, o) in try PolynomialLR(optimizer: o) },
            "one_cycle_lr": same { (s: OneCycleLR, o) in
                try OneCycleLR(optimizer: o, maxLR: s.maxLRs, totalSteps: s.totalSteps)
            },
            "reduce_lr_on_plateau": same { (_: ReduceLROnPlateau, o) in try ReduceLROnPlateau(optimizer: o) },
        ]
        let parameters = [(name: "weight", tensor: try Tensor.zeros([2, 2]))]
        for type in SchedulerTypes.all {
            guard let initialiser = initialisers[type.name] else {
                XCTAssertEqual(type.schema.fields.filter { $0.defaultValue != nil }.map(\.name), [],
                               "\(type.name) has defaults but no initialiser in this test")
                continue
            }
            let entry = "{type: \(type.name)" + (type.example.isEmpty ? "" : ", \(type.example)") + "}"
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"], rest: "scheduler: \(entry)\n")
            let loaded = try XCTUnwrap(parsed(text), type.name)
            let builtOptimizer = try Builder.optimizer(loaded.optimizer, parameters: parameters)
            let plainOptimizer = try Builder.optimizer(loaded.optimizer, parameters: parameters)
            let built = try Builder.scheduler(try XCTUnwrap(loaded.scheduler), optimizer: builtOptimizer, runSteps: 20)
            let plain = try initialiser(built, plainOptimizer)
            XCTAssertEqual(settings(of: built), settings(of: plain), type.name)
            // Settings the reflection cannot see (OneCycleLR's phases) show in the rates and momenta it steps through;
            // a constant metric makes ReduceLROnPlateau decay after patience epochs.
            func trajectory(_ scheduler: LRScheduler, _ optimizer: Optimizer) -> [String] {
                (0..<30).map { _ in
                    scheduler.step(metric: 1)
                    return optimizer.paramGroups.map { "\($0.lr) \(String(describing: $0.momentum))" }.joined(separator: ", ")
                }
            }
            XCTAssertEqual(trajectory(built, builtOptimizer), trajectory(plain, plainOptimizer), type.name)
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

    /// A transform's schema defaults are its FlintData initialiser's: the transform the registry builds from the
    /// example (seed 0, every other field at its schema default) prints as the one the initialiser makes from the
    /// same required arguments and its default arguments (the description shows every stored value, tuples too).
    func testTransformSchemaDefaultsAreTheInitialisersDefaults() throws {
        let initialisers: [String: () throws -> Transform] = [
            "random_crop": { try RandomCrop(size: [2, 2]) },
            "random_horizontal_flip": { try RandomFlip(horizontal: true) },
            "random_vertical_flip": { try RandomFlip(horizontal: false) },
            "resize": { try Resize(size: [2]) },
            "random_rotation": { try RandomRotation(degrees: [10]) },
            "random_affine": { try RandomAffine(degrees: [10]) },
            "color_jitter": { try ColorJitter() },
            "random_erasing": { try RandomErasing() },
            "gaussian_noise": { try GaussianNoise() },
        ]
        for type in TransformTypes.all {
            guard let initialiser = initialisers[type.name] else {
                XCTAssertEqual(type.schema.fields.filter { $0.defaultValue != nil }.map(\.name), [],
                               "\(type.name) has defaults but no initialiser in this test")
                continue
            }
            let entry = "{type: \(type.name)" + (type.example.isEmpty ? "" : ", \(type.example)") + "}"
            let text = spec(input: [4], layers: ["{type: linear, out_features: 3}"]).replacingOccurrences(
                of: "train: {x: a, y: b}}", with: "train: {x: a, y: b}, transforms: [\(entry)]}")
            let loaded = try XCTUnwrap(parsed(text), type.name)
            let built = try XCTUnwrap(try Builder.transforms(loaded.data.transforms).first, type.name)
            XCTAssertEqual(String(describing: built), String(describing: try initialiser()), type.name)
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
