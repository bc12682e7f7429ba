#!/usr/bin/env python3
"""The ring-allreduce cost model of docs/distributed.md, as numbers:

    T(N) = 2 (N - 1) / N * B / BW  +  2 (N - 1) * alpha

for the gradient bytes B of each model (float32: 4 bytes per parameter), at
N = 8, 64, 512 ranks on 10, 25 and 100 Gb/s links, and the step efficiency
t / (t + T) for a per-rank compute time t of one step (no overlap of
allreduce with backward; with perfect overlap it would be t / max(t, T)).

    python3 bench/ddp/cost_model.py [--step-ms 30]
"""
import argparse

MODELS = [  # name, parameters (flint summary; the last two for scale)
    ("models/mnist_mlp.yaml", 235_146),
    ("models/mnist_cnn.yaml", 215_370),
    ("models/mnist_resnet.yaml", 51_610),
    ("models/mnist_lstm.yaml", 41_994),
    ("ResNet-50 (torchvision)", 25_557_032),
    ("BERT-base", 110_000_000),
]
LINKS = [  # name, bits/s, per-message latency alpha (s)
    ("10 Gb/s Ethernet (TCP)", 10e9, 30e-6),
    ("25 Gb/s Ethernet (RoCE)", 25e9, 10e-6),
    ("100 Gb/s InfiniBand", 100e9, 2e-6),
]


def ring(nbytes, n, bandwidth_bits, alpha):
    return 2 * (n - 1) / n * nbytes * 8 / bandwidth_bits + 2 * (n - 1) * alpha


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step-ms", type=float, default=30.0, help="compute time of one step on one rank")
    args = ap.parse_args()
    t = args.step_ms / 1000
    print(f"| model | gradient MB/step | link | T(8) | T(64) | T(512) | efficiency at {args.step_ms:g} ms/step: 8 / 64 / 512 |"
          " step time for 90% at 512 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, params in MODELS:
        b = 4 * params
        for link, bw, alpha in LINKS:
            ts = [ring(b, n, bw, alpha) for n in (8, 64, 512)]
            eff = " / ".join(f"{100 * t / (t + x):.0f}%" for x in ts)
            print(f"| {name} | {b / 1e6:.2f} | {link} | " + " | ".join(f"{x * 1000:.2f} ms" for x in ts)
                  + f" | {eff} | {9 * ts[2] * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
