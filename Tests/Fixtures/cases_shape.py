"""Reductions, sorting and scans; shape and movement; indexing."""
import torch
import torch.nn.functional as Fn

from common import B, F, I, P, Perm, V, entry

NAN = float("nan")


def red(name, fn, cases, **kw):
    return entry(name, fn, cases, **kw)


def reduction():
    dims = [([F(3, 4)],), ([F(3, 4)], {"dim": [1]}), ([F(2, 3, 4, layout="t")], {"dim": [0, 2], "keepdim": True}),
            ([F(3, 4, layout="s")], {"dim": [0]}), ([F()],), ([F(0, 3)], {"dim": [0]}), ([F(3, 4, layout="e")], {"dim": [-1], "keepdim": True})]
    nonempty = [c for c in dims if c[0][0]["shape"] != [0, 3]]
    one = [([F(3, 4)], {"dim": 1}), ([F(2, 3, 4, layout="t")], {"dim": 0, "keepdim": True}), ([F(5)], {"dim": 0}), ([F(3, 4, layout="s")], {"dim": -1})]
    with_int = [([I(3, 4, lo=-5, hi=5)], {"dim": 1})]
    return [
        red("sum", lambda x, **k: torch.sum(x, **k), dims + [([I(3, 4)], {"dim": [0]}), ([B(5)],)]),
        red("mean", lambda x, **k: torch.mean(x, **k), dims),
        red("prod", lambda x, **k: torch.prod(x, **k), [([F(3, 4)],), ([F(3, 4)], {"dim": 1}), ([F(2, 3, 4, layout="t")], {"dim": 0, "keepdim": True}),
                                                        ([V([1.0, 0.0, 2.0, 0.0, 0.0, 3.0], [2, 3])], {"dim": 1}), ([I(2, 3, lo=1, hi=4)], {"dim": 0})]),
        red("max", lambda x, **k: torch.max(x, **k), one + with_int + [([F(3, 4)],)]),
        red("min", lambda x, **k: torch.min(x, **k), one + with_int + [([F(3, 4)],)]),
        red("amax", lambda x, **k: torch.amax(x, **k), nonempty[1:] + [([V([1.0, 3.0, 3.0, 2.0], [2, 2])], {"dim": [0, 1]})]),
        red("amin", lambda x, **k: torch.amin(x, **k), nonempty[1:]),
        red("aminmax", lambda x, **k: torch.aminmax(x, **k), [([F(3, 4)], {"dim": 1}), ([F(3, 4)], {"dim": 0, "keepdim": True})]),
        red("argmax", lambda x, **k: torch.argmax(x, **k), one + [([F(3, 4)],)], grad=False),
        red("argmin", lambda x, **k: torch.argmin(x, **k), one + [([F(3, 4)],)], grad=False),
        red("var", lambda x, **k: torch.var(x, **k), nonempty + [([F(3, 5)], {"dim": [1], "correction": 0}), ([F(6)], {"correction": 2})]),
        red("std", lambda x, **k: torch.std(x, **k), nonempty + [([F(3, 5)], {"dim": [1], "correction": 0})]),
        red("var_mean", lambda x, **k: torch.var_mean(x, **k), [([F(3, 4)], {"dim": [1]}), ([F(3, 4)], {"dim": [0], "correction": 0, "keepdim": True})]),
        red("std_mean", lambda x, **k: torch.std_mean(x, **k), [([F(3, 4)], {"dim": [1]})]),
        red("norm", lambda x, **k: torch.norm(x, **k), [([F(3, 4)],), ([F(3, 4)], {"p": 1.0, "dim": [1]}), ([F(3, 4)], {"p": 3.0, "dim": [0], "keepdim": True}),
                                                        ([F(3, 4)], {"p": float("inf"), "dim": [1]}), ([F(2, 3, 4, layout="t")], {"dim": [1, 2]})]),
        red("logsumexp", lambda x, **k: torch.logsumexp(x, **k), [([F(3, 4)], {"dim": [1]}), ([F(2, 3, 4, layout="t")], {"dim": [0, 2], "keepdim": True}),
                                                                  ([F(3, 4, lo=-80, hi=80)], {"dim": [0]})]),
        red("cumsum", lambda x, dim: torch.cumsum(x, dim=dim), one[:1] + [([F(2, 3, 4, layout="t")], {"dim": 1}), ([I(5)], {"dim": 0}), ([F()], {"dim": 0})]),
        red("cumprod", lambda x, dim: torch.cumprod(x, dim=dim), [([F(3, 4)], {"dim": 1}), ([F(2, 3, 4, layout="t")], {"dim": 0}),
                                                                  ([V([2.0, 0.0, 3.0, 0.5, 0.0, 1.5], [6])], {"dim": 0})]),
        red("cummax", lambda x, dim: torch.cummax(x, dim=dim), [([F(3, 4)], {"dim": 1}), ([F(4, 3, layout="t")], {"dim": 0})]),
        red("cummin", lambda x, dim: torch.cummin(x, dim=dim), [([F(3, 4)], {"dim": 1}), ([F(4, 3, layout="t")], {"dim": 0})]),
        red("logcumsumexp", lambda x, dim: torch.logcumsumexp(x, dim=dim), [([F(3, 4)], {"dim": 1}), ([F(4, 3, layout="t")], {"dim": 0})]),
        red("all", lambda x, **k: torch.all(x, **k), [([B(3, 4)],), ([B(3, 4)], {"dim": 1}), ([F(3, 4)], {"dim": 0, "keepdim": True}), ([B(0)],)], grad=False),
        red("any", lambda x, **k: torch.any(x, **k), [([B(3, 4)],), ([B(3, 4)], {"dim": 1}), ([I(3, 4, hi=2)], {"dim": 0}), ([B(0)],)], grad=False),
        red("count_nonzero", lambda x, **k: torch.count_nonzero(x, **k), [([I(3, 4, hi=3)],), ([I(3, 4, hi=3)], {"dim": [1]})], grad=False),
        red("nansum", lambda x, **k: torch.nansum(x, **k), [([V([1.0, NAN, 2.0, 3.0], [2, 2])],), ([F(3, 4)], {"dim": [1]})]),
        red("nanmean", lambda x, **k: torch.nanmean(x, **k), [([V([1.0, NAN, 2.0, 3.0], [2, 2])], {"dim": [1]}), ([F(3, 4)],)]),
        red("sort", lambda x, **k: torch.sort(x, **k), [([F(3, 5)],), ([F(3, 5)], {"dim": 0, "descending": True}), ([F(2, 3, 4, layout="t")], {"dim": 1}),
                                                        ([V([3.0, NAN, 1.0, 2.0], [4])],), ([I(6, hi=9)],)]),
        red("argsort", lambda x, **k: torch.argsort(x, **k), [([F(3, 5)],), ([F(3, 5)], {"dim": 0, "descending": True})], grad=False),
        red("msort", torch.msort, [([F(4, 3)],)]),
        red("topk", lambda x, k, **kw: torch.topk(x, k, **kw), [([F(3, 6)], {"k": 2}), ([F(5, 3, layout="t")], {"k": 3, "dim": 0}),
                                                               ([F(3, 6)], {"k": 2, "largest": False}), ([F(4)], {"k": 0})]),
        red("kthvalue", lambda x, k, **kw: torch.kthvalue(x, k, **kw), [([F(3, 6)], {"k": 2}), ([F(5, 3)], {"k": 5, "dim": 0, "keepdim": True})]),
        red("median", lambda x, **k: torch.median(x, **k), [([F(3, 6)], {"dim": 1}), ([F(5, 3, layout="t")], {"dim": 0, "keepdim": True}),
                                                            ([F(7)],), ([F(2, 4)],), ([V([1.0, NAN, 3.0, 2.0, 5.0, 4.0], [2, 3])], {"dim": 1})]),
    ]


