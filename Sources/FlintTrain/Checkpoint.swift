import Foundation
import Flint
import FlintData
import FlintNN
import FlintHDF5

/// Everything a run needs to continue exactly, or to be evaluated alone:
/// the layout of DESIGN.md's checkpoint file.
public struct Checkpoint {
    public static let format = "flint-checkpoint"
    /// 2: with `/integrity`, the checksums of every dataset and attribute.
    public static let version: Int64 = 2

    /// Completed epochs.
    public var epoch: Int
    /// Optimizer steps taken.
    public var step: Int
    /// The resolved spec as YAML.
    public var config: String
    /// Parameters and buffers by PyTorch state-dict name.
    public var model: [(name: String, tensor: Tensor)]
    public var optimizerType: String
    public var optimizerSteps: Int
    public var optimizerLRs: [Double]
    public var optimizerState: [(name: String, tensor: Tensor)]
    /// Scheduler counters by name (last_epoch, ...).
    public var scheduler: [String: Double]
    /// Every random generator's state by name.
    public var rng: [String: [UInt64]]
    /// The shuffle order of the current epoch and the next batch in it.
    public var dataOrder: [Int]
    public var dataBatchIndex: Int
    /// Metrics per epoch by name (`train/loss`, `val/accuracy`, ...).
    public var history: [String: [Double]]
    /// The training loop's own counters (running epoch loss, early-stopping
    /// and best-checkpoint state, elapsed time), as attributes of `/trainer`,
    /// so a resumed run reports what an uninterrupted one would.
    public var trainer: [String: Double] = [:]
    /// What `data.transforms` learned from the training split (standardize's
    /// mean and std), in `/data/transforms/<position>`, so that evaluation,
    /// prediction and resuming apply the same statistics.
    public var dataStatistics = DataStatistics()
    /// The class names of the training labels (the `classes` attribute importers give them), in
    /// label order, as the attribute `classes` of `/data`; nil when the data names none.
    public var classNames: [String]?
    /// The token vocabulary of a text dataset (`/data/vocab`), so that
    /// `flint generate` encodes prompts and decodes samples from the checkpoint alone.
    public var vocabulary: TextVocabulary?

    public init(epoch: Int, step: Int, config: String, model: [(name: String, tensor: Tensor)],
                optimizerType: String, optimizerSteps: Int, optimizerLRs: [Double],
                optimizerState: [(name: String, tensor: Tensor)], scheduler: [String: Double],
                rng: [String: [UInt64]], dataOrder: [Int], dataBatchIndex: Int, history: [String: [Double]]) {
        self.epoch = epoch
        self.step = step
        self.config = config
        self.model = model
        self.optimizerType = optimizerType
        self.optimizerSteps = optimizerSteps
        self.optimizerLRs = optimizerLRs
        self.optimizerState = optimizerState
        self.scheduler = scheduler
        self.rng = rng
        self.dataOrder = dataOrder
        self.dataBatchIndex = dataBatchIndex
        self.history = history
    }

    /// A checkpoint of a model trained by a Swift program's own loop: its
    /// weights, the spec that rebuilds it (`config`, whose state-dict names
    /// must match the module's), and the optimizer's state if given. `flint
    /// eval`, `predict`, `export` and `summary` read it as one of `flint train`'s.
    public init(model: Module, config: String, epoch: Int = 0, step: Int = 0, optimizer: Optimizer? = nil) {
        self.init(epoch: epoch, step: step, config: config, model: model.stateDict(),
                  optimizerType: optimizer?.typeName ?? "none", optimizerSteps: optimizer?.stepCount ?? 0,
                  optimizerLRs: optimizer?.paramGroups.map { $0.lr } ?? [], optimizerState: optimizer?.stateDict() ?? [],
                  scheduler: [:], rng: [:], dataOrder: [], dataBatchIndex: 0, history: [:])
    }

