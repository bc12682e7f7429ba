import Foundation
import Flint
import FlintNN
import FlintHDF5

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

/// Copies weights from `path` into `module` by state-dict name (PyTorch's
/// `load_state_dict`), for `model.init_from` and `flint train --init`.
///
/// Strict: every parameter and buffer of the module must be in the file and
/// nothing else may be. Not strict: names on one side only are skipped and
/// returned so the caller can report them. Either way a name on both sides
/// with different shapes is an error, as in PyTorch.
@discardableResult
public func loadInitialWeights(into module: Module, from path: String, strict: Bool) throws -> (missing: [String], unexpected: [String]) {
    var state: [String: Tensor] = [:]
    for (name, tensor) in try readWeights(from: path) { state[name] = tensor }
    do {
        return try noGrad { try module.loadStateDict(state, strict: strict) }
    } catch {
        throw TrainError.badInput("\(path): weights do not fit the model: \(error)")
    }
}
