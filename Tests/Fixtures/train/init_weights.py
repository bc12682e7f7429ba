#!/usr/bin/env python3
"""Writes init_partial.safetensors and init_partial.json: weights that only
partly fit a model, and what PyTorch loads of them, for `model.init_from`
with `strict: false` (CheckpointFileTests).

The model is `Sequential(Linear(4, 3), BatchNorm1d(3), ReLU(), Linear(3, 2))`.
The file holds the state dict of `Sequential(Linear(4, 3), BatchNorm1d(3),
ReLU(), Linear(3, 5))` after a few training-mode batches (so the running
statistics are not their defaults), without `0.bias` and with an extra
`head.weight` and `head.bias`: one missing key, two unexpected keys and two
size mismatches (`3.weight`, `3.bias`).

PyTorch's `load_state_dict(strict=False)` refuses size mismatches, so the
expected result is what it returns for the file without them, plus those
mismatches: the keys it reports missing (the mismatched ones are not counted
as missing), the unexpected keys, and the value of every tensor it loaded.

    python3 Tests/Fixtures/train/init_weights.py [--seed N]
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def network(outputs):
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, outputs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    torch.manual_seed(seed)

    source = network(5).train()
    with torch.no_grad():
        for _ in range(3):
            source(torch.randn(8, 4))
    state = {k: v.detach().clone().contiguous() for k, v in source.state_dict().items() if k != "0.bias"}
    state["head.weight"] = torch.randn(2, 5)
    state["head.bias"] = torch.randn(2)
    save_file(state, os.path.join(HERE, "init_partial.safetensors"), metadata={"format": "pt"})

    model = network(2)
    own = model.state_dict()
    mismatched = {k: [list(v.shape), list(own[k].shape)] for k, v in state.items() if k in own and v.shape != own[k].shape}
    fitting = {k: v for k, v in state.items() if k not in mismatched}
    result = model.load_state_dict(fitting, strict=False)
    loaded = {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in fitting.items() if k in own}
    expected = {
        "seed": seed, "torch": torch.__version__,
        "missing_keys": [k for k in result.missing_keys if k not in mismatched],
        "unexpected_keys": sorted(result.unexpected_keys),
        "size_mismatch": mismatched,
        "loaded": loaded,
    }
    with open(os.path.join(HERE, "init_partial.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
