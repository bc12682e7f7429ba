import CFlintKernels
import Foundation

/// `conv1d`, `conv2d` and `conv_transpose2d` (`torch.nn.functional`): float32
/// with stride 1 (or 2, but for the input gradient), dilation 1 and one group by
/// the direct kernels of CFlintKernels' FlintConv.h, everything else by im2col
/// and one GEMM per group.

/// What a convolution keeps for its backward rule.
struct ConvSaved {
    /// The op's input `[N, C, H, W]`. For a transposed convolution the geometry
    /// describes the forward convolution whose input-gradient it computes.
    let input: Tensor
    let weight: Tensor
    let geometry: ConvGeometry
    let groups: Int
    let hasBias: Bool
}

/// Expands PyTorch's `int or tuple` argument to two values.
func pair(_ v: [Int], _ name: String, op: String) throws -> (Int, Int) {
    switch v.count {
    case 1: return (v[0], v[0])
    case 2: return (v[0], v[1])
    default: throw TensorError.invalidArgument(op: op, message: "\(name) must have 1 or 2 entries, got \(v)")
    }
}

extension Tensor {
    /// `F.conv2d(input, weight, bias, stride, padding, dilation, groups)`.
    ///
    /// - Parameters:
    ///   - self: `[N, C_in, H, W]` (or unbatched `[C_in, H, W]`).
    ///   - weight: `[C_out, C_in / groups, kH, kW]`.
    ///   - bias: `[C_out]`.
    /// - Returns: `[N, C_out, H_out, W_out]`, `H_out = (H + 2·padding − dilation·(kH − 1) − 1) / stride + 1`.
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                       dilation: [Int] = [1], groups: Int = 1) throws -> Tensor {
        if rank == 3 { return try unsqueeze(0).conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups).squeeze(0) }
        let op = "conv2d"
        let (sh, sw) = try pair(stride, "stride", op: op), (ph, pw) = try pair(padding, "padding", op: op)
        let (dh, dw) = try pair(dilation, "dilation", op: op)
        guard rank == 4, weight.rank == 4 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], detail: "expected input [N, C, H, W] and weight [C_out, C_in/groups, kH, kW]")
        }
        guard groups > 0, shape[1] % groups == 0, weight.shape[0] % groups == 0, weight.shape[1] * groups == shape[1] else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], detail: "input channels must equal weight.shape[1] × groups (\(groups)), and C_out must divide by groups")
        }
        guard sh > 0, sw > 0, dh > 0, dw > 0, ph >= 0, pw >= 0 else {
            throw TensorError.invalidArgument(op: op, message: "stride and dilation must be positive and padding non-negative, got stride \(stride), padding \(padding), dilation \(dilation)")
        }
        let kh = weight.shape[2], kw = weight.shape[3]
        let oh = (shape[2] + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (shape[3] + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        guard shape[2] + 2 * ph - dh * (kh - 1) - 1 >= 0, shape[3] + 2 * pw - dw * (kw - 1) - 1 >= 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], detail: "kernel size can't be greater than the padded input size")
        }
        try checkConvDTypes(weight, bias, outChannels: weight.shape[0], op: op)
        let g = ConvGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3], kh: kh, kw: kw,
                             sh: sh, sw: sw, ph: ph, pw: pw, dh: dh, dw: dw, oh: oh, ow: ow)
        let x = contiguous().detach(), w = weight.contiguous().detach()
        let out = Tensor(empty: [g.n, weight.shape[0], oh, ow], dtype: dtype)
        let b = bias?.contiguous()
        // `b` may be a fresh copy: keep it alive while its memory is read.
        withExtendedLifetime(b) {
            if dtype == .float64 {
                convForward(x.pointer(Double.self), w.pointer(Double.self), b?.pointer(Double.self), g, groups: groups, outChannels: w.shape[0], out.pointer(Double.self))
            } else {
                convForward(x.pointer(Float.self), w.pointer(Float.self), b?.pointer(Float.self), g, groups: groups, outChannels: w.shape[0], out.pointer(Float.self))
            }
        }
        let saved = ConvSaved(input: x, weight: w, geometry: g, groups: groups, hasBias: bias != nil)
        return Autograd.record(out, .conv2d(saved), inputs: [self, weight] + (bias.map { [$0] } ?? []))
    }

    /// `F.conv1d(input, weight, bias, stride, padding, dilation, groups)`: input
    /// `[N, C_in, L]`, weight `[C_out, C_in / groups, k]`. Composite over `conv2d`.
    public func conv1d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        guard rank == 3 || rank == 2, weight.rank == 3 else {
            throw TensorError.shapeMismatch(op: "conv1d", shapes: [shape, weight.shape], detail: "expected input [N, C, L] and weight [C_out, C_in/groups, k]")
        }
        return try unsqueeze(-2).conv2d(weight.unsqueeze(2), bias: bias, stride: [1, stride], padding: [0, padding],
                                        dilation: [1, dilation], groups: groups).squeeze(-2)
    }

    /// `F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)`.
    ///
    /// - Parameters:
    ///   - self: `[N, C_in, H, W]`.
    ///   - weight: `[C_in, C_out / groups, kH, kW]`.
    /// - Returns: `[N, C_out, H_out, W_out]`, `H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1`.
    public func convTranspose2d(_ weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                                outputPadding: [Int] = [0], groups: Int = 1, dilation: [Int] = [1]) throws -> Tensor {
        if rank == 3 {
            return try unsqueeze(0).convTranspose2d(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                                                     groups: groups, dilation: dilation).squeeze(0)
        }
        let op = "conv_transpose2d"
        let (sh, sw) = try pair(stride, "stride", op: op), (ph, pw) = try pair(padding, "padding", op: op)
        let (dh, dw) = try pair(dilation, "dilation", op: op), (oph, opw) = try pair(outputPadding, "output_padding", op: op)
        guard rank == 4, weight.rank == 4, groups > 0, shape[1] == weight.shape[0], shape[1] % groups == 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], detail: "expected input [N, C_in, H, W] and weight [C_in, C_out/groups, kH, kW] with C_in divisible by groups")
        }
        guard sh > 0, sw > 0, dh > 0, dw > 0, ph >= 0, pw >= 0, oph >= 0, opw >= 0, oph < Swift.max(sh, dh), opw < Swift.max(sw, dw) else {
            throw TensorError.invalidArgument(op: op, message: "bad stride \(stride), padding \(padding), output_padding \(outputPadding) or dilation \(dilation): output padding must be smaller than either stride or dilation")
        }
        let kh = weight.shape[2], kw = weight.shape[3]
        let outC = weight.shape[1] * groups
        let hOut = (shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
        let wOut = (shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
        guard hOut > 0, wOut > 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], detail: "output size \([hOut, wOut]) is too small")
        }
        try checkConvDTypes(weight, bias, outChannels: outC, op: op)
        // The transposed convolution is the input-gradient of the convolution
        // that maps [N, C_out, H_out, W_out] to this input's shape.
        let g = ConvGeometry(n: shape[0], c: outC, h: hOut, w: wOut, kh: kh, kw: kw,
                             sh: sh, sw: sw, ph: ph, pw: pw, dh: dh, dw: dw, oh: shape[2], ow: shape[3])
        let x = contiguous().detach(), w = weight.contiguous().detach()
        let out = Tensor(empty: [g.n, outC, hOut, wOut], dtype: dtype)
        if dtype == .float64 {
            convBackwardData(x.pointer(Double.self), w.pointer(Double.self), g, groups: groups, outChannels: shape[1], out.pointer(Double.self))
        } else {
            convBackwardData(x.pointer(Float.self), w.pointer(Float.self), g, groups: groups, outChannels: shape[1], out.pointer(Float.self))
        }
        var result = out
        if let bias { result = try noGrad { try out + bias.detach().reshape([outC, 1, 1]) } }
        let saved = ConvSaved(input: x, weight: w, geometry: g, groups: groups, hasBias: bias != nil)
        return Autograd.record(result, .convTranspose2d(saved), inputs: [self, weight] + (bias.map { [$0] } ?? []))
    }

    private func checkConvDTypes(_ weight: Tensor, _ bias: Tensor?, outChannels: Int, op: String) throws {
        guard dtype.isFloatingPoint else { throw TensorError.badDType(op: op, dtype: dtype, detail: "input must be floating point, shape \(shape)") }
        guard weight.dtype == dtype, bias.map({ $0.dtype == dtype }) ?? true else {
            throw TensorError.badDType(op: op, dtype: weight.dtype, detail: "input (\(dtype)), weight (\(weight.dtype)) and bias (\(bias?.dtype.description ?? "none")) must have the same dtype")
        }
        if let bias, bias.shape != [outChannels] {
            throw TensorError.shapeMismatch(op: op, shapes: [bias.shape, [outChannels]], detail: "bias must have one entry per output channel")
        }
    }
}

