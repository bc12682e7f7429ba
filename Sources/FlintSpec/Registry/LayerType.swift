import Flint
import FlintNN

/// Builds one layer from its spec entry and the per-sample shape flowing in
/// (without the batch dimension), returning the module and the shape flowing out.
public typealias LayerBuilder = (_ entry: SpecEntry, _ input: [Int]) throws -> (module: Module, output: [Int])

/// Builds a layer that reads several inputs (`add`, `cat`, `bilinear`) from every input's per-sample shape.
public typealias MergeBuilder = (_ entry: SpecEntry, _ inputs: [[Int]]) throws -> (module: Module, output: [Int])

/// One layer type of the spec, registered once: its schema (fields with PyTorch's
/// defaults, and the docs of `docs/spec.md`), how it builds (the FlintNN module, whose
/// `outputShape` is the layer's shape rule, so a mismatch is found before data flows),
/// and the smallest use of it, which `RegistryTests` builds, documents and exports.
/// `SpecSchema.layers` lists these schemas; the model builder looks builders up here;
/// `ONNXLayers` (FlintExport) maps the modules of the same names.
public struct LayerType {
    public enum Build {
        /// A layer of one input, given its per-sample shape.
        case single(LayerBuilder)
        /// A layer of several inputs (`add`, `cat`, `bilinear`), given every input's per-sample shape.
        case merge(MergeBuilder)
        /// A layer of a sequence `[L, *]` and, as an optional second input (`inputs: [h, mask]`), its
        /// key-padding mask `[L]` from a `padding_mask` layer; built on the sequence's shape.
        case masked(LayerBuilder)
    }

    /// A valid use of the type: the fields it cannot do without (YAML flow-mapping
    /// text, `out_features: 3`) and a per-sample input shape it accepts (read twice
    /// by a merge).
    public struct Example {
        public let fields: String
        public let input: [Int]

        public init(_ fields: String = "", input: [Int]) {
            self.fields = fields
            self.input = input
        }
    }

    public let schema: TypeSchema
    public let build: Build
    public let example: Example

    public var name: String { schema.name }

    public var isMerge: Bool {
        if case .merge = build { return true }
        return false
    }

    public var isMasked: Bool {
        if case .masked = build { return true }
        return false
    }

    /// The example as an entry of `model.layers`; a merge reads the model's input twice.
    public var exampleEntry: String {
        let fields = [isMerge ? "inputs: [input, input]" : "", example.fields].filter { !$0.isEmpty }
        return "{" + (["type: \(name)"] + fields).joined(separator: ", ") + "}"
    }

    public init(_ schema: TypeSchema, example: Example = Example(input: [4]), build: @escaping LayerBuilder) {
        self.init(schema, example: example, making: .single(build))
    }

    private init(_ schema: TypeSchema, example: Example, making build: Build) {
        self.schema = schema
        self.example = example
        self.build = build
    }

    /// A type whose layers read a sequence and, optionally, its key-padding mask.
    public static func masked(_ schema: TypeSchema, example: Example = Example(input: [4]),
                              build: @escaping LayerBuilder) -> LayerType {
        LayerType(schema, example: example, making: .masked(build))
    }

    /// A type whose layers read several inputs.
    public static func merge(_ schema: TypeSchema, example: Example = Example(input: [4]),
                             build: @escaping MergeBuilder) -> LayerType {
        LayerType(schema, example: example, making: .merge(build))
    }
}

/// Every layer type, in the order `docs/spec.md` lists them (one file per family:
/// `Layers+Convolution.swift`, ...), and the helpers their builders share.
public enum LayerTypes {
    public static let all: [LayerType] = linear + convolution + pooling + normalization + recurrent + shape
        + padding + activations + merges

    public static let byName: [String: LayerType] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// Types that read several inputs; every other layer takes exactly one.
    public static let mergeNames: Set<String> = Set(all.filter(\.isMerge).map(\.name))

    /// Types that read a sequence and, as a second input, its key-padding mask (`inputs: [h, mask]`).
    public static let maskedNames: Set<String> = Set(all.filter(\.isMasked).map(\.name))

    // MARK: Fields several types share

