import FlintNN

/// Layers that join branches: `add`, `mul`, `cat` (and `bilinear`, with the linear maps).
extension LayerTypes {
    private static let checkMerge: EntryCheck = { entry, report in
        let count = entry.inputs?.count ?? 0
        if count < 2 {
            report("\(entry.type) joins branches and needs at least two inputs, got \(count)",
                   entry.isSet("inputs") ? "inputs" : nil)
        }
    }

    static let merges: [LayerType] = [
        LayerType.merge(TypeSchema("add", pytorch: "torch.add", doc: "Sums its inputs (residual connections).",
                                   check: checkMerge)) { _, inputs in
            (Add(), try broadcast(inputs))
        },
        LayerType.merge(TypeSchema("mul", pytorch: "torch.mul", doc: "Multiplies its inputs elementwise (gating).",
                                   check: checkMerge)) { _, inputs in
            (Mul(), try broadcast(inputs))
        },
        LayerType.merge(TypeSchema("cat", pytorch: "torch.cat", doc: "Concatenates its inputs along a dimension.", fields: [
            FieldSchema("dim", .int, .defaulted(.int(Cat.Defaults.dim)), doc: "Dimension to concatenate along (0 is the batch)."),
        ], check: checkMerge)) { e, inputs in
            let dim = try e.intValue("dim")
            let rank = (inputs.first?.count ?? 0) + 1
            guard inputs.allSatisfy({ $0.count + 1 == rank }) else {
                throw BuildProblem("inputs must have the same rank, got per-sample shapes \(describe(inputs))")
            }
            try checkDim(dim, inputs.first ?? [])
            let axis = dim < 0 ? dim + rank : dim
            guard axis > 0 else { throw BuildProblem("cannot concatenate along dim \(dim), the batch dimension") }
            var output = inputs.first ?? []
            for shape in inputs.dropFirst() {
                for d in shape.indices where d != axis - 1 && shape[d] != output[d] {
                    throw BuildProblem("inputs must match in every dimension but dim \(dim), got per-sample shapes "
                                       + describe(inputs))
                }
                output[axis - 1] += shape[axis - 1]
            }
            return (Cat(dim: dim), output)
        },
    ]
}
