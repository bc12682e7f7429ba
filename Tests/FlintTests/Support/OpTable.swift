@testable import Flint

/// Runs one named op on fixture inputs, the way the generator's lambda runs
/// it in PyTorch. Each family adds its entries in its own file.
typealias OpFunction = ([Tensor], Args) throws -> [Tensor]

enum OpTable {
    static let all: [String: OpFunction] = {
        var table: [String: OpFunction] = [:]
        for part in [arithmetic, pointwise, logic, activation, reduction, shape, indexing, linalg, nn, inplace, creation] {
            table.merge(part) { first, _ in first }
        }
        return table
    }()

    static func run(_ op: String, _ x: [Tensor], _ a: Args) throws -> [Tensor] {
        guard let f = all[op] else { throw FixtureError.missing("op \(op) has no entry in OpTable") }
        return try f(x, a)
    }

    static let arithmetic: [String: OpFunction] = [
        "add": { x, a in [try x[0].add(x[1], alpha: a.double("alpha", default: 1))] },
        "sub": { x, a in [try x[0].sub(x[1], alpha: a.double("alpha", default: 1))] },
        "mul": { x, _ in [try x[0] * x[1]] },
        "div": { x, a in [a.has("rounding_mode") ? try x[0].div(x[1], roundingMode: a.string("rounding_mode")) : try x[0] / x[1]] },
        "maximum": { x, _ in [try x[0].maximum(x[1])] },
        "minimum": { x, _ in [try x[0].minimum(x[1])] },
        "pow": { x, _ in [try x[0].pow(x[1])] },
        "neg": { x, _ in [x[0].neg()] },
        "eq": { x, _ in [try x[0].eq(x[1])] },
        "ne": { x, _ in [try x[0].ne(x[1])] },
        "lt": { x, _ in [try x[0].lt(x[1])] },
        "le": { x, _ in [try x[0].le(x[1])] },
        "gt": { x, _ in [try x[0].gt(x[1])] },
        "ge": { x, _ in [try x[0].ge(x[1])] },
    ]
}
