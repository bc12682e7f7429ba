"""Arithmetic, type promotion and comparison cases."""
import torch

from common import B, F, I, P, V, binary_cases, entry

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


def any_dtype(dtype, *shape):
    if dtype == "bool":
        return B(*shape)
    if dtype.startswith("float"):
        return F(*shape, dtype=dtype, nograd=True)
    return I(*shape, lo=1, hi=9, dtype=dtype)


def promotion():
    """Every dtype pair for each arithmetic op, tensor-tensor and tensor-0-dim (PyTorch's 'wrapped number' rule)."""
    ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
           "maximum": torch.maximum, "eq": torch.eq, "lt": torch.lt}
    out = []
    for name, fn in ops.items():
        cases = []
        for a in DTYPES:
            for b in DTYPES:
                cases.append(([any_dtype(a, 4), any_dtype(b, 4)],))
                cases.append(([any_dtype(a, 2, 2), any_dtype(b)],))
        out.append(entry(name, fn, cases, grad=False))
    return out


def arithmetic():
    return [
        entry("add", torch.add, binary_cases() + [([F(3), F(3)], {"alpha": 2.5})]),
        entry("sub", torch.sub, binary_cases() + [([F(3), F(3)], {"alpha": -0.5})]),
        entry("mul", torch.mul, binary_cases()),
        entry("div", torch.div, binary_cases(positive_rhs=True) + [([I(4, dtype="int64"), I(4, lo=1, hi=4)],)]),
        entry("maximum", torch.maximum, binary_cases()),
        entry("minimum", torch.minimum, binary_cases()),
        entry("pow", torch.pow, [([P(3, 4), F(3, 4)],), ([P(2, 3), F()],), ([I(5, hi=4), I(5, hi=3)],),
                                 ([P(3, 4, layout="t"), F(4)],)]),
        entry("neg", torch.neg, [([F(3, 4)],), ([F(2, 3, layout="t")],), ([I(4, lo=-3)],), ([F()],)]),
    ]


def compare():
    cases = [([F(3, 4), F(3, 4)],), ([F(2, 3), F(3)],), ([I(4), I(4)],), ([F(3, 4, layout="t"), F()],),
             ([V([1.0, float("nan"), 2.0], [3]), V([1.0, float("nan"), 3.0], [3])],), ([F(0, 2), F(2)],)]
    return [entry(n, getattr(torch, n), cases, grad=False) for n in ["eq", "ne", "lt", "le", "gt", "ge"]]


def creation():
    """Deterministic factories; inputs are only used for their shape and dtype (the *_like forms)."""
    return [
        entry("arange", lambda **k: torch.arange(k["start"], k["end"], k["step"]),
              [([], {"start": 0, "end": 5, "step": 1}), ([], {"start": 1.0, "end": 2.0, "step": 0.25}), ([], {"start": 5, "end": -3, "step": -2}),
               ([], {"start": 0.0, "end": 1.0, "step": 0.3}), ([], {"start": 0.0, "end": float("inf"), "step": 1.0})], grad=False),
        entry("linspace", lambda **k: torch.linspace(k["start"], k["end"], k["steps"]),
              [([], {"start": -1.0, "end": 2.0, "steps": 7}), ([], {"start": 0.0, "end": 1.0, "steps": 1}), ([], {"start": 3.0, "end": -3.0, "steps": 4})], grad=False),
        entry("logspace", lambda **k: torch.logspace(k["start"], k["end"], k["steps"], base=k.get("base", 10.0)),
              [([], {"start": -1.0, "end": 2.0, "steps": 4}), ([], {"start": 0.0, "end": 3.0, "steps": 4, "base": 2.0})], grad=False),
        entry("eye", lambda **k: torch.eye(k["n"], k.get("m", k["n"])), [([], {"n": 3}), ([], {"n": 2, "m": 4}), ([], {"n": -1})], grad=False),
        entry("zeros", lambda size: torch.zeros(size), [([], {"size": [2, 3]}), ([], {"size": []}), ([], {"size": [-1, 3]})], grad=False),
        entry("ones", lambda size: torch.ones(size), [([], {"size": [2, 3]}), ([], {"size": [2, -3]})], grad=False),
        entry("full", lambda size, fill_value: torch.full(size, fill_value), [([], {"size": [2, 2], "fill_value": 1.5}), ([], {"size": [-2], "fill_value": 1.0})], grad=False),
        entry("zeros_like", torch.zeros_like, [([F(2, 3)],), ([I(4)],)], grad=False),
        entry("ones_like", torch.ones_like, [([F(2, 3)],), ([B(4)],)], grad=False),
        entry("full_like", lambda x, fill_value: torch.full_like(x, fill_value), [([F(2, 3)], {"fill_value": -2.0}), ([I(3)], {"fill_value": 7})], grad=False),
        entry("empty_like", lambda x: torch.zeros_like(x), [([F(2, 3)],)], grad=False),
        entry("empty", lambda size: torch.zeros(size), [([], {"size": [3, 1]}), ([], {"size": [0, -1]})], grad=False),
        entry("tensor", lambda values: torch.tensor(values), [([], {"values": [1.5, -2.0, 3.25]}), ([], {"values": [1, 2, 3]})], grad=False),
    ]


def families():
    return {"arithmetic": arithmetic(), "promotion": promotion(), "compare": compare(), "creation": creation()}
