import Foundation
import XCTest
import FlintNN

/// Training end to end against PyTorch: a small CNN built from FlintNN
/// layers starts from the state_dict PyTorch initialised, takes 50 steps on
/// the same MNIST batches in the same order (SGD with momentum, then Adam),
/// and must follow PyTorch's loss at every step and end within 1e-3 of it.
/// The fixture comes from `Tests/Fixtures/e2e/generate_e2e.py`.
final class EndToEndParityTests: XCTestCase {
    func testSGDWithMomentumFollowsPyTorchFor50Steps() throws {
        try checkTraining("sgd")
    }

    func testAdamFollowsPyTorchFor50Steps() throws {
        try checkTraining("adam")
    }

    private func checkTraining(_ optimizerName: String) throws {
        let fixture = try E2EFixture.load()
        guard let run = fixture.cases.first(where: { $0["optimizer"] as? String == optimizerName }),
              let batches = run["batches"] as? [[Int]], let checksums = run["batch_checksums"] as? [[Int]],
              let losses = run["losses"] as? [Double], let finalLoss = run["final_loss"] as? Double,
              let finalState = run["final_state"] as? [String: [String: Any]] else {
            throw NNFixtureError.malformed("cnn.json has no complete \(optimizerName) case")
        }
        let model = try fixture.model()
        let loaded = try model.loadStateDict(fixture.initialState, strict: true)
        XCTAssertTrue(loaded.missing.isEmpty && loaded.unexpected.isEmpty)
        let optimizer = try makeOptimizer(optimizerName, FixtureArgs(run["options"]), model.parameters())
        let lossFunction = CrossEntropyLoss()

        var deviations: [Double] = []
        for (step, (indices, checksum)) in zip(batches, checksums).enumerated() {
            let (x, y) = try fixture.mnist.batch(indices, expectedChecksum: checksum, step: step)
            let loss = try lossFunction(model(x), y)
            optimizer.zeroGrad()
            try loss.backward()
            try optimizer.step()
            deviations.append(Swift.abs(try loss.item() - losses[step]))
        }
        XCTAssertEqual(deviations.count, losses.count, "steps taken")

        let (evalX, evalY) = try fixture.mnist.batch(fixture.evalBatch, expectedChecksum: nil, step: -1)
        let final = try noGrad { try lossFunction(model(evalX), evalY).item() }
        let worst = deviations.enumerated().max { $0.element < $1.element }
        print("e2e \(optimizerName): max |loss - torch| over \(deviations.count) steps = "
              + String(format: "%.3g", worst?.element ?? 0) + " (step \(worst?.offset ?? 0)); final loss \(final) vs torch \(finalLoss)")

        // The same batches through the same weights: every step's loss stays with PyTorch's.
        XCTAssertLessThanOrEqual(worst?.element ?? 0, 1e-3, "\(optimizerName): loss at step \(worst?.offset ?? 0)")
        XCTAssertEqual(final, finalLoss, accuracy: 1e-3, "\(optimizerName): loss of the trained model on the evaluation batch")

        // Where the weights ended: each tensor's sum and squared norm, relative to its norm.
        for (name, tensor) in model.stateDict() {
            guard let expected = finalState[name], let sum = expected["sum"] as? Double, let sumSq = expected["sum_sq"] as? Double else {
                XCTFail("\(optimizerName): final state has no '\(name)'")
                continue
            }
            let v = tensor.toArray(Double.self)
            let norm = sumSq.squareRoot(), scale = norm * Double(v.count).squareRoot()
            XCTAssertEqual(v.reduce(0, +), sum, accuracy: 1e-3 * scale, "\(optimizerName): sum of final \(name)")
            XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), norm, accuracy: 1e-3 * norm, "\(optimizerName): norm of final \(name)")
        }
    }

    private func makeOptimizer(_ name: String, _ args: FixtureArgs, _ params: [Tensor]) throws -> Optimizer {
        switch name {
        case "sgd": return try SGD(params: params, options: OptimizerParityTests.apply(args.raw, to: SGDOptions()))
        case "adam": return try Adam(params: params, options: OptimizerParityTests.apply(args.raw, to: AdamOptions()))
        default: throw NNFixtureError.unsupported("optimizer \(name)")
        }
    }
}

