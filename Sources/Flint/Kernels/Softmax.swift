import CFlintKernels

/// Softmax and log-softmax over the middle axis of `[outer, reduced, inner]`.
func softmaxKernel<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ s: ReduceShape, log: Bool) {
    let rowWork = Swift.max(s.reduced * s.inner, 1)
    parallelFor(count: s.outer, minChunk: Swift.max(1, (1 << 15) / rowWork)) { range in
        if s.inner == 1 {
            let start = range.lowerBound * s.reduced
            contiguousSoftmaxRows(x + start, out + start, rows: range.count, s.reduced, log: log)
            return
        }
        for o in range {
            for i in 0..<s.inner {
                let base = o * s.reduced * s.inner + i
                var m = -T.infinity
                for k in 0..<s.reduced { let v = x[base + k * s.inner]; if v > m || v.isNaN { m = v } }
                if m == -T.infinity { m = 0 }
                var total: T = 0
                for k in 0..<s.reduced {
                    let e = T.fexp(x[base + k * s.inner] - m)
                    total += e
                    if !log { out[base + k * s.inner] = e }
                }
                if log {
                    let lse = m + T.flog(total)
                    for k in 0..<s.reduced { out[base + k * s.inner] = x[base + k * s.inner] - lse }
                } else {
                    let inv = 1 / total
                    for k in 0..<s.reduced { out[base + k * s.inner] *= inv }
                }
            }
        }
    }
}

/// Softmax of `rows` contiguous rows of `n`: float32 in the C kernel (which
/// uses the widest vector unit of the CPU), float64 here.
@inline(__always)
func contiguousSoftmaxRows<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, rows: Int, _ n: Int, log: Bool) {
    if T.self == Float.self {
        flint_softmax_rows_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                               UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self), rows, n, log ? 1 : 0)
        return
    }
    for r in 0..<rows { contiguousSoftmaxRow(x + r * n, out + r * n, n, log: log) }
}

/// Softmax of one contiguous row in passes that each vectorise (the max, the
/// exponentials written to `out`, their sum, the scaling), with no scratch
/// memory. A NaN in the row makes every output NaN, as in PyTorch.
@inline(__always)
func contiguousSoftmaxRow<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, log: Bool) {
    var m = contiguousMax(x, n)
    if m == -T.infinity { m = 0 }
    for k in 0..<n { out[k] = T.fexp(x[k] - m) }
    let total = contiguousSum(out, n)
    if log {
        let lse = m + T.flog(total)
        for k in 0..<n { out[k] = x[k] - lse }
    } else {
        let inv = 1 / total
        for k in 0..<n { out[k] *= inv }
    }
}

/// The largest of `n` contiguous floats (−∞ when empty), ignoring NaN, with eight
/// running lanes so that the compare-and-select chains vectorise.
@inline(__always)
func contiguousMax<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var l0 = -T.infinity, l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0
    var i = 0
    while i + 8 <= n {
        l0 = p[i] > l0 ? p[i] : l0; l1 = p[i + 1] > l1 ? p[i + 1] : l1
        l2 = p[i + 2] > l2 ? p[i + 2] : l2; l3 = p[i + 3] > l3 ? p[i + 3] : l3
        l4 = p[i + 4] > l4 ? p[i + 4] : l4; l5 = p[i + 5] > l5 ? p[i + 5] : l5
        l6 = p[i + 6] > l6 ? p[i + 6] : l6; l7 = p[i + 7] > l7 ? p[i + 7] : l7
        i += 8
    }
    var m = Swift.max(Swift.max(Swift.max(l0, l1), Swift.max(l2, l3)), Swift.max(Swift.max(l4, l5), Swift.max(l6, l7)))
    while i < n { m = p[i] > m ? p[i] : m; i += 1 }
    return m
}
