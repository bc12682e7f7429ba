"""Writes fixtures/metrics.json: random scores, labels and regression targets
with the metrics `flint eval` must report for them, computed here with numpy
from the definitions scikit-learn uses (and checked against scikit-learn
itself when it is installed). The Swift tests (EvalTests) read the file.

    python3 tests/interop/make_metrics_fixture.py [--seed N]

Any seed gives a valid fixture; the committed one used seed 0.
"""
import argparse
import json
import os

import numpy as np
import torch


def classification(scores, labels, classes, k):
    pred = scores.argmax(axis=1)
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    present = (support > 0) | (predicted > 0)
    own = scores[np.arange(len(labels)), labels]
    above = (scores > own[:, None]).sum(axis=1)
    metrics = {
        "accuracy": float((pred == labels).mean()),
        f"top{k}_accuracy": float((above < k).mean()),
        "macro_precision": float(precision[present].mean()),
        "macro_recall": float(recall[present].mean()),
        "macro_f1": float(f1[present].mean()),
        "weighted_f1": float((f1 * support).sum() / support.sum()),
    }
    try:
        from sklearn import metrics as skm

        assert np.array_equal(cm, skm.confusion_matrix(labels, pred, labels=list(range(classes))))
        p, r, f, _ = skm.precision_recall_fscore_support(labels, pred, average="macro", zero_division=0)
        assert np.allclose([p, r, f], [metrics["macro_precision"], metrics["macro_recall"], metrics["macro_f1"]])
    except ImportError:
        pass
    return metrics, cm, precision, recall, f1, support


def regression(outputs, targets):
    err = outputs - targets
    ss_res = (err ** 2).sum(axis=0)
    ss_tot = ((targets - targets.mean(axis=0)) ** 2).sum(axis=0)
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.where(ss_res == 0, 1.0, 0.0))
    metrics = {"mse": float((err ** 2).mean()), "mae": float(np.abs(err).mean()), "r2": float(r2.mean())}
    try:
        from sklearn import metrics as skm

        assert np.isclose(metrics["r2"], skm.r2_score(targets, outputs))
    except ImportError:
        pass
    return metrics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    g = torch.Generator().manual_seed(args.seed)
    n, classes, k = 97, 7, 3
    scores = torch.randn(n, classes, generator=g)
    # Class 6 is never a label and never predicted: macro averages skip it, as sklearn's do.
    scores[:, 6] = -100.0
    labels = torch.randint(0, classes - 1, (n,), generator=g)
    cls, cm, precision, recall, f1, support = classification(scores.numpy(), labels.numpy(), classes, k)
    outputs = torch.randn(n, 3, generator=g) * 2 + 1
    targets = outputs + torch.randn(n, 3, generator=g) * 0.5
    reg = regression(outputs.numpy().astype(np.float64), targets.numpy().astype(np.float64))
    fixture = {
        "seed": args.seed,
        "classification": {
            "classes": classes, "top_k": k,
            "scores": scores.numpy().ravel().tolist(), "labels": labels.numpy().tolist(),
            "metrics": cls, "confusion_matrix": cm.tolist(),
            "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "support": support.astype(int).tolist(),
        },
        "regression": {
            "width": 3, "outputs": outputs.numpy().ravel().tolist(), "targets": targets.numpy().ravel().tolist(),
            "metrics": reg,
        },
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "metrics.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
