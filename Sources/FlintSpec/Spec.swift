import Foundation
import FlintData

/// A validated spec: what to train, on what, and how.
///
///     let spec = try Spec.load(path: "models/mnist_mlp.yaml", overrides: ["optimizer.lr=0.01"])
///     for layer in spec.model.layers { ... layer.type, layer.int("out_features") ... }
///
/// Loading runs in one pass: read the file and the bases it `extends`, apply the
/// overrides, resolve `${...}` references, validate against `SpecSchema`. Every problem
/// of every phase is collected into the one `SpecError`.
public struct Spec: Sendable {
    public var name: String
    public var seed: Int
    public var data: DataSpec
    public var model: ModelSpec
    /// The first (usually the only) term of `losses`.
    public var loss: LossSpec
    /// The terms of the objective: `loss` written as one entry, or each entry of its list.
    public var losses: [LossSpec]
    public var optimizer: OptimizerSpec
    public var scheduler: SchedulerSpec?
    public var train: TrainSpec
    /// The file as the user named it (or the name given to `parse`).
    public var file: String
    /// The resolved tree: bases merged, overrides applied, references replaced, paths absolute.
    public var node: SpecNode
    /// Problems that do not block (none are produced yet, but callers should print them).
    public var warnings: [Diagnostic]

    /// Loads, resolves and validates a spec file.
    /// - Parameter overrides: `--set` arguments without the flag: `optimizer.lr=0.01`, `scheduler~`.
    public static func load(path: String, overrides: [String] = []) throws(SpecError) -> Spec {
        var loader = ExtendsLoader(diagnostics: DiagnosticBag())
        let root = loader.load(file: path)
        return try finish(root, file: path, overrides: overrides, diagnostics: loader.diagnostics)
    }

    /// Validates spec text; `file` names it in messages and anchors relative paths,
    /// so a config stored in a checkpoint rebuilds the same spec.
    public static func parse(yaml: String, file: String = "spec.yaml", overrides: [String] = []) throws(SpecError) -> Spec {
        var loader = ExtendsLoader(diagnostics: DiagnosticBag())
        let root = loader.load(text: yaml, file: file)
        return try finish(root, file: file, overrides: overrides, diagnostics: loader.diagnostics)
    }

    /// The resolved tree without schema validation, for `flint config` on a spec that
    /// does not validate yet; nil with diagnostics when reading or resolving failed.
    public static func resolve(path: String, overrides: [String] = []) -> (node: SpecNode?, diagnostics: [Diagnostic]) {
        var loader = ExtendsLoader(diagnostics: DiagnosticBag())
        let root = loader.load(file: path)
        var applier = OverrideApplier(diagnostics: loader.diagnostics)
        let overridden = applier.apply(overrides, to: root ?? .mapping([], at: .wholeFile(path)))
        guard root != nil, SpecLimits.check(overridden, " once extends and --set are applied", diagnostics: &applier.diagnostics)
        else { return (nil, ordered(applier.diagnostics, path, overrides)) }
        var interpolator = Interpolator(root: overridden, diagnostics: applier.diagnostics)
        let node = interpolator.resolveAll()
        guard SpecLimits.check(node, " once ${...} references are expanded", diagnostics: &interpolator.diagnostics)
        else { return (nil, ordered(interpolator.diagnostics, path, overrides)) }
        return (node, ordered(interpolator.diagnostics, path, overrides))
    }

