/// Every differentiable primitive, with what its backward rule saved.
/// Composite ops (mean, matmul, linear, flatten, ...) have no case here.
enum Backward {
    case identity
    case cast(from: DType)
    case add
    case sub
    case mul(Tensor, Tensor)
    case div(Tensor, Tensor)
    case maximum(Tensor, Tensor)
    case minimum(Tensor, Tensor)
    case pow(Tensor, Tensor, Tensor)
    case neg
    case exp(out: Tensor)
    case log(Tensor)
    case sqrt(out: Tensor)
    case relu(out: Tensor)
    case tanh(out: Tensor)
    case sigmoid(out: Tensor)
    case abs(Tensor)
    case sum(dims: [Int], keepdim: Bool, from: [Int])
    case indexReduce(dim: Int, keepdim: Bool, indices: Tensor, from: [Int])
    case reshape(from: [Int])
    case permute([Int])
    case expand(from: [Int])
    case narrow(dim: Int, start: Int, from: [Int])
    case mm(Tensor, Tensor)
    case addmm(Tensor, Tensor)
    case bmm(Tensor, Tensor)
    case gather(dim: Int, index: Tensor, from: [Int])
    case scatterAdd(dim: Int, index: Tensor)
    case indexSelect(dim: Int, index: Tensor, from: [Int])
    case softmax(dim: Int, out: Tensor)
    case logSoftmax(dim: Int, out: Tensor)
    case crossEntropy(CrossEntropySaved)
    case whereMask(Tensor)
    case indexAdd(dim: Int, index: Tensor)

    var name: String {
        switch self {
        case .identity: return "identity"
        case .cast: return "to"
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .pow: return "pow"
        case .neg: return "neg"
        case .exp: return "exp"
        case .log: return "log"
        case .sqrt: return "sqrt"
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .abs: return "abs"
        case .sum: return "sum"
        case .indexReduce: return "max"
        case .reshape: return "reshape"
        case .permute: return "permute"
        case .expand: return "expand"
        case .narrow: return "narrow"
        case .mm: return "mm"
        case .addmm: return "addmm"
        case .bmm: return "bmm"
        case .gather: return "gather"
        case .scatterAdd: return "scatter_add"
        case .indexSelect: return "index_select"
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        case .crossEntropy: return "cross_entropy"
        case .whereMask: return "where"
        case .indexAdd: return "index_add"
        }
    }

    /// The gradient table: d(loss)/d(input) for each input, given
    /// `g` = d(loss)/d(output). Results may still be broadcast; the engine
    /// sums them back to each input's shape.
    func gradients(_ g: Tensor, inputs: [Tensor]) throws -> [Tensor?] {
        switch self {
        case .identity: return [g]
        case let .cast(from): return [g.casted(to: from)]
        case .add: return [g, g]
        case .sub: return [g, g.neg()]
        case let .mul(a, b): return [try g * b, try g * a]
        case let .div(a, b): return [try g / b, try (g * a / (b * b)).neg()]
        case let .maximum(a, b):
            // Ties split the gradient evenly, as in PyTorch.
            let mask = try a.gt(b).casted(to: g.dtype) + (try a.eq(b).casted(to: g.dtype)) * 0.5
            return [try g * mask, try g * (1 - mask)]
        case let .minimum(a, b):
            let mask = try a.lt(b).casted(to: g.dtype) + (try a.eq(b).casted(to: g.dtype)) * 0.5
            return [try g * mask, try g * (1 - mask)]
        case let .pow(a, b, out):
            // d/da a^b = b·a^(b−1); d/db a^b = a^b·ln a (0 where a = 0, as in PyTorch).
            let da = try g * b * a.pow(b - 1)
            let safeLog = try Tensor.whereMask(a.eq(0), .zerosLike(a), a.log())
            return [da, try g * out * safeLog]
        case .neg: return [g.neg()]
        case let .exp(out): return [try g * out]
        case let .log(x): return [try g / x]
        case let .sqrt(out): return [try g / (out * 2)]
        case let .relu(out): return [try g * out.gt(0).casted(to: g.dtype)]
        case let .tanh(out): return [try g * (1 - out * out)]
        case let .sigmoid(out): return [try g * out * (1 - out)]
        case let .abs(x): return [try g * x.sign()]
        case let .sum(dims, keepdim, from):
            var r = g
            if !keepdim { for d in dims { r = try r.unsqueeze(d) } }
            return [try r.expand(from)]
        case let .indexReduce(dim, keepdim, indices, from):
            var gi = g, ii = indices
            if !keepdim && !from.isEmpty { gi = try g.unsqueeze(dim); ii = try indices.unsqueeze(dim) }
            if from.isEmpty { return [g] }
            return [try Tensor.zeros(from, dtype: g.dtype).scatterAdd(dim, ii, gi)]
        case let .reshape(from): return [try g.reshape(from)]
        case let .permute(dims):
            var inverse = [Int](repeating: 0, count: dims.count)
            for (i, d) in dims.enumerated() { inverse[d] = i }
            return [try g.permute(inverse)]
        case let .expand(from): return [try g.sum(toShape: from)]
        case let .narrow(dim, start, from):
            let out = Tensor.zeros(from, dtype: g.dtype)
            try out.narrow(dim, start: start, length: g.shape[dim]).copyFrom(g)
            return [out]
        case let .mm(a, b): return [try g.mm(b.t()), try a.t().mm(g)]
        case let .addmm(a, b): return [g, try g.mm(b.t()), try a.t().mm(g)]
        case let .bmm(a, b): return [try g.bmm(b.transpose(1, 2)), try a.transpose(1, 2).bmm(g)]
        case let .gather(dim, index, from): return [try Tensor.zeros(from, dtype: g.dtype).scatterAdd(dim, index, g)]
        case let .scatterAdd(dim, index): return [g, try g.gather(dim, index)]
        case let .indexSelect(dim, index, from): return [try Tensor.zeros(from, dtype: g.dtype).indexAdd(dim, index, g)]
        case let .softmax(dim, out): return [try out * (g - (g * out).sum(dim: dim, keepdim: true))]
        case let .logSoftmax(dim, out): return [try g - out.exp() * g.sum(dim: dim, keepdim: true)]
        case let .crossEntropy(saved): return [saved.gradient(g)]
        case let .indexAdd(dim, index): return [g, try g.indexSelect(dim, index)]
        case let .whereMask(mask):
            let zero = Tensor.zeros([], dtype: g.dtype)
            return [nil, try Tensor.whereMask(mask, g, zero), try Tensor.whereMask(mask, zero, g)]
        }
    }
}
