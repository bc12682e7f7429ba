/// Strided iteration, the one general path for non-contiguous operands.
///
/// Dimensions are coalesced first; the innermost dimension then runs as a
/// tight loop with per-operand strides, and the outer ones are stepped with a
/// counter. Callers give `body(offsets, n, innerStrides)` per inner run.
@inline(__always)
func forEachRun(shape: [Int], strides: [[Int]], offsets base: [Int],
                _ body: (_ offsets: [Int], _ n: Int, _ inner: [Int]) -> Void) {
    let total = shape.reduce(1, *)
    if total == 0 { return }
    let (dims, st) = coalesce(shape: shape, strides: strides)
    let last = dims.count - 1
    let n = dims[last]
    let inner = st.map { $0[last] }
    var offsets = base
    if last == 0 {
        body(offsets, n, inner)
        return
    }
    var counter = [Int](repeating: 0, count: last)
    let outer = total / n
    for _ in 0..<outer {
        body(offsets, n, inner)
        var d = last - 1
        while d >= 0 {
            counter[d] += 1
            for k in 0..<offsets.count { offsets[k] += st[k][d] }
            if counter[d] < dims[d] { break }
            for k in 0..<offsets.count { offsets[k] -= st[k][d] * dims[d] }
            counter[d] = 0
            d -= 1
        }
    }
}

/// Copies a strided `src` of `Src` into contiguous `dst` of `Dst`, converting each element.
@inline(__always)
func stridedConvert<Src, Dst>(_ src: UnsafePointer<Src>, layout: Layout, _ dst: UnsafeMutablePointer<Dst>,
                              _ convert: (Src) -> Dst) {
    if layout.isContiguous {
        let s = src + layout.offset
        for i in 0..<layout.count { dst[i] = convert(s[i]) }
        return
    }
    var o = 0
    forEachRun(shape: layout.shape, strides: [layout.strides], offsets: [layout.offset]) { offs, n, inner in
        let s = src + offs[0]
        let st = inner[0]
        let d = dst + o
        if st == 1 {
            for i in 0..<n { d[i] = convert(s[i]) }
        } else {
            for i in 0..<n { d[i] = convert(s[i * st]) }
        }
        o += n
    }
}
