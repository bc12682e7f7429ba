#!/usr/bin/env python3
"""One epoch of the MNIST CNN of the design brief (conv2d 16 5x5 pad 2, relu,
max_pool2d 2, conv2d 32 5x5 pad 2, relu, max_pool2d 2, flatten, linear 10;
SGD momentum 0.9, lr 0.05, batch 64; to_tensor + normalize) in PyTorch and in
Flint, in the same run; prints both epoch times, their ratio and the thread
counts. Run from the repository root after a release build of `flint`:

    swift build -c release --product flint
    python3 bench/cnn/bench.py [--repeats 3] [--flint .build/release/flint] [--harness PATH]

Flint trains bench/cnn/cnn_epoch.yaml through `flint train` and reports the
`seconds` of its first epoch record. `--harness` also times the Swift harness
in bench/cnn/harness (the same loop from Swift, without the trainer), built with
`swift build -c release --package-path bench/cnn/harness --scratch-path .build-cnn-harness`.

Both sides use every core they see; `taskset -c 0 python3 bench/cnn/bench.py`
compares them on one core (the machine's other work then disturbs less).
"""
import argparse
import json
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from epoch import ROOT, flint_epoch, load_mnist, print_table, torch_epoch  # noqa: E402


def model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))


def harness_epoch(harness):
    out = subprocess.run([harness, os.path.join(ROOT, "datasets/mnist.h5")], check=True, capture_output=True, text=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    return record["seconds"], record["loss"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    ap.add_argument("--harness", action="append", default=[],
                    help="a release binary of bench/cnn/harness to time as well (repeatable, e.g. to compare builds)")
    ap.add_argument("--skip-flint", action="store_true", help="time PyTorch (and the harness) only")
    args = ap.parse_args()
    x, y = load_mnist()
    times = {"PyTorch": [], "Flint (flint train)": []}
    harnesses = {f"Flint harness {i + 1}" if len(args.harness) > 1 else "Flint (harness)": h for i, h in enumerate(args.harness)}
    times.update({name: [] for name in harnesses})
    for r in range(args.repeats):
        times["PyTorch"].append(torch_epoch(model, x, y, r)[0])
        if not args.skip_flint:
            times["Flint (flint train)"].append(flint_epoch(args.flint, os.path.join(ROOT, "bench/cnn/cnn_epoch.yaml"))[0])
        for name, path in harnesses.items():
            times[name].append(harness_epoch(path)[0])
    for name, path in harnesses.items():
        if len(harnesses) > 1:
            print(f"{name}: {path}")
    print_table(times, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
