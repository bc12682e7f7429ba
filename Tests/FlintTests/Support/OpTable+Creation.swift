@testable import Flint

extension OpTable {
    static let creation: [String: OpFunction] = [
        "arange": { _, a in [try Tensor.arange(a.double("start"), a.double("end"), step: a.double("step"),
                                                dtype: [a.raw["start"], a.raw["end"], a.raw["step"]].allSatisfy { $0 is Int } ? .int64 : .float32)] },
        "linspace": { _, a in [try Tensor.linspace(a.double("start"), a.double("end"), steps: a.int("steps"))] },
        "logspace": { _, a in [try Tensor.logspace(a.double("start"), a.double("end"), steps: a.int("steps"), base: a.double("base", default: 10))] },
        "eye": { _, a in [try Tensor.eye(a.int("n"), a.optInt("m"))] },
        "zeros": { _, a in [try Tensor.zeros(a.ints("size", default: []))] },
        "ones": { _, a in [try Tensor.ones(a.ints("size", default: []))] },
        "full": { _, a in [try Tensor.full(a.ints("size", default: []), a.double("fill_value"))] },
        "zeros_like": { x, _ in [Tensor.zerosLike(x[0])] },
        "ones_like": { x, _ in [Tensor.onesLike(x[0])] },
        "full_like": { x, a in [Tensor.fullLike(x[0], try a.double("fill_value"))] },
        "empty_like": { x, _ in [Tensor.emptyLike(x[0])] },
        "empty": { _, a in [try Tensor.empty(a.ints("size", default: []))] },
        // JSON integers become an int64 tensor, as Python ints do in torch.tensor.
        "tensor": { _, a in
            if let ints = a.raw["values"] as? [Int] {
                let values: [Int64] = ints.map { Int64($0) }
                return [try Tensor(values)]
            }
            let values: [Float] = try a.doubles("values").map { Float($0) }
            return [try Tensor(values)]
        },
    ]
}
