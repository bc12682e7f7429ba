#!/usr/bin/env python3
"""Data-parallel throughput on this machine: the MNIST CNN of bench/cnn
(batch 64 per optimizer step) trained for one epoch on the first 12,800 MNIST
images (200 steps), as

  1 process  x 2 threads   flint train           data.batch_size=64
  2 processes x 1 thread   mpirun -np 2 flint train  data.batch_size=32 (global 64)

and the gradient allreduce time per step of the 2-process run (rank 0's
train.log; it includes waiting for the slower rank). Prints samples/s of each
(best of --repeats), their ratio, and the allreduce share of a step.

    swift build -c release --product flint
    python3 bench/ddp/bench.py [--repeats 3] [--flint .build/release/flint]

Wall-clock: both configurations use both cores, so CPU time would not show
the point (does splitting the batch over processes beat threads inside one
process?). On a shared machine the numbers move with the load; compare the
ratio within one run, and run it more than once.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = 12800


def mnist_slice(path):
    with h5py.File(os.path.join(ROOT, "datasets/mnist.h5"), "r") as src, h5py.File(path, "w") as out:
        out["train/images"] = src["train/images"][:SAMPLES]
        out["train/labels"] = src["train/labels"][:SAMPLES]


def spec(data):
    with open(os.path.join(ROOT, "bench/cnn/cnn_epoch.yaml")) as f:
        text = f.read()
    return text.replace("../../datasets/mnist.h5", data)


def run(command, run_dir, env):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        record = json.loads(f.readline())
    reduce = None
    log = os.path.join(run_dir, "train.log")
    if os.path.exists(log):
        m = re.search(r"gradient allreduce ([0-9.]+) s of ([0-9.]+) s training", open(log).read())
        if m:
            reduce = (float(m.group(1)), float(m.group(2)))
    return record["samples_per_second"], record["seconds"], reduce


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    steps = SAMPLES // 64
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist-12800.h5")
        mnist_slice(data)
        spec_path = os.path.join(tmp, "cnn.yaml")
        with open(spec_path, "w") as f:
            f.write(spec(data))
        results = {"1 process x 2 threads": [], "2 processes x 1 thread": []}
        reduces = []
        for r in range(args.repeats):
            one = os.path.join(tmp, f"one{r}")
            results["1 process x 2 threads"].append(
                run([args.flint, "train", spec_path, "--run-dir", one, "--quiet"], one, env))
            two = os.path.join(tmp, f"two{r}")
            out = run(["mpirun", "-np", "2", "--oversubscribe", "--bind-to", "core", args.flint, "train", spec_path,
                       "--run-dir", two, "--quiet", "--set", "data.batch_size=32"], two, env)
            results["2 processes x 1 thread"].append(out)
            reduces.append(out[2])
    print(f"MNIST CNN (bench/cnn/cnn_epoch.yaml), {SAMPLES} samples = {steps} steps of global batch 64, cores = {os.cpu_count()}")
    print(f"| {'configuration':24} | {'samples/s (best)':>16} | {'all runs':>26} |")
    print(f"|{'-' * 26}|{'-' * 18}|{'-' * 28}|")
    best = {}
    for name, rs in results.items():
        best[name] = max(x[0] for x in rs)
        print(f"| {name:24} | {best[name]:16.0f} | {' '.join(f'{x[0]:.0f}' for x in rs):>26} |")
    print(f"2 processes / 1 process: {best['2 processes x 1 thread'] / best['1 process x 2 threads']:.2f}x")
    for i, red in enumerate(reduces):
        if red:
            print(f"run {i + 1}: allreduce {red[0] * 1000 / steps:.2f} ms per step of {red[1] * 1000 / steps:.1f} ms "
                  f"({100 * red[0] / red[1]:.1f}% of training time, rank 0, waits for rank 1 included)")


if __name__ == "__main__":
    main()
