import COpenBLAS
import Flint
import Foundation

/// Times each case as the fastest of repeated runs after a warm-up (the
/// statistic least disturbed by other work on a shared machine) and prints one
/// `name seconds` line per case, the format bench_torch.py also prints.
/// Arguments, if any, select the cases whose names contain one of them.
let filters = CommandLine.arguments.dropFirst()
/// BENCH_CLOCK=cpu times by the CPU time of all the process's threads instead
/// of the wall clock: with BENCH_THREADS=1 on a busy machine it measures the
/// kernel without the time spent waiting for a core.
let cpuClock = ProcessInfo.processInfo.environment["BENCH_CLOCK"] == "cpu"
func now() -> Double {
    var ts = timespec()
    clock_gettime(cpuClock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
func time(_ name: String, repeats: Int = 10, _ body: () throws -> Void) rethrows {
    if !filters.isEmpty && !filters.contains(where: { name.contains($0) }) { return }
    try body()
    var samples: [Double] = []
    for _ in 0..<repeats {
        let start = now()
        try body()
        samples.append(now() - start)
    }
    print(name, String(format: "%.6e", samples.min() ?? 0))
    fflush(stdout)
}

// BENCH_THREADS=n runs both sides on n threads (run.sh passes it on to bench_torch.py).
if let n = ProcessInfo.processInfo.environment["BENCH_THREADS"].flatMap(Int.init) { Parallelism.threads = n }

let g = Generator(seed: 0)
func randn(_ shape: [Int]) throws -> Tensor { try Tensor.randn(shape, generator: g) }

// Matrix products, and OpenBLAS's own sgemm on the same sizes as the ceiling.
for (m, k, n) in [(64, 784, 256), (1024, 1024, 1024)] {
    let a = try randn([m, k]), b = try randn([k, n])
    try time("matmul_\(m)x\(k)x\(n)") { _ = try a.matmul(b) }
    let x = a.toArray(Float.self), y = b.toArray(Float.self)
    var c = [Float](repeating: 0, count: m * n)
    time("sgemm_\(m)x\(k)x\(n)") {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k), y, Int32(n), 0, &c, Int32(n))
    }
}

// Elementwise ops, contiguous and on transposed views.
for (label, side) in [("64K", 256), ("256K", 512), ("1M", 1024), ("16M", 4096)] {
    let a = try randn([side, side]), b = try randn([side, side])
    let at = try a.t(), bt = try b.t()
    try time("add_\(label)") { _ = try a + b }
    try time("mul_\(label)") { _ = try a * b }
    try time("relu_\(label)") { _ = try a.relu() }
    try time("exp_\(label)") { _ = try a.exp() }
    try time("add_\(label)_transposed") { _ = try at + bt }
    try time("mul_\(label)_transposed") { _ = try at * bt }
    try time("relu_\(label)_transposed") { _ = try at.relu() }
    try time("exp_\(label)_transposed") { _ = try at.exp() }
}

// Reductions over each dim of 4096×4096.
let big = try randn([4096, 4096])
for d in 0..<2 {
    try time("sum_dim\(d)") { _ = try big.sum(dim: d) }
    try time("mean_dim\(d)") { _ = try big.mean(dim: d) }
}

// Softmax over the last dim.
for (r, c) in [(128, 10), (4096, 1000)] {
    let x = try randn([r, c])
    try time("softmax_\(r)x\(c)", repeats: r == 128 ? 200 : 10) { _ = try x.softmax(dim: -1) }
}

// Convolutions of the MNIST CNN, forward and forward + backward.
for (cin, cout, side) in [(1, 16, 28), (16, 32, 14)] {
    let x = try randn([64, cin, side, side]), w = try randn([cout, cin, 5, 5]), bias = try randn([cout])
    try time("conv2d_\(cin)to\(cout)_forward") { _ = try x.conv2d(w, bias: bias, padding: [2]) }
    let xg = x.detach().requiringGrad(), wg = w.detach().requiringGrad(), bg = bias.detach().requiringGrad()
    let upstream = try Tensor.ones([64, cout, side, side])
    try time("conv2d_\(cin)to\(cout)_forward_backward") {
        xg.grad = nil; wg.grad = nil; bg.grad = nil
        try xg.conv2d(wg, bias: bg, padding: [2]).backward(gradient: upstream)
    }
}

// Max pooling of the MNIST CNN (2×2, stride 2), forward and forward + backward.
for (channels, side) in [(16, 28), (32, 14)] {
    let x = try randn([64, channels, side, side])
    try time("max_pool2d_\(channels)x\(side)_forward") { _ = try x.maxPool2d(kernelSize: [2]) }
    let xg = x.detach().requiringGrad()
    let upstream = try Tensor.ones([64, channels, side / 2, side / 2])
    try time("max_pool2d_\(channels)x\(side)_forward_backward") {
        xg.grad = nil
        try xg.maxPool2d(kernelSize: [2]).backward(gradient: upstream)
    }
}
