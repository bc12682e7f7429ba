/// `unique`: the distinct values of a tensor, or its distinct slices along a dim.

extension Tensor {
    /// `torch.unique(input, sorted=True, return_inverse=True, return_counts=True)`
    /// over the flattened tensor (`dim=None`). Composite of a stable sort and
    /// comparisons of neighbours; not differentiable, as in PyTorch.
    ///
    /// The values come out in ascending order. PyTorch's CPU kernel sorts them
    /// whether or not `sorted` is asked for, so Flint takes no such flag. Each
    /// NaN is distinct (NaN ≠ NaN) and they come last.
    ///
    /// - Returns: `values` 1-D, of self's dtype; `inverse` int64 of self's
    ///   shape, the position in `values` of each element; `counts` int64, the
    ///   number of elements equal to each value.
    public func unique() throws -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        let flat = try detach().reshape([-1])
        let order = flat.sortIndices(0, descending: false)
        let sorted = try flat.gather(0, order)
        let groups = try Tensor.equalRuns(in: sorted, order: order)
        return (try sorted.indexSelect(0, groups.firsts), try groups.inverse.reshape(shape), groups.counts)
    }

    /// `torch.unique(input, sorted=True, return_inverse=True, return_counts=True, dim=d)`:
    /// the distinct slices `input.select(d, i)`, in lexicographic order of their
    /// row-major values. Composite (a stable sort by each position of the
    /// slices, last position first); not differentiable, as in PyTorch.
    ///
    /// A slice holding NaN equals no other slice; where slices first differ at
    /// a NaN, Flint puts the NaN last (PyTorch leaves that order unspecified).
    ///
    /// - Parameter dim: the dim whose slices are compared; self needs at least one dim,
    ///   and a zero-size dim other than `dim` is an error, as in PyTorch.
    /// - Returns: `values`, self's shape with `values.shape[d]` the number of
    ///   distinct slices; `inverse` int64 `[shape[d]]`, the position in `values`
    ///   of each slice; `counts` int64, how many slices equal each one of `values`.
    public func unique(dim: Int) throws -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        let d = try shapeDim(dim, shape, op: "unique")
        let x = detach(), n = shape[d]
        guard n > 0 else {
            let none = try Tensor.empty([0], dtype: .int64)
            return (x.contiguous(), none, none)
        }
        guard count > 0 else {
            throw TensorError.invalidArgument(op: "unique", message: "dims of size 0 other than dim \(d) leave no slices to compare (shape \(shape))")
        }
        let rows = try x.permute([d] + (0..<rank).filter { $0 != d }).reshape([n, -1])
        // Stable sorts by each column, last column first, leave the rows in lexicographic order.
        var order = try Tensor.arange(0, Double(n), dtype: .int64)
        for column in (0..<rows.shape[1]).reversed() {
            let keys = try rows.select(1, column).indexSelect(0, order)
            order = try order.indexSelect(0, keys.sortIndices(0, descending: false))
        }
        let groups = try Tensor.equalRuns(in: rows.indexSelect(0, order), order: order)
        return (try x.indexSelect(d, order.indexSelect(0, groups.firsts)), groups.inverse, groups.counts)
    }

    /// The runs of equal neighbours in `sorted` (1-D, or rows compared whole),
    /// which is the input reordered by `order`: where each run starts in
    /// `sorted`, the run of each original element, and each run's length.
    private static func equalRuns(in sorted: Tensor, order: Tensor) throws -> (firsts: Tensor, inverse: Tensor, counts: Tensor) {
        let n = sorted.shape.first ?? 0
        // A run starts at the first element and wherever an element differs from the one before.
        let pairs = Swift.max(n - 1, 0)
        var differs = try sorted.narrow(0, start: Swift.min(n, 1), length: pairs).ne(sorted.narrow(0, start: 0, length: pairs))
        if differs.rank == 2 { differs = try differs.any(dims: [1]) }
        let starts = try Tensor.cat([Tensor.full([Swift.min(n, 1)], 1, dtype: .bool), differs])
        let run = try starts.casted(to: .int64).cumsum(dim: 0) - 1
        let inverse = try Tensor.zerosLike(order).scatter(0, order, run)
        return (try starts.nonzero().reshape([-1]), inverse, try run.bincount())
    }
}
