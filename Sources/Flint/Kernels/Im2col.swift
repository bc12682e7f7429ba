/// im2col and col2im for 2-D convolution: the unfolded patches of a batch laid
/// out as one matrix `[channels·kh·kw, N·oh·ow]`, so that a whole batch
/// convolves with a single GEMM.

/// Geometry of a 2-D convolution (or its transpose) over `[N, C, H, W]`.
struct ConvGeometry: Equatable {
    let n: Int, c: Int, h: Int, w: Int
    let kh: Int, kw: Int
    let sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int
    let oh: Int, ow: Int

    var columns: Int { n * oh * ow }
    var planeOut: Int { oh * ow }
}

/// cols[(c·kh + i)·kw + j, n·oh·ow + y·ow + x] = input[n, c0 + c, y·sh − ph + i·dh, x·sw − pw + j·dw] (0 outside).
/// `serial` keeps it on the calling thread (for callers that already split the batch over threads).
func im2col<T: FloatElement>(_ input: UnsafePointer<T>, _ g: ConvGeometry, channelStart c0: Int, channels: Int,
                             _ cols: UnsafeMutablePointer<T>, serial: Bool = false) {
    let rows = channels * g.kh * g.kw
    let ncols = g.columns
    parallelFor(count: rows, minChunk: serial ? Int.max / 4 : Swift.max(1, (1 << 15) / Swift.max(ncols, 1))) { range in
        for row in range {
            let c = row / (g.kh * g.kw), i = (row / g.kw) % g.kh, j = row % g.kw
            let dst = cols + row * ncols
            for n in 0..<g.n {
                let plane = input + ((n * g.c) + c0 + c) * g.h * g.w
                for y in 0..<g.oh {
                    let d = dst + n * g.planeOut + y * g.ow
                    let iy = y * g.sh - g.ph + i * g.dh
                    if iy < 0 || iy >= g.h {
                        d.update(repeating: 0, count: g.ow)
                        continue
                    }
                    let src = plane + iy * g.w
                    let xOff = j * g.dw - g.pw
                    if g.sw == 1 {
                        // Columns whose source x is inside the row: one contiguous run.
                        let lo = Swift.min(g.ow, Swift.max(0, -xOff)), hi = Swift.max(lo, Swift.min(g.ow, g.w - xOff))
                        for x in 0..<lo { d[x] = 0 }
                        for x in lo..<hi { d[x] = src[x + xOff] }
                        for x in hi..<g.ow { d[x] = 0 }
                    } else {
                        for x in 0..<g.ow {
                            let ix = x * g.sw + xOff
                            d[x] = ix >= 0 && ix < g.w ? src[ix] : 0
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds each column entry back into `grad` (which is
/// `[N, C, H, W]` and already initialised). Threads split over channels, so no
/// two write the same element.
func col2im<T: FloatElement>(_ cols: UnsafePointer<T>, _ g: ConvGeometry, channelStart c0: Int, channels: Int,
                             _ grad: UnsafeMutablePointer<T>, serial: Bool = false) {
    let ncols = g.columns
    parallelFor(count: channels, minChunk: serial ? Int.max / 4 : Swift.max(1, (1 << 15) / Swift.max(ncols * g.kh * g.kw, 1))) { range in
        for c in range {
            for i in 0..<g.kh {
                for j in 0..<g.kw {
                    let src = cols + ((c * g.kh + i) * g.kw + j) * ncols
                    for n in 0..<g.n {
                        let plane = grad + ((n * g.c) + c0 + c) * g.h * g.w
                        for y in 0..<g.oh {
                            let iy = y * g.sh - g.ph + i * g.dh
                            if iy < 0 || iy >= g.h { continue }
                            let s = src + n * g.planeOut + y * g.ow
                            let dst = plane + iy * g.w
                            let xOff = j * g.dw - g.pw
                            // Output columns whose input x = x·sw + xOff lies inside the row.
                            let lo = xOff >= 0 ? 0 : (-xOff + g.sw - 1) / g.sw
                            let hi = Swift.min(g.ow, g.w - xOff <= 0 ? 0 : (g.w - xOff + g.sw - 1) / g.sw)
                            if lo >= hi { continue }
                            if g.sw == 1 {
                                let d = dst + xOff
                                for x in lo..<hi { d[x] += s[x] }
                            } else {
                                for x in lo..<hi { dst[x * g.sw + xOff] += s[x] }
                            }
                        }
                    }
                }
            }
        }
    }
}
