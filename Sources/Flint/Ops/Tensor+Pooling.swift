import CFlintKernels

/// Pooling (`torch.nn.functional`): max, average and adaptive average over
/// `[N, C, H, W]`, by windows that factor into a row part and a column part.

/// The input positions one output position pools along one dimension:
/// `taps` positions from `start` every `step`, of which those inside
/// `0..<size` count; `divisor` is this dimension's factor of the average's divisor.
struct PoolWindow: Equatable {
    let start: Int, taps: Int, step: Int, divisor: Int
}

/// What pooling keeps for its backward rule.
struct PoolSaved {
    let inputShape: [Int]
    let rows: [PoolWindow], cols: [PoolWindow]
    /// For max pooling: the flat `y·W + x` index of each maximum.
    let indices: Tensor?
    let divisorOverride: Int?
}

enum PoolWindows {
    /// Windows of a strided pool with padding and PyTorch's `ceil_mode` rule
    /// (the last window must start inside the input or the left padding).
    static func strided(size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool,
                        countIncludePad: Bool, op: String, shape: [Int]) throws -> [PoolWindow] {
        guard kernel > 0, stride > 0, dilation > 0, padding >= 0 else {
            throw TensorError.invalidArgument(op: op, message: "kernel_size, stride and dilation must be positive and padding non-negative (input shape \(shape))")
        }
        guard padding <= (dilation * (kernel - 1) + 1) / 2 else {
            throw TensorError.invalidArgument(op: op, message: "pad should be at most half of effective kernel size, but got pad=\(padding), kernel_size=\(kernel) (input shape \(shape))")
        }
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        guard span >= 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, [kernel]], detail: "output size is too small")
        }
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= size + padding { out -= 1 }
        return (0..<out).map { o in
            let start = o * stride - padding
            let paddedEnd = Swift.min(start + dilation * (kernel - 1) + 1, size + padding)
            let clipped = Swift.min(paddedEnd, size) - Swift.max(start, 0)
            return PoolWindow(start: start, taps: kernel, step: dilation,
                              divisor: countIncludePad ? paddedEnd - start : Swift.max(clipped, 0))
        }
    }

    /// Adaptive windows: output `o` pools `floor(o·size/out) ..< ceil((o+1)·size/out)`.
    static func adaptive(size: Int, out: Int) -> [PoolWindow] {
        (0..<out).map { o in
            let start = (o * size) / out, end = ((o + 1) * size + out - 1) / out
            return PoolWindow(start: start, taps: end - start, step: 1, divisor: end - start)
        }
    }

    /// The window size `k` when `windows` tile `0..<size` from the start, window
    /// `o` covering `o·k ..< o·k + k` (kernel == stride, no padding, no dilation;
    /// a remainder shorter than `k` is left out), else nil.
    static func tileSize(_ windows: [PoolWindow], size: Int) -> Int? {
        guard let k = windows.first?.taps, k > 0, windows.count * k <= size else { return nil }
        for (o, window) in windows.enumerated() where window.start != o * k || window.taps != k || (k > 1 && window.step != 1) {
            return nil
        }
        return k
    }
}

extension Tensor {
    /// Views `[C, H, W]` as `[1, C, H, W]` and checks the rank.
    private func batched4D(op: String) throws -> Tensor {
        if rank == 3 { return try unsqueeze(0) }
        guard rank == 4 else { throw TensorError.invalidArgument(op: op, message: "expected a 3-D or 4-D input, got shape \(shape)") }
        return self
    }