/// `Tests/Fixtures/e2e/cnn.json`: the model's sizes, PyTorch's initial
/// state_dict, the MNIST file and the runs to repeat.
private struct E2EFixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let json: [String: Any]
    let initialState: [String: Tensor]
    let cases: [[String: Any]]
    let evalBatch: [Int]
    let mnist: MNISTBatches

    static func load() throws -> E2EFixture {
        let data = try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/e2e/cnn.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let state = json["initial_state"] as? [String: [String: Any]], let cases = json["cases"] as? [[String: Any]],
              let evalBatch = json["eval_batch"] as? [Int], let source = json["source"] as? [String: Any],
              let normalize = json["normalize"] as? [String: Double] else {
            throw NNFixtureError.malformed("cnn.json is incomplete")
        }
        var initial: [String: Tensor] = [:]
        for (name, t) in state {
            guard let shape = t["shape"] as? [Int], let values = t["values"] as? [Double] else {
                throw NNFixtureError.malformed("initial_state.\(name)")
            }
            initial[name] = try Tensor(values.map { Float($0) }, shape: shape)
        }
        return E2EFixture(json: json, initialState: initial, cases: cases, evalBatch: evalBatch,
                          mnist: try MNISTBatches(source: source, root: root, mean: normalize["mean"] ?? 0, std: normalize["std"] ?? 1))
    }

    /// conv2d → relu → max_pool2d → conv2d → relu → max_pool2d → flatten → linear,
    /// as `torch.nn.Sequential` numbers it (`0.weight`, `3.weight`, `7.weight`).
    func model() throws -> Module {
        guard let m = json["model"] as? [String: Any], let input = m["input"] as? [Int], input.count == 3,
              let channels = m["channels"] as? [Int], channels.count == 2, let k = m["kernel_size"] as? Int,
              let padding = m["padding"] as? Int, let classes = m["classes"] as? Int else {
            throw NNFixtureError.malformed("model")
        }
        let side = input[1] / 4
        return Sequential([
            try Conv2d(inChannels: input[0], outChannels: channels[0], kernelSize: [k], padding: .explicit([padding])),
            ReLU(),
            try MaxPool2d(kernelSize: [2]),
            try Conv2d(inChannels: channels[0], outChannels: channels[1], kernelSize: [k], padding: .explicit([padding])),
            ReLU(),
            try MaxPool2d(kernelSize: [2]),
            Flatten(),
            try Linear(inFeatures: channels[1] * side * side, outFeatures: classes),
        ])
    }
}

/// Batches of `datasets/mnist.h5` by sample index, read straight from the
/// file's contiguous `train/images` (uint8) and `train/labels` (int64,
/// little-endian) at the byte offsets h5py reported, then `to_tensor` and
/// `normalize` as the spec's transforms do.
private struct MNISTBatches {
    let file: Data
    let imageOffset: Int, labelOffset: Int, sampleSize: Int, sampleShape: [Int], count: Int
    let mean: Float, std: Float

    init(source: [String: Any], root: URL, mean: Double, std: Double) throws {
        guard let path = source["file"] as? String, let images = source["images"] as? [String: Any],
              let labels = source["labels"] as? [String: Any], let imageOffset = images["offset"] as? Int,
              let labelOffset = labels["offset"] as? Int, let shape = images["shape"] as? [Int], shape.count == 4,
              images["dtype"] as? String == "uint8", labels["dtype"] as? String == "int64" else {
            throw NNFixtureError.malformed("source")
        }
        file = try Data(contentsOf: root.appendingPathComponent(path), options: .alwaysMapped)
        let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        sampleShape = Array(shape.dropFirst())
        sampleSize = sampleShape.reduce(1, *)
        count = shape[0]
        guard Array(file.prefix(8)) == hdf5Signature, imageOffset + count * sampleSize <= file.count,
              labelOffset + count * 8 <= file.count else {
            throw NNFixtureError.malformed("\(path) is not the HDF5 file the fixture was made from; run generate_e2e.py again")
        }
        self.imageOffset = imageOffset
        self.labelOffset = labelOffset
        self.mean = Float(mean)
        self.std = Float(std)
    }

    /// `[B, 1, 28, 28]` float32 images and `[B]` int64 labels, in the order of `indices`.
    func batch(_ indices: [Int], expectedChecksum: [Int]?, step: Int) throws -> (Tensor, Tensor) {
        var pixels: [Float] = []
        pixels.reserveCapacity(indices.count * sampleSize)
        var labels: [Int64] = []
        var pixelSum = 0, labelSum = 0
        try file.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            for i in indices {
                guard i >= 0 && i < count else { throw NNFixtureError.malformed("sample index \(i)") }
                let image = raw[(imageOffset + i * sampleSize)..<(imageOffset + (i + 1) * sampleSize)]
                for byte in image {
                    pixelSum += Int(byte)
                    pixels.append((Float(byte) / 255 - mean) / std)
                }
                let label = raw.loadUnaligned(fromByteOffset: labelOffset + i * 8, as: Int64.self).littleEndian
                labelSum += Int(label)
                labels.append(label)
            }
        }
        if let expected = expectedChecksum, expected != [pixelSum, labelSum] {
            throw NNFixtureError.malformed("batch \(step) of mnist.h5 differs from the fixture's (checksums \([pixelSum, labelSum]) vs \(expected))")
        }
        return (try Tensor(pixels, shape: [indices.count] + sampleShape), try Tensor(labels, shape: [indices.count]))
    }
}
