/// Writing by index with a reduction: `scatter_reduce` and `index_copy`.

/// The reductions `scatter_reduce` accepts, by PyTorch's names.
enum ScatterReduction: String {
    case sum, prod, mean, amax, amin
}

extension Tensor {
    /// `scatter_reduce(dim, index, src, reduce, include_self)`: a copy of self
    /// in which each `src[i][j]` is combined into position `index[i][j]` along
    /// `dim` (for dim 1) by `reduce`: `"sum"`, `"prod"`, `"mean"`, `"amax"` or
    /// `"amin"`. With `includeSelf` false, the positions that receive values
    /// start from the scattered values alone. Integer `mean` rounds down, as
    /// PyTorch does. A NaN in `src` wins `amax` and `amin`.
    ///
    /// Differentiable in self and `src` (PyTorch's rules; tied `amax`/`amin`
    /// share the gradient evenly). `mean` is composed of `sum` and a division.
    ///
    /// - Parameters:
    ///   - index: int64, of self's rank, no larger than `src`, nor than self outside `dim`.
    ///   - src: of self's rank and dtype.
    public func scatterReduce(_ dim: Int, _ index: Tensor, _ src: Tensor, reduce: String, includeSelf: Bool = true) throws -> Tensor {
        let op = "scatter_reduce"
        guard let reduction = ScatterReduction(rawValue: reduce) else {
            throw TensorError.invalidArgument(op: op, message: "reduce argument must be either sum, prod, mean, amax or amin, got \(reduce)")
        }
        let d = try normalizeDim(dim, rank: rank, op: op, shape: shape)
        guard index.rank == rank, src.rank == rank,
              (0..<rank).allSatisfy({ index.shape[$0] <= src.shape[$0] && ($0 == d || index.shape[$0] <= shape[$0]) }) else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, index.shape, src.shape], detail: "index must not be larger than src, nor than self outside dim \(d)")
        }
        guard src.dtype == dtype else {
            throw TensorError.badDType(op: op, dtype: src.dtype, detail: "src must have self's dtype \(dtype) (shapes \(shape) and \(src.shape))")
        }
        guard dtype != .bool else { throw TensorError.badDType(op: op, dtype: dtype, detail: "shape \(shape)") }
        let idx = try index.indexValues(op: op, bound: rank == 0 ? 1 : shape[d], sourceShape: shape)
        // Only the leading index-shaped block of src is read; narrowing it here keeps its gradient src-shaped.
        let source = try src.narrowTo(index.shape)
        if reduction == .mean {
            let total = try scatterReduce(d, index, source, reduce: "sum", includeSelf: includeSelf)
            // How many values each position averages, counted at the offsets of a contiguous tensor of self's shape.
            var counts = [Double](repeating: includeSelf ? 1 : 0, count: count)
            for offset in Tensor(empty: shape, dtype: .uint8).gatherOffsets(dim: d, shape: index.shape, indices: idx) { counts[offset] += 1 }
            let divisor = try Tensor.fromDoubles(counts.map { Swift.max($0, 1) }, dtype: dtype).reshape(shape)
            return dtype.isFloatingPoint ? try total / divisor : try total.div(divisor, roundingMode: "floor")
        }
        let out = contiguous().clone().detach()
        let values = source.contiguous()
        let offsets = out.gatherOffsets(dim: d, shape: index.shape, indices: idx)
        withExtendedLifetime(values) {
            func run<T: NumericElement>(_: T.Type, add: (T, T) -> T, multiply: (T, T) -> T) {
                // Without self, a position's first value replaces what self held there.
                var started = [Bool](repeating: includeSelf, count: out.count)
                let o = out.pointer(T.self), s = values.pointer(T.self)
                @inline(__always) func combine(_ f: (T, T) -> T) {
                    for (i, at) in offsets.enumerated() {
                        o[at] = started[at] ? f(o[at], s[i]) : s[i]
                        started[at] = true
                    }
                }
                switch reduction {
                case .sum, .mean: combine(add)
                case .prod: combine(multiply)
                case .amax: combine { a, b in b != b || b > a ? b : a }
                case .amin: combine { a, b in b != b || b < a ? b : a }
                }
            }
            switch dtype {
            case .float32: run(Float.self, add: +, multiply: *)
            case .float64: run(Double.self, add: +, multiply: *)
            case .int64: run(Int64.self, add: &+, multiply: &*)
            case .int32: run(Int32.self, add: &+, multiply: &*)
            case .uint8: run(UInt8.self, add: &+, multiply: &*)
            case .bool: break
            }
        }
        guard dtype.isFloatingPoint else { return out }
        let saved = ScatterReduceSaved(dim: d, index: index, reduction: reduction, includeSelf: includeSelf,
                                       input: detach(), source: source.detach(), out: out)
        return Autograd.record(out, .scatterReduce(saved), inputs: [self, source])
    }

    /// `index_copy(dim, index, source)`: a copy of self whose slices
    /// `index[j]` along `dim` are `source`'s slices `j`. Composite: a `scatter`
    /// of `source` with the index spread over its shape.
    ///
    /// - Parameters:
    ///   - index: 1-D int64 of length `source.shape[dim]`.
    ///   - source: self's shape except along `dim`.
    public func indexCopy(_ dim: Int, _ index: Tensor, _ source: Tensor) throws -> Tensor {
        let op = "index_copy"
        let d = try shapeDim(dim, shape, op: op)
        guard index.rank <= 1 else { throw TensorError.invalidArgument(op: op, message: "index should have dimension 1 or 0, got shape \(index.shape)") }
        _ = try index.indexValues(op: op, bound: shape[d], sourceShape: shape)
        var expected = shape
        expected[d] = index.count
        guard source.shape == expected else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, source.shape], detail: "source must have shape \(expected)")
        }
        var spread = [Int](repeating: 1, count: rank)
        spread[d] = index.count
        return try scatter(d, index.reshape(spread).expand(source.shape), source)
    }
}

