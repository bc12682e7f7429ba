#!/usr/bin/env python3
"""Writes the PyTorch fixtures that FlintNN's parity tests read.

PyTorch is the oracle: every expected value in Tests/Fixtures/nn/*.json comes
from a run of this script, never from Flint.

    python3 Tests/Fixtures/nn/generate_nn.py --seed 0

writes optim.json (optimizers and gradient clipping, 20 steps each from the
same parameters and gradients), schedulers.json (the rate of every group at
each of 20 steps), losses.json (each loss with each reduction, forward and
gradients) and layers.json (each layer's weights, inputs, outputs and the
gradients of sum(out * w) for a random w, in train and eval mode). The Swift
tests must pass for fixtures made with any seed.
"""
import sys

sys.dont_write_bytecode = True

import argparse
import json
import os

import torch

import nn_layers
import nn_losses
import nn_optim
from nn_common import Encoder

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BYTES = 1_500_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=HERE)
    opts = parser.parse_args()
    torch.manual_seed(opts.seed)
    gen = torch.Generator().manual_seed(opts.seed)
    enc = Encoder(gen)
    families = {
        "optim": nn_optim.optimizer_cases(enc),
        "schedulers": nn_optim.scheduler_cases(enc),
        "losses": nn_losses.cases(enc),
        "layers": nn_layers.cases(enc),
    }
    for family, cases in families.items():
        text = json.dumps({"family": family, "seed": opts.seed, "torch": torch.__version__, "cases": cases},
                          separators=(",", ":"))
        if len(text) > MAX_BYTES:
            raise SystemExit(f"{family}.json would be {len(text)} bytes; use smaller cases")
        with open(os.path.join(opts.out, f"{family}.json"), "w") as f:
            f.write(text)
        print(f"{family}.json: {len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
