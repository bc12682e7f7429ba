/// Views and shape changes. Views share storage; only `reshape` of a
/// non-viewable layout copies.

extension Tensor {
    /// A new tensor over the same storage with another layout.
    func view(_ layout: Layout) -> Tensor { Tensor(storage: storage, layout: layout, dtype: dtype) }

    /// Resolves one `-1` entry of a requested shape.
    func inferShape(_ requested: [Int], op: String) throws -> [Int] {
        var shape = requested
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument(op: op, message: "invalid shape \(requested)")
        }
        // Sizes may come from a spec (`unflatten`): a product past Int cannot match any tensor.
        guard let known = MemoryBudget.elementCount(shape.filter { $0 != -1 }) else {
            throw TensorError.shapeMismatch(op: op, shapes: [self.shape, requested], detail: "\(count) elements cannot take shape \(requested)")
        }
        if let u = unknown.first {
            guard known != 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: op, shapes: [self.shape, requested], detail: "\(count) elements")
            }
            shape[u] = count / known
        }
        guard MemoryBudget.elementCount(shape) == count else {
            throw TensorError.shapeMismatch(op: op, shapes: [self.shape, requested], detail: "\(count) elements cannot take shape \(requested)")
        }
        return shape
    }

    /// Strides that view this layout as `shape` without copying, if any
    /// exist (PyTorch's `computeStride`).
    func viewStrides(_ shape: [Int]) -> [Int]? {
        if isContiguous || count == 0 || rank == 0 { return Layout.contiguousStrides(shape) }
        var newStrides = [Int](repeating: 0, count: shape.count)
        var viewD = shape.count - 1
        var chunkBase = strides[rank - 1]
        var tensorNumel = 1, viewNumel = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            tensorNumel *= self.shape[d]
            if d == 0 || (self.shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase) {
                while viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBase
                    viewNumel *= shape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if d > 0 {
                    chunkBase = strides[d - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    /// `reshape(shape)`: a view when the layout allows, else a copy. One entry may be -1.
    public func reshape(_ shape: [Int]) throws -> Tensor {
        let target = try inferShape(shape, op: "reshape")
        if target == self.shape { return self }
        let out: Tensor
        if let st = viewStrides(target) {
            out = view(Layout(shape: target, strides: st, offset: layout.offset))
        } else {
            out = contiguous().detach().view(Layout(contiguous: target))
        }
        return Autograd.record(out, .reshape(from: self.shape), inputs: [self])
    }

    /// `view(shape)`: like reshape, but fails instead of copying.
    public func view(_ shape: [Int]) throws -> Tensor {
        let target = try inferShape(shape, op: "view")
        guard let st = viewStrides(target) else {
            throw TensorError.invalidArgument(op: "view", message: "view size is not compatible with input tensor's size and stride; use reshape(...) instead")
        }
        let out = view(Layout(shape: target, strides: st, offset: layout.offset))
        return Autograd.record(out, .reshape(from: self.shape), inputs: [self])
    }

    /// `flatten(start_dim, end_dim)`.
    public func flatten(startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshape([1]) }
        let s = try normalizeDim(startDim, rank: rank, op: "flatten", shape: shape)
        let e = try normalizeDim(endDim, rank: rank, op: "flatten", shape: shape)
        guard s <= e else { throw TensorError.invalidArgument(op: "flatten", message: "start_dim \(startDim) comes after end_dim \(endDim)") }
        let merged = shape[s...e].reduce(1, *)
        return try reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// `permute(dims)`: reorders dimensions (a view).
    public func permute(_ dims: [Int]) throws -> Tensor {
        guard dims.count == rank else {
            throw TensorError.invalidArgument(op: "permute", message: "number of dims \(dims.count) doesn't match the tensor's rank \(rank)")
        }
        let d = try dims.map { try normalizeDim($0, rank: rank, op: "permute", shape: shape) }
        guard Set(d).count == rank else { throw TensorError.invalidArgument(op: "permute", message: "repeated dim in \(dims)") }
        let out = view(Layout(shape: d.map { shape[$0] }, strides: d.map { strides[$0] }, offset: layout.offset))
        return Autograd.record(out, .permute(d), inputs: [self])
    }

    /// `transpose(dim0, dim1)` (a view).
    public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
        let a = try normalizeDim(dim0, rank: rank, op: "transpose", shape: shape)
        let b = try normalizeDim(dim1, rank: rank, op: "transpose", shape: shape)
        var order = Array(0..<rank)
        order.swapAt(a, b)
        return try permute(order)
    }

    /// `t()`: transpose of a tensor of rank ≤ 2.
    public func t() throws -> Tensor {
        guard rank <= 2 else { throw TensorError.invalidArgument(op: "t", message: "expects a tensor with <= 2 dimensions, but self is \(rank)D") }
        return rank < 2 ? self : try transpose(0, 1)
    }

    /// `unsqueeze(dim)`.
    public func unsqueeze(_ dim: Int) throws -> Tensor {
        let d = try normalizeDim(dim, rank: rank + 1, op: "unsqueeze")
        var s = shape
        s.insert(1, at: d)
        return try reshape(s)
    }

    /// `squeeze(dim)`; without a dim, every size-1 dimension.
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        if let dim {
            let d = try normalizeDim(dim, rank: rank, op: "squeeze", shape: shape)
            guard rank > 0, shape[d] == 1 else { return self }
            var s = shape
            s.remove(at: d)
            return try reshape(s)
        }
        return try reshape(shape.filter { $0 != 1 })
    }

    /// `expand(shape)`: broadcasts size-1 dims without copying; -1 keeps a size.
    public func expand(_ target: [Int]) throws -> Tensor {
        guard target.count >= rank else {
            throw TensorError.shapeMismatch(op: "expand", shapes: [shape, target], detail: "the number of sizes must be >= the tensor's rank")
        }
        let lead = target.count - rank
        var newShape = target, newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<target.count {
            if i < lead {
                guard target[i] >= 0 else { throw TensorError.shapeMismatch(op: "expand", shapes: [shape, target]) }
                continue
            }
            let s = shape[i - lead]
            if target[i] == -1 || target[i] == s {
                newShape[i] = s
                newStrides[i] = strides[i - lead]
            } else if s == 1 {
                newStrides[i] = 0
            } else {
                throw TensorError.shapeMismatch(op: "expand", shapes: [shape, target], detail: "size \(s) at dim \(i - lead) cannot expand to \(target[i])")
            }
        }
        if newShape == shape { return self }
        let out = view(Layout(shape: newShape, strides: newStrides, offset: layout.offset))
        return Autograd.record(out, .expand(from: shape), inputs: [self])
    }

    /// `narrow(dim, start, length)` (a view).
    public func narrow(_ dim: Int, start: Int, length: Int) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "narrow")
        let s = start < 0 ? start + shape[d] : start
        guard s >= 0, length >= 0, s + length <= shape[d] else {
            throw TensorError.invalidArgument(op: "narrow", message: "start \(start) + length \(length) exceeds dimension size \(shape[d])")
        }
        var l = layout
        l.shape[d] = length
        l.offset += s * strides[d]
        return Autograd.record(view(l), .narrow(dim: d, start: s, from: shape), inputs: [self])
    }

    /// `self[..., start:end:step, ...]` along `dim` (a view), with Python's
    /// clamping of out-of-range bounds. `step` must be positive, as in PyTorch.
    public func slice(_ dim: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) throws -> Tensor {
        let d = try shapeDim(dim, shape, op: "slice")
        guard step > 0 else { throw TensorError.invalidArgument(op: "slice", message: "step must be greater than zero, got \(step) for shape \(shape)") }
        let n = shape[d]
        func clamp(_ v: Int?, _ fallback: Int) -> Int {
            guard let v else { return fallback }
            return Swift.min(Swift.max(v < 0 ? v + n : v, 0), n)
        }
        let s = clamp(start, 0), e = Swift.max(clamp(end, n), s)
        var l = layout
        l.shape[d] = (e - s + step - 1) / step
        l.strides[d] = strides[d] * step
        l.offset += s * strides[d]
        return Autograd.record(view(l), .slice(dim: d, start: s, step: step, from: shape), inputs: [self])
    }

    /// Sums broadcast dimensions away so the result has `target` shape: the
    /// inverse of broadcasting, used to un-broadcast gradients.
    public func sum(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        guard lead >= 0 else { throw TensorError.shapeMismatch(op: "sum_to_size", shapes: [shape, target]) }
        var dims = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        var r = dims.isEmpty ? self : try sum(dims: dims, keepdim: true)
        if lead > 0 { r = try r.reshape(target) }
        guard r.shape == target else { throw TensorError.shapeMismatch(op: "sum_to_size", shapes: [shape, target]) }
        return r
    }
}
