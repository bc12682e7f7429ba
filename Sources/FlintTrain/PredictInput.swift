import Foundation
import Flint
import FlintData
import FlintHDF5
import FlintSpec

/// What `flint predict` reads: rows of an HDF5 dataset (read a batch at a time), a `.npy` array,
/// a CSV table with the columns of the training import, a PNG or JPEG file, or a folder of them.
/// The samples are as stored (uint8 images, raw rows); the checkpoint's transforms come after.
struct PredictInput {
    /// How the output names the input: `FILE:DATASET`, or the file or folder.
    let name: String
    /// The dataset, for HDF5 inputs (the JSON result's `dataset`); the name otherwise.
    let dataset: String
    let rows: Int
    /// Per-sample shape as stored, before transforms.
    let sampleShape: [Int]
    /// Per row, what a CSV output calls it: the image's path, else nil (the row index).
    let paths: [String]?
    let read: (Range<Int>) throws -> Tensor

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    static func open(_ input: String, restored: RestoredModel) throws -> PredictInput {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
        let ext = URL(fileURLWithPath: input).pathExtension.lowercased()
        if exists && isDirectory.boolValue { return try images(in: input, restored: restored) }
        if exists && imageExtensions.contains(ext) { return try images([input], name: input, restored: restored) }
        if exists && ext == "npy" {
            let array = try readNPY(input)
            guard array.rank >= 1 else { throw TrainError.badInput("\(input): a scalar is not an array of samples") }
            return PredictInput(name: input, dataset: input, rows: array.shape[0], sampleShape: Array(array.shape.dropFirst()),
                                paths: nil) { range in try array.narrow(0, start: range.lowerBound, length: range.count) }
        }
        if exists && ext == "csv" {
            let spec = restored.spec
            guard let h5 = try? HDF5File.open(spec.data.source), let like = try? h5.dataset(spec.data.train.x),
                  (try? like.hasAttribute("columns")) == true else {
                throw TrainError.badInput("\(input): a CSV input needs the columns of the training import, read from "
                                          + "'\(spec.data.source)':\(spec.data.train.x) (written by `flint import csv`)")
            }
            let table = try readCSVFeatures(input, like: like)
            return PredictInput(name: input, dataset: input, rows: table.shape[0], sampleShape: [table.shape[1]], paths: nil) { range in
                try table.narrow(0, start: range.lowerBound, length: range.count)
            }
        }
        let (file, datasetPath) = try FlintCommands.locateInput(input, spec: restored.spec)
        let source = try HDF5File.open(file).dataset(datasetPath)
        guard !source.shape.isEmpty, source.dtype != nil else {
            throw TrainError.badInput("\(file): dataset '\(datasetPath)' (\(source.typeAndShape)) is not an array of samples")
        }
        return PredictInput(name: file + ":" + datasetPath, dataset: datasetPath, rows: source.rowCount,
                            sampleShape: Array(source.shape.dropFirst()), paths: nil) { range in try source.readTensor(rows: range) }
    }

    /// Every PNG and JPEG file under `folder`, in sorted path order.
    private static func images(in folder: String, restored: RestoredModel) throws -> PredictInput {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { throw TrainError.badInput("\(folder): cannot list the folder") }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if imageExtensions.contains(URL(fileURLWithPath: relative).pathExtension.lowercased()) { files.append(folder + "/" + relative) }
        }
        guard !files.isEmpty else { throw TrainError.badInput("\(folder): no PNG or JPEG files") }
        return try images(files.sorted(), name: folder, restored: restored)
    }

    /// Images decoded a batch at a time, with the channels of the training images (gray or RGB).
    private static func images(_ files: [String], name: String, restored: RestoredModel) throws -> PredictInput {
        let first = try DecodedImage.decode(file: files[0])
        let channels = restored.inputShape.count == 3 ? restored.inputShape[0] : first.channels
        let shape = [channels, first.height, first.width]
        return PredictInput(name: name, dataset: name, rows: files.count, sampleShape: shape, paths: files) { range in
            var pixels: [UInt8] = []
            for path in files[range] {
                let image = try DecodedImage.decode(file: path).converted(to: channels)
                guard [image.channels, image.height, image.width] == shape else {
                    throw TrainError.badInput("\(path): image of shape \([image.channels, image.height, image.width]) after "
                                              + "\(files[0]) of shape \(shape); every image of one prediction must have the same size")
                }
                pixels += image.pixels
            }
            return try Tensor(pixels, shape: [range.count] + shape)
        }
    }
}