// MARK: - Kernels

/// Splits samples `range` of the batch into chunks whose unfolded columns stay
/// around 4 MB, so that im2col's output is still in cache when the GEMM reads it.
func convChunks(_ g: ConvGeometry, channels: Int, range: Range<Int>? = nil, _ body: (_ start: Int, _ chunk: ConvGeometry) -> Void) {
    let range = range ?? 0..<g.n
    let perSample = Swift.max(channels * g.kh * g.kw * g.planeOut, 1)
    let most = Swift.max(1, Swift.min(range.count, (1 << 20) / perSample))
    // Equal chunks (32 samples in chunks of at most 13: 11, 11, 10, not 13, 13, 6).
    let pieces = Swift.max(1, (range.count + most - 1) / most)
    let size = Swift.max(1, (range.count + pieces - 1) / pieces)
    var start = range.lowerBound
    while start < range.upperBound {
        let n = Swift.min(size, range.upperBound - start)
        body(start, ConvGeometry(n: n, c: g.c, h: g.h, w: g.w, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw,
                                 ph: g.ph, pw: g.pw, dh: g.dh, dw: g.dw, oh: g.oh, ow: g.ow))
        start += n
    }
}

/// Runs a convolution kernel over the batch, split over the cores when there
/// is enough work: each worker gets a fixed contiguous run of samples (the
/// split depends only on the batch size and thread count, so results are the
/// same run to run) and does its own im2col and single-threaded GEMMs on them.
/// `body(worker, samples, serial)`; `serial` tells the kernel it must neither
/// spread its im2col/col2im over threads nor change OpenBLAS's thread count.
func convBatchSplit(_ g: ConvGeometry, flops: Int, _ body: (_ worker: Int, _ samples: Range<Int>, _ serial: Bool) -> Void) -> Int {
    let workers = convWorkers(g, flops: flops)
    if workers == 1 {
        body(0, 0..<g.n, false)
        return 1
    }
    useBlasThreads(m: 1, n: 1, k: 1)  // one OpenBLAS thread per worker
    let per = (g.n + workers - 1) / workers
    parallelTasks(workers) { wi in
        let lo = wi * per, hi = Swift.min(g.n, lo + per)
        body(wi, lo..<Swift.max(lo, hi), true)
    }
    return workers
}

