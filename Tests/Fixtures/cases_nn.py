"""Neural-network functions (torch.nn.functional), losses and in-place ops."""
import torch
import torch.nn.functional as Fn

from common import B, F, I, P, entry

# Convolutions sum many products; BLAS and PyTorch's kernels add them in different orders.
SUMS = (1e-5, 5e-5)


def bn(x, rm, rv, w=None, b=None, **k):
    rm, rv = rm.clone(), rv.clone()
    out = Fn.batch_norm(x, rm, rv, w, b, **k)
    return out, rm, rv


def nn():
    return [
        entry("conv2d", lambda x, w, b=None, **k: Fn.conv2d(x, w, b, **k),
              [([F(2, 3, 6, 6), F(4, 3, 3, 3), F(4)],), ([F(2, 3, 7, 6), F(4, 3, 3, 3)], {"stride": 2, "padding": 1}),
               ([F(1, 2, 7, 7), F(3, 2, 3, 2)], {"dilation": [2, 1], "padding": [2, 0]}),
               ([F(2, 4, 5, 5), F(6, 2, 3, 3), F(6)], {"groups": 2, "padding": 1}), ([F(2, 5, 6, layout="t"), F(2, 2, 2, 2)],),
               ([F(2, 3, 4, 4), F(3, 1, 3, 3)], {"groups": 3, "stride": [1, 2]})], tol=SUMS),
        entry("conv1d", lambda x, w, b=None, **k: Fn.conv1d(x, w, b, **k),
              [([F(2, 3, 10), F(4, 3, 3), F(4)],), ([F(2, 4, 9), F(2, 2, 3)], {"stride": 2, "padding": 1, "groups": 2, "dilation": 2})], tol=SUMS),
        entry("conv_transpose2d", lambda x, w, b=None, **k: Fn.conv_transpose2d(x, w, b, **k),
              [([F(2, 4, 4, 4), F(4, 3, 3, 3), F(3)],), ([F(1, 4, 3, 3), F(4, 2, 3, 3)], {"stride": 2, "padding": 1, "output_padding": 1}),
               ([F(2, 4, 3, 3), F(4, 1, 2, 2)], {"groups": 2, "dilation": 2})], tol=SUMS),
        entry("max_pool2d", lambda x, **k: Fn.max_pool2d(x, return_indices=True, **k),
              [([F(2, 3, 6, 6)], {"kernel_size": 2}), ([F(1, 2, 7, 5)], {"kernel_size": 3, "stride": 2, "padding": 1}),
               ([F(1, 2, 7, 7)], {"kernel_size": 2, "ceil_mode": True}), ([F(1, 1, 8, 8)], {"kernel_size": 2, "dilation": 2}),
               ([F(2, 5, 6, layout="t")], {"kernel_size": [2, 3]})]),
        entry("max_pool1d", lambda x, **k: Fn.max_pool1d(x, **k), [([F(2, 3, 9)], {"kernel_size": 3, "stride": 2, "padding": 1})]),
        entry("avg_pool2d", lambda x, **k: Fn.avg_pool2d(x, **k),
              [([F(2, 3, 6, 6)], {"kernel_size": 2}), ([F(1, 2, 7, 5)], {"kernel_size": 3, "stride": 2, "padding": 1}),
               ([F(1, 2, 7, 5)], {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
               ([F(1, 2, 7, 7)], {"kernel_size": 2, "ceil_mode": True}), ([F(1, 2, 6, 6)], {"kernel_size": 3, "divisor_override": 4})]),
        entry("avg_pool1d", lambda x, **k: Fn.avg_pool1d(x, **k), [([F(2, 3, 9)], {"kernel_size": 3, "stride": 2, "padding": 1})]),
        entry("adaptive_avg_pool2d", lambda x, output_size: Fn.adaptive_avg_pool2d(x, output_size),
              [([F(2, 3, 7, 5)], {"output_size": [3, 2]}), ([F(2, 3, 4, 4)], {"output_size": 1}), ([F(1, 2, 5, 7)], {"output_size": [5, 3]})]),
        entry("adaptive_avg_pool1d", lambda x, output_size: Fn.adaptive_avg_pool1d(x, output_size), [([F(2, 3, 7)], {"output_size": 3})]),
        entry("adaptive_max_pool2d", lambda x, output_size: Fn.adaptive_max_pool2d(x, output_size, return_indices=True),
              [([F(2, 3, 7, 5)], {"output_size": [3, 2]})]),
        entry("layer_norm", lambda x, *wb, normalized_shape: Fn.layer_norm(x, normalized_shape, *wb),
              [([F(3, 4, 5), F(5), F(5)], {"normalized_shape": [5]}), ([F(2, 4, 5)], {"normalized_shape": [4, 5]}),
               ([F(4, 6, layout="t"), F(6)], {"normalized_shape": [6]})]),
        entry("batch_norm", bn,
              [([F(4, 3), F(3, nograd=True), P(3, nograd=True), F(3), F(3)], {"training": True, "momentum": 0.2}),
               ([F(2, 3, 4, 4), F(3, nograd=True), P(3, nograd=True), F(3), F(3)], {"training": True}),
               ([F(2, 3, 4, 4), F(3, nograd=True), P(3, nograd=True), F(3), F(3)], {"training": False, "eps": 0.01}),
               ([F(2, 3, 5), F(3, nograd=True), P(3, nograd=True)], {"training": True})]),
        entry("group_norm", lambda x, *wb, num_groups: Fn.group_norm(x, num_groups, *wb),
              [([F(2, 6, 4, 3), F(6), F(6)], {"num_groups": 3}), ([F(2, 4, 5)], {"num_groups": 2})]),
        entry("instance_norm", lambda x, *wb: Fn.instance_norm(x, weight=wb[0] if wb else None, bias=wb[1] if wb else None),
              [([F(2, 3, 4, 4), F(3), F(3)],), ([F(2, 3, 5)],)]),
        entry("rms_norm", lambda x, *w, normalized_shape, eps=None: Fn.rms_norm(x, normalized_shape, *w, eps=eps),
              [([F(3, 4, 5), F(5)], {"normalized_shape": [5]}), ([F(2, 4, 5)], {"normalized_shape": [4, 5], "eps": 0.001})]),
        entry("linear", lambda x, w, b=None: Fn.linear(x, w, b),
              [([F(3, 4), F(5, 4), F(5)],), ([F(2, 3, 4), F(5, 4)],), ([F(4), F(5, 4), F(5)],), ([F(4, 3, layout="t"), F(2, 4), F(2)],)]),
        entry("bilinear", lambda a, b, w, bias=None: Fn.bilinear(a, b, w, bias), [([F(3, 4), F(3, 2), F(5, 4, 2), F(5)],)]),
        entry("embedding", lambda i, w, **k: Fn.embedding(i, w, **k), [([I(2, 3, hi=5), F(5, 4)],)]),
        # PyTorch defines the padding row's gradient as zero, which finite differences cannot see.
        entry("embedding", lambda i, w, **k: Fn.embedding(i, w, **k), [([I(7, hi=5), F(5, 3)], {"padding_idx": 1})], fd=False),
        entry("scaled_dot_product_attention", lambda q, k, v, mask=None, **kw: Fn.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw),
              [([F(2, 3, 4), F(2, 5, 4), F(2, 5, 6)],), ([F(2, 2, 4, 3), F(2, 2, 4, 3), F(2, 2, 4, 3)], {"is_causal": True}),
               ([F(2, 3, 4), F(2, 5, 4), F(2, 5, 6), B(3, 5)],), ([F(3, 4), F(5, 4), F(5, 2), F(3, 5)], {"scale": 0.3})]),
        entry("interpolate", lambda x, **k: Fn.interpolate(x, **k),
              [([F(1, 2, 3, 4)], {"size": [5, 7]}), ([F(1, 2, 3, 4)], {"scale_factor": 2.0}), ([F(1, 2, 3, 4)], {"size": [5, 7], "mode": "bilinear"}),
               ([F(1, 2, 3, 4)], {"size": [5, 7], "mode": "bilinear", "align_corners": True}), ([F(2, 2, 6, 8)], {"scale_factor": 0.5, "mode": "bilinear"}),
               ([F(2, 3, 5)], {"size": 8, "mode": "linear"}), ([F(1, 1, 4, 4)], {"scale_factor": 1.5, "mode": "bilinear", "align_corners": False}),
               ([F(1, 2, 4, 5)], {"size": [7, 8], "mode": "bicubic"}), ([F(1, 2, 4, 5)], {"size": [7, 3], "mode": "bicubic", "align_corners": True}),
               ([F(2, 1, 6, 8, layout="t")], {"scale_factor": 0.5, "mode": "bicubic"}), ([F(1, 2, 5, 5)], {"scale_factor": 1.7, "mode": "bicubic", "align_corners": False}),
               ([F(1, 2, 3, 4, layout="s")], {"size": [6, 9], "mode": "bicubic", "align_corners": True}), ([F(1, 1, 4, 3)], {"size": [1, 5], "mode": "bicubic", "align_corners": True}),
               ([F(2, 3, 5)], {"size": 4, "mode": "bicubic"}),
               ([F(2, 3, 7)], {"size": 3, "mode": "area"}), ([F(1, 2, 6, 9, layout="s")], {"size": [4, 5], "mode": "area"}),
               ([F(1, 2, 4, 6, 5)], {"size": [2, 3, 2], "mode": "area"}), ([F(1, 2, 8, 8, layout="t")], {"scale_factor": 0.5, "mode": "area"}),
               ([F(1, 2, 5, 7)], {"size": [9, 10], "mode": "area"}), ([F(1, 2, 4, 4)], {"size": [2, 2], "mode": "area", "align_corners": False})]),
        entry("cross_entropy", lambda x, t, w=None, **k: Fn.cross_entropy(x, t, w, **k),
              [([F(4, 5), I(4, hi=5)],), ([F(4, 5), I(4, hi=5), P(5, nograd=True)], {"label_smoothing": 0.1}),
               ([F(4, 5), I(4, lo=-1, hi=5)], {"ignore_index": -1, "reduction": "sum"}), ([F(2, 3, 4), I(2, 4, hi=3)], {"reduction": "none"}),
               ([F(3, 4, layout="t"), I(3, hi=4)],)]),
        entry("dropout", lambda x, **k: Fn.dropout(x, **k), [([F(3, 4)], {"p": 0.0}), ([F(3, 4)], {"p": 0.7, "training": False})]),
        entry("nll_loss", lambda x, t, w=None, **k: Fn.nll_loss(x, t, w, **k),
              [([F(4, 5), I(4, hi=5)],), ([F(4, 5), I(4, lo=-1, hi=5), P(5, nograd=True)], {"ignore_index": -1}),
               ([F(2, 3, 4), I(2, 4, hi=3)], {"reduction": "none"}), ([F(4, 5), I(4, hi=5)], {"reduction": "sum"})]),
        entry("mse_loss", lambda a, b, **k: Fn.mse_loss(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(5), F(5)], {"reduction": "sum"})]),
        entry("l1_loss", lambda a, b, **k: Fn.l1_loss(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(5), F(5)], {"reduction": "none"})]),
        entry("smooth_l1_loss", lambda a, b, **k: Fn.smooth_l1_loss(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(5), F(5)], {"beta": 0.5})]),
        entry("huber_loss", lambda a, b, **k: Fn.huber_loss(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(5), F(5)], {"delta": 0.5})]),
        entry("binary_cross_entropy", lambda p, t, w=None, **k: Fn.binary_cross_entropy(p, t, w, **k),
              [([F(3, 4, lo=0.05, hi=0.95), F(3, 4, lo=0, hi=1)],), ([F(5, lo=0.05, hi=0.95), F(5, lo=0, hi=1), P(5, nograd=True)], {"reduction": "sum"})]),
        entry("binary_cross_entropy_with_logits", lambda x, t, pw=None, **k: Fn.binary_cross_entropy_with_logits(x, t, pos_weight=pw, **k),
              [([F(3, 4), F(3, 4, lo=0, hi=1)],), ([F(3, 4, lo=-30, hi=30), F(3, 4, lo=0, hi=1), P(4, nograd=True)],)]),
        entry("kl_div", lambda x, t, **k: Fn.kl_div(x, t, **k),
              [([F(3, 4), F(3, 4, lo=0, hi=1)], {"reduction": "batchmean"}), ([F(3, 4), F(3, 4)], {"reduction": "sum", "log_target": True})]),
        entry("soft_margin_loss", lambda x, y: Fn.soft_margin_loss(x, y), [([F(3, 4), F(3, 4, nograd=True)],)]),
        entry("margin_ranking_loss", lambda a, b, y, **k: Fn.margin_ranking_loss(a, b, y, **k), [([F(6), F(6), F(6)], {"margin": 0.5})]),
        entry("hinge_embedding_loss", lambda x, y, **k: Fn.hinge_embedding_loss(x, y, **k),
              [([F(8), {"kind": "values", "values": [1.0, -1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0], "shape": [8], "dtype": "float32", "nograd": True}], {"margin": 0.5})]),
        entry("cosine_embedding_loss", lambda a, b, y, **k: Fn.cosine_embedding_loss(a, b, y, **k),
              [([F(4, 3), F(4, 3), {"kind": "values", "values": [1.0, -1.0, -1.0, 1.0], "shape": [4], "dtype": "float32", "nograd": True}], {"margin": 0.1})]),
    ]


