import Foundation
import Flint
import FlintNN
import FlintHDF5
import FlintSpec

/// Reads weights with PyTorch state-dict names from any file Flint writes
/// or PyTorch users bring: a `.safetensors` file, a Flint checkpoint
/// (`/model/<name>`), or a plain HDF5 file with one dataset per name (what
/// `flint export --format h5` writes). The format is told by the content, not
/// the file name.
public func readWeights(from path: String) throws -> [(name: String, tensor: Tensor)] {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw TrainError.badInput("\(path): no such weights file, or it cannot be read")
    }
    let head = (try? handle.read(upToCount: 9)) ?? Data()
    try? handle.close()
    if Array(head.prefix(8)) == [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] {
        let file = try HDF5File.open(path)
        if (try? file.stringAttribute("format")) == Checkpoint.format {
            try file.close()
            return try Checkpoint.readModel(from: path).model
        }
        var weights: [(name: String, tensor: Tensor)] = []
        for child in try file.children() where child.kind == .dataset {
            weights.append((child.name, try file.dataset(child.name).readTensor()))
        }
        return weights
    }
    // A safetensors header is JSON right after its 8-byte length.
    if head.count == 9, head[8] == UInt8(ascii: "{") {
        return try SafeTensors.read(from: path).tensors
    }
    throw TrainError.badInput("\(path): not a safetensors file, a Flint checkpoint or an HDF5 weights file")
}

/// What a weights file and a model disagree on, by state-dict name: what
/// PyTorch's `load_state_dict` returns (`missing_keys`, `unexpected_keys`)
/// and the shape mismatches it raises on.
public struct WeightsLoadReport: Equatable, CustomStringConvertible {
    /// One name on both sides with different shapes.
    public struct ShapeMismatch: Equatable {
        public var name: String
        public var file: [Int]
        public var model: [Int]
    }

    /// Parameters and buffers of the model that the file lacks, in `state_dict` order.
    public var missing: [String] = []
    /// Names in the file that the model lacks, sorted.
    public var unexpected: [String] = []
    /// Names on both sides whose shapes differ, in `state_dict` order.
    public var mismatched: [ShapeMismatch] = []
    /// Parameters and buffers of the model.
    public var modelTensors = 0

    /// Tensors of the model that the file has with the right shape: those a load copies.
    public var loaded: Int { modelTensors - missing.count - mismatched.count }

    /// True when the file and the model agree on every name and shape.
    public var fits: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    /// `missing keys: …; unexpected keys: …; size mismatch for fc.weight: [10, 64] in the file, [5, 64] in the model`.
    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
        parts += mismatched.map { "size mismatch for \($0.name): \($0.file) in the file, \($0.model) in the model" }
        return parts.joined(separator: "; ")
    }

    /// The warning `flint train` and `flint check` print on stderr after a
    /// non-strict load from `path` that skipped something:
    /// `warning: init from W (strict: false) loaded 3 of 4 tensors; missing keys: …`.
    public func warning(loadingFrom path: String) -> String {
        "warning: init from \(path) (strict: false) loaded \(loaded) of \(modelTensors) tensors; \(self)"
    }

    /// Compares a file's tensors with a model's state dict.
    init(file: [String: Tensor], model: [(name: String, tensor: Tensor)]) {
        let names = Set(model.map(\.name))
        modelTensors = model.count
        unexpected = file.keys.filter { !names.contains($0) }.sorted()
        for (name, tensor) in model {
            guard let given = file[name] else {
                missing.append(name)
                continue
            }
            if given.shape != tensor.shape { mismatched.append(ShapeMismatch(name: name, file: given.shape, model: tensor.shape)) }
        }
    }
}

/// Copies weights from `path` into `module` by state-dict name (PyTorch's
/// `load_state_dict`), for `model.init_from` and `flint train --init`.
///
/// Strict: every parameter and buffer of the module must be in the file with
/// its shape and nothing else may be, or nothing is loaded and the error names
/// every disagreement. Not strict: what matches by name and shape is loaded,
/// the rest keeps its initial values, and the returned report says what was
/// skipped. (PyTorch refuses a shape mismatch even then; a partial start from
/// another model's weights, a new head for instance, is what `strict: false` is for.)
@discardableResult
public func loadInitialWeights(into module: Module, from path: String, strict: Bool) throws -> WeightsLoadReport {
    var state: [String: Tensor] = [:]
    for (name, tensor) in try readWeights(from: path) { state[name] = tensor }
    let own = module.stateDict()
    let report = WeightsLoadReport(file: state, model: own)
    if strict && !report.fits {
        throw TrainError.badInput("\(path): weights do not fit the model (strict): \(report); "
                                  + "with strict: false (--init-non-strict) what matches by name and shape is loaded and the rest skipped")
    }
    let skipped = Set(report.unexpected + report.mismatched.map(\.name))
    let matching = state.filter { !skipped.contains($0.key) }
    do {
        _ = try noGrad { try module.loadStateDict(matching, strict: false) }
    } catch {
        throw TrainError.badInput("\(path): weights do not fit the model: \(error)")
    }
    return report
}

/// Loads `model.init_from` (or `flint train --init`) into `module`.
@discardableResult
public func loadInitialWeights(into module: Module, from source: InitialWeightsSpec) throws -> WeightsLoadReport {
    try loadInitialWeights(into: module, from: source.path, strict: source.strict)
}
