#!/usr/bin/env python3
"""Training-step time of a character-level transformer language model (the
model of models/fortunes_char_lm.yaml: 5 pre-norm causal layers, d_model 128,
4 heads, feed-forward 512, block 64, batch 16, tied head, AdamW) in PyTorch
and in Flint, as process CPU time on one pinned core with one thread on both
sides, so that other work on the machine changes the result little.

Flint's time per step is the difference of the CPU time of two `flint train`
runs over `--short` and `--long` steps of the same data, which cancels start-up,
model building and checkpoint writing; PyTorch's is the CPU time of `--long -
--short` steps after `--short` warm-up steps. Run from the repository root after
`make build` (it re-runs itself under `taskset -c CORE`):

    python3 bench/lm/bench.py [--core 1] [--short 3] [--long 8] [--flint PATH]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB, DIM, HEADS, FF, LAYERS, BLOCK, BATCH = 114, 128, 4, 512, 5, 64, 16


def spec(data, steps):
    layers = [{"type": "embedding", "name": "wte", "num_embeddings": VOCAB, "embedding_dim": DIM},
              {"type": "positional_embedding", "name": "wpe"}]
    layers += [{"type": "transformer_encoder_layer", "name": f"h{i}", "nhead": HEADS, "dim_feedforward": FF, "dropout": 0,
                "activation": "gelu", "norm_first": True, "causal": True} for i in range(LAYERS)]
    layers += [{"type": "layer_norm", "name": "ln_f"},
               {"type": "linear", "name": "head", "out_features": VOCAB, "bias": False, "tie_weights": "wte"}]
    return {"name": f"bench-lm-{steps}", "seed": 0,
            "data": {"source": data, "train": {"tokens": "train/tokens", "block_size": BLOCK, "stride": BLOCK},
                     "batch_size": BATCH, "shuffle": False, "prefetch": 0},
            "model": {"input": [BLOCK], "layers": layers},
            "loss": {"type": "cross_entropy_loss"},
            "optimizer": {"type": "adamw", "lr": 1e-3},
            "train": {"epochs": 1}}


def tokens(steps):
    rng = np.random.default_rng(0)
    return rng.integers(0, VOCAB, size=steps * BATCH * BLOCK + 1).astype(np.uint8)


def flint_cpu_seconds(flint, workdir, steps):
    import h5py
    import yaml
    data = os.path.join(workdir, f"tokens-{steps}.h5")
    with h5py.File(data, "w") as f:
        f["train/tokens"] = tokens(steps)
    path = os.path.join(workdir, f"lm-{steps}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(spec(data, steps), f, sort_keys=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    subprocess.run([flint, "train", path, "--run-dir", os.path.join(workdir, f"run-{steps}"), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def torch_cpu_seconds_per_step(short, long):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(VOCAB, DIM)
            self.wpe = nn.Parameter(torch.randn(BLOCK, DIM))
            self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(DIM, HEADS, FF, dropout=0.0, activation="gelu",
                                                                   batch_first=True, norm_first=True) for _ in range(LAYERS))
            self.ln_f = nn.LayerNorm(DIM)
            self.head = nn.Linear(DIM, VOCAB, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, x):
            h = self.wte(x) + self.wpe[:x.shape[1]]
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            for block in self.blocks:
                h = block(h, src_mask=mask, is_causal=True)
            return self.head(self.ln_f(h))

    model = LM()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    stream = torch.from_numpy(tokens(long).astype(np.int64))

    def step(i):
        starts = [(i * BATCH + b) * BLOCK for b in range(BATCH)]
        x = torch.stack([stream[s:s + BLOCK] for s in starts])
        y = torch.stack([stream[s + 1:s + BLOCK + 1] for s in starts])
        loss = F.cross_entropy(model(x).transpose(1, 2), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for i in range(short):
        step(i)
    start = time.process_time()
    for i in range(short, long):
        step(i)
    return (time.process_time() - start) / (long - short), torch.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--short", type=int, default=3)
    ap.add_argument("--long", type=int, default=8)
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    ap.add_argument("--pinned", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.pinned and shutil.which("taskset"):
        os.execvp("taskset", ["taskset", "-c", str(args.core), sys.executable, *sys.argv, "--pinned"])
    with tempfile.TemporaryDirectory() as workdir:
        flint_short = flint_cpu_seconds(args.flint, workdir, args.short)
        flint_long = flint_cpu_seconds(args.flint, workdir, args.long)
    flint_step = (flint_long - flint_short) / (args.long - args.short)
    torch_step, version = torch_cpu_seconds_per_step(args.short, args.long)
    print(f"torch {version} (1 thread), flint OPENBLAS_NUM_THREADS=1, pinned to core {args.core}; "
          f"batch {BATCH} x block {BLOCK}, {LAYERS} layers, d_model {DIM}")
    print(json.dumps({"torch_cpu_s_per_step": round(torch_step, 4), "flint_cpu_s_per_step": round(flint_step, 4),
                      "ratio_flint_to_torch": round(flint_step / torch_step, 3)}))


if __name__ == "__main__":
    sys.exit(main())
