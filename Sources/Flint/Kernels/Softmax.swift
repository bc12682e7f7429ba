/// Softmax and log-softmax over the middle axis of `[outer, reduced, inner]`.
func softmaxKernel<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ s: ReduceShape, log: Bool) {
    let rowWork = Swift.max(s.reduced * s.inner, 1)
    parallelFor(count: s.outer, minChunk: Swift.max(1, (1 << 15) / rowWork)) { range in
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
