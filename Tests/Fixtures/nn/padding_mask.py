#!/usr/bin/env python3
"""Writes padding_mask.json: key-padding masks and length-aware pooling in
PyTorch, for FlintNNTests.PaddingMaskTests.

Token ids [N, L] are padded with PAD after each sequence's length; the mask is
`tokens == PAD` (true at padding, as `src_key_padding_mask` takes it). Each case
runs a TransformerEncoderLayer (batch_first, dropout 0) on random inputs x with
that mask, then pools its output h two ways:

    mean = (h * keep).sum(1) / keep.sum(1)      keep = ~mask          (mean_pool)
    last = h[arange(N), lengths - 1]                                    (last_token)

and backpropagates loss = (mean * w1).sum() + (last * w2).sum(). It records the
state dict, x, tokens, mask, h, mean, last, the weights, and the gradients of x and
of every parameter; also the unmasked forms x.mean(1) and x[:, -1].

    python3 Tests/Fixtures/nn/padding_mask.py [--seed N]
"""
import argparse
import json
import os

import torch

from nn_common import encode

PAD = 1


def case(gen, norm_first, activation, d=8, nhead=2, ff=16, n=4, length=6):
    layer = torch.nn.TransformerEncoderLayer(d, nhead, ff, dropout=0.0, activation=activation,
                                             batch_first=True, norm_first=norm_first)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64).to(torch.float32) * 0.5)
    lengths = torch.randint(1, length + 1, (n,), generator=gen)
    lengths[0], lengths[1] = length, 1  # a full row and a row of one token
    tokens = torch.randint(2, 20, (n, length), generator=gen)
    tokens[torch.arange(length)[None, :] >= lengths[:, None]] = PAD
    mask = tokens == PAD
    x = torch.randn((n, length, d), generator=gen, dtype=torch.float64).to(torch.float32).requires_grad_(True)
    w1 = torch.randn((n, d), generator=gen, dtype=torch.float64).to(torch.float32)
    w2 = torch.randn((n, d), generator=gen, dtype=torch.float64).to(torch.float32)

    h = layer(x, src_key_padding_mask=mask)
    keep = (~mask).to(torch.float32)
    mean = (h * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
    last = h[torch.arange(n), lengths - 1]
    ((mean * w1).sum() + (last * w2).sum()).backward()
    return {
        "args": {"d_model": d, "nhead": nhead, "dim_feedforward": ff, "activation": activation, "norm_first": norm_first},
        "state": {k: encode(v) for k, v in layer.state_dict().items()},
        "tokens": encode(tokens), "lengths": encode(lengths), "mask": encode(mask),
        "x": encode(x), "w1": encode(w1), "w2": encode(w2),
        "h": encode(h), "mean": encode(mean), "last": encode(last),
        "x_grad": encode(x.grad),
        "param_grads": {k: encode(p.grad) for k, p in layer.named_parameters()},
        "x_mean": encode(x.mean(1)), "x_last": encode(x[:, -1]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    cases = [case(gen, False, "relu"), case(gen, True, "gelu")]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "padding_mask.json")
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "seed": args.seed, "pad": PAD, "cases": cases}, f)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
