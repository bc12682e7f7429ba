/// Softmax and log-softmax over the middle axis of `[outer, reduced, inner]`.
func softmaxKernel<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ s: ReduceShape, log: Bool) {
    let rowWork = Swift.max(s.reduced * s.inner, 1)
    parallelFor(count: s.outer, minChunk: Swift.max(1, (1 << 15) / rowWork)) { range in
        for o in range {
            if s.inner == 1 {
                contiguousSoftmaxRow(x + o * s.reduced, out + o * s.reduced, s.reduced, log: log)
                continue
            }
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

/// Softmax of one contiguous row, in loops without branches so that they
/// vectorise. A NaN in the row makes every output NaN, as in PyTorch.
@inline(__always)
func contiguousSoftmaxRow<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, log: Bool) {
    var m = -T.infinity
    for k in 0..<n { m = x[k] > m ? x[k] : m }
    if m == -T.infinity { m = 0 }
    var total: T = 0
    if log {
        for k in 0..<n { total += T.fexp(x[k] - m) }
        let lse = m + T.flog(total)
        for k in 0..<n { out[k] = x[k] - lse }
    } else {
        for k in 0..<n {
            let e = T.fexp(x[k] - m)
            out[k] = e
            total += e
        }
        let inv = 1 / total
        for k in 0..<n { out[k] *= inv }
    }
}