/// How many workers `convBatchSplit` uses: one below ~8 MFLOP (waking a
/// thread costs about 70 µs), else one per core, at most one per sample.
func convWorkers(_ g: ConvGeometry, flops: Int) -> Int {
    let cores = Parallelism.threads
    if cores <= 1 || g.n < 2 || flops < (1 << 23) { return 1 }
    return Swift.min(cores, g.n)
}

/// out[n, o, :] = Σ W[o] · patches + bias[o], through `[K, n·L]` columns per group and chunk.
func convForward<T: FloatElement>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, _ bias: UnsafePointer<T>?, _ g: ConvGeometry,
                                  groups: Int, outChannels: Int, _ out: UnsafeMutablePointer<T>) {
    if T.self == Float.self && groups == 1 && g.isDirectForward {
        directConvForward(x.float, w.float, bias?.float, g, outChannels: outChannels, out.mutableFloat)
        return
    }
    let cg = g.c / groups, og = outChannels / groups, k = cg * g.kh * g.kw
    _ = convBatchSplit(g, flops: 2 * outChannels * k * g.columns) { _, samples, serial in
        convChunks(g, channels: cg, range: samples) { start, chunk in
            let nl = chunk.columns
            withScratch(T.self, count: k * nl) { cols in
                withScratch(T.self, count: outChannels * nl) { tmp in
                    let input = x + start * g.c * g.h * g.w
                    for gi in 0..<groups {
                        im2col(input, chunk, channelStart: gi * cg, channels: cg, cols, serial: serial)
                        blasGemm(transA: false, transB: false, m: og, n: nl, k: k, w + gi * og * k, lda: k, cols, ldb: nl,
                                 tmp + gi * og * nl, ldc: nl, setThreads: !serial)
                    }
                    fromChannelMajor(tmp, n: chunk.n, channels: outChannels, plane: g.planeOut, bias: bias, out + start * outChannels * g.planeOut)
                }
            }
        }
    }
}

