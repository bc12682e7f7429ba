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
outputs. Adam, AdamW with AMSGrad, NAdam and RAdam with parameter groups train a
smooth regressor (tanh, no batch norm) whose gradients are all far from zero, so
their normalised steps depend on the data and not on float rounding; so does the
ReduceLROnPlateau case, whose 5 epochs of SGD would magnify rounding through batch
norm, on validation targets from the same function; OneCycleLR
runs inside SequentialLR with the length of its segment. It records the initial
state dict, the data, the learning rate after every scheduler step and the final
parameters. `init` records what torch.nn.init
draws (mean, std, bounds) for the initialisers a spec can name.

    python3 Tests/Fixtures/train/spec_training.py [--seed N]
"""
import argparse
import copy
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
N_TRAIN, N_VAL, FEATURES, CLASSES, TARGETS, BATCH = 24, 8, 4, 3, 3, 4
RUN_STEPS = 3 * N_TRAIN // BATCH  # scheduler steps of a 3-epoch run stepped per batch


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


class Regressor(nn.Module):
    """fc1 -> tanh -> fc2, as `{type: linear, name: fc1}, {type: tanh}, {type: linear, name: fc2}`.

    Smooth and without batch norm: every gradient is well away from zero (and from eps),
    so Adam-family steps, which divide by the gradients' running RMS, agree to float
    rounding between implementations instead of amplifying it.
    """

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 8)
        self.fc2 = nn.Linear(8, TARGETS)

    def forward(self, x):
        return [self.fc2(torch.tanh(self.fc1(x)))]


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


def mse(outs, x, y):
    return F.mse_loss(outs[0], y)


def adam_family(cls, group_overrides, **kwargs):
    """The spec's `param_groups: [{params: '*.bias', weight_decay: 0}, {params: fc2.weight, ...}]`:
    fc1.weight with the optimizer's own settings, the biases without weight decay, fc2.weight with
    `group_overrides` (another rate, and more)."""
    def make(model):
        named = dict(model.named_parameters())
        return cls([
            {"params": [named["fc1.weight"]]},
            {"params": [named["fc1.bias"], named["fc2.bias"]], "weight_decay": 0.0},
            dict(group_overrides, params=[named["fc2.weight"]]),
        ], **kwargs)
    return make


def adam_case(seed, data, cls, group_overrides, **kwargs):
    """A 3-epoch regression run with parameter groups, and how far the groups moved the result:
    the largest difference from the same run with the optimizer's settings for every parameter."""
    torch.manual_seed(seed)
    model = Regressor()
    initial = copy.deepcopy(model.state_dict())
    case = run(model, adam_family(cls, group_overrides, **kwargs), data, mse, epochs=3)
    plain = Regressor()
    plain.load_state_dict(initial)
    optimizer = {}

    def make_plain(m):
        optimizer["plain"] = cls(m.parameters(), **kwargs)
        return optimizer["plain"]
    run(plain, make_plain, data, mse, epochs=3)
    case["group_effect"] = max((a - b).abs().max().item()
                               for a, b in zip(model.state_dict().values(), plain.state_dict().values()))
    if kwargs.get("amsgrad"):
        # Elements whose step used the running maximum rather than the current second moment.
        state = optimizer["plain"].state.values()
        case["amsgrad_active"] = sum(int((s["max_exp_avg_sq"] > s["exp_avg_sq"]).sum()) for s in state)
    return case


def one_cycle_in_sequential(children, milestones):
    """SequentialLR over (class, kwargs) children; OneCycleLR's total_steps is its segment's
    span as the spec infers it: the steps between its milestones, the last one running to the
    end of training (RUN_STEPS scheduler steps)."""
    bounds = [0] + milestones + [RUN_STEPS]

    def make(optimizer):
        made = []
        for i, (cls, kwargs) in enumerate(children):
            if cls is torch.optim.lr_scheduler.OneCycleLR and "total_steps" not in kwargs:
                kwargs = dict(kwargs, total_steps=bounds[i + 1] - bounds[i])
            made.append(cls(optimizer, **kwargs))
        return torch.optim.lr_scheduler.SequentialLR(optimizer, made, milestones=milestones)
    return make


def run(model, make_optimizer, data, loss_fn, epochs, make_scheduler=None, interval="epoch",
        clip=None, accumulate=1, val=None, monitor=False):
    """Trains `model` as the spec would, and records `final_float64`: the same run in float64.
    How far torch's own float32 result lies from it is the drift float32 rounding causes in
    this run (large where batch norm or a high rate amplifies it); the test allows Flint that
    much on top of its tolerance, since its float32 rounding differs from torch's."""
    twin = copy.deepcopy(model).double()
    result = train_loop(model, make_optimizer, data, loss_fn, epochs, make_scheduler, interval, clip, accumulate,
                        val, monitor)
    as_double = lambda t: t.double() if t.is_floating_point() else t
    twin_val = None if val is None else (as_double(val[0]), as_double(val[1]))
    twin_result = train_loop(twin, make_optimizer, (as_double(data[0]), as_double(data[1])), loss_fn, epochs,
                             make_scheduler, interval, clip, accumulate, twin_val, monitor)
    result["final_float64"] = twin_result["final"]
    return result


