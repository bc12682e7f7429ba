#!/usr/bin/env python3
"""Writes spec_training.json: PyTorch runs of the training-loop features a spec
turns on, for FlintTrainTests.SpecTrainingParityTests to repeat through `flint`'s
trainer and compare.

Each case trains a small model on a fixed dataset in a fixed order (no shuffle)
from PyTorch's own initial weights, as a plain PyTorch loop would:
parameter groups (no weight decay on biases and norms, another rate for one weight), gradient clipping
after accumulation (clip_grad_norm_, clip_grad_value_), OneCycleLR stepped per
batch with its length inferred, ReduceLROnPlateau on the validation loss, a model
with two outputs and a weighted sum of losses, and CosineEmbeddingLoss over two
outputs. It records the initial state dict, the data, the learning rate after
every scheduler step and the final parameters. `init` records what torch.nn.init
draws (mean, std, bounds) for the initialisers a spec can name.

    python3 Tests/Fixtures/train/spec_training.py [--seed N]
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
N_TRAIN, N_VAL, FEATURES, CLASSES, BATCH = 24, 8, 4, 3, 4


def as_list(t):
    return t.detach().double().flatten().tolist()


def state(module):
    return {k: {"shape": list(v.shape), "values": as_list(v), "dtype": str(v.dtype).replace("torch.", "")}
            for k, v in module.state_dict().items()}


class Classifier(nn.Module):
    """fc1 -> relu -> bn -> fc2, as `{type: linear, name: fc1}, relu, {type: batch_norm1d, name: bn}, fc2`.

    (A bias straight before batch norm would have a gradient of rounding noise only,
    which Adam scales up to steps of any size: no two implementations would agree.)
    """

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, CLASSES)

    def forward(self, x):
        return [self.fc2(self.bn(F.relu(self.fc1(x))))]


class TwoHeads(nn.Module):
    """A shared code with a classifier head and a reconstruction head (model.outputs: [logits, recon])."""

    def __init__(self):
        super().__init__()
        self.code = nn.Linear(FEATURES, 6)
        self.logits = nn.Linear(6, CLASSES)
        self.recon = nn.Linear(6, FEATURES)

    def forward(self, x):
        h = F.relu(self.code(x))
        return [self.logits(h), self.recon(h)]


class Towers(nn.Module):
    """Two linear towers over the same input (model.outputs: [left, right])."""

    def __init__(self):
        super().__init__()
        self.left = nn.Linear(FEATURES, 3)
        self.right = nn.Linear(FEATURES, 3)

    def forward(self, x):
        return [self.left(x), self.right(x)]


def cross_entropy(outs, x, y):
    return F.cross_entropy(outs[0], y)


def run(model, make_optimizer, data, loss_fn, epochs, make_scheduler=None, interval="epoch",
        clip=None, accumulate=1, val=None, monitor=False):
    x, y = data
    initial = state(model)
    optimizer = make_optimizer(model)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    lrs, epoch_lrs, losses, val_losses = [], [], [], []
    batches = N_TRAIN // BATCH
    for _ in range(epochs):
        model.train()
        epoch_lrs.append(optimizer.param_groups[0]["lr"])
        for b in range(batches):
            xb, yb = x[b * BATCH:(b + 1) * BATCH], y[b * BATCH:(b + 1) * BATCH]
            loss = loss_fn(model(xb), xb, yb)
            losses.append(loss.item())
            (loss / accumulate if accumulate > 1 else loss).backward()
            if (b + 1) % accumulate != 0 and b + 1 != batches:
                continue
            if clip and clip[0] == "norm":
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip[1], norm_type=clip[2])
            elif clip:
                torch.nn.utils.clip_grad_value_(model.parameters(), clip[1])
            optimizer.step()
            optimizer.zero_grad()
            if scheduler is not None and interval == "step":
                scheduler.step()
                lrs.append(optimizer.param_groups[0]["lr"])
        if val is not None:
            model.eval()
            with torch.no_grad():
                val_losses.append(loss_fn(model(val[0]), val[0], val[1]).item())
        if scheduler is not None and interval == "epoch":
            if monitor:
                scheduler.step(val_losses[-1])
            else:
                scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
    return {"initial": initial, "final": state(model), "lrs": lrs, "epoch_lrs": epoch_lrs,
            "losses": losses, "val_losses": val_losses}


def init_stats():
    """Empirical mean and std of torch.nn.init on large tensors, and the bounds of the uniform ones."""
    cases = [
        ("kaiming_uniform", [256, 128], dict(mode="fan_in", nonlinearity="relu")),
        ("kaiming_normal", [128, 64, 3, 3], dict(mode="fan_out", nonlinearity="relu")),
        ("kaiming_normal", [256, 128], dict(a=0.2, mode="fan_in", nonlinearity="leaky_relu")),
        ("xavier_uniform", [256, 128], dict(gain=2.0)),
        ("xavier_normal", [64, 32, 5, 5], dict(gain=1.0)),
        ("normal", [256, 128], dict(mean=0.5, std=0.02)),
        ("uniform", [256, 128], dict(a=-0.3, b=0.1)),
        ("trunc_normal", [256, 128], dict(mean=0.0, std=1.0, a=-0.5, b=1.5)),
        ("orthogonal", [64, 128], dict(gain=1.5)),
    ]
    out = []
    for name, shape, kwargs in cases:
        t = torch.empty(shape)
        getattr(nn.init, name + "_")(t, **kwargs)
        flat = t.flatten(1) if name == "orthogonal" else None
        entry = {"type": name, "shape": shape, "kwargs": kwargs, "mean": t.mean().item(), "std": t.std().item(),
                 "min": t.min().item(), "max": t.max().item()}
        if flat is not None:
            entry["gram_diagonal"] = (flat @ flat.T).diagonal().mean().item()
        out.append(entry)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    torch.manual_seed(seed)
    x = torch.randn(N_TRAIN, FEATURES)
    y = torch.randint(0, CLASSES, (N_TRAIN,))
    val = (torch.randn(N_VAL, FEATURES), torch.randint(0, CLASSES, (N_VAL,)))
    pairs = torch.randint(0, 2, (N_TRAIN,)) * 2 - 1

    def groups(model):
        # The spec's param_groups: the rest first, then [*.bias, bn.*] without decay, then fc2.weight at lr 0.2.
        # (SGD: Adam's steps scale every tiny gradient up to lr, so over many steps of a tiny model float
        # rounding decides them and no two implementations agree to 1e-4; its per-step parity is in FlintNNTests.)
        named = dict(model.named_parameters())
        no_decay = [p for n, p in named.items() if n.endswith(".bias") or n.startswith("bn.")]
        return torch.optim.SGD([
            {"params": [named["fc1.weight"]]},
            {"params": no_decay, "weight_decay": 0.0},
            {"params": [named["fc2.weight"]], "lr": 0.2},
        ], lr=0.05, momentum=0.9, weight_decay=0.1)

    def sgd(lr, momentum=0.0):
        return lambda model: torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)

    cases = {}
    torch.manual_seed(seed + 1)
    cases["param_groups"] = run(Classifier(), groups, (x, y), cross_entropy, epochs=2)
    torch.manual_seed(seed + 2)
    cases["clip_grad_norm"] = run(Classifier(), sgd(0.1, 0.9), (x, y), cross_entropy, epochs=2,
                                  clip=("norm", 0.05, 2.0), accumulate=2)
    torch.manual_seed(seed + 3)
    cases["clip_grad_norm_inf"] = run(Classifier(), sgd(0.1), (x, y), cross_entropy, epochs=1, clip=("norm", 0.02, math.inf))
    torch.manual_seed(seed + 4)
    cases["clip_grad_value"] = run(Classifier(), sgd(0.5), (x, y), cross_entropy, epochs=1, clip=("value", 0.01))
    torch.manual_seed(seed + 5)
    # OneCycleLR without total_steps in the spec: the run's 3 epochs of 6 optimizer steps.
    cases["one_cycle_per_step"] = run(Classifier(), sgd(0.1, 0.9), (x, y), cross_entropy, epochs=3, interval="step",
                                      make_scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=18))
    torch.manual_seed(seed + 6)
    cases["plateau"] = run(Classifier(), sgd(0.5), (x, y), cross_entropy, epochs=5, val=val, monitor=True,
                           make_scheduler=lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
                               o, factor=0.5, patience=0, threshold=0.1))
    torch.manual_seed(seed + 7)
    cases["two_outputs"] = run(TwoHeads(), sgd(0.1), (x, y),
                               lambda outs, xb, yb: F.cross_entropy(outs[0], yb) + 0.5 * F.mse_loss(outs[1], xb), epochs=1)
    torch.manual_seed(seed + 8)
    cases["cosine_embedding"] = run(Towers(), sgd(0.1), (x, pairs),
                                    lambda outs, xb, yb: F.cosine_embedding_loss(outs[0], outs[1], yb, margin=0.2), epochs=1)
    doc = {
        "seed": seed, "batch_size": BATCH,
        "x": as_list(x), "y": y.tolist(), "pairs": pairs.tolist(), "val_x": as_list(val[0]), "val_y": val[1].tolist(),
        "features": FEATURES, "cases": cases, "init": init_stats(),
        "torch": torch.__version__,
    }
    with open(os.path.join(HERE, "spec_training.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