/// `convChunks` for the two backward passes: each chunk's output gradient in
/// channel-major order (`gyT`, `[O, columns]`) and a scratch for its columns (`[k, columns]`).
private func gradientChunks<T: FloatElement>(_ gy: UnsafePointer<T>, _ g: ConvGeometry, channels: Int, range: Range<Int>,
                                             outChannels: Int, k: Int,
                                             _ body: (_ start: Int, _ chunk: ConvGeometry, _ gyT: UnsafeMutablePointer<T>,
                                                      _ cols: UnsafeMutablePointer<T>) -> Void) {
    convChunks(g, channels: channels, range: range) { start, chunk in
        withScratch(T.self, count: outChannels * chunk.columns) { gyT in
            withScratch(T.self, count: k * chunk.columns) { cols in
                toChannelMajor(gy + start * outChannels * g.planeOut, n: chunk.n, channels: outChannels, plane: g.planeOut, gyT)
                body(start, chunk, gyT, cols)
            }
        }
    }
}

/// The gradient of `convForward` with respect to its input: col2im of Wᵀ·gy.
/// `gy` is `[N, O, oh, ow]`; `dx` (`[N, C, H, W]`) is overwritten.
func convBackwardData<T: FloatElement>(_ gy: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: ConvGeometry,
                                       groups: Int, outChannels: Int, _ dx: UnsafeMutablePointer<T>) {
    if T.self == Float.self && groups == 1 && g.isDirect && g.ph < g.kh && g.pw < g.kw {
        directConvBackwardData(gy.float, w.float, g, outChannels: outChannels, dx.mutableFloat)
        return
    }
    let cg = g.c / groups, og = outChannels / groups, k = cg * g.kh * g.kw
    // col2im adds into dx; the direct kernel above writes every element itself.
    dx.update(repeating: 0, count: g.n * g.c * g.h * g.w)
    // Samples are independent: each worker col2im's into its own samples of dx.
    _ = convBatchSplit(g, flops: 2 * outChannels * k * g.columns) { _, samples, serial in
        gradientChunks(gy, g, channels: cg, range: samples, outChannels: outChannels, k: k) { start, chunk, gyT, cols in
            let nl = chunk.columns
            for gi in 0..<groups {
                blasGemm(transA: true, transB: false, m: k, n: nl, k: og, w + gi * og * k, lda: k, gyT + gi * og * nl, ldb: nl,
                         cols, ldc: nl, setThreads: !serial)
                col2im(cols, chunk, channelStart: gi * cg, channels: cg, dx + start * g.c * g.h * g.w, serial: serial)
            }
        }
    }
}

/// The gradient of `convForward` with respect to its weight: Σ over chunks of gy · colsᵀ per group.
/// With the batch split over workers, worker 0 accumulates into `dw` and each
/// other worker into its own buffer; those are added to `dw` in worker order.
func convBackwardWeight<T: FloatElement>(_ x: UnsafePointer<T>, _ gy: UnsafePointer<T>, _ g: ConvGeometry,
                                         groups: Int, outChannels: Int, _ dw: UnsafeMutablePointer<T>) {
    if T.self == Float.self && groups == 1 && g.isDirectForward {
        directConvBackwardWeight(x.float, gy.float, g, outChannels: outChannels, dw.mutableFloat)
        return
    }
    let cg = g.c / groups, og = outChannels / groups, k = cg * g.kh * g.kw
    let size = outChannels * k
    let flops = 2 * outChannels * k * g.columns
    let extra = convWorkers(g, flops: flops) - 1
    withScratch(T.self, count: Swift.max(extra, 1) * size) { partials in
        let used = convBatchSplit(g, flops: flops) { wi, samples, serial in
            let acc = wi == 0 ? dw : partials + (wi - 1) * size
            acc.update(repeating: 0, count: size)
            gradientChunks(gy, g, channels: cg, range: samples, outChannels: outChannels, k: k) { start, chunk, gyT, cols in
                let nl = chunk.columns
                for gi in 0..<groups {
                    im2col(x + start * g.c * g.h * g.w, chunk, channelStart: gi * cg, channels: cg, cols, serial: serial)
                    blasGemm(transA: false, transB: true, m: og, n: k, k: nl, gyT + gi * og * nl, lda: nl, cols, ldb: nl,
                             beta: 1, acc + gi * og * k, ldc: k, setThreads: !serial)
                }
            }
        }
        precondition(used - 1 <= extra)
        for wi in 1..<Swift.max(used, 1) {
            let p = partials + (wi - 1) * size
            for i in 0..<size { dw[i] += p[i] }
        }
    }
}

