@testable import Flint

extension OpTable {
    static let reduction: [String: OpFunction] = [
        "sum": { x, a in [try x[0].sum(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "mean": { x, a in [try x[0].mean(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "prod": { x, a in [try x[0].prod(dim: a.optInt("dim"), keepdim: a.bool("keepdim"))] },
        "max": { x, a in
            guard let d = a.optInt("dim") else { return [try x[0].max()] }
            let r = try x[0].max(dim: d, keepdim: a.bool("keepdim"))
            return [r.values, r.indices]
        },
        "min": { x, a in
            guard let d = a.optInt("dim") else { return [try x[0].min()] }
            let r = try x[0].min(dim: d, keepdim: a.bool("keepdim"))
            return [r.values, r.indices]
        },
        "amax": { x, a in [try x[0].amax(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "amin": { x, a in [try x[0].amin(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "aminmax": { x, a in
            let r = try x[0].aminmax(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))
            return [r.min, r.max]
        },
        "argmax": { x, a in [try x[0].argmax(dim: a.optInt("dim"), keepdim: a.bool("keepdim"))] },
        "argmin": { x, a in [try x[0].argmin(dim: a.optInt("dim"), keepdim: a.bool("keepdim"))] },
        "var": { x, a in [try x[0].variance(dims: a.ints("dim", default: []), correction: a.double("correction", default: 1), keepdim: a.bool("keepdim"))] },
        "std": { x, a in [try x[0].std(dims: a.ints("dim", default: []), correction: a.double("correction", default: 1), keepdim: a.bool("keepdim"))] },
        "var_mean": { x, a in
            let r = try x[0].varMean(dims: a.ints("dim", default: []), correction: a.double("correction", default: 1), keepdim: a.bool("keepdim"))
            return [r.variance, r.mean]
        },
        "std_mean": { x, a in
            let r = try x[0].stdMean(dims: a.ints("dim", default: []), correction: a.double("correction", default: 1), keepdim: a.bool("keepdim"))
            return [r.std, r.mean]
        },
        "norm": { x, a in [try x[0].norm(p: a.double("p", default: 2), dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "logsumexp": { x, a in [try x[0].logsumexp(dims: a.ints("dim"), keepdim: a.bool("keepdim"))] },
        "cumsum": { x, a in [try x[0].cumsum(dim: a.int("dim"))] },
        "cumprod": { x, a in [try x[0].cumprod(dim: a.int("dim"))] },
        "cummax": { x, a in let r = try x[0].cummax(dim: a.int("dim")); return [r.values, r.indices] },
        "cummin": { x, a in let r = try x[0].cummin(dim: a.int("dim")); return [r.values, r.indices] },
        "logcumsumexp": { x, a in [try x[0].logcumsumexp(dim: a.int("dim"))] },
        "all": { x, a in [try x[0].all(dims: a.optInt("dim").map { [$0] } ?? [], keepdim: a.bool("keepdim"))] },
        "any": { x, a in [try x[0].any(dims: a.optInt("dim").map { [$0] } ?? [], keepdim: a.bool("keepdim"))] },
        "count_nonzero": { x, a in [try x[0].countNonzero(dims: a.ints("dim", default: []))] },
        "nansum": { x, a in [try x[0].nansum(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "nanmean": { x, a in [try x[0].nanmean(dims: a.ints("dim", default: []), keepdim: a.bool("keepdim"))] },
        "sort": { x, a in let r = try x[0].sort(dim: a.int("dim", default: -1), descending: a.bool("descending")); return [r.values, r.indices] },
        "argsort": { x, a in [try x[0].argsort(dim: a.int("dim", default: -1), descending: a.bool("descending"))] },
        "msort": { x, _ in [try x[0].msort()] },
        "topk": { x, a in
            let r = try x[0].topk(a.int("k"), dim: a.int("dim", default: -1), largest: a.bool("largest", default: true))
            return [r.values, r.indices]
        },
        "kthvalue": { x, a in
            let r = try x[0].kthvalue(a.int("k"), dim: a.int("dim", default: -1), keepdim: a.bool("keepdim"))
            return [r.values, r.indices]
        },
        "median": { x, a in
            guard let d = a.optInt("dim") else { return [try x[0].median()] }
            let r = try x[0].median(dim: d, keepdim: a.bool("keepdim"))
            return [r.values, r.indices]
        },
    ]

    static let shape: [String: OpFunction] = [
        "reshape": { x, a in [try x[0].reshape(a.ints("shape"))] },
        "view": { x, a in [try x[0].view(a.ints("shape"))] },
        "flatten": { x, a in [try x[0].flatten(startDim: a.int("start_dim", default: 0), endDim: a.int("end_dim", default: -1))] },
        "unflatten": { x, a in [try x[0].unflatten(a.int("dim"), a.ints("sizes"))] },
        "squeeze": { x, a in [try x[0].squeeze(a.optInt("dim"))] },
        "unsqueeze": { x, a in [try x[0].unsqueeze(a.int("dim"))] },
        "permute": { x, a in [try x[0].permute(a.ints("dims"))] },
        "transpose": { x, a in [try x[0].transpose(a.int("dim0"), a.int("dim1"))] },
        "t": { x, _ in [try x[0].t()] },
        "expand": { x, a in [try x[0].expand(a.ints("size"))] },
        "broadcast_to": { x, a in [try x[0].broadcastTo(a.ints("size"))] },
        "expand_as": { x, _ in [try x[0].expandAs(x[1])] },
        "contiguous": { x, _ in [x[0].contiguous()] },
        "clone": { x, _ in [x[0].clone()] },
        "cat": { x, a in [try Tensor.cat(x, dim: a.int("dim"))] },
        "stack": { x, a in [try Tensor.stack(x, dim: a.int("dim"))] },
        "hstack": { x, _ in [try Tensor.hstack(x)] },
        "vstack": { x, _ in [try Tensor.vstack(x)] },
        "dstack": { x, _ in [try Tensor.dstack(x)] },
        "split": { x, a in
            if let sizes = a.raw["split_size_or_sections"] as? [Int] { return try x[0].split(sizes: sizes, dim: a.int("dim")) }
            return try x[0].split(a.int("split_size_or_sections"), dim: a.int("dim"))
        },
        "chunk": { x, a in try x[0].chunk(a.int("chunks"), dim: a.int("dim")) },
        "tensor_split": { x, a in try x[0].tensorSplit(a.int("sections"), dim: a.int("dim")) },
        "unbind": { x, a in try x[0].unbind(dim: a.int("dim")) },
        "narrow": { x, a in [try x[0].narrow(a.int("dim"), start: a.int("start"), length: a.int("length"))] },
        "select": { x, a in [try x[0].select(a.int("dim"), a.int("index"))] },
        "flip": { x, a in [try x[0].flip(a.ints("dims"))] },
        "fliplr": { x, _ in [try x[0].fliplr()] },
        "flipud": { x, _ in [try x[0].flipud()] },
        "roll": { x, a in [try x[0].roll(a.ints("shifts"), dims: a.ints("dims", default: []))] },
        "repeat": { x, a in [try x[0].repeat(a.ints("sizes"))] },
        "tile": { x, a in [try x[0].tile(a.ints("dims"))] },
        "repeat_interleave": { x, a in [try x[0].repeatInterleave(a.int("repeats"), dim: a.optInt("dim"))] },
        "movedim": { x, a in [try x[0].movedim(a.ints("source"), a.ints("destination"))] },
        "swapaxes": { x, a in [try x[0].swapaxes(a.int("axis0"), a.int("axis1"))] },
        "ravel": { x, _ in [try x[0].ravel()] },
        "pad": { x, a in [try x[0].pad(a.ints("pad"), mode: a.string("mode", default: "constant"), value: a.double("value", default: 0))] },
        "diagonal": { x, a in [try x[0].diagonal(offset: a.int("offset", default: 0), dim1: a.int("dim1", default: 0), dim2: a.int("dim2", default: 1))] },
        "diag": { x, a in [try x[0].diag(a.int("diagonal", default: 0))] },
        "diag_embed": { x, _ in [try x[0].diagEmbed()] },
        "trace": { x, _ in [try x[0].trace()] },
        "tril": { x, a in [try x[0].tril(a.int("diagonal", default: 0))] },
        "triu": { x, a in [try x[0].triu(a.int("diagonal", default: 0))] },
        "meshgrid": { x, a in try Tensor.meshgrid(x, indexing: a.string("indexing")) },
        "broadcast_tensors": { x, _ in try Tensor.broadcastTensors(x) },
        "to": { x, a in
            guard let dtype = DType(rawValue: try a.string("dtype")) else { throw FixtureError.missing("dtype") }
            return [x[0].casted(to: dtype)]
        },
    ]

    static let indexing: [String: OpFunction] = [
        "index_select": { x, a in [try x[0].indexSelect(a.int("dim"), x[1])] },
        "gather": { x, a in [try x[0].gather(a.int("dim"), x[1])] },
        "scatter": { x, a in
            if x.count == 3 { return [try x[0].scatter(a.int("dim"), x[1], x[2])] }
            return [try x[0].scatter(a.int("dim"), x[1], value: a.double("value"))]
        },
        "scatter_add": { x, a in [try x[0].scatterAdd(a.int("dim"), x[1], x[2])] },
        "index_add": { x, a in [try x[0].indexAdd(a.int("dim"), x[1], x[2])] },
        "scatter_reduce": { x, a in
            [try x[0].scatterReduce(a.int("dim"), x[1], x[2], reduce: a.string("reduce"), includeSelf: a.bool("include_self", default: true))]
        },
        "index_copy": { x, a in [try x[0].indexCopy(a.int("dim"), x[1], x[2])] },
        // PyTorch's CPU kernel sorts whether or not `sorted` is set, so Flint has no such flag.
        "unique": { x, a in let r = try a.optInt("dim").map { try x[0].unique(dim: $0) } ?? x[0].unique(); return [r.values, r.inverse, r.counts] },
        "index_fill": { x, a in [try x[0].indexFill(a.int("dim"), x[1], value: a.double("value"))] },
        "masked_fill": { x, a in [try x[0].maskedFill(x[1], value: a.double("value"))] },
        "masked_select": { x, _ in [try x[0].maskedSelect(x[1])] },
        "take": { x, _ in [try x[0].take(x[1])] },
        "take_along_dim": { x, a in [try x[0].takeAlongDim(x[1], dim: a.int("dim"))] },
        "nonzero": { x, _ in [try x[0].nonzero()] },
        "argwhere": { x, _ in [try x[0].argwhere()] },
        "one_hot": { x, a in [try x[0].oneHot(numClasses: a.int("num_classes", default: -1))] },
        "bincount": { x, a in [try x[0].bincount(weights: x.count > 1 ? x[1] : nil, minlength: a.int("minlength", default: 0))] },
        "searchsorted": { x, a in [try x[0].searchsorted(x[1], right: a.bool("right"))] },
        "bucketize": { x, a in [try x[0].bucketize(x[1], right: a.bool("right"))] },
    ]
}