    /// `F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)`.
    ///
    /// - Parameter self: `[N, C, H, W]` or `[C, H, W]`.
    /// - Returns: the maxima and, as int64, the flat index `y·W + x` of each within its plane.
    public func maxPool2dWithIndices(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                                     ceilMode: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let op = "max_pool2d"
        let x4 = try batched4D(op: op)
        let (kh, kw) = try pair(kernelSize, "kernel_size", op: op), (sh, sw) = try pair(stride ?? kernelSize, "stride", op: op)
        let (ph, pw) = try pair(padding, "padding", op: op), (dh, dw) = try pair(dilation, "dilation", op: op)
        let rows = try PoolWindows.strided(size: x4.shape[2], kernel: kh, stride: sh, padding: ph, dilation: dh, ceilMode: ceilMode, countIncludePad: true, op: op, shape: shape)
        let cols = try PoolWindows.strided(size: x4.shape[3], kernel: kw, stride: sw, padding: pw, dilation: dw, ceilMode: ceilMode, countIncludePad: true, op: op, shape: shape)
        let (values, indices) = try x4.maxPool(rows: rows, cols: cols, op: op)
        return rank == 3 ? (try values.squeeze(0), try indices.squeeze(0)) : (values, indices)
    }

    /// `F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)`.
    public func maxPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                          ceilMode: Bool = false) throws -> Tensor {
        try maxPool2dWithIndices(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).values
    }

    /// `F.adaptive_max_pool2d(input, output_size, return_indices=True)`.
    public func adaptiveMaxPool2dWithIndices(outputSize: [Int]) throws -> (values: Tensor, indices: Tensor) {
        let op = "adaptive_max_pool2d"
        let x4 = try batched4D(op: op)
        let (oh, ow) = try pair(outputSize, "output_size", op: op)
        guard oh > 0, ow > 0, x4.shape[2] > 0, x4.shape[3] > 0 else {
            throw TensorError.invalidArgument(op: op, message: "output_size \(outputSize) and input size must be positive (input shape \(shape))")
        }
        let (values, indices) = try x4.maxPool(rows: PoolWindows.adaptive(size: x4.shape[2], out: oh),
                                               cols: PoolWindows.adaptive(size: x4.shape[3], out: ow), op: op)
        return rank == 3 ? (try values.squeeze(0), try indices.squeeze(0)) : (values, indices)
    }

    /// `F.adaptive_max_pool2d(input, output_size)`.
    public func adaptiveMaxPool2d(outputSize: [Int]) throws -> Tensor { try adaptiveMaxPool2dWithIndices(outputSize: outputSize).values }

    /// `F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`.
    public func avgPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false,
                          countIncludePad: Bool = true, divisorOverride: Int? = nil) throws -> Tensor {
        let op = "avg_pool2d"
        let x4 = try batched4D(op: op)
        let (kh, kw) = try pair(kernelSize, "kernel_size", op: op), (sh, sw) = try pair(stride ?? kernelSize, "stride", op: op)
        let (ph, pw) = try pair(padding, "padding", op: op)
        if let d = divisorOverride, d == 0 { throw TensorError.invalidArgument(op: op, message: "divisor must be not zero") }
        let rows = try PoolWindows.strided(size: x4.shape[2], kernel: kh, stride: sh, padding: ph, dilation: 1, ceilMode: ceilMode, countIncludePad: countIncludePad, op: op, shape: shape)
        let cols = try PoolWindows.strided(size: x4.shape[3], kernel: kw, stride: sw, padding: pw, dilation: 1, ceilMode: ceilMode, countIncludePad: countIncludePad, op: op, shape: shape)
        let out = try x4.avgPool(rows: rows, cols: cols, divisorOverride: divisorOverride, op: op)
        return rank == 3 ? try out.squeeze(0) : out
    }

    /// `F.adaptive_avg_pool2d(input, output_size)`.
    public func adaptiveAvgPool2d(outputSize: [Int]) throws -> Tensor {
        let op = "adaptive_avg_pool2d"
        let x4 = try batched4D(op: op)
        let (oh, ow) = try pair(outputSize, "output_size", op: op)
        guard oh > 0, ow > 0 else { throw TensorError.invalidArgument(op: op, message: "output_size \(outputSize) must be positive (input shape \(shape))") }
        let out = try x4.avgPool(rows: PoolWindows.adaptive(size: x4.shape[2], out: oh),
                                 cols: PoolWindows.adaptive(size: x4.shape[3], out: ow), divisorOverride: nil, op: op)
        return rank == 3 ? try out.squeeze(0) : out
    }

    /// `F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)` on `[N, C, L]`. Composite.
    public func maxPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) throws -> Tensor {
        try unsqueeze(-2).maxPool2d(kernelSize: [1, kernelSize], stride: [1, stride ?? kernelSize], padding: [0, padding],
                                    dilation: [1, dilation], ceilMode: ceilMode).squeeze(-2)
    }

    /// `F.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)` on `[N, C, L]`. Composite.
    public func avgPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        try unsqueeze(-2).avgPool2d(kernelSize: [1, kernelSize], stride: [1, stride ?? kernelSize], padding: [0, padding],
                                    ceilMode: ceilMode, countIncludePad: countIncludePad).squeeze(-2)
    }

    /// `F.adaptive_avg_pool1d(input, output_size)` on `[N, C, L]`. Composite.
    public func adaptiveAvgPool1d(outputSize: Int) throws -> Tensor {
        try unsqueeze(-2).adaptiveAvgPool2d(outputSize: [1, outputSize]).squeeze(-2)
    }

    private func poolSource(op: String) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: op, dtype: dtype, detail: "floating point input expected, shape \(shape)") }
        return contiguous().detach()
    }

    private func maxPool(rows: [PoolWindow], cols: [PoolWindow], op: String) throws -> (Tensor, Tensor) {
        let x = try poolSource(op: op)
        let outShape = [shape[0], shape[1], rows.count, cols.count]
        let values = Tensor(empty: outShape, dtype: dtype), indices = Tensor(empty: outShape, dtype: .int64)
        // `x` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(x) {
            if dtype == .float64 {
                maxPoolKernel(x.pointer(Double.self), planes: shape[0] * shape[1], h: shape[2], w: shape[3], rows, cols, values.pointer(Double.self), indices.pointer(Int64.self))
            } else {
                maxPoolKernel(x.pointer(Float.self), planes: shape[0] * shape[1], h: shape[2], w: shape[3], rows, cols, values.pointer(Float.self), indices.pointer(Int64.self))
            }
        }
        let saved = PoolSaved(inputShape: shape, rows: rows, cols: cols, indices: indices, divisorOverride: nil)
        return (Autograd.record(values, .maxPool2d(saved), inputs: [self]), indices)
    }

    private func avgPool(rows: [PoolWindow], cols: [PoolWindow], divisorOverride: Int?, op: String) throws -> Tensor {
        let x = try poolSource(op: op)
        let out = Tensor(empty: [shape[0], shape[1], rows.count, cols.count], dtype: dtype)
        withExtendedLifetime(x) {
            if dtype == .float64 {
                avgPoolKernel(x.pointer(Double.self), planes: shape[0] * shape[1], h: shape[2], w: shape[3], rows, cols, divisorOverride, out.pointer(Double.self))
            } else {
                avgPoolKernel(x.pointer(Float.self), planes: shape[0] * shape[1], h: shape[2], w: shape[3], rows, cols, divisorOverride, out.pointer(Float.self))
            }
        }
        let saved = PoolSaved(inputShape: shape, rows: rows, cols: cols, indices: nil, divisorOverride: divisorOverride)
        return Autograd.record(out, .avgPool2d(saved), inputs: [self])
    }
}