    /// Writes through `AtomicFile` (a temporary file beside `path`, flushed to disk and
    /// renamed over it), so a crash leaves either the old file or the new one.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir) else {
            throw TrainError.io("cannot write checkpoint \(path): folder \(dir) does not exist")
        }
        try AtomicFile(destination: path).write({ tmp in
            let file = try HDF5File.create(tmp)
            try file.setAttribute("format", Checkpoint.format)
            try file.setAttribute("version", Checkpoint.version)
            try file.setAttribute("epoch", epoch)
            try file.setAttribute("step", step)
            try file.setAttribute("flint_version", FlintVersion.string)
            try file.createDataset("config", string: config)
            let model = try file.createGroup("model")
            for (name, t) in self.model { try model.createDataset(name, tensor: t.detach()) }
            let opt = try file.createGroup("optimizer")
            try opt.setAttribute("type", optimizerType)
            try opt.setAttribute("step", optimizerSteps)
            try opt.setAttribute("lr", optimizerLRs)
            for (name, t) in optimizerState { try opt.createDataset(name, tensor: t.detach()) }
            let sched = try file.createGroup("scheduler")
            for (k, v) in scheduler.sorted(by: { $0.key < $1.key }) { try sched.setAttribute(k, v) }
            let rngGroup = try file.createGroup("rng")
            for (k, words) in rng.sorted(by: { $0.key < $1.key }) {
                try rngGroup.createDataset(k, values: words.map { Int64(bitPattern: $0) }, shape: [words.count])
            }
            let data = try file.createGroup("data")
            try data.setAttribute("batch_index", dataBatchIndex)
            try data.createDataset("order", values: dataOrder.map { Int64($0) }, shape: [dataOrder.count])
            if !dataStatistics.isEmpty { try dataStatistics.write(to: try data.createGroup("transforms")) }
            if let classNames { try data.setAttribute("classes", classNames) }
            if let vocabulary { try vocabulary.write(to: try data.createGroup("vocab")) }
            let hist = try file.createGroup("history")
            for (k, values) in history.sorted(by: { $0.key < $1.key }) {
                try hist.createDataset(k, values: values, shape: [values.count])
            }
            let trainerGroup = try file.createGroup("trainer")
            for (k, v) in trainer.sorted(by: { $0.key < $1.key }) { try trainerGroup.setAttribute(k, v) }
            try file.close()
            try Checkpoint.seal(tmp)
        }, failure: { error, problem in
            // Writing is this machine's business (a full disk, a lost mount): a runtime failure, never bad input.
            if case TrainError.io = error { return error }
            return TrainError.io("cannot write checkpoint \(path)\(problem.map { " (\($0))" } ?? ""): \(error)")
        })
    }

    /// Opens a checkpoint file, checking that it is one this Flint reads.
    static func openFile(_ path: String) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainError.badInput("\(path): no such checkpoint file")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            throw TrainError.badInput("\(path) is a spec; this command takes a checkpoint (.h5) or a run directory. "
                                      + "Train the spec with `flint train \(path)`, then pass the run directory it prints "
                                      + "(runs/<name>-<time>-<hash>) or its checkpoints/last.h5")
        }
        if let problem = FileSafety.problemReading(path) { throw TrainError.badInput("\(path): \(problem)") }
        let corrupt = { (what: String) in TrainError.badInput("\(path): checkpoint is corrupt: \(what)") }
        let file: HDF5File
        do {
            file = try HDF5File.open(path)
        } catch let error as HDF5Error where error.kind == .corrupt {
            throw corrupt("libhdf5 cannot read its structure (\(error.message))")
        }
        // Without the attribute it is some other HDF5 file; a checkpoint's that cannot be read is damage.
        let notACheckpoint = TrainError.badInput("\(path): not a Flint checkpoint (no format = \"\(Checkpoint.format)\" attribute)")
        guard (try? file.hasAttribute("format")) == true else { throw notACheckpoint }
        let format: String, version: Int64
        do { format = try file.stringAttribute("format") } catch { throw corrupt("\(error)") }
        guard format == Checkpoint.format else { throw notACheckpoint }
        do { version = try file.int64Attribute("version") } catch { throw corrupt("\(error)") }
        guard version <= Checkpoint.version else {
            throw TrainError.badInput("\(path): checkpoint version \(version) is newer than this Flint reads (\(Checkpoint.version))")
        }
        try verify(file, path: path, version: version)
        return file
    }

    /// The parameters and buffers of `/model`, sorted by name.
    static func readModel(_ file: HDF5File) throws -> [(name: String, tensor: Tensor)] {
        let modelGroup = try file.group("model")
        var model: [(name: String, tensor: Tensor)] = []
        for child in try modelGroup.children() { model.append((child.name, try modelGroup.dataset(child.name).readTensor())) }
        return model
    }

    /// Refuses weights holding NaN or infinity: a model evaluated or run with them gives
    /// NaN for everything, which is a broken checkpoint, not a result.
    static func requireFiniteWeights(_ model: [(name: String, tensor: Tensor)], path: String) throws {
        for (name, tensor) in model where tensor.dtype.isFloatingPoint {
            let values = tensor.contiguous().toArray(Double.self)
            let bad = values.count { !$0.isFinite }
            if bad > 0 {
                throw TrainError.badInput("\(path): /model/\(name) holds \(bad) non-finite values (NaN or infinity); "
                                          + "the checkpoint's weights are unusable")
            }
        }
    }

    /// Only the resolved config and the model's weights, for evaluating,
    /// predicting and exporting without reading optimizer state or history.
    public static func readModel(from path: String) throws -> (config: String, model: [(name: String, tensor: Tensor)]) {
        let file = try openFile(path)
        return (try file.dataset("config").readString(), try readModel(file))
    }

    static func readDataStatistics(_ file: HDF5File) throws -> DataStatistics {
        file.contains("data/transforms") ? try DataStatistics.read(from: try file.group("data/transforms")) : DataStatistics()
    }

    static func readClassNames(_ file: HDF5File) throws -> [String]? {
        let data = try file.group("data")
        return try data.hasAttribute("classes") ? try data.stringArrayAttribute("classes") : nil
    }

    /// Only the class names (`/data` attribute `classes`), for evaluating, predicting and exporting.
    public static func readClassNames(from path: String) throws -> [String]? {
        try readClassNames(try openFile(path))
    }

    /// Only the data statistics (`/data/transforms`), for evaluating and predicting.
    public static func readDataStatistics(from path: String) throws -> DataStatistics {
        try readDataStatistics(try openFile(path))
    }

    static func readVocabulary(_ file: HDF5File) throws -> TextVocabulary? {
        file.contains("data/vocab") ? try TextVocabulary.read(from: try file.group("data/vocab")) : nil
    }

    /// Only the token vocabulary (`/data/vocab`), nil when the model was not trained on text.
    public static func readVocabulary(from path: String) throws -> TextVocabulary? {
        try readVocabulary(try openFile(path))
    }

    /// Reads a checkpoint, checking that it is one.
    public static func read(from path: String) throws -> Checkpoint {
        let file = try openFile(path)
        let config = try file.dataset("config").readString()
        let model = try readModel(file)
        let opt = try file.group("optimizer")
        var optState: [(String, Tensor)] = []
        for child in try opt.children() { optState.append((child.name, try opt.dataset(child.name).readTensor())) }
        let schedGroup = try file.group("scheduler")
        var sched: [String: Double] = [:]
        for name in try schedGroup.attributeNames() { sched[name] = try schedGroup.doubleAttribute(name) }
        let rngGroup = try file.group("rng")
        var rng: [String: [UInt64]] = [:]
        for child in try rngGroup.children() {
            rng[child.name] = try rngGroup.dataset(child.name).readArray(as: Int64.self).map { UInt64(bitPattern: $0) }
        }
        let data = try file.group("data")
        let hist = try file.group("history")
        var history: [String: [Double]] = [:]
        for full in try hist.datasetPaths() {
            let key = full.hasPrefix("history/") ? String(full.dropFirst("history/".count)) : full
            history[key] = try file.dataset(full).readArray(as: Double.self)
        }
        var trainer: [String: Double] = [:]
        if file.contains("trainer") {
            let group = try file.group("trainer")
            for name in try group.attributeNames() { trainer[name] = try group.doubleAttribute(name) }
        }
        // Counters a hand-edited (or older, unchecked) file could hold anything in.
        func counter(_ value: Int64, _ name: String) throws -> Int {
            guard value >= 0, value <= Int64(1) << 53 else {
                throw TrainError.badInput("\(path): checkpoint is corrupt: \(name) is \(value), not a count")
            }
            return Int(value)
        }
        var checkpoint = Checkpoint(
            epoch: try counter(try file.int64Attribute("epoch"), "epoch"), step: try counter(try file.int64Attribute("step"), "step"),
            config: config, model: model, optimizerType: try opt.stringAttribute("type"),
            optimizerSteps: try counter(try opt.int64Attribute("step"), "/optimizer step"),
            optimizerLRs: try opt.doubleArrayAttribute("lr"), optimizerState: optState, scheduler: sched, rng: rng,
            dataOrder: try data.dataset("order").readArray(as: Int64.self).map { try counter($0, "/data/order entry") },
            dataBatchIndex: try counter(try data.int64Attribute("batch_index"), "/data batch_index"), history: history)
        if let bad = checkpoint.optimizerLRs.first(where: { !$0.isFinite || $0 < 0 }) {
            throw TrainError.badInput("\(path): checkpoint is corrupt: /optimizer lr \(bad) is not a learning rate")
        }
        for (name, words) in rng where words.count != 6 {
            throw TrainError.badInput("\(path): checkpoint is corrupt: /rng/\(name) holds \(words.count) words, not a generator's 6")
        }
        checkpoint.trainer = trainer
        checkpoint.dataStatistics = try readDataStatistics(file)
        checkpoint.classNames = try readClassNames(file)
        checkpoint.vocabulary = try readVocabulary(file)
        return checkpoint
    }
}

extension Module {
    /// Loads a checkpoint's `/model` weights, strictly; weights that do not fit are bad input naming `file`.
    func loadCheckpointWeights(_ weights: [(name: String, tensor: Tensor)], from file: String) throws {
        var state: [String: Tensor] = [:]
        for (name, tensor) in weights { state[name] = tensor }
        do {
            _ = try loadStateDict(state, strict: true)
        } catch {
            throw TrainError.badInput("\(file): weights do not fit the model of its own config: \(error)")
        }
    }
}

/// Flint's version, written into checkpoints and summaries.
public enum FlintVersion {
    public static let string = "0.1.0"
}

/// Errors of training and evaluation. `badInput` maps to exit code 2, the rest to 1.
public enum TrainError: Error, CustomStringConvertible {
    case badInput(String)
    case io(String)
    case runtime(String)

    public var description: String {
        switch self {
        case let .badInput(m), let .io(m), let .runtime(m): return m
        }
    }
}