// MARK: - Direct float32 kernels

extension ConvGeometry {
    /// Whether the direct kernels handle this geometry in all three directions (given float32 and one group).
    var isDirect: Bool { sh == 1 && isDirectForward }

    /// Whether the direct forward and weight-gradient kernels handle it: stride 1 or 2, the same in
    /// both axes (a stride-2 input gradient is no convolution of the same shape; it takes col2im).
    var isDirectForward: Bool {
        (sh == 1 || sh == 2) && sw == sh && dh == 1 && dw == 1
            && oh == (h + 2 * ph - kh) / sh + 1 && ow == (w + 2 * pw - kw) / sw + 1
    }
}

extension UnsafePointer {
    /// This pointer as `Float`, for generic kernels that checked `T.self == Float.self`.
    fileprivate var float: UnsafePointer<Float> { UnsafeRawPointer(self).assumingMemoryBound(to: Float.self) }
}

extension UnsafeMutablePointer {
    fileprivate var mutableFloat: UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Float.self) }
    fileprivate var float: UnsafePointer<Float> { UnsafePointer(mutableFloat) }
}

/// `convForward` for float32, stride 1 or 2, dilation 1, one group: each worker
/// convolves its run of samples with the weights packed once.
func directConvForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ g: ConvGeometry,
                       outChannels: Int, _ out: UnsafeMutablePointer<Float>) {
    withScratch(Float.self, count: flint_conv2d_packed_count(outChannels, g.c, g.kh, g.kw)) { packed in
        flint_conv2d_pack_f32(w, outChannels, g.c, g.kh, g.kw, 0, packed)
        let scratch = flint_conv2d_scratch_count(g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw)
        _ = convBatchSplit(g, flops: 2 * outChannels * g.c * g.kh * g.kw * g.columns) { _, samples, _ in
            withScratch(Float.self, count: scratch) { padded in
                flint_conv2d_f32(x + samples.lowerBound * g.c * g.h * g.w, samples.count, g.c, g.h, g.w, packed, outChannels,
                                 g.kh, g.kw, g.ph, g.pw, g.sh, bias, out + samples.lowerBound * outChannels * g.planeOut, padded)
            }
        }
    }
}

/// `convBackwardData` for the geometries of `directConvForward` with padding
/// below the kernel size: the input gradient is the convolution of `gy`,
/// padded by `k − 1 − padding`, with the kernel flipped and its channels swapped.
/// Overwrites `dx`.
func directConvBackwardData(_ gy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: ConvGeometry, outChannels: Int,
                            _ dx: UnsafeMutablePointer<Float>) {
    let ph = g.kh - 1 - g.ph, pw = g.kw - 1 - g.pw
    withScratch(Float.self, count: flint_conv2d_packed_count(g.c, outChannels, g.kh, g.kw)) { packed in
        flint_conv2d_pack_f32(w, outChannels, g.c, g.kh, g.kw, 1, packed)
        let scratch = flint_conv2d_scratch_count(outChannels, g.oh, g.ow, g.kh, g.kw, ph, pw)
        _ = convBatchSplit(g, flops: 2 * outChannels * g.c * g.kh * g.kw * g.columns) { _, samples, _ in
            withScratch(Float.self, count: scratch) { padded in
                flint_conv2d_f32(gy + samples.lowerBound * outChannels * g.planeOut, samples.count, outChannels, g.oh, g.ow, packed,
                                 g.c, g.kh, g.kw, ph, pw, 1, nil, dx + samples.lowerBound * g.c * g.h * g.w, padded)
            }
        }
    }
}

