// How much of an MNIST CNN training epoch is spent waiting for data.
//
//   swift run -c release --package-path bench/data data-bench [MNIST.h5] [--batches N]
//
// Trains the DESIGN.md MNIST CNN (conv 16 → pool → conv 32 → pool → linear)
// with SGD for one epoch (or N batches) through a `DataLoader` with
// to_tensor, normalize and random_crop(28, padding 2) augmentation, once with
// prefetch 2 and once with prefetch 0 (data prepared inside next()). The
// loader measures the time `next()` blocks; the figure is that time over the
// epoch's wall time. Prints one JSON line per setting.
import Foundation
import FlintData
import FlintNN

let arguments = CommandLine.arguments.dropFirst()
let file = arguments.first { !$0.hasPrefix("--") && Int($0) == nil } ?? "datasets/mnist.h5"
let batchLimit = arguments.firstIndex(of: "--batches").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first }
    .flatMap(Int.init)

func model() throws -> Module {
    Sequential([
        try Conv2d(inChannels: 1, outChannels: 16, kernelSize: [5], padding: .explicit([2])), ReLU(),
        try MaxPool2d(kernelSize: [2]),
        try Conv2d(inChannels: 16, outChannels: 32, kernelSize: [5], padding: .explicit([2])), ReLU(),
        try MaxPool2d(kernelSize: [2]),
        Flatten(), Linear(inFeatures: 32 * 7 * 7, outFeatures: 10),
    ])
}

func run(prefetch: Int) throws -> String {
    Generator.manualSeed(0)
    let data = try DataSources.open(file: file, x: "train/images", y: "train/labels")
    let loader = try DataLoader(
        dataset: data, batchSize: 64, shuffle: true,
        transforms: [try RandomCrop(size: [28], padding: [2], seed: 1), ToTensor(),
                     try Normalize(mean: [0.1307], std: [0.3081])],
        prefetch: prefetch, seed: 1)
    let net = try model()
    let loss = CrossEntropyLoss()
    let optimizer = SGD(params: net.parameters(), lr: 0.05, momentum: 0.9)
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
    return String(format: "{\"prefetch\": %d, \"batches\": %d, \"epoch_seconds\": %.2f, \"wait_seconds\": %.3f, \"wait_fraction\": %.4f, \"last_loss\": %.4f}",
                  prefetch, steps, seconds, loader.waitSeconds, fraction, lastLoss)
}

do {
    print(try run(prefetch: 2))
    print(try run(prefetch: 0))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
