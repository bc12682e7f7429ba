#!/usr/bin/env python3
"""Writes attention.json: F.scaled_dot_product_attention and nn.MultiheadAttention
(need_weights=False) in PyTorch, forward and every gradient, for FlintNNTests.AttentionTests.

Each case draws float32 inputs and a weight w of the output's shape, computes
out = attention(...) and backpropagates loss = (out * w).sum(), recording out and the
gradients of the inputs (and of every parameter for MultiheadAttention). Cases cover
causal (also with L != S), float masks shared over the batch and per (batch, head),
boolean masks (a row with no key allowed gets zeros), scale, L != S, Ev != E,
unbatched inputs, a longer causal sequence (L = 70), key padding masks and batch_first.

    python3 Tests/Fixtures/nn/attention.py [--seed N]
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F

from nn_common import Encoder, encode


def sdpa_case(enc, q_shape, k_shape, ev, mask=None, is_causal=False, scale=None):
    q = enc.normal(*q_shape).requires_grad_(True)
    k = enc.normal(*k_shape).requires_grad_(True)
    v = enc.normal(*(list(k_shape[:-1]) + [ev])).requires_grad_(True)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)
    w = enc.normal(*out.shape)
    (out * w).sum().backward()
    case = {"q": encode(q), "k": encode(k), "v": encode(v), "w": encode(w), "out": encode(out),
            "q_grad": encode(q.grad), "k_grad": encode(k.grad), "v_grad": encode(v.grad),
            "is_causal": is_causal}
    if mask is not None:
        case["mask"] = encode(mask)
    if scale is not None:
        case["scale"] = scale
    return case


def bool_mask(enc, *shape):
    mask = enc.uniform(*shape) > -0.4
    mask[..., 0, :] = False  # a query that may attend to nothing: zeros (safe softmax)
    mask[..., 1, :] = True
    return mask


def float_mask(enc, *shape):
    mask = enc.normal(*shape)
    return mask.masked_fill(enc.uniform(*shape) < -0.6, float("-inf"))


def mha_case(enc, embed, heads, l, s, n, batch_first=False, bias=True, self_attention=True, padding=False,
             mask=None, causal=False):
    mha = torch.nn.MultiheadAttention(embed, heads, bias=bias, batch_first=batch_first)
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(enc.normal(*p.shape, std=0.5))
    def seq(length):
        if n is None:
            return enc.normal(length, embed)
        return enc.normal(n, length, embed) if batch_first else enc.normal(length, n, embed)
    query = seq(l).requires_grad_(True)
    key = query if self_attention else seq(s).requires_grad_(True)
    value = query if self_attention else seq(s).requires_grad_(True)
    key_padding = None
    if padding:
        key_padding = enc.uniform(n, s) > 0.3
        key_padding[:, 0] = False  # every sample keeps a key
    attn_mask = None
    if causal:
        attn_mask = torch.nn.Transformer.generate_square_subsequent_mask(l)
    elif mask == "bool":
        attn_mask = enc.uniform(n * heads, l, s) > 0.5
        attn_mask[..., 0] = False
    elif mask == "float":
        attn_mask = enc.normal(l, s)
    out, _ = mha(query, key, value, key_padding_mask=key_padding, need_weights=False, attn_mask=attn_mask, is_causal=causal)
    w = enc.normal(*out.shape)
    (out * w).sum().backward()
    case = {"args": {"embed_dim": embed, "num_heads": heads, "batch_first": batch_first, "bias": bias,
                     "self_attention": self_attention, "causal": causal},
            "state": {k: encode(v) for k, v in mha.state_dict().items()},
            "query": encode(query), "w": encode(w), "out": encode(out), "query_grad": encode(query.grad),
            "param_grads": {k: encode(p.grad) for k, p in mha.named_parameters()}}
    if not self_attention:
        case.update({"key": encode(key), "value": encode(value), "key_grad": encode(key.grad), "value_grad": encode(value.grad)})
    if key_padding is not None:
        case["key_padding_mask"] = encode(key_padding)
    if attn_mask is not None and not causal:
        case["attn_mask"] = encode(attn_mask)
    return case


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    enc = Encoder(torch.Generator().manual_seed(args.seed))
    sdpa = [
        sdpa_case(enc, (2, 3, 5, 8), (2, 3, 7, 8), 6),
        sdpa_case(enc, (2, 2, 6, 4), (2, 2, 6, 4), 4, is_causal=True),
        sdpa_case(enc, (1, 2, 4, 4), (1, 2, 6, 4), 5, is_causal=True),
        sdpa_case(enc, (2, 2, 5, 4), (2, 2, 6, 4), 4, mask=float_mask(enc, 5, 6)),
        sdpa_case(enc, (2, 2, 5, 4), (2, 2, 6, 4), 4, mask=float_mask(enc, 2, 2, 5, 6)),
        sdpa_case(enc, (2, 3, 5, 4), (2, 3, 6, 4), 4, mask=bool_mask(enc, 5, 6)),
        sdpa_case(enc, (2, 3, 5, 4), (2, 3, 6, 4), 4, mask=bool_mask(enc, 2, 1, 5, 6)),
        sdpa_case(enc, (5, 4), (7, 4), 3, scale=0.3),
        sdpa_case(enc, (3, 5, 8), (3, 9, 8), 8, is_causal=True, scale=0.7),
        sdpa_case(enc, (1, 2, 70, 16), (1, 2, 70, 16), 16, is_causal=True),
    ]
    mha = [
        mha_case(enc, 8, 2, 5, 5, 3),
        mha_case(enc, 8, 2, 4, 6, 3, batch_first=True, self_attention=False, padding=True),
        mha_case(enc, 12, 3, 5, 7, 2, self_attention=False, mask="bool", bias=False),
        mha_case(enc, 8, 4, 6, 6, 2, mask="float"),
        mha_case(enc, 16, 2, 9, 9, 2, batch_first=True, causal=True),
        mha_case(enc, 8, 2, 5, 5, None),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention.json")
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "seed": args.seed, "cases": sdpa, "mha": mha}, f)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