/// `convBackwardWeight` for the geometries of `directConvForward`. Workers
/// split the weight's `c·kh·kw` columns, not the batch: each entry of `dw` is
/// then one sum over the whole batch in a fixed order, whatever the thread count.
func directConvBackwardWeight(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ g: ConvGeometry, outChannels: Int,
                               _ dw: UnsafeMutablePointer<Float>) {
    let k = g.c * g.kh * g.kw
    let workers = Swift.min(k, convWorkers(g, flops: 2 * outChannels * k * g.columns))
    let scratch = flint_conv2d_weight_grad_scratch_count(g.n, g.c, g.h, g.w, g.ph, g.pw)
    let per = (k + workers - 1) / workers
    // gy in the tiles' [sample, pixel, channel] layout, once for all workers.
    withScratch(Float.self, count: flint_conv2d_gy_transposed_count(g.n, outChannels, g.oh, g.ow)) { gt in
        let perSample = flint_conv2d_gy_transposed_count(1, outChannels, g.oh, g.ow)
        let samplesPer = (g.n + workers - 1) / workers
        parallelTasks(workers) { wi in
            let lo = Swift.min(g.n, wi * samplesPer), hi = Swift.min(g.n, lo + samplesPer)
            flint_conv2d_transpose_gy_f32(gy + lo * outChannels * g.planeOut, hi - lo, outChannels, g.planeOut, gt + lo * perSample)
        }
        parallelTasks(workers) { wi in
            let lo = wi * per, hi = Swift.min(k, lo + per)
            withScratch(Float.self, count: scratch) { buffer in
                flint_conv2d_weight_grad_f32(x, gt, g.n, g.c, g.h, g.w, outChannels, g.kh, g.kw, g.ph, g.pw, g.sh, lo, hi, dw, buffer)
            }
        }
    }
}

/// `[N, C, L]` → `[C, N·L]`.
func toChannelMajor<T>(_ src: UnsafePointer<T>, n: Int, channels: Int, plane: Int, _ dst: UnsafeMutablePointer<T>) {
    for b in 0..<n {
        for c in 0..<channels {
            (dst + c * n * plane + b * plane).update(from: src + (b * channels + c) * plane, count: plane)
        }
    }
}

/// `[C, N·L]` → `[N, C, L]`, adding `bias[c]` on the way.
func fromChannelMajor<T: FloatElement>(_ src: UnsafePointer<T>, n: Int, channels: Int, plane: Int, bias: UnsafePointer<T>?,
                                       _ dst: UnsafeMutablePointer<T>) {
    for b in 0..<n {
        for c in 0..<channels {
            let s = src + c * n * plane + b * plane, d = dst + (b * channels + c) * plane
            if let bias {
                let v = bias[c]
                for i in 0..<plane { d[i] = s[i] + v }
            } else {
                d.update(from: s, count: plane)
            }
        }
    }
}

extension ConvSaved {
    /// Gradients of `conv2d` for (input, weight, bias) given `gy` `[N, O, oh, ow]`,
    /// computing only those whose input `needed` says requires grad.
    func conv2dGradients(_ gy: Tensor, needed: [Bool]) -> [Tensor?] {
        let g = geometry, outC = weight.shape[0]
        let gyc = gy.contiguous()
        var dx: Tensor?, dw: Tensor?
        func run<T: FloatElement>(_: T.Type) {
            if needed[0] {
                let t = Tensor(empty: [g.n, g.c, g.h, g.w], dtype: gy.dtype)
                convBackwardData(gyc.pointer(T.self), weight.pointer(T.self), g, groups: groups, outChannels: outC, t.pointer(T.self))
                dx = t
            }
            if needed[1] {
                let t = Tensor(empty: weight.shape, dtype: gy.dtype)
                convBackwardWeight(input.pointer(T.self), gyc.pointer(T.self), g, groups: groups, outChannels: outC, t.pointer(T.self))
                dw = t
            }
        }
        if gy.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        let db = hasBias && needed[2] ? try? gyc.sum(dims: [0, 2, 3]) : nil
        return [dx, dw] + (hasBias ? [db] : [])
    }

    /// Gradients of `conv_transpose2d`: its input gradient is the forward
    /// convolution of `gy`, its weight gradient swaps the roles of input and gradient.
    func convTranspose2dGradients(_ gy: Tensor, needed: [Bool]) -> [Tensor?] {
        let g = geometry, inC = weight.shape[0]
        let gyc = gy.contiguous()
        var dx: Tensor?, dw: Tensor?
        func run<T: FloatElement>(_: T.Type) {
            if needed[0] {
                let t = Tensor(empty: input.shape, dtype: gy.dtype)
                convForward(gyc.pointer(T.self), weight.pointer(T.self), nil, g, groups: groups, outChannels: inC, t.pointer(T.self))
                dx = t
            }
            if needed[1] {
                let t = Tensor(empty: weight.shape, dtype: gy.dtype)
                convBackwardWeight(gyc.pointer(T.self), input.pointer(T.self), g, groups: groups, outChannels: inC, t.pointer(T.self))
                dw = t
            }
        }
        if gy.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        let db = hasBias && needed[2] ? try? gyc.sum(dims: [0, 2, 3]) : nil
        return [dx, dw] + (hasBias ? [db] : [])
    }
}
