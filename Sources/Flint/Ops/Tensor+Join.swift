/// Joining, splitting and rearranging: `cat`, `stack`, `split`, `chunk`,
/// `unbind`, `flip`, `roll`, `repeat`, `tile`, `pad`, `movedim` and friends.

extension Tensor {
    /// `torch.cat(tensors, dim)`: joins along an existing dim, promoting dtypes.
    /// 1-D empty tensors are skipped, as in PyTorch.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        let parts = tensors.filter { !($0.rank == 1 && $0.count == 0) }
        guard let first = parts.first else {
            guard let any = tensors.first else { throw TensorError.invalidArgument(op: "cat", message: "expected a non-empty list of tensors") }
            return any.clone()
        }
        guard first.rank > 0 else { throw TensorError.invalidArgument(op: "cat", message: "zero-dimensional tensor cannot be concatenated") }
        let d = try normalizeDim(dim, rank: first.rank, op: "cat")
        for t in parts where t.rank != first.rank || (0..<first.rank).contains(where: { $0 != d && t.shape[$0] != first.shape[$0] }) {
            throw TensorError.shapeMismatch(op: "cat", shapes: parts.map(\.shape), detail: "sizes must match except in dimension \(d)")
        }
        let dtype = parts.dropFirst().reduce(first.dtype) { DType.promote($0, $1.dtype) }
        var shape = first.shape
        shape[d] = parts.reduce(0) { $0 + $1.shape[d] }
        let out = Tensor(empty: shape, dtype: dtype)
        var offset = 0
        for t in parts {
            try out.narrow(d, start: offset, length: t.shape[d]).copyFrom(t.detach())
            offset += t.shape[d]
        }
        let recorded = Autograd.record(out.detach(), .cat(dim: d, sizes: parts.map { $0.shape[d] }), inputs: parts)
        return recorded
    }

    /// `torch.stack(tensors, dim)`: joins along a new dim. Composite.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument(op: "stack", message: "expected a non-empty list of tensors") }
        for t in tensors where t.shape != first.shape {
            throw TensorError.shapeMismatch(op: "stack", shapes: tensors.map(\.shape), detail: "stack expects each tensor to be equal size")
        }
        let d = try normalizeDim(dim, rank: first.rank + 1, op: "stack")
        return try cat(tensors.map { try $0.unsqueeze(d) }, dim: d)
    }

    /// `torch.hstack`: cat along dim 1 (dim 0 for 1-D tensors).
    public static func hstack(_ tensors: [Tensor]) throws -> Tensor {
        let ts = try tensors.map { $0.rank == 0 ? try $0.reshape([1]) : $0 }
        return try cat(ts, dim: ts.first?.rank == 1 ? 0 : 1)
    }

    /// `torch.vstack`: cat along dim 0 of the tensors seen as at least 2-D.
    public static func vstack(_ tensors: [Tensor]) throws -> Tensor {
        try cat(tensors.map { $0.rank < 2 ? try $0.reshape([1, -1]) : $0 }, dim: 0)
    }

    /// `torch.dstack`: cat along dim 2 of the tensors seen as at least 3-D.
    public static func dstack(_ tensors: [Tensor]) throws -> Tensor {
        try cat(tensors.map { t -> Tensor in
            switch t.rank {
            case 0: return try t.reshape([1, 1, 1])
            case 1: return try t.reshape([1, -1, 1])
            case 2: return try t.unsqueeze(2)
            default: return t
            }
        }, dim: 2)
    }

    /// `split(split_size, dim)`: pieces of `size` (the last may be smaller).
    public func split(_ size: Int, dim: Int = 0) throws -> [Tensor] {
        let d = try shapeDim(dim, shape, op: "split")
        guard size > 0 || shape[d] == 0 else { throw TensorError.invalidArgument(op: "split", message: "split_size must be positive, got \(size) for shape \(shape)") }
        if shape[d] == 0 { return [self] }
        return try stride(from: 0, to: shape[d], by: size).map { try narrow(d, start: $0, length: Swift.min(size, shape[d] - $0)) }
    }

    /// `split(split_sizes, dim)`: pieces of the given sizes, which must add up to the dim.
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        let d = try shapeDim(dim, shape, op: "split")
        guard sizes.reduce(0, +) == shape[d], sizes.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "split", message: "split_sizes \(sizes) must sum to \(shape[d]), the size of dim \(d) of shape \(shape)")
        }
        var start = 0
        return try sizes.map { s in
            defer { start += s }
            return try narrow(d, start: start, length: s)
        }
    }

    /// `chunk(chunks, dim)`: at most `chunks` pieces of `ceil(size / chunks)`.
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        let d = try shapeDim(dim, shape, op: "chunk")
        guard chunks > 0 else { throw TensorError.invalidArgument(op: "chunk", message: "chunk expects `chunks` to be greater than 0, got: \(chunks)") }
        return try split(Swift.max(1, (shape[d] + chunks - 1) / chunks), dim: d)
    }

    /// `tensor_split(sections, dim)`: `sections` pieces whose sizes differ by at most one.
    public func tensorSplit(_ sections: Int, dim: Int = 0) throws -> [Tensor] {
        let d = try shapeDim(dim, shape, op: "tensor_split")
        guard sections > 0 else { throw TensorError.invalidArgument(op: "tensor_split", message: "number of sections must be larger than 0, got \(sections)") }
        let n = shape[d], small = n / sections, extra = n % sections
        return try split(sizes: (0..<sections).map { $0 < extra ? small + 1 : small }, dim: d)
    }

    /// `unbind(dim)`: the slices along `dim`, each without that dim.
    public func unbind(dim: Int = 0) throws -> [Tensor] {
        let d = try shapeDim(dim, shape, op: "unbind")
        return try (0..<shape[d]).map { try select(d, $0) }
    }

    /// `select(dim, index)`: the slice at `index`, without `dim` (a view).
    public func select(_ dim: Int, _ index: Int) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "select")
        let i = index < 0 ? index + shape[d] : index
        guard i >= 0 && i < shape[d] else {
            throw TensorError.indexOutOfRange(op: "select", index: index, size: shape[d])
        }
        return try narrow(d, start: i, length: 1).squeeze(d)
    }

    /// `flip(dims)`: reverses the order along each of `dims` (a copy, as in PyTorch).
    public func flip(_ dims: [Int]) throws -> Tensor {
        let d = try Set(dims.map { try normalizeDim($0, rank: rank, op: "flip", shape: shape) }).sorted()
        guard d.count == dims.count else { throw TensorError.invalidArgument(op: "flip", message: "dims \(dims) has duplicates") }
        if rank == 0 { return clone() }
        var l = layout
        for k in d where shape[k] > 0 {
            l.offset += (shape[k] - 1) * strides[k]
            l.strides[k] = -strides[k]
        }
        let out = Tensor(empty: shape, dtype: dtype)
        view(l).copyRaw(into: out)
        return Autograd.record(out, .flip(d), inputs: [self])
    }

    /// `fliplr()` / `flipud()`.
    public func fliplr() throws -> Tensor { try flip([1]) }
    public func flipud() throws -> Tensor { try flip([0]) }

    /// `roll(shifts, dims)`: rotates elements; without dims, over the flattened tensor. Composite.
    public func roll(_ shifts: [Int], dims: [Int] = []) throws -> Tensor {
        if dims.isEmpty {
            guard shifts.count == 1 else { throw TensorError.invalidArgument(op: "roll", message: "shifts \(shifts) need matching dims") }
            return try reshape([-1]).roll(shifts, dims: [0]).reshape(shape)
        }
        guard shifts.count == dims.count else {
            throw TensorError.invalidArgument(op: "roll", message: "shifts (\(shifts.count)) and dimensions (\(dims.count)) must align")
        }
        var r = self
        for (s, dim) in zip(shifts, dims) {
            let d = try shapeDim(dim, shape, op: "roll")
            let n = shape[d]
            guard n > 0 else { continue }
            let k = ((s % n) + n) % n
            if k == 0 { continue }
            r = try Tensor.cat([r.narrow(d, start: n - k, length: k), r.narrow(d, start: 0, length: n - k)], dim: d)
        }
        return r
    }

    /// `repeat(sizes)`: tiles the tensor `sizes[i]` times along each dim
    /// (leading extra sizes add dims). Composite: expand, then reshape.
    public func `repeat`(_ sizes: [Int]) throws -> Tensor {
        guard sizes.count >= rank else {
            throw TensorError.invalidArgument(op: "repeat", message: "number of repeat dims \(sizes.count) can not be smaller than number of tensor dims \(rank)")
        }
        guard sizes.allSatisfy({ $0 >= 0 }) else { throw TensorError.invalidArgument(op: "repeat", message: "repeats \(sizes) must be non-negative") }
        let padded = [Int](repeating: 1, count: sizes.count - rank) + shape
        var interleaved: [Int] = [], expanded: [Int] = []
        for (r, s) in zip(sizes, padded) {
            interleaved += [1, s]
            expanded += [r, s]
        }
        return try reshape(interleaved).expand(expanded).contiguous().reshape(zip(sizes, padded).map { $0 * $1 })
    }

    /// `tile(dims)`: like `repeat`, padding `dims` with leading ones.
    public func tile(_ dims: [Int]) throws -> Tensor {
        try self.repeat([Int](repeating: 1, count: Swift.max(0, rank - dims.count)) + dims)
    }

    /// `repeat_interleave(repeats, dim)`: each element (or slice) `repeats` times in a row. Composite.
    public func repeatInterleave(_ repeats: Int, dim: Int? = nil) throws -> Tensor {
        guard repeats >= 0 else { throw TensorError.invalidArgument(op: "repeat_interleave", message: "repeats must be non-negative, got \(repeats)") }
        guard let dim else { return try reshape([-1]).repeatInterleave(repeats, dim: 0) }
        let d = try shapeDim(dim, shape, op: "repeat_interleave")
        let idx = Tensor.fromDoubles((0..<shape[d]).flatMap { Array(repeating: Double($0), count: repeats) }, dtype: .int64)
        return try indexSelect(d, idx)
    }

    /// `movedim(source, destination)`. Composite over permute.
    public func movedim(_ source: [Int], _ destination: [Int]) throws -> Tensor {
        guard source.count == destination.count else {
            throw TensorError.invalidArgument(op: "movedim", message: "source \(source) and destination \(destination) must have the same number of dims")
        }
        let s = try source.map { try shapeDim($0, shape, op: "movedim") }
        let t = try destination.map { try shapeDim($0, shape, op: "movedim") }
        var order = [Int](repeating: -1, count: rank)
        for (a, b) in zip(s, t) { order[b] = a }
        var rest = (0..<rank).filter { !s.contains($0) }.makeIterator()
        for i in 0..<rank where order[i] == -1 { order[i] = rest.next() ?? 0 }
        return try permute(order)
    }

    /// `swapaxes(a, b)` / `swapdims(a, b)`: `transpose`.
    public func swapaxes(_ a: Int, _ b: Int) throws -> Tensor { try transpose(a, b) }

    /// `unflatten(dim, sizes)`: splits one dim into `sizes` (one may be -1).
    public func unflatten(_ dim: Int, _ sizes: [Int]) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "unflatten")
        let known = sizes.filter { $0 != -1 }.reduce(1, *)
        var s = sizes
        if let u = s.firstIndex(of: -1), known > 0 { s[u] = shape[d] / known }
        guard s.reduce(1, *) == shape[d] else {
            throw TensorError.shapeMismatch(op: "unflatten", shapes: [shape, sizes], detail: "sizes must multiply to \(shape[d])")
        }
        return try reshape(Array(shape[..<d]) + s + Array(shape[(d + 1)...]))
    }

    /// `broadcast_to(shape)`.
    public func broadcastTo(_ shape: [Int]) throws -> Tensor { try expand(shape) }
    /// `expand_as(other)`.
    public func expandAs(_ other: Tensor) throws -> Tensor { try expand(other.shape) }
    /// `reshape_as(other)`.
    public func reshapeAs(_ other: Tensor) throws -> Tensor { try reshape(other.shape) }
    /// `view_as(other)`.
    public func viewAs(_ other: Tensor) throws -> Tensor { try view(other.shape) }
    /// `ravel()`: flattened (a view when possible).
    public func ravel() throws -> Tensor { try reshape([-1]) }

    /// `torch.broadcast_tensors(*tensors)`.
    public static func broadcastTensors(_ tensors: [Tensor]) throws -> [Tensor] {
        var shape: [Int] = []
        for t in tensors {
            guard let s = broadcastShapes(shape, t.shape) else {
                throw TensorError.shapeMismatch(op: "broadcast_tensors", shapes: tensors.map(\.shape))
            }
            shape = s
        }
        return try tensors.map { try $0.expand(shape) }
    }

    /// `torch.meshgrid(tensors, indexing)`: `"ij"` (matrix) or `"xy"` (Cartesian) indexing.
    public static func meshgrid(_ tensors: [Tensor], indexing: String = "ij") throws -> [Tensor] {
        guard tensors.allSatisfy({ $0.rank <= 1 }) else {
            throw TensorError.invalidArgument(op: "meshgrid", message: "expects 0-D or 1-D tensors, got shapes \(tensors.map(\.shape))")
        }
        guard indexing == "ij" || indexing == "xy" else {
            throw TensorError.invalidArgument(op: "meshgrid", message: "indexing must be 'ij' or 'xy', got '\(indexing)'")
        }
        // Cartesian indexing is matrix indexing with the first two inputs (and outputs) swapped.
        var ts = try tensors.map { try $0.reshape([-1]) }
        let swap = indexing == "xy" && ts.count >= 2
        if swap { ts.swapAt(0, 1) }
        let shape = ts.map { $0.shape[0] }
        var out = try ts.enumerated().map { i, t -> Tensor in
            var s = [Int](repeating: 1, count: ts.count)
            s[i] = t.shape[0]
            return try t.reshape(s).expand(shape)
        }
        if swap { out.swapAt(0, 1) }
        return out
    }
}