    private static func finish(_ root: SpecNode?, file: String, overrides: [String],
                               diagnostics: DiagnosticBag) throws(SpecError) -> Spec {
        // A file that did not parse still gets its overrides checked, so all problems show at once.
        var applier = OverrideApplier(diagnostics: diagnostics)
        let overridden = applier.apply(overrides, to: root ?? .mapping([], at: .wholeFile(file)))
        guard root != nil, SpecLimits.check(overridden, " once extends and --set are applied", diagnostics: &applier.diagnostics)
        else { throw SpecError(ordered(applier.diagnostics, file, overrides)) }

        var interpolator = Interpolator(root: overridden, diagnostics: applier.diagnostics)
        var resolved = interpolator.resolveAll()
        guard SpecLimits.check(resolved, " once ${...} references are expanded", diagnostics: &interpolator.diagnostics)
        else { throw SpecError(ordered(interpolator.diagnostics, file, overrides)) }
        var validator = Validator(diagnostics: interpolator.diagnostics)
        let values = validator.validateSpec(&resolved)
        var diagnostics = validator.diagnostics
        guard let values, !diagnostics.hasErrors else { throw SpecError(ordered(diagnostics, file, overrides)) }
        guard let spec = Spec(values, node: resolved, file: file, warnings: ordered(diagnostics, file, overrides)) else {
            diagnostics.error("internal error: the spec validated but is incomplete; please report this",
                              at: .wholeFile(file))
            throw SpecError(ordered(diagnostics, file, overrides))
        }
        return spec
    }

    private static func ordered(_ diagnostics: DiagnosticBag, _ file: String, _ overrides: [String]) -> [Diagnostic] {
        diagnostics.sorted(file: file, commandLine: overrides.map { Override.location(of: $0).description })
    }

    /// Assembles the typed spec from validated values; nil only if validation let
    /// something required through, which would be a bug in the schema tables.
    private init?(_ values: SectionValues, node: SpecNode, file: String, warnings: [Diagnostic]) {
        guard let data = values.sections["data"].flatMap(DataSpec.init),
              let model = values.sections["model"].flatMap(ModelSpec.init),
              let losses = values.entries["loss"], let loss = losses.first,
              let optimizer = values.entries["optimizer"]?.first, let seed = values.int("seed"),
              let train = TrainSpec(values.section("train", orDefaultsOf: SpecSchema.train))
        else { return nil }
        self.name = values.string("name") ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        self.seed = seed
        self.data = data
        self.model = model
        self.loss = loss
        self.losses = losses
        self.optimizer = optimizer
        self.scheduler = values.entries["scheduler"]?.first
        self.train = train
        self.file = file
        self.node = node
        self.warnings = warnings.filter { $0.severity == .warning }
    }
}

/// Where the samples come from and how they are batched.
public struct DataSpec: Sendable {
    /// A split stored as two arrays of the HDF5 file, or as windows of one token stream.
    public struct Arrays: Sendable {
        /// Dataset path of the inputs, e.g. `train/images`; the token stream for windows.
        public var x: String
        /// Dataset path of the targets, e.g. `train/labels`; the token stream for windows.
        public var y: String
        public var xLocation: SourceLocation
        public var yLocation: SourceLocation
        /// Set for a language-model split (`tokens`, `block_size`, `stride`): x and y are then the stream.
        public var window: Window?

        /// `block_size` and `stride` of a language-model split.
        public struct Window: Sendable, Equatable {
            public var blockSize: Int
            /// nil: `blockSize`, windows that do not overlap.
            public var stride: Int?
        }

        init?(_ values: SectionValues) {
            if let tokens = values.string("tokens") {
                guard let blockSize = values.int("block_size") else { return nil }
                (x, y) = (tokens, tokens)
                (xLocation, yLocation) = (values.location(of: "tokens"), values.location(of: "tokens"))
                window = Window(blockSize: blockSize, stride: values.int("stride"))
                return
            }
            guard let x = values.string("x"), let y = values.string("y") else { return nil }
            self.x = x
            self.y = y
            self.xLocation = values.location(of: "x")
            self.yLocation = values.location(of: "y")
        }
    }

    public enum Validation: Sendable {
        case none
        /// The fraction of the training samples held out, chosen with the seed.
        case split(Double)
        case arrays(Arrays)
    }

    /// Absolute path of the HDF5 file.
    public var source: String
    public var sourceLocation: SourceLocation
    public var train: Arrays
    public var val: Validation
    public var test: Arrays?
    public var batchSize: Int
    public var batchSizeLocation: SourceLocation
    public var dropLastLocation: SourceLocation
    public var shuffle: Bool
    public var transforms: [TransformSpec]
    public var augment: [TransformSpec]
    /// Hold out `val.split` class by class.
    public var stratify: Bool
    public var dropLast: Bool
    /// Batches prepared ahead of the loop.
    public var prefetch: Int
    /// Whether splits are read into memory or streamed.
    public var cache: CacheMode
    /// Largest split, in MiB, that `cache: auto` reads into memory.
    public var cacheBudgetMB: Int
    public var shuffleBuffer: Int?
    public var location: SourceLocation