def shape():
    return [
        entry("reshape", lambda x, shape: x.reshape(shape), [([F(3, 4)], {"shape": [2, 6]}), ([F(3, 4, layout="t")], {"shape": [-1]}),
                                                            ([F(2, 3, 4)], {"shape": [4, -1, 2]}), ([F()], {"shape": [1, 1]}), ([F(0, 3)], {"shape": [3, 0]})]),
        entry("view", lambda x, shape: x.view(shape), [([F(3, 4)], {"shape": [12]}), ([F(2, 6, layout="s")], {"shape": [2, 2, 3]})]),
        entry("flatten", lambda x, **k: torch.flatten(x, **k), [([F(2, 3, 4)],), ([F(2, 3, 4, layout="t")], {"start_dim": 1}), ([F()],)]),
        entry("unflatten", lambda x, dim, sizes: x.unflatten(dim, sizes), [([F(2, 12)], {"dim": 1, "sizes": [3, -1]})]),
        entry("squeeze", lambda x, **k: torch.squeeze(x, **k), [([F(1, 3, 1)],), ([F(1, 3, 1)], {"dim": 2}), ([F(2, 3)], {"dim": 0})]),
        entry("unsqueeze", lambda x, dim: torch.unsqueeze(x, dim), [([F(2, 3)], {"dim": 0}), ([F(2, 3, layout="t")], {"dim": -1}), ([F()], {"dim": 0})]),
        entry("permute", lambda x, dims: x.permute(dims), [([F(2, 3, 4)], {"dims": [2, 0, 1]}), ([F(2, 3, 4, layout="s")], {"dims": [1, 2, 0]})]),
        entry("transpose", lambda x, dim0, dim1: torch.transpose(x, dim0, dim1), [([F(2, 3, 4)], {"dim0": 0, "dim1": 2})]),
        entry("t", torch.t, [([F(3, 4)],), ([F(5)],)]),
        entry("expand", lambda x, size: x.expand(size), [([F(3, 1)], {"size": [2, 3, 4]}), ([F(3, 1)], {"size": [-1, 5]})]),
        entry("broadcast_to", lambda x, size: torch.broadcast_to(x, size), [([F(1, 4)], {"size": [3, 4]})]),
        entry("expand_as", lambda x, y: x.expand_as(y), [([F(3, 1), F(3, 4, nograd=True)],)]),
        entry("contiguous", lambda x: x.contiguous(), [([F(3, 4, layout="t")],)]),
        entry("clone", torch.clone, [([F(3, 4, layout="s")],)]),
        entry("cat", lambda *xs, dim: torch.cat(xs, dim=dim), [([F(2, 3), F(4, 3)], {"dim": 0}), ([F(2, 3, layout="t"), F(2, 1), F(2, 2)], {"dim": 1}),
                                                              ([F(2, 3), I(2, 3)], {"dim": -1}), ([F(0), F(3)], {"dim": 0})]),
        entry("stack", lambda *xs, dim: torch.stack(xs, dim=dim), [([F(2, 3), F(2, 3)], {"dim": 0}), ([F(2, 3), F(2, 3, layout="t")], {"dim": 2})]),
        entry("hstack", lambda *xs: torch.hstack(xs), [([F(2, 3), F(2, 2)],), ([F(3), F(2)],)]),
        entry("vstack", lambda *xs: torch.vstack(xs), [([F(2, 3), F(1, 3)],), ([F(3), F(3)],)]),
        entry("dstack", lambda *xs: torch.dstack(xs), [([F(2, 3), F(2, 3)],)]),
        entry("split", lambda x, split_size_or_sections, dim: torch.split(x, split_size_or_sections, dim),
              [([F(5, 3)], {"split_size_or_sections": 2, "dim": 0}), ([F(3, 6)], {"split_size_or_sections": [1, 2, 3], "dim": 1})]),
        entry("chunk", lambda x, chunks, dim: torch.chunk(x, chunks, dim), [([F(5, 3)], {"chunks": 2, "dim": 0}), ([F(3, 6, layout="t")], {"chunks": 3, "dim": 1})]),
        entry("tensor_split", lambda x, sections, dim: torch.tensor_split(x, sections, dim), [([F(7, 2)], {"sections": 3, "dim": 0})]),
        entry("unbind", lambda x, dim: torch.unbind(x, dim), [([F(3, 4)], {"dim": 1})]),
        entry("narrow", lambda x, dim, start, length: torch.narrow(x, dim, start, length), [([F(4, 5)], {"dim": 1, "start": 1, "length": 3})]),
        entry("select", lambda x, dim, index: torch.select(x, dim, index), [([F(4, 5)], {"dim": 1, "index": -2}), ([F(4, 5, layout="t")], {"dim": 0, "index": 2})]),
        entry("flip", lambda x, dims: torch.flip(x, dims), [([F(3, 4)], {"dims": [0]}), ([F(2, 3, 4, layout="t")], {"dims": [0, 2]}), ([I(5)], {"dims": [0]})]),
        entry("fliplr", torch.fliplr, [([F(3, 4)],)]),
        entry("flipud", torch.flipud, [([F(3, 4)],)]),
        entry("roll", lambda x, shifts, dims=None: torch.roll(x, shifts, dims), [([F(3, 4)], {"shifts": [1], "dims": [1]}), ([F(3, 4)], {"shifts": [-1, 2], "dims": [0, 1]}),
                                                                               ([F(3, 4)], {"shifts": [5]})]),
        entry("repeat", lambda x, sizes: x.repeat(sizes), [([F(2, 3)], {"sizes": [2, 1]}), ([F(3)], {"sizes": [2, 2]}), ([F(2, 3, layout="t")], {"sizes": [1, 2, 3]})]),
        entry("tile", lambda x, dims: torch.tile(x, dims), [([F(2, 3)], {"dims": [2]}), ([F(3)], {"dims": [2, 2]})]),
        entry("repeat_interleave", lambda x, repeats, dim=None: torch.repeat_interleave(x, repeats, dim=dim), [([F(2, 3)], {"repeats": 2, "dim": 1}), ([F(2, 2)], {"repeats": 3})]),
        entry("movedim", lambda x, source, destination: torch.movedim(x, source, destination), [([F(2, 3, 4)], {"source": [0], "destination": [2]})]),
        entry("swapaxes", lambda x, axis0, axis1: torch.swapaxes(x, axis0, axis1), [([F(2, 3, 4)], {"axis0": 0, "axis1": 1})]),
        entry("ravel", torch.ravel, [([F(3, 4, layout="t")],)]),
        entry("pad", lambda x, pad, **k: Fn.pad(x, pad, **k), [([F(2, 3)], {"pad": [1, 2]}), ([F(2, 3, 4)], {"pad": [1, 0, 2, 1], "value": 0.5}),
                                                               ([F(3, 4)], {"pad": [-1, 1]}), ([F(1, 2, 4)], {"pad": [2, 1], "mode": "reflect"}),
                                                               ([F(1, 2, 3, 4)], {"pad": [1, 2, 2, 1], "mode": "replicate"}),
                                                               ([F(1, 2, 4)], {"pad": [1, 3], "mode": "circular"}), ([F(1, 3, 4, 4)], {"pad": [1, 1, 1, 1], "mode": "reflect"})]),
        entry("diagonal", lambda x, **k: torch.diagonal(x, **k), [([F(3, 4)],), ([F(3, 4)], {"offset": 1}), ([F(4, 3)], {"offset": -2}),
                                                                  ([F(2, 3, 3)], {"dim1": 1, "dim2": 2})]),
        entry("diag", lambda x, **k: torch.diag(x, **k), [([F(3)],), ([F(3)], {"diagonal": -1}), ([F(3, 4)], {"diagonal": 1})]),
        entry("diag_embed", torch.diag_embed, [([F(2, 3)],)]),
        entry("trace", torch.trace, [([F(3, 4)],)]),
        entry("tril", lambda x, **k: torch.tril(x, **k), [([F(3, 4)],), ([F(2, 3, 3)], {"diagonal": -1}), ([F(3, 4)], {"diagonal": 1})]),
        entry("triu", lambda x, **k: torch.triu(x, **k), [([F(3, 4)],), ([F(2, 3, 3)], {"diagonal": 1})]),
        entry("meshgrid", lambda *xs, indexing: torch.meshgrid(*xs, indexing=indexing), [([F(3), F(2)], {"indexing": "ij"}), ([F(3), F(2)], {"indexing": "xy"})]),
        entry("broadcast_tensors", lambda *xs: torch.broadcast_tensors(*xs), [([F(3, 1), F(4)],)]),
        entry("to", lambda x, dtype: x.to(getattr(torch, dtype)), [([F(3, 4)], {"dtype": "float64"})]),
        # Finite differences in float64 cannot see through a cast down to float32 or to integers.
        entry("to", lambda x, dtype: x.to(getattr(torch, dtype)), [([F(3, 4, lo=-9, hi=9)], {"dtype": "int64"}),
                                                                   ([I(4, lo=-2, hi=300)], {"dtype": "uint8"}), ([F(4, dtype="float64")], {"dtype": "float32"}),
                                                                   ([I(5, hi=3)], {"dtype": "bool"}), ([B(4)], {"dtype": "float32"})], fd=False),
    ]


