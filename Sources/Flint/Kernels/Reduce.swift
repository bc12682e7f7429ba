/// Reduction kernels over one dimension of a contiguous tensor viewed as
/// `[outer, reduced, inner]`.

struct ReduceShape {
    let outer: Int, reduced: Int, inner: Int

    init(_ shape: [Int], dim: Int) {
        outer = shape[..<dim].reduce(1, *)
        reduced = shape[dim]
        inner = shape[(dim + 1)...].reduce(1, *)
    }
}

/// Sum of `n` contiguous floats with eight running lanes (vectorises) and
/// blocks combined in double, close to PyTorch's cascade-sum accuracy.
@inline(__always)
func contiguousSum<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var total = 0.0
    var start = 0
    while start < n {
        let end = Swift.min(n, start + 4096)
        var l0: T = 0, l1: T = 0, l2: T = 0, l3: T = 0, l4: T = 0, l5: T = 0, l6: T = 0, l7: T = 0
        var i = start
        while i + 8 <= end {
            l0 += p[i]; l1 += p[i + 1]; l2 += p[i + 2]; l3 += p[i + 3]
            l4 += p[i + 4]; l5 += p[i + 5]; l6 += p[i + 6]; l7 += p[i + 7]
            i += 8
        }
        var block = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
        while i < end { block += p[i]; i += 1 }
        total += block.flintDouble
        start = end
    }
    return T(flintDouble: total)
}

/// out[o, i] = Σ_r x[o, r, i] for floating types.
func sumKernel<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ s: ReduceShape) {
    if s.inner == 1 {
        parallelFor(count: s.outer, minChunk: Swift.max(1, (1 << 16) / Swift.max(s.reduced, 1))) { r in
            for o in r { out[o] = contiguousSum(x + o * s.reduced, s.reduced) }
        }
        return
    }
    parallelFor(count: s.outer, minChunk: Swift.max(1, (1 << 16) / Swift.max(s.reduced * s.inner, 1))) { r in
        for o in r {
            let dst = out + o * s.inner
            dst.update(repeating: 0, count: s.inner)
            for k in 0..<s.reduced {
                let src = x + (o * s.reduced + k) * s.inner
                for i in 0..<s.inner { dst[i] += src[i] }
            }
        }
    }
}

/// out[o, i] = Σ_r x[o, r, i] for integer types (wrapping, as in PyTorch).
func intSumKernel<T: FixedWidthInteger>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<Int64>, _ s: ReduceShape) {
    for o in 0..<s.outer {
        for i in 0..<s.inner {
            var acc: Int64 = 0
            for k in 0..<s.reduced { acc &+= Int64(truncatingIfNeeded: x[(o * s.reduced + k) * s.inner + i]) }
            out[o * s.inner + i] = acc
        }
    }
}

/// Max (or min) and its first index along the reduced dim; NaN wins, as in PyTorch.
func extremumKernel<T: NumericElement>(_ x: UnsafePointer<T>, _ values: UnsafeMutablePointer<T>,
                                         _ indices: UnsafeMutablePointer<Int64>, _ s: ReduceShape, max: Bool) {
    for o in 0..<s.outer {
        for i in 0..<s.inner {
            let base = o * s.reduced * s.inner + i
            var best = x[base]
            var bestIndex = 0
            if best != best { values[o * s.inner + i] = best; indices[o * s.inner + i] = 0; continue }
            for k in 1..<Swift.max(s.reduced, 1) {
                let v = x[base + k * s.inner]
                if v != v { best = v; bestIndex = k; break }
                if max ? v > best : v < best { best = v; bestIndex = k }
            }
            values[o * s.inner + i] = best
            indices[o * s.inner + i] = Int64(bestIndex)
        }
    }
}
