import Foundation

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
    case gelu(x: Tensor, cdf: Tensor)
    case sum(dims: [Int], keepdim: Bool, from: [Int])
    case indexReduce(dim: Int, keepdim: Bool, indices: Tensor, from: [Int])
    case reshape(from: [Int])
    case permute([Int])
    case expand(from: [Int])
    case narrow(dim: Int, start: Int, from: [Int])
    case slice(dim: Int, start: Int, step: Int, from: [Int])
    case mm(Tensor, Tensor)
    case addmm(Tensor, Tensor)
    case bmm(Tensor, Tensor)
    case gather(dim: Int, index: Tensor, from: [Int])
    case scatterAdd(dim: Int, index: Tensor)
    case scatterReduce(ScatterReduceSaved)
    case indexSelect(dim: Int, index: Tensor, from: [Int])
    case softmax(dim: Int, out: Tensor)
    case logSoftmax(dim: Int, out: Tensor)
    case crossEntropy(CrossEntropySaved)
    case whereMask(Tensor)
    case indexAdd(dim: Int, index: Tensor)
    case sin(Tensor), cos(Tensor), tan(out: Tensor)
    case asin(Tensor), acos(Tensor), atan(Tensor)
    case sinh(Tensor), cosh(Tensor), asinh(Tensor), acosh(Tensor), atanh(Tensor)
    case expm1(out: Tensor), log1p(Tensor), log2(Tensor), log10(Tensor), exp2(out: Tensor)
    case rsqrt(out: Tensor), reciprocal(out: Tensor)
    case erf(Tensor), erfc(Tensor), erfinv(out: Tensor)
    /// Piecewise-constant functions (floor, ceil, round, trunc, sign): zero gradient, as in PyTorch.
    case zeroGradient(String)
    /// Functions whose gradient is the incoming one where `mask` holds, else 0 (clamp, nan_to_num).
    case mask(String, Tensor)
    /// Reductions that pick elements (amax, amin): the gradient, expanded back, times fixed weights.
    case spread(String, dims: [Int], keepdim: Bool, weights: Tensor)
    case prod(dim: Int, keepdim: Bool, input: Tensor)
    case cumsum(dim: Int)
    case cumprod(dim: Int, input: Tensor)
    case cat(dim: Int, sizes: [Int])
    case flip([Int])
    case constantPad(starts: [Int], shape: [Int])
    case scatter(dim: Int, index: Tensor)
    case diagonal(offset: Int, dim1: Int, dim2: Int, from: [Int])
    case fmod(Tensor, Tensor)
    case remainder(Tensor, Tensor)
    case atan2(Tensor, Tensor)
    case linalgInv(out: Tensor)
    case linalgDet(Tensor, out: Tensor)
    case linalgLogAbsDet(Tensor)
    case linalgSolve(Tensor, x: Tensor)
    case linalgLstsq(a: Tensor, b: Tensor)
    case linalgCholesky(l: Tensor)
    /// Decompositions with several outputs: `part` says which output this node
    /// is; the rules are linear in the outputs' gradients, so shares add up.
    case linalgQR(q: Tensor, r: Tensor, part: Int)
    case linalgSVD(u: Tensor, s: Tensor, vh: Tensor, part: Int)
    case linalgEigh(l: Tensor, v: Tensor, part: Int)
    case conv2d(ConvSaved)
    case convTranspose2d(ConvSaved)
    case maxPool2d(PoolSaved)
    case avgPool2d(PoolSaved)
    case lstm(LSTMSaved)
    case batchNorm(BatchNormSaved)
    /// An op defined outside the core with its own rule (`torch.autograd.Function`),
    /// such as a sum across the processes of a data-parallel job.
    case function(name: String, backward: (Tensor) throws -> Tensor)
    case layerNorm(LayerNormSaved)
    case attention(AttentionSaved)

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
        case .gelu: return "gelu"
        case .sum: return "sum"
        case .indexReduce: return "max"
        case .reshape: return "reshape"
        case .permute: return "permute"
        case .expand: return "expand"
        case .narrow: return "narrow"
        case .slice: return "slice"
        case .mm: return "mm"
        case .addmm: return "addmm"
        case .bmm: return "bmm"
        case .gather: return "gather"
        case .scatterAdd: return "scatter_add"
        case .scatterReduce: return "scatter_reduce"
        case .indexSelect: return "index_select"
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        case .crossEntropy: return "cross_entropy"
        case .whereMask: return "where"
        case .indexAdd: return "index_add"
        case .sin: return "sin"
        case .cos: return "cos"
        case .tan: return "tan"
        case .asin: return "asin"
        case .acos: return "acos"
        case .atan: return "atan"
        case .sinh: return "sinh"
        case .cosh: return "cosh"
        case .asinh: return "asinh"
        case .acosh: return "acosh"
        case .atanh: return "atanh"
        case .expm1: return "expm1"
        case .log1p: return "log1p"
        case .log2: return "log2"
        case .log10: return "log10"
        case .exp2: return "exp2"
        case .rsqrt: return "rsqrt"
        case .reciprocal: return "reciprocal"
        case .erf: return "erf"
        case .erfc: return "erfc"
        case .erfinv: return "erfinv"
        case let .zeroGradient(name): return name
        case let .mask(name, _): return name
        case let .spread(name, _, _, _): return name
        case .prod: return "prod"
        case .cumsum: return "cumsum"
        case .cumprod: return "cumprod"
        case .cat: return "cat"
        case .flip: return "flip"
        case .constantPad: return "constant_pad_nd"
        case .scatter: return "scatter"
        case .diagonal: return "diagonal"
        case .fmod: return "fmod"
        case .remainder: return "remainder"
        case .atan2: return "atan2"
        case .linalgInv: return "linalg.inv"
        case .linalgDet: return "linalg.det"
        case .linalgLogAbsDet: return "linalg.slogdet"
        case .linalgSolve: return "linalg.solve"
        case .linalgLstsq: return "linalg.lstsq"
        case .linalgCholesky: return "linalg.cholesky"
        case .linalgQR: return "linalg.qr"
        case .linalgSVD: return "linalg.svd"
        case .linalgEigh: return "linalg.eigh"
        case .conv2d: return "conv2d"
        case .convTranspose2d: return "conv_transpose2d"
        case .maxPool2d: return "max_pool2d"
        case .avgPool2d: return "avg_pool2d"
        case .lstm: return "lstm"
        case .batchNorm: return "batch_norm"
        case .function(let name, _): return name
        case .layerNorm: return "layer_norm"
        case .attention: return "scaled_dot_product_attention"
        }
    }

    /// x·y in the memory order of `like`, the input it is the gradient of: for a transposed input
    /// (a linear layer's weightᵀ) as (yᵀ·xᵀ)ᵀ, the same GEMM writing the transposed result, so that
    /// the gradient reaching the weight through the transpose is contiguous, not a strided copy.
    static func product(_ x: Tensor, _ y: Tensor, like: Tensor) throws -> Tensor {
        if like.rank == 2, like.strides[0] == 1, like.shape[0] > 1, like.shape[1] > 1 { return try y.t().mm(x.t()).t() }
        return try x.mm(y)
    }

    /// The gradient table: d(loss)/d(input) for each input, given
    /// `g` = d(loss)/d(output). Results may still be broadcast; the engine
    /// sums them back to each input's shape.
    func gradients(_ g: Tensor, inputs: [Tensor]) throws -> [Tensor?] {
        switch self {
        case .function(_, let backward): return [try backward(g)]
        case .identity: return [g]
        case let .cast(from): return [g.casted(to: from)]
        case .add: return [g, g]
        case .sub: return [g, g.neg()]
        // An operand that needs no gradient (a dropout mask, a constant) gets no product.
        case let .mul(a, b): return [inputs[0].requiresGrad ? try g * b : nil, inputs[1].requiresGrad ? try g * a : nil]
        case let .div(a, b): return [inputs[0].requiresGrad ? try g / b : nil, inputs[1].requiresGrad ? try (g * a / (b * b)).neg() : nil]
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
        case let .relu(out): return [try Tensor.reluGradient(g, out)]
        case let .tanh(out): return [try g * (1 - out * out)]
        case let .sigmoid(out): return [try g * out * (1 - out)]
        case let .abs(x): return [try g * x.sign()]
        case let .gelu(x, cdf): return [try Tensor.geluGradient(g, x, cdf: cdf)]
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
            let out = try Tensor.zeros(from, dtype: g.dtype)
            try out.narrow(dim, start: start, length: g.shape[dim]).copyFrom(g)
            return [out]
        case let .slice(dim, start, step, from):
            let out = try Tensor.zeros(from, dtype: g.dtype)
            try out.slice(dim, start: start, step: step).narrow(dim, start: 0, length: g.shape[dim]).copyFrom(g)
            return [out]
        // Products skip the GEMM for an input that needs no gradient (a network's input batch).
        case let .mm(a, b):
            return [inputs[0].requiresGrad ? try Backward.product(g, b.t(), like: inputs[0]) : nil,
                    inputs[1].requiresGrad ? try Backward.product(a.t(), g, like: inputs[1]) : nil]
        case let .addmm(a, b):
            return [g, inputs[1].requiresGrad ? try Backward.product(g, b.t(), like: inputs[1]) : nil,
                    inputs[2].requiresGrad ? try Backward.product(a.t(), g, like: inputs[2]) : nil]
        case let .bmm(a, b):
            return [inputs[0].requiresGrad ? try g.bmm(b.transpose(1, 2)) : nil, inputs[1].requiresGrad ? try a.transpose(1, 2).bmm(g) : nil]
        case let .gather(dim, index, from): return [try Tensor.zeros(from, dtype: g.dtype).scatterAdd(dim, index, g)]
        case let .scatterAdd(dim, index): return [g, try g.gather(dim, index)]
        case let .scatterReduce(saved): return try saved.gradients(g)
        case let .indexSelect(dim, index, from): return [try Tensor.zeros(from, dtype: g.dtype).indexAdd(dim, index, g)]
        case let .softmax(dim, out): return [try out * (g - (g * out).sum(dim: dim, keepdim: true))]
        case let .logSoftmax(dim, out): return [try g - out.exp() * g.sum(dim: dim, keepdim: true)]
        case let .crossEntropy(saved): return [saved.gradient(g)]
        case let .indexAdd(dim, index): return [g, try g.indexSelect(dim, index)]
        case let .sin(x): return [try g * x.cos()]
        case let .cos(x): return [try (g * x.sin()).neg()]
        case let .tan(out): return [try g * (out * out + 1)]
        case let .asin(x): return [try g * (1 - x * x).rsqrt()]
        case let .acos(x): return [try (g * (1 - x * x).rsqrt()).neg()]
        case let .atan(x): return [try g / (x * x + 1)]
        case let .sinh(x): return [try g * x.cosh()]
        case let .cosh(x): return [try g * x.sinh()]
        case let .asinh(x): return [try g * (x * x + 1).rsqrt()]
        case let .acosh(x): return [try g * (x * x - 1).rsqrt()]
        case let .atanh(x): return [try g / (1 - x * x)]
        case let .expm1(out): return [try g * (out + 1)]
        case let .log1p(x): return [try g / (x + 1)]
        case let .log2(x): return [try g / (x * M_LN2)]
        case let .log10(x): return [try g / (x * M_LN10)]
        case let .exp2(out): return [try g * out * M_LN2]
        case let .rsqrt(out): return [try g * out * out * out * -0.5]
        case let .reciprocal(out): return [try (g * out * out).neg()]
        // d/dx erf(x) = 2/√π · e^(−x²)
        case let .erf(x): return [try g * (x * x).neg().exp() * (2 / Double.pi.squareRoot())]
        case let .erfc(x): return [try g * (x * x).neg().exp() * (-2 / Double.pi.squareRoot())]
        case let .erfinv(out): return [try g * (out * out).exp() * (Double.pi.squareRoot() / 2)]
        case .zeroGradient: return [Tensor.zerosLike(g)]
        case let .mask(_, m): return [try g * m.casted(to: g.dtype)]
        case let .spread(_, dims, keepdim, weights):
            var r = g
            if !keepdim { for d in dims { r = try r.unsqueeze(d) } }
            return [try r * weights]
        case let .prod(dim, keepdim, input): return [try Backward.prodGradient(g, dim: dim, keepdim: keepdim, input: input)]
        // The gradient of a prefix sum is the suffix sum of the gradient.
        case let .cumsum(dim): return [g.contiguous().scan(dim, .sum, reverse: true)]
        case let .cumprod(dim, input): return [Backward.cumprodGradient(g, dim: dim, input: input)]
        case let .cat(dim, sizes):
            var start = 0
            return try sizes.map { n in
                defer { start += n }
                return try g.narrow(dim, start: start, length: n)
            }
        case let .flip(dims): return [try g.flip(dims)]
        case let .constantPad(starts, shape):
            var window = g
            for d in 0..<shape.count { window = try window.narrow(d, start: starts[d], length: shape[d]) }
            return [window]
        // Overwritten positions get no gradient; the source gets the gradient it was written to.
        case let .scatter(dim, index): return [try g.scatter(dim, index, value: 0), try g.gather(dim, index)]
        case let .diagonal(offset, dim1, dim2, from):
            let out = try Tensor.zeros(from, dtype: g.dtype)
            try out.diagonal(offset: offset, dim1: dim1, dim2: dim2).copyFrom(g)
            return [out]
        // a = q·b + r: dr/da = 1, dr/db = −q with q truncated (fmod) or floored (remainder).
        case let .fmod(a, b): return [g, try (g * (a / b).trunc()).neg()]
        case let .remainder(a, b): return [g, try (g * (a / b).floor()).neg()]
        // d atan2(a, b) = (b·da − a·db) / (a² + b²)
        case let .atan2(a, b):
            let r = try a * a + b * b
            return [try g * b / r, try (g * a / r).neg()]
        // d(A⁻¹) = −A⁻¹ dA A⁻¹
        case let .linalgInv(out): return [try (out.mT().matmul(g).matmul(out.mT())).neg()]
        // d det A = det A · tr(A⁻¹ dA)
        case let .linalgDet(a, out): return [try (g * out).unsqueeze(-1).unsqueeze(-1) * Linalg.inv(a).mT()]
        case let .linalgLogAbsDet(a): return [try g.unsqueeze(-1).unsqueeze(-1) * Linalg.inv(a).mT()]
        case let .linalgSolve(a, x):
            let gb = try Linalg.solve(a.mT(), g)
            return [try gb.matmul(x.mT()).neg(), gb]
        case let .linalgLstsq(a, b): return try LinalgGradients.lstsq(g, a: a, b: b, needed: inputs.map(\.requiresGrad))
        case let .linalgCholesky(l): return [try LinalgGradients.cholesky(g, l: l)]
        case let .linalgQR(q, r, part): return [try LinalgGradients.qr(gQ: part == 0 ? g : nil, gR: part == 1 ? g : nil, q: q, r: r)]
        case let .linalgSVD(u, s, vh, part):
            return [try LinalgGradients.svd(gU: part == 0 ? g : nil, gS: part == 1 ? g : nil, gVh: part == 2 ? g : nil, u: u, s: s, vh: vh)]
        case let .linalgEigh(l, v, part): return [try LinalgGradients.eigh(gL: part == 0 ? g : nil, gV: part == 1 ? g : nil, l: l, v: v)]
        case let .conv2d(saved): return saved.conv2dGradients(g, needed: inputs.map(\.requiresGrad))
        case let .convTranspose2d(saved): return saved.convTranspose2dGradients(g, needed: inputs.map(\.requiresGrad))
        case let .maxPool2d(saved): return [saved.maxGradient(g)]
        case let .avgPool2d(saved): return [saved.averageGradient(g)]
        case let .lstm(saved): return saved.gradients(g, needed: inputs.map(\.requiresGrad))
        case let .batchNorm(saved): return saved.gradients(g, needed: inputs.map(\.requiresGrad))
        case let .layerNorm(saved): return saved.gradients(g, needed: inputs.map(\.requiresGrad))
        case let .attention(saved): return saved.gradients(g, needed: inputs.map(\.requiresGrad))
        case let .whereMask(mask):
            let zero = Tensor.scalar(0, dtype: g.dtype)
            return [nil, try Tensor.whereMask(mask, g, zero), try Tensor.whereMask(mask, zero, g)]
        }
    }
}
