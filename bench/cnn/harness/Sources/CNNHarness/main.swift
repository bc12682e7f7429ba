import FlintHDF5
import FlintNN
import Foundation

/// One epoch of bench/cnn's network (the loop bench.py runs in PyTorch) over
/// MNIST held in memory, and where the time went:
///
///     CNNHarness datasets/mnist.h5 [--steps N] [--threads N]
///
/// `--threads` sets Flint's own thread count; OpenBLAS takes its count from
/// OPENBLAS_NUM_THREADS.
/// prints one JSON line: epoch seconds (wall and CPU), last loss, and wall seconds per phase
/// (batch = gather + to_tensor + normalize, forward, loss, backward, step).
let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write("usage: CNNHarness MNIST.h5 [--steps N] [--threads N]\n".data(using: .utf8)!)
    exit(2)
}
func option(_ name: String) -> Int? { args.firstIndex(of: name).flatMap { i in i + 1 < args.count ? Int(args[i + 1]) : nil } }
let stepLimit = option("--steps")
if let threads = option("--threads") { Parallelism.threads = threads }

let file = try HDF5File.open(args[1])
let images = try file.dataset("train/images").readTensor()
let labels = try file.dataset("train/labels").readTensor()
try file.close()

let generator = Generator(seed: 0)
let model = Sequential([
    try Conv2d(inChannels: 1, outChannels: 16, kernelSize: [5], padding: .explicit([2]), generator: generator),
    ReLU(),
    try MaxPool2d(kernelSize: [2]),
    try Conv2d(inChannels: 16, outChannels: 32, kernelSize: [5], padding: .explicit([2]), generator: generator),
    ReLU(),
    try MaxPool2d(kernelSize: [2]),
    Flatten(),
    try Linear(inFeatures: 32 * 7 * 7, outFeatures: 10, generator: generator),
])
let optimizer = try SGD(params: model.parameters(), options: SGDOptions(lr: 0.05, momentum: 0.9))
let lossFunction = CrossEntropyLoss()

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
/// CPU seconds of the whole process, which a busy machine inflates far less than wall time.
func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
var phases: [(String, Double)] = [("batch", 0), ("forward", 0), ("loss", 0), ("backward", 0), ("step", 0)]
var mark = now()
func lap(_ phase: Int) {
    let t = now()
    phases[phase].1 += t - mark
    mark = t
}

let n = images.shape[0], batchSize = 64
let start = now(), cpuStart = cpuNow()
mark = start
let order = try Tensor.randperm(n, generator: generator)
var lastLoss = Double.nan
var steps = 0
for first in stride(from: 0, to: n, by: batchSize) {
    if let limit = stepLimit, steps >= limit { break }
    let index = try order.narrow(0, start: first, length: min(batchSize, n - first))
    let x = (try images.indexSelect(0, index).casted(to: .float32) / 255 - 0.1307) / 0.3081
    let y = try labels.indexSelect(0, index)
    lap(0)
    let logits = try model(x)
    lap(1)
    let loss = try lossFunction(logits, y)
    lap(2)
    optimizer.zeroGrad()
    try loss.backward()
    lap(3)
    try optimizer.step()
    lap(4)
    lastLoss = try loss.item()
    steps += 1
}
let seconds = now() - start, cpuSeconds = cpuNow() - cpuStart
let phaseJSON = phases.map { "\"\($0.0)\": \(String(format: "%.4f", $0.1))" }.joined(separator: ", ")
print("{\"seconds\": \(String(format: "%.4f", seconds)), \"cpu_seconds\": \(String(format: "%.4f", cpuSeconds)), \"steps\": \(steps), \"loss\": \(lastLoss), \"phases\": {\(phaseJSON)}}")