# Targets with several sources (one or two of them zero), for the zero-handling of scatter_reduce's prod.
SR_INDEX = V([0, 1, 1, 3, 2, 2, 0, 2], [2, 4], dtype="int64")


def scatter_reduce(x, index, src, dim, reduce, include_self=True):
    return torch.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


def indexing():
    return [
        entry("index_select", lambda x, index, dim: torch.index_select(x, dim, index), [([F(4, 3), I(5, hi=4)], {"dim": 0}), ([F(3, 4, layout="t"), I(2, hi=4)], {"dim": 1})]),
        entry("gather", lambda x, index, dim: torch.gather(x, dim, index), [([F(3, 4), I(3, 2, hi=4)], {"dim": 1}), ([F(3, 4, layout="t"), I(2, 4, hi=3)], {"dim": 0})]),
        entry("scatter", lambda x, index, dim, value: torch.scatter(x, dim, index, value),
              [([F(3, 5), Perm(3, 2, hi=5)], {"dim": 1, "value": 2.5})]),
        entry("scatter", lambda x, index, src, dim: torch.scatter(x, dim, index, src), [([F(3, 5), Perm(3, 2, hi=5), F(3, 2)], {"dim": 1})]),
        entry("scatter_add", lambda x, index, src, dim: torch.scatter_add(x, dim, index, src), [([F(3, 5), I(3, 4, hi=5), F(3, 4)], {"dim": 1})]),
        entry("index_add", lambda x, index, src, dim: torch.index_add(x, dim, index, src), [([F(4, 3), I(5, hi=4), F(5, 3)], {"dim": 0})]),
        entry("scatter_reduce", scatter_reduce, [([F(3, 5), I(3, 4, hi=5), F(3, 4)], {"dim": 1, "reduce": r, "include_self": s})
                                                 for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)]
              + [([F(4, 3, layout="t"), I(4, 3, hi=4), F(4, 3, layout="s")], {"dim": 0, "reduce": r}) for r in ("sum", "mean", "amax")]
              + [([F(2, 4), SR_INDEX, V([0.0, 1.5, 0.0, 2.0, 0.0, -1.0, 0.0, 0.0], [2, 4])], {"dim": -1, "reduce": "prod", "include_self": s})
                 for s in (True, False)]
              + [([V([1.0, 0.0, 2.0, 3.0, -1.0, 0.5, 4.0, 2.0], [2, 4]), SR_INDEX, F(2, 4)], {"dim": 1, "reduce": "prod"}),
                 ([F(3, 5), I(3, 4, hi=5), F(3, 4)], {"dim": 1, "reduce": "median"})]),
        # Ties share the gradient, which finite differences cannot see; PyTorch cannot differentiate a src larger than its index.
        entry("scatter_reduce", scatter_reduce, [([V([1.0, 2.0, 3.0, 0.5], [1, 4]), V([0, 0, 2, 2, 3], [1, 5], dtype="int64"),
                                                   V([1.0, 0.5, 3.0, 3.0, -1.0], [1, 5])], {"dim": 1, "reduce": r}) for r in ("amax", "amin")], fd=False),
        entry("scatter_reduce", scatter_reduce, [([F(3, 5), I(3, 2, hi=5), F(4, 3)], {"dim": 1, "reduce": "amin", "include_self": False}),
                                                 ([I(3, 5, lo=-9, hi=9), I(3, 4, hi=5), I(3, 4, lo=-9, hi=9)], {"dim": 1, "reduce": "mean"}),
                                                 ([I(3, 5, lo=-3, hi=3), I(3, 4, hi=5), I(3, 4, lo=-3, hi=3)], {"dim": 1, "reduce": "prod", "include_self": False}),
                                                 ([I(3, 5, lo=-9, hi=9), I(3, 4, hi=3), I(3, 4, lo=-9, hi=9)], {"dim": 0, "reduce": "amax"})], grad=False),
        entry("index_copy", lambda x, index, src, dim: torch.index_copy(x, dim, index, src),
              [([F(4, 3), Perm(2, hi=4), F(2, 3)], {"dim": 0}), ([F(3, 4, layout="t"), Perm(3, hi=4), F(3, 3, layout="s")], {"dim": 1}),
               ([F(2, 3, 4), Perm(4, hi=4), F(2, 3, 4, layout="t")], {"dim": -1}), ([F(4, 3), V([4], [1], dtype="int64"), F(1, 3)], {"dim": 0})]),
        entry("index_copy", lambda x, index, src, dim: torch.index_copy(x, dim, index, src), [([I(4, 3), Perm(2, hi=4), I(2, 3)], {"dim": 0})], grad=False),
        entry("unique", lambda x, **k: torch.unique(x, return_inverse=True, return_counts=True, **k),
              [([I(3, 4, hi=5)],), ([I(7, lo=-3, hi=3)], {"sorted": False}), ([V([3.0, 1.0, 2.0, 3.0, 1.0, NAN, 2.0, NAN], [2, 4])],),
               ([F(0)],), ([B(6)],), ([I(4, 3, hi=4, layout="t")],), ([F(5)],), ([I()],),
               # dim=d: distinct slices, sorted lexicographically.
               ([I(6, 3, hi=2)], {"dim": 0}), ([I(4, 5, hi=2)], {"dim": 1}), ([I(3, 4, 2, hi=2)], {"dim": 1}), ([I(3, 6, hi=2, layout="t")], {"dim": -1}),
               ([I(5, 2, hi=2, layout="s")], {"dim": 0}), ([I(2, 5, hi=2, layout="e")], {"dim": 0}), ([F(4, 3)], {"dim": 0}),
               ([V([1.5, -2.0, 0.0, 1.5, -2.0, 0.0, 1.5, -3.0, 0.0, -1.0, 4.0, 4.0], [4, 3])], {"dim": 0}), ([B(5, 2)], {"dim": 0}),
               ([I(7, hi=3, dtype="int32")], {"dim": 0}), ([F(0, 3)], {"dim": 0}), ([F(2, 0, 3)], {"dim": 1}), ([F(0, 3)], {"dim": 1}),
               ([F(2, 3)], {"dim": 2}), ([I()], {"dim": 0})], grad=False),
        entry("index_fill", lambda x, index, dim, value: torch.index_fill(x, dim, index, value), [([F(4, 3), I(2, hi=3)], {"dim": 1, "value": -1.0})]),
        entry("masked_fill", lambda x, mask, value: torch.masked_fill(x, mask, value), [([F(3, 4), B(3, 4)], {"value": 9.0}), ([F(3, 4), B(4)], {"value": -1.0})]),
        entry("masked_select", lambda x, mask: torch.masked_select(x, mask), [([F(3, 4), B(3, 4)],), ([F(3, 4, layout="t"), B(4)],)]),
        entry("take", lambda x, index: torch.take(x, index), [([F(3, 4), I(2, 3, lo=-12, hi=12)],)]),
        entry("take_along_dim", lambda x, indices, dim: torch.take_along_dim(x, indices, dim), [([F(3, 4), I(3, 2, hi=4)], {"dim": 1}), ([F(3, 4), I(1, 4, hi=3)], {"dim": 0})]),
        entry("nonzero", torch.nonzero, [([I(3, 4, hi=2)],), ([B(5)],), ([F(2, 2)],)], grad=False),
        entry("argwhere", torch.argwhere, [([I(3, 4, hi=2)],)], grad=False),
        entry("one_hot", lambda x, **k: Fn.one_hot(x, **k), [([I(5, hi=4)], {"num_classes": 6}), ([I(2, 3, hi=4)],)], grad=False),
        entry("bincount", lambda x, **k: torch.bincount(x, **k), [([I(8, hi=5)],), ([I(6, hi=3)], {"minlength": 5})], grad=False),
        entry("bincount", lambda x, w: torch.bincount(x, w), [([I(8, hi=5), F(8, nograd=True)],)], grad=False),
        entry("searchsorted", lambda s, v, **k: torch.searchsorted(s, v, **k), [([V([1.0, 2.0, 2.0, 5.0], [4]), F(6, lo=0, hi=6)],),
                                                                              ([V([1.0, 2.0, 2.0, 5.0], [4]), V([2.0, 0.0, 9.0], [3])], {"right": True})], grad=False),
        entry("bucketize", lambda v, b, **k: torch.bucketize(v, b, **k), [([F(6, lo=0, hi=6), V([1.0, 2.0, 5.0], [3])],)], grad=False),
    ]


def families():
    return {"reduction": reduction(), "shape": shape(), "indexing": indexing()}
