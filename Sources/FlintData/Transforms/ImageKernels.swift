import Foundation

/// How `pad` fills the border (`torchvision.transforms.v2.functional.pad`).
public enum PaddingMode: String, CaseIterable, Sendable {
    /// `fill` everywhere outside the image.
    case constant
    /// Repeats the edge pixel (torch's "replicate").
    case edge
    /// Mirrors without repeating the edge: `3 2 | 1 2 3 | 2 1`.
    case reflect
    /// Mirrors repeating the edge: `2 1 | 1 2 3 | 3 2`.
    case symmetric
}

/// Padding on each side, in pixels.
public struct Padding: Equatable, Sendable {
    public var left, top, right, bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    /// torchvision's forms: `p` (all sides), `[left/right, top/bottom]`, `[left, top, right, bottom]`.
    public init(_ values: [Int], op: String) throws {
        guard values.allSatisfy({ $0 >= 0 }) else {
            throw DataError.invalid("\(op): padding must not be negative, got \(values)")
        }
        switch values.count {
        case 1: self.init(left: values[0], top: values[0], right: values[0], bottom: values[0])
        case 2: self.init(left: values[0], top: values[1], right: values[0], bottom: values[1])
        case 4: self.init(left: values[0], top: values[1], right: values[2], bottom: values[3])
        default:
            throw DataError.invalid("\(op): padding must be p, [left/right, top/bottom] or [left, top, right, bottom], got \(values)")
        }
    }

    public var isZero: Bool { left == 0 && top == 0 && right == 0 && bottom == 0 }
}

/// The image kernels behind the transforms, on float planes `[B, C, H, W]`.
/// Each works on one sample (`sample`) so that transforms can draw different
/// parameters for each, as torchvision does when a dataset transforms samples one by one.
enum ImageKernels {
    /// Source index along a padded axis of `size` pixels for output index `i - pad`,
    /// or nil for the constant fill.
    @inline(__always)
    static func padIndex(_ i: Int, size: Int, mode: PaddingMode) -> Int? {
        if i >= 0 && i < size { return i }
        switch mode {
        case .constant: return nil
        case .edge: return i < 0 ? 0 : size - 1
        case .reflect:
            guard size > 1 else { return 0 }
            let period = 2 * (size - 1)
            var j = i % period
            if j < 0 { j += period }
            return j < size ? j : period - j
        case .symmetric:
            let period = 2 * size
            var j = i % period
            if j < 0 { j += period }
            return j < size ? j : period - 1 - j
        }
    }

    /// Checks that reflect and symmetric padding stay within one mirror image, as torch requires.
    static func checkPadding(_ padding: Padding, height: Int, width: Int, mode: PaddingMode, op: String) throws {
        let limitW = mode == .reflect ? width - 1 : width, limitH = mode == .reflect ? height - 1 : height
        guard mode == .reflect || mode == .symmetric else { return }
        if Swift.max(padding.left, padding.right) > limitW || Swift.max(padding.top, padding.bottom) > limitH {
            throw DataError.invalid("\(op): \(mode.rawValue) padding \(padding.left),\(padding.top),\(padding.right),\(padding.bottom) "
                                    + "is too large for images of \(height)×\(width) (at most \(limitW) across, \(limitH) down)")
        }
    }

    /// Pads then crops in one pass: output pixel (y, x) of an `outH × outW` window
    /// whose top-left is at (top, left) in the padded image.
    static func padCrop(_ input: Images, sample b: Int, into output: inout Images, outSample ob: Int,
                        padding: Padding, top: Int, left: Int, mode: PaddingMode, fill: [Float]) {
        for c in 0..<input.channels {
            let src = b * input.sampleSize + c * input.planeSize
            let dst = ob * output.sampleSize + c * output.planeSize
            let value = fill.count == 1 ? fill[0] : fill[c]
            for y in 0..<output.height {
                let sy = padIndex(y + top - padding.top, size: input.height, mode: mode)
                for x in 0..<output.width {
                    let sx = padIndex(x + left - padding.left, size: input.width, mode: mode)
                    if let sy, let sx {
                        output.data[dst + y * output.width + x] = input.data[src + sy * input.width + sx]
                    } else {
                        output.data[dst + y * output.width + x] = value
                    }
                }
            }
        }
    }

    /// Mirrors one sample left-right or top-bottom, in place.
    static func flip(_ images: inout Images, sample b: Int, horizontal: Bool) {
        for c in 0..<images.channels {
            let base = b * images.sampleSize + c * images.planeSize
            if horizontal {
                for y in 0..<images.height {
                    var i = base + y * images.width, j = i + images.width - 1
                    while i < j { images.data.swapAt(i, j); i += 1; j -= 1 }
                }
            } else {
                var top = 0, bottom = images.height - 1
                while top < bottom {
                    for x in 0..<images.width {
                        images.data.swapAt(base + top * images.width + x, base + bottom * images.width + x)
                    }
                    top += 1
                    bottom -= 1
                }
            }
        }
    }

    /// `torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
    /// antialias=False)` source index and weight along one axis.
    static func bilinearTaps(input: Int, output: Int) -> [(Int, Int, Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { i in
            var src = scale * (Float(i) + 0.5) - 0.5
            if src < 0 { src = 0 }
            let i0 = Swift.min(Int(src), input - 1)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            let lambda = Swift.min(Swift.max(src - Float(i0), 0), 1)
            return (i0, i1, lambda)
        }
    }

    /// `interpolate(mode="nearest")`: floor(i · in/out).
    static func nearestTaps(input: Int, output: Int) -> [Int] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { i in
            if output == input { return i }
            if output == 2 * input { return i >> 1 }
            return Swift.min(Int((Float(i) * scale).rounded(.down)), input - 1)
        }
    }

