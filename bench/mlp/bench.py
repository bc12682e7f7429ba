#!/usr/bin/env python3
"""One epoch of the MNIST MLP (784-256-128-10, SGD momentum 0.9, lr 0.05, batch 64)
in PyTorch and in Flint, on the same data held in memory; prints both epoch times
and their ratio. Run from the repository root after `make build`:

    python3 bench/mlp/bench.py [--repeats 3]
"""
import argparse, json, os, subprocess, sys, tempfile, time

import h5py
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def torch_epoch(x_u8, y, seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x_u8.shape[0]
    start = time.perf_counter()
    perm = torch.randperm(n)
    for i in range(0, n, 64):
        idx = perm[i:i + 64]
        xb = (x_u8[idx].float() / 255 - 0.1307) / 0.3081
        loss = loss_fn(model(xb), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, loss.item()


def flint_epoch():
    flint = os.path.join(ROOT, ".build/release/flint")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "run")
        subprocess.run([flint, "train", os.path.join(ROOT, "bench/mlp/mlp_epoch.yaml"), "--run-dir", run_dir, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            first = json.loads(f.readline())
        return first["seconds"], first["train/loss"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--torch-threads", type=int, default=0,
                    help="threads for PyTorch (default: its own choice, one per core)")
    args = ap.parse_args()
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    with h5py.File(os.path.join(ROOT, "datasets/mnist.h5"), "r") as f:
        x = torch.from_numpy(f["train/images"][...])
        y = torch.from_numpy(f["train/labels"][...])
    torch_times, flint_times = [], []
    for r in range(args.repeats):
        t, _ = torch_epoch(x, y, r)
        torch_times.append(t)
        ft, _ = flint_epoch()
        flint_times.append(ft)
    t, ft = min(torch_times), min(flint_times)
    print(f"torch threads: {torch.get_num_threads()}, torch {torch.__version__}")
    print(f"PyTorch epoch: {t:.3f} s (best of {args.repeats})")
    print(f"Flint epoch:   {ft:.3f} s (best of {args.repeats})")
    print(f"ratio Flint/PyTorch: {ft / t:.2f}")


if __name__ == "__main__":
    sys.exit(main())