// MARK: - Kernels

/// Maximum over each window and its flat index, as PyTorch's CPU kernel picks
/// them: scanning the window row by row, a value replaces the best so far when
/// it is greater or NaN, so the first of equal maxima wins, and the last NaN.
func maxPoolKernel<T: FloatElement>(_ x: UnsafePointer<T>, planes: Int, h: Int, w: Int, _ rows: [PoolWindow], _ cols: [PoolWindow],
                                    _ out: UnsafeMutablePointer<T>, _ idx: UnsafeMutablePointer<Int64>) {
    if let kh = PoolWindows.tileSize(rows, size: h), let kw = PoolWindows.tileSize(cols, size: w) {
        maxPoolTiles(x, planes: planes, h: h, w: w, kh: kh, kw: kw, oh: rows.count, ow: cols.count, out, idx)
    } else {
        maxPoolWindows(x, planes: planes, h: h, w: w, rows, cols, out, idx)
    }
}

/// `maxPoolKernel` for any windows.
func maxPoolWindows<T: FloatElement>(_ x: UnsafePointer<T>, planes: Int, h: Int, w: Int, _ rows: [PoolWindow], _ cols: [PoolWindow],
                                     _ out: UnsafeMutablePointer<T>, _ idx: UnsafeMutablePointer<Int64>) {
    let oh = rows.count, ow = cols.count
    parallelFor(count: planes, minChunk: Swift.max(1, (1 << 14) / Swift.max(oh * ow * 4, 1))) { range in
        for p in range {
            let src = x + p * h * w
            for (oy, r) in rows.enumerated() {
                for (ox, c) in cols.enumerated() {
                    var best = -T.infinity, bestIndex = -1
                    for ty in 0..<r.taps {
                        let iy = r.start + ty * r.step
                        if iy < 0 || iy >= h { continue }
                        for tx in 0..<c.taps {
                            let ix = c.start + tx * c.step
                            if ix < 0 || ix >= w { continue }
                            let v = src[iy * w + ix]
                            if v > best || v.isNaN || bestIndex < 0 { best = v; bestIndex = iy * w + ix }
                        }
                    }
                    out[(p * oh + oy) * ow + ox] = best
                    idx[(p * oh + oy) * ow + ox] = Int64(Swift.max(bestIndex, 0))
                }
            }
        }
    }
}

