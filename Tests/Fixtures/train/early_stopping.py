#!/usr/bin/env python3
"""Writes early_stopping.json: when PyTorch Lightning's EarlyStopping stops a
real `lightning.Trainer` fed a recorded metric history.

Lightning is the oracle for Flint's `train.early_stopping`: each case logs the
history's value for the epoch from `on_validation_epoch_end` (as a float, which
Lightning stores as a float32 tensor) and records how many epochs ran, the
epoch it stopped at, the best score and the wait count.

    pip install lightning
    python3 Tests/Fixtures/train/early_stopping.py
"""
import json
import logging
import math
import os
import warnings

import torch
import lightning_utilities.core.imports as _imports

# A torchvision built for another torch breaks importing lightning (through
# torchmetrics); these fixtures need no vision, so treat it as absent.
_available = _imports.RequirementCache.__bool__
_imports.RequirementCache.__bool__ = lambda self: (
    False if str(getattr(self, "requirement", "")).startswith("torchvision") else _available(self))

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping

HERE = os.path.dirname(os.path.abspath(__file__))
nan, inf = float("nan"), float("inf")

CASES = [
    # name, history, monitor kwargs, check_val_every_n_epoch
    ("min_plateau", [1.0, 0.8, 0.7, 0.71, 0.72, 0.70, 0.69, 0.75, 0.76, 0.77, 0.78, 0.79], dict(mode="min", patience=3), 1),
    ("min_patience_0", [1.0, 0.9, 0.95, 0.5], dict(mode="min", patience=0), 1),
    ("min_patience_1", [1.0, 0.9, 0.95, 0.5, 0.4], dict(mode="min", patience=1), 1),
    ("equal_is_no_improvement", [0.5, 0.5, 0.5, 0.5, 0.5], dict(mode="min", patience=2), 1),
    ("min_delta", [1.0, 0.95, 0.91, 0.88, 0.80, 0.79, 0.785, 0.70], dict(mode="min", patience=2, min_delta=0.05), 1),
    ("min_delta_exact_boundary", [1.0, 0.9, 0.8, 0.7, 0.6], dict(mode="min", patience=1, min_delta=0.1), 1),
    ("max_accuracy", [0.1, 0.5, 0.6, 0.6, 0.59, 0.61, 0.62, 0.62, 0.62], dict(mode="max", patience=2), 1),
    ("max_delta", [0.1, 0.5, 0.52, 0.53, 0.70, 0.71, 0.72], dict(mode="max", patience=2, min_delta=0.02), 1),
    ("nan_stops", [1.0, 0.9, nan, 0.5, 0.4], dict(mode="min", patience=5), 1),
    ("inf_stops", [1.0, inf, 0.5], dict(mode="min", patience=5), 1),
    ("float32_tie", [0.3, 0.30000000001, 0.29999999999, 0.3], dict(mode="min", patience=2), 1),
    ("never_stops", [5.0, 4.0, 3.0, 2.0, 1.0], dict(mode="min", patience=1), 1),
    ("val_every_2", [1.0, 0.9, 0.8, 0.95, 0.86, 0.97, 0.5, 0.98, 0.3, 0.2], dict(mode="min", patience=2), 2),
]


class Recorded(L.LightningModule):
    """A module whose validation metric is read from a recorded history."""

    def __init__(self, history, monitor):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.history, self.monitor = history, monitor
        self.epochs_trained = 0

    def training_step(self, batch, _):
        return (self.w * batch[0]).sum() ** 2

    def on_train_epoch_end(self):
        self.epochs_trained += 1

    def validation_step(self, batch, _):
        pass

    def on_validation_epoch_end(self):
        self.log(self.monitor, self.history[self.current_epoch])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def loader():
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(1, 1)), batch_size=1)


def number(v):
    v = float(v)
    return "nan" if math.isnan(v) else ("inf" if v == inf else ("-inf" if v == -inf else v))


def run(history, kwargs, every):
    monitor = "val/loss" if kwargs["mode"] == "min" else "val/accuracy"
    stopper = EarlyStopping(monitor=monitor, **kwargs)
    module = Recorded(history, monitor)
    trainer = L.Trainer(max_epochs=len(history), callbacks=[stopper], check_val_every_n_epoch=every,
                        num_sanity_val_steps=0, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(module, loader(), loader())
    return dict(epochs_trained=module.epochs_trained, stopped_epoch=stopper.stopped_epoch,
                best_score=number(stopper.best_score), wait_count=stopper.wait_count, monitor=monitor)


def main():
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    cases = []
    for name, history, kwargs, every in CASES:
        out = run(history, kwargs, every)
        cases.append(dict(name=name, history=[number(v) for v in history], mode=kwargs["mode"],
                          patience=kwargs["patience"], min_delta=kwargs.get("min_delta", 0.0),
                          eval_every_epochs=every, expected=out))
    doc = dict(generator="Tests/Fixtures/train/early_stopping.py", lightning=L.__version__, cases=cases)
    with open(os.path.join(HERE, "early_stopping.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases (lightning {L.__version__})")


if __name__ == "__main__":
    main()