    static func resize(_ input: Images, height: Int, width: Int, bilinear: Bool) -> Images {
        var output = Images(batch: input.batch, channels: input.channels, height: height, width: width, like: input)
        let planes = input.batch * input.channels
        if bilinear {
            let ys = bilinearTaps(input: input.height, output: height), xs = bilinearTaps(input: input.width, output: width)
            for p in 0..<planes {
                let src = p * input.planeSize, dst = p * output.planeSize
                for (y, (y0, y1, ly)) in ys.enumerated() {
                    let hy = 1 - ly
                    for (x, (x0, x1, lx)) in xs.enumerated() {
                        let hx = 1 - lx
                        let r0 = src + y0 * input.width, r1 = src + y1 * input.width
                        output.data[dst + y * width + x] = hy * (hx * input.data[r0 + x0] + lx * input.data[r0 + x1])
                            + ly * (hx * input.data[r1 + x0] + lx * input.data[r1 + x1])
                    }
                }
            }
        } else {
            let ys = nearestTaps(input: input.height, output: height), xs = nearestTaps(input: input.width, output: width)
            for p in 0..<planes {
                let src = p * input.planeSize, dst = p * output.planeSize
                for (y, sy) in ys.enumerated() {
                    for (x, sx) in xs.enumerated() { output.data[dst + y * width + x] = input.data[src + sy * input.width + sx] }
                }
            }
        }
        return output
    }

    /// torchvision's `_get_inverse_affine_matrix`: the map from output to input
    /// pixel coordinates (relative to the image centre) of a rotation by `angle`
    /// degrees, translation, scale and shear (degrees) about `center`.
    static func inverseAffine(center: (Double, Double), angle: Double, translate: (Double, Double),
                              scale: Double, shear: (Double, Double)) -> [Double] {
        let rot = angle * .pi / 180, sx = shear.0 * .pi / 180, sy = shear.1 * .pi / 180
        let (cx, cy) = center, (tx, ty) = translate
        let a = cos(rot - sy) / cos(sy)
        let b = -cos(rot - sy) * tan(sx) / cos(sy) - sin(rot)
        let c = sin(rot - sy) / cos(sy)
        let d = -sin(rot - sy) * tan(sx) / cos(sy) + cos(rot)
        var m = [d / scale, -b / scale, 0, -c / scale, a / scale, 0]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
        return m
    }

    /// torchvision's `_affine_grid` + `_apply_grid_transform`: samples one image
    /// at the inverse-mapped points with `grid_sample(padding_mode="zeros",
    /// align_corners=False)`, then blends `fill` in where the image's (sampled)
    /// coverage mask is below 1, as torchvision does with its extra mask channel.
    static func affine(_ input: Images, sample b: Int, into output: inout Images, matrix: [Double],
                       bilinear: Bool, fill: [Float]) {
        let w = input.width, h = input.height
        // Float32 throughout, like torchvision's float32 grid.
        let hw = Float(0.5 * Double(w)), hh = Float(0.5 * Double(h))
        let r = [Float(matrix[0]) / hw, Float(matrix[1]) / hw, Float(matrix[2]) / hw,
                 Float(matrix[3]) / hh, Float(matrix[4]) / hh, Float(matrix[5]) / hh]
        let fw = Float(w), fh = Float(h)
        for y in 0..<output.height {
            let by = Float(y) - Float(output.height - 1) * 0.5
            for x in 0..<output.width {
                let bx = Float(x) - Float(output.width - 1) * 0.5
                let gx = bx * r[0] + by * r[1] + r[2]
                let gy = bx * r[3] + by * r[4] + r[5]
                let ix = ((gx + 1) * fw - 1) / 2, iy = ((gy + 1) * fh - 1) / 2
                let o = y * output.width + x
                if bilinear {
                    let x0 = ix.rounded(.down), y0 = iy.rounded(.down)
                    let wx1 = ix - x0, wy1 = iy - y0, wx0 = 1 - wx1, wy0 = 1 - wy1
                    let taps = [(Int(x0), Int(y0), wx0 * wy0), (Int(x0) + 1, Int(y0), wx1 * wy0),
                                (Int(x0), Int(y0) + 1, wx0 * wy1), (Int(x0) + 1, Int(y0) + 1, wx1 * wy1)]
                    var mask: Float = 0
                    for (tx, ty, weight) in taps where tx >= 0 && tx < w && ty >= 0 && ty < h { mask += weight }
                    for c in 0..<input.channels {
                        let src = b * input.sampleSize + c * input.planeSize
                        var v: Float = 0
                        for (tx, ty, weight) in taps where tx >= 0 && tx < w && ty >= 0 && ty < h {
                            v += input.data[src + ty * w + tx] * weight
                        }
                        let f = fill.count == 1 ? fill[0] : fill[c]
                        output.data[b * output.sampleSize + c * output.planeSize + o] = (v - f) * mask + f
                    }
                } else {
                    let nx = Int(ix.rounded(.toNearestOrEven)), ny = Int(iy.rounded(.toNearestOrEven))
                    let inside = nx >= 0 && nx < w && ny >= 0 && ny < h
                    for c in 0..<input.channels {
                        let f = fill.count == 1 ? fill[0] : fill[c]
                        output.data[b * output.sampleSize + c * output.planeSize + o] =
                            inside ? input.data[b * input.sampleSize + c * input.planeSize + ny * w + nx] : f
                    }
                }
            }
        }
    }
}