def train_loop(model, make_optimizer, data, loss_fn, epochs, make_scheduler, interval, clip, accumulate, val, monitor):
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
    # Regression targets of order one from a fixed smooth function of x, plus noise.
    weights = torch.randn(FEATURES, TARGETS)
    targets = 2 * torch.tanh(x @ weights) + 0.3 * torch.randn(N_TRAIN, TARGETS)
    regression = (x, targets)
    # Validation targets from the same function (drawn last, so the data above is what it was).
    val_targets = 2 * torch.tanh(val[0] @ weights) + 0.3 * torch.randn(N_VAL, TARGETS)

    def groups(model):
        # The spec's param_groups: the rest first, then [*.bias, bn.*] without decay, then fc2.weight at lr 0.2.
        # (SGD: with batch norm some gradients are rounding noise, which Adam's steps scale up to lr; the
        # Adam-family group cases below train the smooth Regressor instead.)
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
    # ReduceLROnPlateau on the regressor's validation MSE (smooth, no batch norm: 30 SGD steps agree to
    # float rounding). threshold 0.5 (relative): an epoch improves only if it halves the best val loss,
    # which these runs do not keep up for four epochs, so the rate always falls at least once.
    cases["plateau"] = run(Regressor(), sgd(0.1), regression, mse, epochs=5, val=(val[0], val_targets), monitor=True,
                           make_scheduler=lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
                               o, factor=0.5, patience=0, threshold=0.5))
    # How near each decision was: the smallest |val loss - best·(1 - threshold)| / best over epochs 2..5.
    best, margins = math.inf, []
    for loss in cases["plateau"]["val_losses"]:
        if best < math.inf:
            margins.append(abs(loss - best * 0.5) / best)
        best = loss if loss < best * 0.5 else best
    cases["plateau"]["decision_margin"] = min(margins)
    torch.manual_seed(seed + 7)
    cases["two_outputs"] = run(TwoHeads(), sgd(0.1), (x, y),
                               lambda outs, xb, yb: F.cross_entropy(outs[0], yb) + 0.5 * F.mse_loss(outs[1], xb), epochs=1)
    torch.manual_seed(seed + 8)
    cases["cosine_embedding"] = run(Towers(), sgd(0.1), (x, pairs),
                                    lambda outs, xb, yb: F.cosine_embedding_loss(outs[0], outs[1], yb, margin=0.2), epochs=1)
    # Adam-family optimizers with parameter groups, 3 epochs of 6 steps.
    cases["adam_param_groups"] = adam_case(seed + 9, regression, torch.optim.Adam, {"lr": 0.03, "betas": (0.8, 0.99)},
                                           lr=0.01, weight_decay=0.1)
    cases["adamw_amsgrad_param_groups"] = adam_case(seed + 10, regression, torch.optim.AdamW, {"lr": 0.03, "amsgrad": False},
                                                    lr=0.01, betas=(0.9, 0.6), weight_decay=0.1, amsgrad=True)
    cases["nadam_param_groups"] = adam_case(seed + 11, regression, torch.optim.NAdam, {"lr": 0.03, "decoupled_weight_decay": True},
                                            lr=0.01, weight_decay=0.05, momentum_decay=0.01)
    cases["radam_param_groups"] = adam_case(seed + 12, regression, torch.optim.RAdam, {"lr": 0.03, "weight_decay": 0.01},
                                            lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)
    # OneCycleLR inside SequentialLR, stepped per batch: 3 epochs of 6 steps.
    lr_sched = torch.optim.lr_scheduler
    torch.manual_seed(seed + 13)
    cases["sequential_one_cycle_last"] = run(
        Regressor(), sgd(0.1, 0.9), regression, mse, epochs=3, interval="step",
        make_scheduler=one_cycle_in_sequential([(lr_sched.LinearLR, {"start_factor": 0.25, "total_iters": 4}),
                                                (lr_sched.OneCycleLR, {"max_lr": 0.3})], [4]))
    torch.manual_seed(seed + 14)
    cases["sequential_one_cycle_middle"] = run(
        Regressor(), sgd(0.1, 0.9), regression, mse, epochs=3, interval="step",
        make_scheduler=one_cycle_in_sequential([(lr_sched.ConstantLR, {"factor": 0.5, "total_iters": 3}),
                                                (lr_sched.OneCycleLR, {"max_lr": 0.3, "three_phase": True}),
                                                (lr_sched.ExponentialLR, {"gamma": 0.9})], [3, 12]))
    doc = {
        "seed": seed, "batch_size": BATCH,
        "x": as_list(x), "y": y.tolist(), "targets": as_list(targets), "target_features": TARGETS,
        "run_steps": RUN_STEPS, "pairs": pairs.tolist(), "val_x": as_list(val[0]), "val_y": val[1].tolist(),
        "val_targets": as_list(val_targets),
        "features": FEATURES, "cases": cases, "init": init_stats(),
        "torch": torch.__version__,
    }
    with open(os.path.join(HERE, "spec_training.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