/// What `scatter_reduce`'s backward rule needs (PyTorch's `scatter_reduce_backward`).
struct ScatterReduceSaved {
    let dim: Int
    let index: Tensor
    let reduction: ScatterReduction
    let includeSelf: Bool
    /// Self and the (narrowed) source before the op, and its result.
    let input: Tensor, source: Tensor, out: Tensor

    func gradients(_ g: Tensor) throws -> [Tensor?] {
        var gSelf: Tensor, gSource: Tensor
        switch reduction {
        case .sum, .mean:
            gSelf = g
            gSource = try g.gather(dim, index)
        case .prod:
            // Products that leave out one factor, computed without dividing by a zero.
            let maskedSelf = try input.maskedFill(input.eq(0), value: 1)
            gSelf = try g * maskedSelf.scatterReduce(dim, index, source, reduce: "prod", includeSelf: includeSelf) / maskedSelf
            let sourceZero = try source.eq(0)
            let zerosPerTarget = try Tensor.zerosLike(input).scatterAdd(dim, index, sourceZero.casted(to: g.dtype)).gather(dim, index)
            let onlyZero = try sourceZero.logicalAnd(zerosPerTarget.eq(1))
            let withoutIt = try input.scatterReduce(dim, index, source.maskedFill(onlyZero, value: 1), reduce: "prod", includeSelf: includeSelf)
            gSource = try Tensor.whereMask(onlyZero, (g * withoutIt).gather(dim, index),
                                           (g * out).gather(dim, index) / source.maskedFill(sourceZero, value: 1))
        case .amax, .amin:
            // Every element equal to the result shares its gradient; as in
            // PyTorch, self's elements are counted even when not included.
            let selfHit = try input.eq(out).casted(to: g.dtype)
            let sourceHit = try source.eq(out.gather(dim, index)).casted(to: g.dtype)
            let share = try g / selfHit.scatterAdd(dim, index, sourceHit)
            gSelf = try selfHit * share
            gSource = try sourceHit * share.gather(dim, index)
        }
        if !includeSelf { gSelf = try gSelf.scatter(dim, index, value: 0) }
        return [gSelf, gSource]
    }
}
