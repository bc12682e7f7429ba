import Foundation
import Flint
import FlintNN
import FlintHDF5
import FlintTrain

// Usage: TinyClassifier OUTPUT_DIR
// Writes OUTPUT_DIR/blobs.h5 (three Gaussian blobs in 4-D), trains a 4-16-3
// MLP on it for 200 full-batch SGD steps, prints the test accuracy it computes
// itself, and writes OUTPUT_DIR/tiny.h5, a checkpoint `flint eval` reads.

let out = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "."
let generator = Generator(seed: 0)

/// `count` points per class around three centres, as `torch.randn(...) * 0.5 + centre`.
func blobs(_ count: Int) throws -> (x: Tensor, y: Tensor) {
    let centres = try Tensor([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0], shape: [3, 4])
    var xs: [Tensor] = [], ys: [Tensor] = []
    for c in 0..<3 {
        let noise = try Tensor.randn([count, 4], std: 0.5, generator: generator)
        xs.append(try noise.add(centres.select(0, c)))
        ys.append(try Tensor.full([count], Double(c), dtype: .int64))
    }
    return (try Tensor.cat(xs, dim: 0), try Tensor.cat(ys, dim: 0))
}

let train = try blobs(100), test = try blobs(50)
let dataPath = out + "/blobs.h5"
let file = try HDF5File.create(dataPath)
_ = try file.createDataset("train/x", tensor: train.x)
_ = try file.createDataset("train/y", tensor: train.y)
_ = try file.createDataset("test/x", tensor: test.x)
_ = try file.createDataset("test/y", tensor: test.y)
try file.close()

// The model, as `torch.nn.Sequential(Linear(4, 16), ReLU(), Linear(16, 3))`.
let model = Sequential([
    try Linear(inFeatures: 4, outFeatures: 16, generator: generator),
    ReLU(),
    try Linear(inFeatures: 16, outFeatures: 3, generator: generator),
])
let optimizer = try SGD(params: model.parameters(), options: SGDOptions(lr: 0.1, momentum: 0.9))
let criterion = CrossEntropyLoss()
for step in 1...200 {
    optimizer.zeroGrad()
    let loss = try criterion(model(train.x), train.y)
    try loss.backward()
    try optimizer.step()
    if step % 50 == 0 { print("step \(step): loss \(try loss.item())") }
}

model.eval()
let predicted = try noGrad { try model(test.x).argmax(dim: 1) }
let accuracy = try predicted.eq(test.y).casted(to: .float64).mean().item()
print("test accuracy \(accuracy)")

// The same network as a spec, so that `flint eval`, `predict` and `export`
// can rebuild it; state-dict names (0.weight, 2.bias) match the Sequential's.
let config = """
    name: tiny-classifier
    seed: 0
    data:
      source: \(dataPath)
      train: {x: train/x, y: train/y}
      test: {x: test/x, y: test/y}
      batch_size: 50
    model:
      input: [4]
      layers:
        - {type: linear, out_features: 16}
        - {type: relu}
        - {type: linear, out_features: 3}
    loss: {type: cross_entropy_loss}
    optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
    train: {epochs: 1, metrics: [accuracy]}
    """
try Checkpoint(model: model, config: config, step: 200, optimizer: optimizer).write(to: out + "/tiny.h5")
print("wrote \(out)/tiny.h5")
