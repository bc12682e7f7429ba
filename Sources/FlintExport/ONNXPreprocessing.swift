import Foundation
import FlintTrain
import Flint
import FlintData
import FlintHDF5
import FlintSpec
import ONNXProto

extension ONNXExporter {
    /// The spec's `data.transforms` as the first nodes of the graph (`flint export --preprocessing`),
    /// with the statistics the checkpoint stores, so the model takes inputs as the dataset stores
    /// them: `to_tensor` is a Cast to float (and a division by 255 for uint8, as ToTensor's),
    /// `normalize` and `standardize` a Sub and a Div by per-channel (per-feature) constants, as
    /// Flint computes them: `(x − mean) / std` in float32; `center_crop` a Slice of the window
    /// torchvision takes (when the crop fits in the image).
    /// - Returns: the value the model reads, and the raw input's per-sample shape and dtype (the
    ///   training inputs', read from the spec's data file).
    func emitPreprocessing(_ restored: RestoredModel, graph: ONNXGraphBuilder) throws -> (value: String, shape: [Int], dtype: DType) {
        let spec = restored.spec
        guard let file = try? HDF5File.open(spec.data.source), let x = try? file.dataset(spec.data.train.x), let dtype = x.dtype else {
            throw TrainError.badInput("onnx export --preprocessing: the raw input's shape and dtype are those of the training inputs, "
                                      + "read from '\(spec.data.source)':\(spec.data.train.x), which cannot be read")
        }
        let transforms: [Transform]
        do {
            transforms = try Checkpoint.readDataStatistics(from: restored.path).apply(to: try Builder.transforms(spec.data.transforms))
        } catch {
            throw TrainError.badInput("onnx export --preprocessing: \(restored.path): \(error)")
        }
        var shape = Array(x.shape.dropFirst())
        var value = Self.inputName
        var current = dtype
        func toFloat(_ name: String) {
            guard current != .float32 else { return }
            value = graph.node("Cast", [value], name: name, attributes: [ONNXAttribute.int("to", 1)])
            current = .float32
        }
        /// `(x − mean) / std` with constants broadcast over `shape` as `constantShape`.
        func affine(_ name: String, mean: [Double], std: [Double], constantShape: [Int]) throws {
            toFloat(name)
            let m = try graph.initializer("preprocessing.\(name).mean", try Tensor(mean.map { Float($0) }, shape: constantShape))
            let s = try graph.initializer("preprocessing.\(name).std", try Tensor(std.map { Float($0) }, shape: constantShape))
            value = graph.node("Div", [graph.node("Sub", [value, m], name: "preprocessing.\(name)"), s], name: "preprocessing.\(name)")
        }
        for (index, transform) in transforms.enumerated() {
            let name = "\(index).\(transform.typeName)"
            switch transform {
            case is ToTensor:
                let uint8 = current == .uint8
                toFloat("preprocessing.\(name)")
                if uint8 {
                    let scale = try graph.initializer("preprocessing.\(name).scale", try Tensor([Float(255)], shape: [1]))
                    value = graph.node("Div", [value, scale], name: "preprocessing.\(name)")
                }
            case let normalize as Normalize:
                let channels = normalize.mean.count
                let constant = channels == 1 ? [1] : [channels] + Array(repeating: 1, count: Swift.max(shape.count - 1, 0))
                try affine(name, mean: normalize.mean, std: normalize.std, constantShape: constant)
            case let crop as CenterCrop:
                guard shape.count >= 2 else {
                    throw TrainError.badInput("onnx export --preprocessing: center_crop needs images, got samples of shape \(shape)")
                }
                let (h, w) = (shape[shape.count - 2], shape[shape.count - 1])
                guard crop.height <= h, crop.width <= w else {
                    throw TrainError.badInput("onnx export --preprocessing: center_crop \([crop.height, crop.width]) pads images of "
                                              + "\([h, w]); only a crop inside the image has an ONNX form here")
                }
                // Python's round(), as CenterCrop (and torchvision) place the window.
                let top = Int((Double(h - crop.height) / 2).rounded(.toNearestOrEven))
                let left = Int((Double(w - crop.width) / 2).rounded(.toNearestOrEven))
                let starts = try graph.constant("preprocessing.\(name).starts", int64s: [Int64(top), Int64(left)])
                let ends = try graph.constant("preprocessing.\(name).ends", int64s: [Int64(top + crop.height), Int64(left + crop.width)])
                let axes = try graph.constant("preprocessing.\(name).axes", int64s: [-2, -1])
                value = graph.node("Slice", [value, starts, ends, axes], name: "preprocessing.\(name)")
            case let standardize as Standardize:
                guard let statistics = standardize.statistics else {
                    throw TrainError.badInput("onnx export --preprocessing: standardize has no statistics in \(restored.path)")
                }
                try affine(name, mean: statistics.mean, std: statistics.std, constantShape: shape)
            default:
                throw TrainError.badInput("onnx export --preprocessing: data.transforms \(index) (\(transform.typeName)) has no ONNX "
                                          + "form yet; to_tensor, normalize, standardize and center_crop do (export without --preprocessing and apply it before)")
            }
            shape = try transform.outputShape(shape)
        }
        if Self.inputType(of: restored.module) == .float32 { toFloat("preprocessing.cast") }
        return (value, Array(x.shape.dropFirst()), dtype)
    }
}