// MARK: - Padding

extension Tensor {
    /// `F.pad(input, pad, mode, value)`: `pad` lists (left, right) pairs
    /// starting from the last dim. Modes: `constant` (negative pads crop),
    /// `reflect`, `replicate`, `circular`.
    public func pad(_ pad: [Int], mode: String = "constant", value: Double = 0) throws -> Tensor {
        guard pad.count % 2 == 0, pad.count / 2 <= rank else {
            throw TensorError.invalidArgument(op: "pad", message: "padding length \(pad.count) must be even and at most twice the rank of shape \(shape)")
        }
        if mode == "constant" { return try constantPad(pad, value: value) }
        guard ["reflect", "replicate", "circular"].contains(mode) else {
            throw TensorError.invalidArgument(op: "pad", message: "unsupported mode '\(mode)'; expected constant, reflect, replicate or circular")
        }
        var r = self
        for k in 0..<(pad.count / 2) {
            let d = rank - 1 - k, left = pad[2 * k], right = pad[2 * k + 1], n = shape[d]
            if left == 0 && right == 0 { continue }
            var idx: [Double] = []
            for i in -left..<(n + right) {
                switch mode {
                case "reflect":
                    guard left < n && right < n else {
                        throw TensorError.invalidArgument(op: "pad", message: "padding (\(left), \(right)) should be less than the input dimension \(n) for reflect padding (shape \(shape))")
                    }
                    let period = 2 * (n - 1)
                    var j = period == 0 ? 0 : ((i % period) + period) % period
                    if j >= n { j = period - j }
                    idx.append(Double(j))
                case "replicate":
                    guard n > 0 else { throw TensorError.invalidArgument(op: "pad", message: "cannot replicate-pad an empty dimension (shape \(shape))") }
                    idx.append(Double(Swift.min(Swift.max(i, 0), n - 1)))
                default:
                    guard left <= n && right <= n else {
                        throw TensorError.invalidArgument(op: "pad", message: "padding (\(left), \(right)) may not wrap around more than once for circular padding of size \(n)")
                    }
                    idx.append(Double(((i % n) + n) % n))
                }
            }
            r = try r.indexSelect(d, Tensor.fromDoubles(idx, dtype: .int64))
        }
        return r
    }

    private func constantPad(_ pad: [Int], value: Double) throws -> Tensor {
        // Negative pads crop first; the rest pads with `value`.
        var cropped = self
        var outShape = shape
        var starts = [Int](repeating: 0, count: rank)
        for k in 0..<(pad.count / 2) {
            let d = rank - 1 - k
            let left = pad[2 * k], right = pad[2 * k + 1]
            let cl = Swift.max(-left, 0), cr = Swift.max(-right, 0)
            guard cl + cr <= shape[d] else {
                throw TensorError.invalidArgument(op: "pad", message: "padding \(pad) crops more than dimension \(d) of shape \(shape) holds")
            }
            cropped = try cropped.narrow(d, start: cl, length: shape[d] - cl - cr)
            outShape[d] = shape[d] - cl - cr + Swift.max(left, 0) + Swift.max(right, 0)
            starts[d] = Swift.max(left, 0)
        }
        let out = try Tensor.full(outShape, value, dtype: dtype)
        var window = out
        for d in 0..<rank { window = try window.narrow(d, start: starts[d], length: cropped.shape[d]) }
        try window.copyFrom(cropped.detach())
        return Autograd.record(out, .constantPad(starts: starts, shape: cropped.shape), inputs: [cropped])
    }
}