def inplace():
    return [
        entry("add_", lambda x, y, **k: x.clone().add_(y, **k), [([F(3, 4), F(4)],), ([F(3, 4), F(3, 4)], {"alpha": 2.0})]),
        entry("sub_", lambda x, y: x.clone().sub_(y), [([F(3, 4), F(3, 4)],)]),
        entry("mul_", lambda x, y: x.clone().mul_(y), [([F(3, 4), F(4)],)]),
        entry("div_", lambda x, y: x.clone().div_(y), [([F(3, 4), P(3, 4)],)]),
        entry("zero_", lambda x: x.clone().zero_(), [([F(3, 4)],)]),
        entry("fill_", lambda x, value: x.clone().fill_(value), [([F(3, 4)], {"value": 1.5})]),
        entry("copy_", lambda x, y: x.clone().copy_(y), [([F(3, 4), F(4)],)]),
        entry("clamp_", lambda x, **k: x.clone().clamp_(**k), [([F(3, 4)], {"min": -0.5, "max": 0.5})]),
        entry("relu_", lambda x: x.clone().relu_(), [([F(3, 4)],)]),
        entry("masked_fill_", lambda x, m, value: x.clone().masked_fill_(m, value), [([F(3, 4), B(3, 4)], {"value": 3.0})]),
    ]


def families():
    return {"nn": nn(), "inplace": inplace()}
