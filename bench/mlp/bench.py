#!/usr/bin/env python3
"""One epoch of the MNIST MLP (784-256-128-10, SGD momentum 0.9, lr 0.05, batch 64)
in PyTorch and in Flint, on the same data held in memory; prints both epoch times
and their ratio. Run from the repository root after `make build`:

    python3 bench/mlp/bench.py [--repeats 3] [--torch-threads N] [--flint PATH]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from epoch import ROOT, flint_epoch, load_mnist, print_table, torch_epoch  # noqa: E402


def model():
    return torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--torch-threads", type=int, default=0,
                    help="threads for PyTorch (default: its own choice, one per core)")
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    args = ap.parse_args()
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    x, y = load_mnist()
    times = {"PyTorch": [], "Flint (flint train)": []}
    for r in range(args.repeats):
        times["PyTorch"].append(torch_epoch(model, x, y, r)[0])
        times["Flint (flint train)"].append(flint_epoch(args.flint, os.path.join(ROOT, "bench/mlp/mlp_epoch.yaml"))[0])
    print_table(times, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
