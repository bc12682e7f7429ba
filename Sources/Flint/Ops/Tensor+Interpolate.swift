import Foundation

/// `F.interpolate`: resizing the spatial dims of `[N, C, *]` tensors. Every
/// mode is a composite of differentiable primitives (`index_select` and
/// blends, or adaptive average pooling), so none needs backward code.

extension Tensor {
    /// `F.interpolate(input, size, scale_factor, mode, align_corners)`.
    ///
    /// Modes: `nearest`, `linear`, `bilinear`, `trilinear` (separable, any of
    /// 1–3 spatial dims), `bicubic` (`[N, C, H, W]` only, PyTorch's cubic
    /// convolution with A = −0.75 over the 4 × 4 neighbours, edges clamped) and
    /// `area` (`adaptive_avg_pool` to the output size).
    ///
    /// - Parameters:
    ///   - self: `[N, C, *spatial]` with 1 to 3 spatial dims.
    ///   - size, scaleFactor: exactly one; one entry, or one per spatial dim.
    ///   - alignCorners: only for `linear`, `bilinear`, `bicubic` and `trilinear` (default false).
    public func interpolate(size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: String = "nearest",
                            alignCorners: Bool? = nil) throws -> Tensor {
        let op = "interpolate"
        let spatial = rank - 2
        guard (1...3).contains(spatial) else {
            throw TensorError.invalidArgument(op: op, message: "expected 3-D, 4-D or 5-D input [N, C, *], got shape \(shape)")
        }
        guard (size == nil) != (scaleFactor == nil) else {
            throw TensorError.invalidArgument(op: op, message: "exactly one of size or scale_factor must be given")
        }
        let linear = mode == "linear" || mode == "bilinear" || mode == "trilinear"
        guard mode == "nearest" || mode == "area" || mode == "bicubic" || linear else {
            throw TensorError.invalidArgument(op: op, message: "unsupported mode '\(mode)'; expected nearest, linear, bilinear, bicubic, trilinear or area")
        }
        if !linear && mode != "bicubic" && alignCorners != nil {
            throw TensorError.invalidArgument(op: op, message: "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
        }
        if mode == "bicubic" && rank != 4 {
            throw TensorError.invalidArgument(op: op, message: "bicubic mode needs 4-D input [N, C, H, W], got shape \(shape)")
        }
        func expand<T>(_ v: [T], _ name: String) throws -> [T] {
            if v.count == 1 { return Array(repeating: v[0], count: spatial) }
            guard v.count == spatial else { throw TensorError.invalidArgument(op: op, message: "\(name) must have 1 or \(spatial) entries for input shape \(shape)") }
            return v
        }
        let factors = try scaleFactor.map { try expand($0, "scale_factor") }
        var outSizes: [Int] = []
        if let size {
            outSizes = try expand(size, "size")
        } else if let factors {
            for k in 0..<spatial {
                let scaled: Double = Double(shape[2 + k]) * factors[k]
                guard scaled.isFinite else {
                    throw TensorError.invalidArgument(op: op, message: "scale_factor \(factors[k]) gives no output size for input shape \(shape)")
                }
                outSizes.append(Int(scaled.rounded(FloatingPointRoundingRule.down)))
            }
        }
        guard outSizes.allSatisfy({ $0 > 0 }) else { throw TensorError.invalidArgument(op: op, message: "output size \(outSizes) must be positive (input shape \(shape))") }
        if mode == "area" { return try areaResized(outSizes) }
        var y = self
        for k in 0..<spatial {
            let d = 2 + k, inSize = shape[d], outSize = outSizes[k]
            let corners = alignCorners ?? false
            // PyTorch's area_pixel_compute_scale.
            let scale: Double
            if corners {
                scale = outSize > 1 ? Double(inSize - 1) / Double(outSize - 1) : 0
            } else if let f = factors?[k], f > 0 {
                scale = 1 / f
            } else {
                scale = Double(inSize) / Double(outSize)
            }
            switch mode {
            case "nearest":
                var idx: [Double] = []
                for o in 0..<outSize {
                    let src: Double = Double(o) * scale
                    idx.append(Double(Swift.min(Int(src.rounded(FloatingPointRoundingRule.down)), inSize - 1)))
                }
                y = try y.indexSelect(d, Tensor.fromDoubles(idx, dtype: .int64))
            case "bicubic":
                y = try y.cubicResized(dim: d, outSize: outSize, scale: scale, alignCorners: corners)
            default:
                var lo = [Double](), hi = [Double](), frac = [Double]()
                for o in 0..<outSize {
                    let src = corners ? Double(o) * scale : Swift.max((Double(o) + 0.5) * scale - 0.5, 0)
                    let i0 = Swift.min(Int(src.rounded(FloatingPointRoundingRule.down)), inSize - 1)
                    lo.append(Double(i0))
                    hi.append(Double(Swift.min(i0 + 1, inSize - 1)))
                    frac.append(src - Double(i0))
                }
                let lambda = try weights(frac, along: d)
                let a = try y.indexSelect(d, Tensor.fromDoubles(lo, dtype: .int64))
                let b = try y.indexSelect(d, Tensor.fromDoubles(hi, dtype: .int64))
                y = try a * (1 - lambda) + b * lambda
            }
        }
        return y
    }

    /// Per-output-position weights along `dim`, shaped to broadcast against the result.
    private func weights(_ values: [Double], along dim: Int) throws -> Tensor {
        var shape = [Int](repeating: 1, count: rank)
        shape[dim] = values.count
        return try Tensor.fromDoubles(values, dtype: dtype).reshape(shape)
    }

    /// One dim of bicubic resizing: output `o` samples source position `x`
    /// (`o · scale` with aligned corners, else `(o + ½) · scale − ½`, unclamped)
    /// as Σⱼ w_j(t) · in[⌊x⌋ − 1 + j], j = 0…3, t = x − ⌊x⌋, indices clamped to
    /// the edge, with Keys' cubic convolution weights for A = −0.75 (PyTorch's
    /// `get_cubic_upsample_coefficients`).
    private func cubicResized(dim d: Int, outSize: Int, scale: Double, alignCorners: Bool) throws -> Tensor {
        let a = -0.75
        // |s| ≤ 1: ((A + 2)|s| − (A + 3))s² + 1;  1 < |s| < 2: ((A|s| − 5A)|s| + 8A)|s| − 4A.
        func near(_ s: Double) -> Double { ((a + 2) * s - (a + 3)) * s * s + 1 }
        func far(_ s: Double) -> Double { ((a * s - 5 * a) * s + 8 * a) * s - 4 * a }
        let inSize = shape[d]
        var taps = [[Double]](repeating: [], count: 4), w = [[Double]](repeating: [], count: 4)
        for o in 0..<outSize {
            let x = alignCorners ? Double(o) * scale : (Double(o) + 0.5) * scale - 0.5
            let floorX = x.rounded(.down), t = x - floorX
            let coefficients = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            for j in 0..<4 {
                taps[j].append(Double(Swift.min(Swift.max(Int(floorX) - 1 + j, 0), inSize - 1)))
                w[j].append(coefficients[j])
            }
        }
        func term(_ j: Int) throws -> Tensor {
            try indexSelect(d, Tensor.fromDoubles(taps[j], dtype: .int64)) * weights(w[j], along: d)
        }
        return try term(0) + term(1) + term(2) + term(3)
    }

    /// `mode="area"`: adaptive average pooling of the 1, 2 or 3 spatial dims to `sizes`.
    private func areaResized(_ sizes: [Int]) throws -> Tensor {
        switch sizes.count {
        case 1: return try adaptiveAvgPool1d(outputSize: sizes[0])
        case 2: return try adaptiveAvgPool2d(outputSize: sizes)
        default:
            // Averages over a box are averages of averages: pool H and W, then D.
            let (n, c, depth) = (shape[0], shape[1], shape[2])
            let planes = try reshape([n, c * depth, shape[3], shape[4]]).adaptiveAvgPool2d(outputSize: [sizes[1], sizes[2]])
            let columns = try planes.reshape([n, c, depth, sizes[1] * sizes[2]]).transpose(2, 3)
                .reshape([n, c * sizes[1] * sizes[2], depth]).adaptiveAvgPool1d(outputSize: sizes[0])
            return try columns.reshape([n, c, sizes[1], sizes[2], sizes[0]]).permute([0, 1, 4, 2, 3])
        }
    }
}