    init?(_ values: SectionValues) {
        // Every field below but shuffle_buffer has a schema default, so validation filled it in.
        guard let source = values.string("source"), let train = values.sections["train"].flatMap(Arrays.init),
              let batchSize = values.int("batch_size"), let shuffle = values.bool("shuffle"),
              let dropLast = values.bool("drop_last"), let prefetch = values.int("prefetch"),
              let cache = values.string("cache").flatMap(CacheMode.init(rawValue:)),
              let cacheBudgetMB = values.int("cache_budget_mb")
        else { return nil }
        self.source = source
        self.sourceLocation = values.location(of: "source")
        self.train = train
        if let val = values.sections["val"] {
            if let split = val.double("split"), val.string("tokens") == nil {
                self.val = .split(split)
            } else {
                guard let arrays = Arrays(val) else { return nil }
                self.val = .arrays(arrays)
            }
        } else {
            self.val = .none
        }
        self.test = values.sections["test"].flatMap(Arrays.init)
        self.batchSize = batchSize
        self.batchSizeLocation = values.location(of: "batch_size")
        self.dropLastLocation = values.location(of: "drop_last")
        self.shuffle = shuffle
        self.transforms = values.entries["transforms"] ?? []
        self.augment = values.entries["augment"] ?? []
        self.stratify = values.sections["val"]?.bool("stratify") == true
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.cache = cache
        self.cacheBudgetMB = cacheBudgetMB
        self.shuffleBuffer = values.int("shuffle_buffer")
        self.location = values.location
    }
}

/// The network.
public struct ModelSpec: Sendable {
    /// Shape of one sample, without the batch dimension.
    public var input: [Int]
    public var inputLocation: SourceLocation
    public var layers: [LayerSpec]
    /// Names of the layers the model returns, in order; nil means the last layer.
    public var outputs: [String]?
    /// Weights that initialise the model.
    public var initFrom: InitialWeightsSpec?
    /// Batch norm statistics over every process of a data-parallel job.
    public var syncBatchNorm: Bool
    public var location: SourceLocation

    init?(_ values: SectionValues) {
        guard let input = values.ints("input"), let layers = values.entries["layers"],
              let syncBatchNorm = values.bool("sync_batch_norm") else { return nil }
        self.input = input
        self.inputLocation = values.location(of: "input")
        self.layers = layers
        self.outputs = values.strings("outputs")
        self.initFrom = values.sections["init_from"].flatMap(InitialWeightsSpec.init)
        self.syncBatchNorm = syncBatchNorm
        self.location = values.location
    }
}

/// `model.init_from`: a weights file and whether it must fit the model exactly.
public struct InitialWeightsSpec: Sendable, Equatable {
    /// Absolute path of a safetensors file, checkpoint or HDF5 weights file.
    public var path: String
    /// PyTorch's `load_state_dict(strict=)`: every key and shape must match.
    public var strict: Bool
    /// Where the spec wrote it; nil when it comes from the command line.
    public var location: SourceLocation?

    public init(path: String, strict: Bool = true, location: SourceLocation? = nil) {
        self.path = path
        self.strict = strict
        self.location = location
    }

    init?(_ values: SectionValues) {
        guard let path = values.string("path"), let strict = values.bool("strict") else { return nil }
        self.init(path: path, strict: strict, location: values.location)
    }
}

extension SpecEntry {
    /// A scheduler's `interval`: `step` (after every optimizer step) or `epoch`; when not
    /// written, `step` for `one_cycle_lr`, which PyTorch steps per batch, else `epoch`.
    public var schedulerInterval: String {
        string("interval") ?? (type == "one_cycle_lr" ? "step" : "epoch")
    }
}
