import XCTest
import FlintNN

/// Train/eval switching, dropout statistics, state-dict names of composite
/// layers, and errors that name the layer and the shape.
final class ModuleBehaviourTests: XCTestCase {
    func testDropoutZeroesAboutPAndScalesTheRestInTrainingOnly() throws {
        let dropout = try Dropout(p: 0.25, generator: Generator(seed: 1))
        let x = try Tensor.ones([4000])
        let y = try dropout(x).toArray(Double.self)
        let zeros = y.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 4000, 0.25, accuracy: 0.03)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
        dropout.eval()
        XCTAssertEqual(try dropout(x).toArray(Double.self), x.toArray(Double.self))
    }

    func testDropout2dDropsWholeChannels() throws {
        let dropout = try Dropout2d(p: 0.5, generator: Generator(seed: 2))
        let y = try dropout(Tensor.ones([8, 16, 3, 3])).reshape([128, 9]).toArray(Double.self)
        for c in 0..<128 {
            let plane = Set(y[(c * 9)..<(c * 9 + 9)])
            XCTAssertEqual(plane.count, 1, "channel \(c) is not all kept or all dropped")
        }
    }

    func testTrainAndEvalReachEveryChildAndSwitchBatchNorm() throws {
        let bn = try BatchNorm1d(numFeatures: 2)
        let model = try Sequential([Linear(inFeatures: 3, outFeatures: 2), bn, try Dropout(p: 0.5)])
        let x = try Tensor([Float(1), 2, 3, 4, 5, 6, 0, 1, 2], shape: [3, 3])
        _ = try model(x)
        XCTAssertEqual(try bn.buffer("num_batches_tracked")?.item(), 1)
        model.eval()
        XCTAssertFalse(bn.training)
        let before = bn.buffer("running_mean")?.toArray(Double.self)
        let a = try model(x), b = try model(x)
        XCTAssertEqual(a.toArray(Double.self), b.toArray(Double.self), "eval mode is deterministic")
        XCTAssertEqual(bn.buffer("running_mean")?.toArray(Double.self), before, "eval mode leaves running stats alone")
        XCTAssertEqual(try bn.buffer("num_batches_tracked")?.item(), 1)
    }

    func testCompositeLayersUsePyTorchStateDictNames() throws {
        let layer = try TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8)
        XCTAssertEqual(layer.stateDict().map { $0.name }, [
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        ])
        let lstm = try LSTM(inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true)
        XCTAssertEqual(lstm.stateDict().map { $0.name }.prefix(5), [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
        ])
        XCTAssertEqual(lstm.parameter("weight_ih_l1")?.shape, [8, 4])
        XCTAssertEqual(try BatchNorm2d(numFeatures: 3).stateDict().map { $0.name },
                       ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
    }

    func testShapeFunctionsReportTheLayerAndTheShape() throws {
        let conv = try Conv2d(inChannels: 1, outChannels: 4, kernelSize: [3])
        XCTAssertEqual(try conv.outputShape(input: [1, 28, 28]), [4, 26, 26])
        XCTAssertThrowsError(try conv.outputShape(input: [784])) { error in
            XCTAssertEqual("\(error)", "conv2d: expected a per-sample input [C, H, W] with C = in_channels = 1, got shape [784]")
        }
        XCTAssertThrowsError(try Linear(inFeatures: 10, outFeatures: 2).outputShape(input: [1, 28, 28])) { error in
            XCTAssertTrue("\(error)".hasPrefix("linear: expected an input whose last dimension is in_features = 10"), "\(error)")
        }
        XCTAssertEqual(try MaxPool2d(kernelSize: [2]).outputShape(input: [4, 7, 7]), [4, 3, 3])
        XCTAssertEqual(try MaxPool2d(kernelSize: [3], stride: [2], padding: [1], ceilMode: true).outputShape(input: [2, 8, 7]), [2, 5, 4])
        XCTAssertEqual(try Conv1d(inChannels: 2, outChannels: 3, kernelSize: 4, padding: .same).outputShape(input: [2, 9]), [3, 9])
        XCTAssertEqual(try Flatten().outputShape(input: [2, 3, 4]), [24])
        XCTAssertEqual(try Unflatten(dim: 1, unflattenedSize: [2, -1]).outputShape(input: [6, 5]), [2, 3, 5])
        XCTAssertEqual(try LSTM(inputSize: 28, hiddenSize: 16, batchFirst: true, bidirectional: true).outputShape(input: [28, 28]), [28, 32])
        XCTAssertEqual(try Embedding(numEmbeddings: 10, embeddingDim: 4).outputShape(input: [7]), [7, 4])
        XCTAssertEqual(try GLU().outputShape(input: [3, 8]), [3, 4])
        XCTAssertThrowsError(try Conv2d(inChannels: 3, outChannels: 4, kernelSize: [3], stride: [2], padding: .same))
        XCTAssertThrowsError(try GroupNorm(numGroups: 3, numChannels: 4))
        XCTAssertThrowsError(try Embedding(numEmbeddings: 4, embeddingDim: 2)(Tensor([Int64(0), 4]))) { error in
            XCTAssertEqual("\(error)", "embedding: index 4 is out of range for a dimension of size 4")
        }
    }

    func testEmbeddingPaddingRowStartsAtZeroAndGetsNoGradient() throws {
        let embedding = try Embedding(numEmbeddings: 5, embeddingDim: 3, paddingIdx: -1)
        XCTAssertEqual(embedding.paddingIdx, 4)
        let weight = try XCTUnwrap(embedding.parameter("weight"))
        XCTAssertEqual(try weight.select(0, 4).toArray(Double.self), [0, 0, 0])
        try embedding(Tensor([Int64(4), 1, 4])).sum().backward()
        let grad = try XCTUnwrap(weight.grad)
        XCTAssertEqual(try grad.select(0, 4).toArray(Double.self), [0, 0, 0])
        XCTAssertEqual(try grad.select(0, 1).toArray(Double.self), [1, 1, 1])
    }
}
