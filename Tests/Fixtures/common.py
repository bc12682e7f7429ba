"""Helpers for writing fixture cases: input specs and op entries."""


def F(*shape, layout="c", lo=-2.0, hi=2.0, dtype="float32", nograd=False):
    """A float input uniform in [lo, hi); layout c (contiguous), t (transposed), s (sliced), e (expanded)."""
    return {"kind": "float", "shape": list(shape), "layout": layout, "lo": lo, "hi": hi, "dtype": dtype, "nograd": nograd}


def P(*shape, layout="c", dtype="float32", nograd=False):
    """A positive float input, away from zero (for log, sqrt, division)."""
    return F(*shape, layout=layout, lo=0.2, hi=2.5, dtype=dtype, nograd=nograd)


def I(*shape, lo=0, hi=5, layout="c", dtype="int64"):
    """An integer input uniform in [lo, hi)."""
    return {"kind": "int", "shape": list(shape), "layout": layout, "lo": lo, "hi": hi, "dtype": dtype}


def Perm(*shape, hi, dtype="int64"):
    """Distinct integer indices in [0, hi) along the last dim."""
    return {"kind": "perm", "shape": list(shape), "hi": hi, "dtype": dtype}


def B(*shape, layout="c"):
    """A random bool input."""
    return {"kind": "bool", "shape": list(shape), "layout": layout, "dtype": "bool"}


def V(values, shape, dtype="float32"):
    """Fixed input values (for NaN, infinities and ties), never expected outputs."""
    return {"kind": "values", "values": values, "shape": list(shape), "dtype": dtype}


def entry(op, fn, cases, grad=True, tol=None, fd=True):
    """One op: `fn(*inputs, **args)` is run on every (inputs, args) case.

    tol, when given, is (rtol, atol) for the forward comparison, for ops whose
    float32 result depends on the summation order (PyTorch's kernels and BLAS
    differ there), or a function of a case's inputs and arguments giving it
    (for results whose accuracy depends on the inputs, as a condition number). fd=False skips the finite-difference check, for
    piecewise-constant ops whose only nonzero differences are jumps.
    """
    return {"op": op, "fn": fn, "cases": [(c[0], c[1] if len(c) > 1 else {}) for c in cases], "grad": grad,
            "tol": tol if callable(tol) else (list(tol) if tol else None), "fd": fd}


def unary_cases(positive=False, lo=-2.0, hi=2.0):
    """Several shapes for a pointwise op: scalar, empty, 1-D, transposed, sliced, expanded."""
    G = (lambda *s, **k: P(*s, **k)) if positive else (lambda *s, **k: F(*s, lo=lo, hi=hi, **k))
    return [([G()],), ([G(0, 3)],), ([G(7)],), ([G(3, 4, layout="t")],), ([G(2, 5, layout="s")],),
            ([G(3, 4, layout="e")],), ([G(2, 3, 4)],)]


def binary_cases(positive_rhs=False):
    """Shape pairs for a broadcasting binary op."""
    R = P if positive_rhs else F
    return [([F(3, 4), R(3, 4)],), ([F(2, 3, 4), R(4)],), ([F(3, 1), R(1, 4)],), ([F(), R(2, 3)],),
            ([F(3, 4, layout="t"), R(3, 4, layout="s")],), ([F(0, 3), R(3)],), ([F(2, 3, layout="e"), R(2, 1, 3)],)]
