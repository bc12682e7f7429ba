#!/usr/bin/env python3
"""Writes the PyTorch fixtures that Flint's parity tests read.

PyTorch is the oracle: every expected value in Tests/Fixtures/*.json comes
from a run of this script, never from Flint. Each case holds the op name, its
non-tensor arguments, the input tensors (with how to make them
non-contiguous), the outputs, and the gradients of sum(out * w) for a random
w with respect to every floating-point input.

    python3 Tests/Fixtures/generate.py --seed 0

The Swift tests must pass for fixtures made with any seed.
"""
import sys

sys.dont_write_bytecode = True

import argparse
import json
import math
import os

import warnings

import numpy
import torch

import cases_core
import cases_math
import cases_nn
import cases_shape
import cases_linalg

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BYTES = 2_000_000


def encode_values(t):
    """Row-major values as JSON numbers; non-finite floats as strings (JSON has no NaN)."""
    if t.numel() == 0:
        return []
    if t._is_zerotensor():
        # PyTorch's lazily allocated zero gradients (of sign, floor, ...).
        t = torch.zeros(t.shape, dtype=t.dtype)
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        return [bool(v) for v in flat.tolist()]
    if not t.dtype.is_floating_point:
        return [int(v) for v in flat.tolist()]
    out = []
    # float32 values are written with the shortest repr that round-trips float32.
    as_f32 = t.dtype == torch.float32
    for v in flat.tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        elif as_f32:
            out.append(float(str(numpy.float32(v))))
        else:
            out.append(v)
    return out


DTYPES = {
    "bool": torch.bool, "uint8": torch.uint8, "int32": torch.int32, "int64": torch.int64,
    "float32": torch.float32, "float64": torch.float64,
}
NAMES = {v: k for k, v in DTYPES.items()}


def encode(t):
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": encode_values(t)}


def make_input(spec, gen):
    """Builds (base, view) from an input spec; base is the leaf the gradient goes to."""
    shape = list(spec["shape"])
    layout = spec.get("layout", "c")
    base_shape = list(shape)
    if layout == "t":
        base_shape[-1], base_shape[-2] = shape[-2], shape[-1]
    elif layout == "s":
        base_shape[-1] = 2 * shape[-1]
    elif layout == "e":
        base_shape[0] = 1
    dtype = DTYPES[spec.get("dtype", "float32")]
    kind = spec["kind"]
    if "values" in spec:
        base = torch.tensor(spec["values"], dtype=dtype).reshape(base_shape)
    elif kind == "float":
        lo, hi = spec.get("lo", -2.0), spec.get("hi", 2.0)
        base = (torch.rand(base_shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo).to(dtype)
    elif kind == "int":
        base = torch.randint(spec.get("lo", 0), spec.get("hi", 5), base_shape, generator=gen).to(dtype)
    elif kind == "bool":
        base = torch.rand(base_shape, generator=gen) < 0.5
    elif kind == "perm":
        # A permutation along the last dim: distinct indices (scatter without collisions).
        n = base_shape[-1]
        rows = max(1, math.prod(base_shape[:-1]))
        base = torch.stack([torch.randperm(spec["hi"], generator=gen)[:n] for _ in range(rows)]).reshape(base_shape).to(dtype)
    else:
        raise ValueError(kind)
    if layout == "t":
        view = base.transpose(-1, -2)
    elif layout == "s":
        view = base[..., ::2]
    elif layout == "e":
        view = base.expand(shape)
    else:
        view = base
    return base, view


def run_case(op, fn, inputs, args, gen, grad, tol, fd=True):
    bases, views = [], []
    for spec in inputs:
        b, v = make_input(spec, gen)
        if grad and b.dtype.is_floating_point and not spec.get("nograd", False):
            b.requires_grad_(True)
            v = make_input_view(b, spec)
        bases.append(b)
        views.append(v)
    case = {"op": op, "args": {k: json_safe(v) for k, v in args.items()},
            "inputs": [dict(encode(b), layout=s.get("layout", "c"), view_shape=list(s["shape"]))
                       for b, s in zip(bases, inputs)]}
    if callable(tol):
        tol = list(tol(*views, **args))
    if tol:
        case["tol"] = tol
    if not fd:
        case["fd"] = False
    try:
        out = fn(*views, **args)
    except (RuntimeError, ValueError, IndexError, TypeError) as e:
        case["error"] = str(e).split("\n")[0]
        return case
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    case["outputs"] = [encode(o) for o in outs]
    float_outs = [o for o in outs if o.requires_grad]
    if grad and float_outs:
        weights = []
        loss = 0
        for o in outs:
            if o.requires_grad:
                w = torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype)
                weights.append(encode(w))
                loss = loss + (o * w).sum()
            else:
                weights.append(None)
        loss.backward()
        case["weights"] = weights
        case["grads"] = [encode(b.grad) if b.requires_grad and b.grad is not None else
                         (encode(torch.zeros_like(b)) if b.requires_grad else None) for b in bases]
    return case


def json_safe(v):
    """Infinite float arguments as strings, since JSON has no infinity."""
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def make_input_view(b, spec):
    layout = spec.get("layout", "c")
    if layout == "t":
        return b.transpose(-1, -2)
    if layout == "s":
        return b[..., ::2]
    if layout == "e":
        return b.expand(list(spec["shape"]))
    return b


def main():
    # PyTorch warns about the degenerate cases the fixtures include on purpose.
    warnings.filterwarnings("ignore", message=".*degrees of freedom.*")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=HERE)
    opts = parser.parse_args()
    torch.manual_seed(opts.seed)
    gen = torch.Generator().manual_seed(opts.seed)
    modules = [cases_core, cases_math, cases_nn, cases_shape, cases_linalg]
    families = {}
    for m in modules:
        for family, entries in m.families().items():
            families.setdefault(family, []).extend(entries)
    for family, entries in families.items():
        cases = []
        for e in entries:
            for inputs, args in e["cases"]:
                cases.append(run_case(e["op"], e["fn"], inputs, args, gen, e["grad"], e.get("tol"), e.get("fd", True)))
        text = json.dumps({"family": family, "seed": opts.seed, "torch": torch.__version__, "cases": cases},
                          separators=(",", ":"))
        if len(text) > MAX_BYTES:
            raise SystemExit(f"{family}.json would be {len(text)} bytes; split the family")
        with open(os.path.join(opts.out, f"{family}.json"), "w") as f:
            f.write(text)
        print(f"{family}.json: {len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