/// `maxPoolKernel` for windows that tile the plane: `kh × kw` windows side by
/// side (kernel == stride, no padding or dilation), the common `2 × 2` unrolled.
func maxPoolTiles<T: FloatElement>(_ x: UnsafePointer<T>, planes: Int, h: Int, w: Int, kh: Int, kw: Int, oh: Int, ow: Int,
                                   _ out: UnsafeMutablePointer<T>, _ idx: UnsafeMutablePointer<Int64>) {
    parallelFor(count: planes, minChunk: Swift.max(1, (1 << 15) / Swift.max(h * w, 1))) { range in
        if T.self == Float.self && kh == 2 && kw == 2 && oh == h / 2 && ow == w / 2 {
            let first = range.lowerBound
            flint_max_pool2x2_f32(UnsafeRawPointer(x + first * h * w).assumingMemoryBound(to: Float.self), range.count, h, w,
                                  UnsafeMutableRawPointer(out + first * oh * ow).assumingMemoryBound(to: Float.self),
                                  idx + first * oh * ow)
            return
        }
        for p in range {
            let src = x + p * h * w, values = out + p * oh * ow, indices = idx + p * oh * ow
            for oy in 0..<oh {
                let top = oy * kh * w
                let valueRow = values + oy * ow, indexRow = indices + oy * ow
                if kh == 2 && kw == 2 {
                    for ox in 0..<ow {
                        let i = top + 2 * ox
                        var best = src[i], at = i
                        let b = src[i + 1], c = src[i + w], d = src[i + w + 1]
                        if b > best || b.isNaN { best = b; at = i + 1 }
                        if c > best || c.isNaN { best = c; at = i + w }
                        if d > best || d.isNaN { best = d; at = i + w + 1 }
                        valueRow[ox] = best
                        indexRow[ox] = Int64(at)
                    }
                } else {
                    for ox in 0..<ow {
                        let corner = top + ox * kw
                        var best = src[corner], at = corner
                        for ty in 0..<kh {
                            for tx in 0..<kw {
                                let i = corner + ty * w + tx
                                let v = src[i]
                                if v > best || v.isNaN { best = v; at = i }
                            }
                        }
                        valueRow[ox] = best
                        indexRow[ox] = Int64(at)
                    }
                }
            }
        }
    }
}

