"""Writes fixtures/metrics.json: random scores, labels and regression targets
with the metrics `flint eval` must report for them, computed here with numpy
from the definitions scikit-learn uses (and checked against scikit-learn
itself when it is installed), and under "registry" every metric of
`train.metrics` (multiclass and binary) computed by scikit-learn itself.
The Swift tests (EvalTests, MetricRegistryTests) read the file.

    python3 Tests/Interop/make_metrics_fixture.py [--seed N]

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
        f"top_{k}_accuracy": float((above < k).mean()),
        "precision": float(precision[present].mean()),
        "recall": float(recall[present].mean()),
        "f1": float(f1[present].mean()),
        "weighted_f1": float((f1 * support).sum() / support.sum()),
    }
    try:
        from sklearn import metrics as skm

        assert np.array_equal(cm, skm.confusion_matrix(labels, pred, labels=list(range(classes))))
        p, r, f, _ = skm.precision_recall_fscore_support(labels, pred, average="macro", zero_division=0)
        assert np.allclose([p, r, f], [metrics["precision"], metrics["recall"], metrics["f1"]])
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


def registry(g):
    """Every metric of the registry, by its logged name, from scikit-learn."""
    from sklearn import metrics as skm

    n, classes = 89, 5
    # float32 scores, as a model gives them; sklearn reads the same values in float64.
    scores = torch.randn(n, classes, generator=g) * 2
    labels = torch.randint(0, classes, (n,), generator=g)
    labels[:classes] = torch.arange(classes)  # every class occurs, as one-vs-rest AUROC needs
    s = scores.numpy().astype(np.float64)
    y = labels.numpy()
    pred = s.argmax(axis=1)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    multi = [{"type": "accuracy", "name": "accuracy", "value": skm.accuracy_score(y, pred)}]
    for k in range(1, classes + 1):
        multi.append({"type": "top_k_accuracy", "k": k, "name": f"top_{k}_accuracy",
                      "value": skm.top_k_accuracy_score(y, s, k=k, labels=list(range(classes)))})
    functions = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
    for kind, f in functions.items():
        for average in ["macro", "micro", "weighted"]:
            name = kind if average == "macro" else f"{average}_{kind}"
            multi.append({"type": kind, "average": average, "name": name,
                          "value": f(y, pred, average=average, zero_division=0)})
    for average in ["macro", "weighted"]:
        multi.append({"type": "auroc", "average": average, "name": "auroc" if average == "macro" else "weighted_auroc",
                      "value": skm.roc_auc_score(y, probs, multi_class="ovr", average=average)})

    # Binary: one logit per sample, rounded so that tied scores test AUROC's handling of ties.
    logits = torch.round(torch.randn(n, generator=g) * 20) / 10
    targets = (torch.rand(n, generator=g) < torch.sigmoid(logits)).to(torch.float32)
    lo = logits.numpy().astype(np.float64)
    t = targets.numpy().astype(np.int64)
    bp = (lo > 0).astype(np.int64)  # sigmoid(logit) > 0.5
    binary = [{"type": "accuracy", "name": "accuracy", "value": skm.accuracy_score(t, bp)},
              {"type": "auroc", "name": "auroc", "value": skm.roc_auc_score(t, lo)}]
    for kind, f in functions.items():
        binary.append({"type": kind, "name": kind, "value": f(t, bp, zero_division=0)})
    for m in multi + binary:
        m["value"] = float(m["value"])
    return {
        "multiclass": {"classes": classes, "scores": scores.numpy().ravel().tolist(), "labels": y.tolist(),
                       "confusion_matrix": skm.confusion_matrix(y, pred, labels=list(range(classes))).tolist(),
                       "metrics": multi},
        "binary": {"logits": logits.numpy().tolist(), "targets": targets.numpy().tolist(), "metrics": binary},
    }


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
        "registry": registry(g),
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
