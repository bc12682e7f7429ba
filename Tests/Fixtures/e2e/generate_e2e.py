#!/usr/bin/env python3
"""Writes the end-to-end training fixture that EndToEndParityTests reads.

PyTorch is the oracle: a small CNN (conv2d, relu, max_pool2d, conv2d, relu,
max_pool2d, flatten, linear) starts from PyTorch's default initialisation and
trains for 50 steps on MNIST batches, once with SGD + momentum and once with
Adam. The fixture holds what Flint needs to repeat the run and what it must
reach:

- the model's sizes and its initial state_dict (PyTorch names and layouts);
- where datasets/mnist.h5 keeps train/images and train/labels (byte offsets
  of its contiguous datasets, so the Swift test reads the same file without
  an HDF5 library) and a checksum of every batch, so a changed file fails loudly;
- per optimizer: the batch index lists in order, the loss at every step, the
  loss of the trained model on a fixed evaluation batch, and a summary
  (sum, sum of squares) of every tensor of the final state_dict.

    python3 Tests/Fixtures/e2e/generate_e2e.py --seed 0

The Swift test must pass for fixtures made with any seed.
"""
import argparse
import json
import os

import h5py
import numpy
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DATASET = "datasets/mnist.h5"

STEPS = 50
BATCH = 16
EVAL_BATCH = 256
CHANNELS = (4, 8)
KERNEL = 5
PADDING = 2
MEAN, STD = 0.1307, 0.3081
OPTIMIZERS = {
    "sgd": {"lr": 0.02, "momentum": 0.9},
    "adam": {"lr": 2e-3, "betas": [0.9, 0.999], "eps": 1e-8},
}


def model(in_hw):
    c1, c2 = CHANNELS
    flat = c2 * (in_hw // 4) * (in_hw // 4)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, c1, KERNEL, padding=PADDING), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, KERNEL, padding=PADDING), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(flat, 10))


def normalized(images_u8):
    """to_tensor then normalize, as the spec's transforms do: uint8 -> [0, 1] -> standardised."""
    return (torch.from_numpy(images_u8).float() / 255 - MEAN) / STD


def f32(v):
    """The shortest decimal that round-trips a float32, so the file stays small and exact."""
    return float(str(numpy.float32(v)))


def encode(t):
    return {"shape": list(t.shape), "values": [f32(v) for v in t.detach().reshape(-1).tolist()]}


def summary(t):
    d = t.detach().double()
    return {"shape": list(t.shape), "sum": d.sum().item(), "sum_sq": (d * d).sum().item()}


def batch(images, labels, idx):
    order = numpy.sort(idx)  # h5py reads increasing indices; put them back in the drawn order
    where = numpy.searchsorted(order, idx)
    x, y = images[order][where], labels[order][where]
    return x, y


def train(name, net, opts, images, labels, batches, eval_x, eval_y):
    loss_fn = torch.nn.CrossEntropyLoss()
    if name == "sgd":
        opt = torch.optim.SGD(net.parameters(), **opts)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=opts["lr"], betas=tuple(opts["betas"]), eps=opts["eps"])
    losses = []
    for idx in batches:
        x, y = batch(images, labels, idx)
        loss = loss_fn(net(normalized(x)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        final = loss_fn(net(eval_x), eval_y).item()
    return {"optimizer": name, "options": opts,
            "batches": [[int(i) for i in idx] for idx in batches],
            "losses": losses, "final_loss": final,
            "final_state": {k: summary(v) for k, v in net.state_dict().items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "cnn.json"))
    opts = parser.parse_args()
    torch.manual_seed(opts.seed)
    torch.use_deterministic_algorithms(True)
    rng = numpy.random.default_rng(opts.seed)

    with h5py.File(os.path.join(ROOT, DATASET), "r") as f:
        images, labels = f["train/images"], f["train/labels"]
        n, _, hw, _ = images.shape
        source = {"file": DATASET}
        for key, ds in (("images", images), ("labels", labels)):
            offset = ds.id.get_offset()
            if offset is None or ds.chunks is not None or ds.compression is not None:
                raise SystemExit(f"{DATASET}:{ds.name} is not stored contiguously; the test reads it by byte offset")
            source[key] = {"dataset": ds.name, "offset": int(offset), "shape": list(ds.shape), "dtype": str(ds.dtype)}

        net = model(hw)
        initial = {k: encode(v) for k, v in net.state_dict().items()}
        init_state = {k: v.clone() for k, v in net.state_dict().items()}

        eval_idx = rng.choice(n, EVAL_BATCH, replace=False)
        ex, ey = batch(images, labels, eval_idx)
        eval_x, eval_y = normalized(ex), torch.from_numpy(ey)

        cases = []
        for name, o in OPTIMIZERS.items():
            batches = [rng.choice(n, BATCH, replace=False) for _ in range(STEPS)]
            net.load_state_dict(init_state)
            cases.append(train(name, net, o, images, labels, batches, eval_x, eval_y))
            checks = []
            for idx in batches:
                x, y = batch(images, labels, idx)
                checks.append([int(x.astype(numpy.int64).sum()), int(y.sum())])
            cases[-1]["batch_checksums"] = checks

    fixture = {"seed": opts.seed, "torch": torch.__version__, "source": source,
               "model": {"input": [1, hw, hw], "channels": list(CHANNELS), "kernel_size": KERNEL, "padding": PADDING,
                         "classes": 10},
               "normalize": {"mean": MEAN, "std": STD},
               "eval_batch": [int(i) for i in eval_idx],
               "initial_state": initial, "cases": cases}
    text = json.dumps(fixture, separators=(",", ":"))
    with open(opts.out, "w") as f:
        f.write(text)
    print(f"{os.path.relpath(opts.out, ROOT)}: {len(cases)} cases x {STEPS} steps, {len(text)} bytes; "
          + ", ".join(f"{c['optimizer']} loss {c['losses'][0]:.4f} -> {c['losses'][-1]:.4f}, final {c['final_loss']:.4f}"
                      for c in cases))


if __name__ == "__main__":
    main()