/// Mean over each window, divided by the product of the windows' divisors (or the override).
func avgPoolKernel<T: FloatElement>(_ x: UnsafePointer<T>, planes: Int, h: Int, w: Int, _ rows: [PoolWindow], _ cols: [PoolWindow],
                                    _ divisorOverride: Int?, _ out: UnsafeMutablePointer<T>) {
    let oh = rows.count, ow = cols.count
    parallelFor(count: planes, minChunk: Swift.max(1, (1 << 14) / Swift.max(oh * ow * 4, 1))) { range in
        for p in range {
            let src = x + p * h * w
            for (oy, r) in rows.enumerated() {
                for (ox, c) in cols.enumerated() {
                    var total: T = 0
                    for ty in 0..<r.taps {
                        let iy = r.start + ty * r.step
                        if iy < 0 || iy >= h { continue }
                        for tx in 0..<c.taps {
                            let ix = c.start + tx * c.step
                            if ix >= 0 && ix < w { total += src[iy * w + ix] }
                        }
                    }
                    let divisor = divisorOverride ?? r.divisor * c.divisor
                    out[(p * oh + oy) * ow + ox] = divisor == 0 ? 0 : total / T(flintDouble: Double(divisor))
                }
            }
        }
    }
}

extension PoolSaved {
    /// d/dx of max pooling: each output's gradient goes to its maximum.
    /// Each plane is zeroed just before its gradients are added, while it is in cache.
    func maxGradient(_ g: Tensor) -> Tensor {
        guard let indices else { return Tensor(shape: inputShape, filledWith: 0, dtype: g.dtype) }
        let gc = g.contiguous()
        let dx = Tensor(empty: inputShape, dtype: g.dtype)
        let planes = dx.shape[0] * dx.shape[1], hw = dx.shape[2] * dx.shape[3], per = rows.count * cols.count
        func run<T: FloatElement>(_: T.Type) {
            let gp = gc.pointer(T.self), dp = dx.pointer(T.self), ip = indices.pointer(Int64.self)
            parallelFor(count: planes, minChunk: Swift.max(1, (1 << 15) / Swift.max(hw, 1))) { range in
                for p in range {
                    let plane = dp + p * hw, grads = gp + p * per, at = ip + p * per
                    plane.update(repeating: 0, count: hw)
                    for k in 0..<per { plane[Int(at[k])] += grads[k] }
                }
            }
        }
        // `gc` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(gc) {
            if g.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        }
        return dx
    }

    /// d/dx of average pooling: each output's gradient spread evenly over its window.
    func averageGradient(_ g: Tensor) -> Tensor {
        let gc = g.contiguous()
        let dx = Tensor(shape: inputShape, filledWith: 0, dtype: g.dtype)
        let h = inputShape[2], w = inputShape[3], planes = inputShape[0] * inputShape[1]
        let oh = rows.count, ow = cols.count
        func run<T: FloatElement>(_: T.Type) {
            let gp = gc.pointer(T.self), dp = dx.pointer(T.self)
            parallelFor(count: planes, minChunk: Swift.max(1, (1 << 14) / Swift.max(oh * ow * 4, 1))) { range in
                for p in range {
                    let dst = dp + p * h * w
                    for (oy, r) in rows.enumerated() {
                        for (ox, c) in cols.enumerated() {
                            let divisor = divisorOverride ?? r.divisor * c.divisor
                            if divisor == 0 { continue }
                            let share = gp[(p * oh + oy) * ow + ox] / T(flintDouble: Double(divisor))
                            for ty in 0..<r.taps {
                                let iy = r.start + ty * r.step
                                if iy < 0 || iy >= h { continue }
                                for tx in 0..<c.taps {
                                    let ix = c.start + tx * c.step
                                    if ix >= 0 && ix < w { dst[iy * w + ix] += share }
                                }
                            }
                        }
                    }
                }
            }
        }
        // `gc` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(gc) {
            if g.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        }
        return dx
    }
}
