/// `unique`: the distinct values of a tensor.

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
        let n = flat.count
        let order = flat.sortIndices(0, descending: false)
        let sorted = try flat.gather(0, order)
        // A group of equal values starts at the first element and wherever an element differs from the one before.
        let pairs = Swift.max(n - 1, 0)
        let differs = try sorted.narrow(0, start: Swift.min(n, 1), length: pairs).ne(sorted.narrow(0, start: 0, length: pairs))
        let starts = try Tensor.cat([Tensor.full([Swift.min(n, 1)], 1, dtype: .bool), differs])
        let group = try starts.casted(to: .int64).cumsum(dim: 0) - 1
        let values = try sorted.indexSelect(0, starts.nonzero().reshape([-1]))
        let inverse = try Tensor.zerosLike(order).scatter(0, order, group).reshape(shape)
        return (values, inverse, try group.bincount())
    }
}
