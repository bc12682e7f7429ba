// How much of an MNIST CNN training epoch is spent waiting for data.
//
//   swift run -c release --package-path bench/data data-bench [MNIST.h5] [--batches N] [--augment]
//
// Trains the network of models/mnist_cnn.yaml (conv 16 → pool → conv 32 → pool →
// linear 128 → linear 10) with its data pipeline: the training split less a
// seeded 10% validation split, to_tensor and normalize, batch 64, shuffled, SGD
// with momentum. `--augment` adds random_crop(28, padding 2), which makes the
// loader do more. One full epoch (or N batches) runs once with prefetch 2 and
// once with prefetch 0 (data prepared inside next()). The loader measures the
// time `next()` blocks; the figure is that time over the epoch's wall time.
// Prints one JSON line per setting.
import Foundation
import FlintData
import FlintNN

let arguments = CommandLine.arguments.dropFirst()
let file = arguments.first { !$0.hasPrefix("--") && Int($0) == nil } ?? "datasets/mnist.h5"
let batchLimit = arguments.firstIndex(of: "--batches").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first }
    .flatMap(Int.init)
let augment = arguments.contains("--augment")

func model() throws -> Module {
    Sequential([
        try Conv2d(inChannels: 1, outChannels: 16, kernelSize: [5], padding: .explicit([2])), ReLU(),
        try MaxPool2d(kernelSize: [2]),
        try Conv2d(inChannels: 16, outChannels: 32, kernelSize: [5], padding: .explicit([2])), ReLU(),
        try MaxPool2d(kernelSize: [2]),
        Flatten(), try Linear(inFeatures: 32 * 7 * 7, outFeatures: 128), ReLU(), try Linear(inFeatures: 128, outFeatures: 10),
    ])
}

func run(prefetch: Int) throws -> String {
    Generator.manualSeed(0)
    let all = try DataSources.open(file: file, x: "train/images", y: "train/labels")
    let data = try DataSplit.split(all, fraction: 0.1, seed: 0).rest
    let crop: [Transform] = augment ? [try RandomCrop(size: [28], padding: [2], seed: 1)] : []
    let loader = try DataLoader(
        dataset: data, batchSize: 64, shuffle: true,
        transforms: crop + [ToTensor(), try Normalize(mean: [0.1307], std: [0.3081])],
        prefetch: prefetch, seed: 1)
    let net = try model()
    let loss = CrossEntropyLoss()
    let optimizer = try SGD(params: net.parameters(), options: SGDOptions(lr: 0.05, momentum: 0.9))
    loader.startEpoch()
    loader.resetWaitTime()
    let start = Date()
    var steps = 0, lastLoss = 0.0
    while let batch = try loader.next() {
        let l = try loss(try net(batch.x), batch.y)
        optimizer.zeroGrad()
        try l.backward()
        try optimizer.step()
        lastLoss = try l.item()
        steps += 1
        if let batchLimit, steps >= batchLimit { break }
    }
    let seconds = Date().timeIntervalSince(start)
    let fraction = loader.waitSeconds / seconds
    func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    return "{\"prefetch\": \(prefetch), \"augment\": \(augment), \"batches\": \(steps), \"epoch_seconds\": \(f(seconds, 2)), "
        + "\"wait_seconds\": \(f(loader.waitSeconds, 3)), \"wait_fraction\": \(f(fraction, 4)), \"last_loss\": \(f(lastLoss, 4))}"
}

do {
    print(try run(prefetch: 2))
    print(try run(prefetch: 0))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