    static let inplace = FieldSchema("inplace", .bool, .defaulted(.bool(false)),
                                     doc: "Accepted for PyTorch compatibility; results are the same.")

    // Every layer with a `bias` argument defaults it to true; the test of layer defaults checks each against this one.
    static let bias = FieldSchema("bias", .bool, .defaulted(.bool(Linear.Defaults.bias)), doc: "Learn an additive bias.")

    static func inferred(_ name: String, _ what: String) -> FieldSchema {
        FieldSchema(name, .int, .optional, range: .positive, doc: "\(what); inferred from the input when omitted.")
    }

    /// Spec batches are always `[N, ...]`, so a layer that could take the batch elsewhere must not.
    static let batchFirst = FieldSchema(
        "batch_first", .bool, .defaulted(.bool(true)),
        doc: "Must be true: a spec's batches are `[N, L, features]`. (PyTorch's default is false.)")

    static let checkBatchFirst: EntryCheck = { entry, report in
        if entry.bool("batch_first") == false {
            report("batch_first must be true: batches in a spec are [N, ...], so sequences are [N, L, features]",
                   "batch_first")
        }
    }

    // MARK: Shapes

    /// The module and the output shape it computes for `input`.
    static func shaped(_ module: Module, _ input: [Int]) throws -> (module: Module, output: [Int]) {
        (module, try module.outputShape(input: input))
    }

    /// A size the layer reads off its input. Written in the spec anyway, it must agree:
    /// a disagreement is the spec's mistake, reported at the value.
    static func agree(_ entry: SpecEntry, _ field: String, _ actual: Int, _ what: String, _ input: [Int]) throws -> Int {
        if let declared = entry.int(field), declared != actual {
            throw BuildProblem("\(field) is \(declared) but the input has \(actual) \(what) (per-sample shape \(input)); "
                               + "omit \(field) to infer it", field: field)
        }
        return actual
    }

    /// The channels of a per-sample input of the given rank (`[C, H, W]`).
    static func leading(_ input: [Int], rank: Int, layout: String) throws -> Int {
        guard input.count == rank, let channels = input.first else {
            throw BuildProblem("expected a per-sample input \(layout), got shape \(input)")
        }
        return channels
    }

    /// The features of a per-sample sequence `[L, features]`.
    static func sequenceFeatures(_ entry: SpecEntry, _ field: String, _ input: [Int]) throws -> Int {
        guard input.count == 2 else {
            throw BuildProblem("expected a per-sample sequence [L, \(field)], got shape \(input); "
                               + "MNIST images [1, 28, 28] become rows with {type: flatten, start_dim: 1, end_dim: 2}")
        }
        return try agree(entry, field, input[1], "features per step", input)
    }

    static func convPadding(_ entry: SpecEntry) throws -> ConvPadding {
        switch entry.value("padding") {
        case .string("same")?: return .same
        case .string("valid")?: return .valid
        default: return .explicit(try entry.intsValue("padding"))
        }
    }

    /// The per-sample shape of an elementwise join: equal ranks (the batch dimension
    /// lines up), sizes equal or 1 as PyTorch broadcasts.
    static func broadcast(_ inputs: [[Int]]) throws -> [Int] {
        guard var output = inputs.first else { return [] }
        for shape in inputs.dropFirst() {
            guard shape.count == output.count else {
                throw BuildProblem("inputs must have the same per-sample shape, got \(describe(inputs))")
            }
            for d in shape.indices {
                if shape[d] == output[d] || shape[d] == 1 { continue }
                guard output[d] == 1 else {
                    throw BuildProblem("inputs must have the same per-sample shape, got \(describe(inputs))")
                }
                output[d] = shape[d]
            }
        }
        return output
    }

    static func describe(_ shapes: [[Int]]) -> String {
        shapes.map { "\($0)" }.joined(separator: " and ")
    }

    /// A dim argument checked against a batched input of per-sample shape `input`.
    static func checkDim(_ dim: Int, _ input: [Int]) throws {
        let rank = input.count + 1
        guard dim >= -rank && dim < rank else {
            throw BuildProblem("dim \(dim) is out of range for a batch of per-sample shape \(input)")
        }
    }
}
