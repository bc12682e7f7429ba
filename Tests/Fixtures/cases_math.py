"""Pointwise math, comparisons and logic, activations."""
import torch
import torch.nn.functional as Fn

from common import B, F, I, P, V, binary_cases, entry, unary_cases

NAN, INF = float("nan"), float("inf")


STEPS = {"sign", "sgn", "floor", "ceil", "round", "trunc"}


def unary(name, positive=False, lo=-2.0, hi=2.0, extra=(), tol=None, grad=True):
    fn = getattr(torch, name)
    return entry(name, lambda x, **k: fn(x, **k), unary_cases(positive, lo, hi) + list(extra), grad=grad, tol=tol,
                 fd=name not in STEPS)


def pointwise():
    ints = [([I(5, lo=-4, hi=5)],)]
    return [
        unary("abs", extra=ints), unary("sign", extra=ints), unary("sgn"), unary("exp"), unary("exp2"), unary("expm1"),
        unary("log", positive=True, extra=[([I(4, lo=1, hi=9)],)]), unary("log2", positive=True), unary("log10", positive=True),
        unary("log1p", lo=-0.5, hi=2.0), unary("sqrt", positive=True), unary("rsqrt", positive=True), unary("square", extra=ints),
        unary("reciprocal", positive=True), unary("sin"), unary("cos"), unary("tan", lo=-1.2, hi=1.2), unary("asin", lo=-0.9, hi=0.9),
        unary("acos", lo=-0.9, hi=0.9), unary("atan"), unary("sinh"), unary("cosh"), unary("tanh"), unary("asinh"),
        unary("acosh", lo=1.2, hi=3.0), unary("atanh", lo=-0.9, hi=0.9),
        unary("floor", extra=ints), unary("ceil", extra=ints), unary("trunc", extra=ints), unary("frac"),
        unary("round", extra=ints + [([V([0.5, 1.5, 2.5, -0.5, -1.5, 0.49], [6])],)]),
        entry("round", lambda x, decimals: torch.round(x, decimals=decimals), [([F(6, lo=-9, hi=9)], {"decimals": 2})], fd=False),
        unary("erf"), unary("erfc"), unary("erfinv", lo=-0.9, hi=0.9), unary("sigmoid"),
        unary("logit", lo=0.05, hi=0.95), entry("logit", lambda x, eps: torch.logit(x, eps=eps), [([F(6, lo=0.0, hi=1.0)], {"eps": 0.1})]),
        unary("deg2rad"), unary("rad2deg"), unary("positive"),
        entry("clamp", lambda x, **k: torch.clamp(x, **k), [([F(3, 4)], {"min": -0.5, "max": 0.7}), ([F(3, 4, layout="t")], {"min": -0.5}),
                                                            ([F(5)], {"max": 0.2}), ([I(6, lo=-5, hi=5)], {"min": -2, "max": 3}),
                                                            ([V([NAN, 1.0, -3.0], [3])], {"min": -1.0, "max": 0.5})]),
        entry("clamp", lambda x, lo, hi: torch.clamp(x, lo, hi), [([F(3, 4), F(3, 1, lo=-2, hi=-0.3), F(4, lo=0.3, hi=2)],)]),
        entry("clamp_min", lambda x, min: torch.clamp_min(x, min), [([F(3, 4)], {"min": 0.1})]),
        entry("clamp_max", lambda x, max: torch.clamp_max(x, max), [([F(3, 4)], {"max": 0.1})]),
        entry("nan_to_num", lambda x, **k: torch.nan_to_num(x, **k),
              [([V([NAN, INF, -INF, 1.5, -2.0], [5])],), ([V([NAN, INF, -INF, 1.5], [4])], {"nan": 2.0, "posinf": 9.0, "neginf": -9.0}),
               ([F(3, 4)],), ([V([NAN, INF, 1.0], [3], dtype="float64")],)]),
        entry("fmod", torch.fmod, [([F(3, 4, lo=-5, hi=5), P(3, 4)],), ([F(6, lo=-5, hi=5), F(6, lo=-3, hi=-0.5)],),
                                   ([I(6, lo=-9, hi=9), I(6, lo=1, hi=4)],)]),
        entry("remainder", torch.remainder, [([F(3, 4, lo=-5, hi=5), P(3, 4)],), ([F(6, lo=-5, hi=5), F(6, lo=-3, hi=-0.5)],),
                                             ([I(6, lo=-9, hi=9), I(6, lo=1, hi=4)],), ([I(6, lo=-9, hi=9), I(6, lo=-4, hi=-1)],)]),
        entry("floor_divide", torch.floor_divide, [([F(3, 4, lo=-5, hi=5), P(3, 4)],), ([I(6, lo=-9, hi=9), I(6, lo=1, hi=4)],),
                                                   ([I(6, lo=-9, hi=9), I(6, lo=-4, hi=-1)],)], grad=False),
        entry("div", lambda a, b, rounding_mode: torch.div(a, b, rounding_mode=rounding_mode),
              [([F(3, 4, lo=-5, hi=5), P(3, 4)], {"rounding_mode": "trunc"}), ([F(5, lo=-5, hi=5), P(5)], {"rounding_mode": "floor"}),
               ([I(6, lo=-9, hi=9), I(6, lo=1, hi=4)], {"rounding_mode": "trunc"}), ([I(6, lo=-9, hi=9), I(6, lo=-4, hi=-1)], {"rounding_mode": "floor"})]),
        entry("atan2", torch.atan2, binary_cases()),
        entry("lerp", torch.lerp, [([F(3, 4), F(3, 4), F(3, 4, lo=0, hi=1)],), ([F(2, 3), F(3), F(2, 1, lo=0, hi=1)],)]),
        entry("lerp", lambda a, b, weight: torch.lerp(a, b, weight), [([F(3, 4), F(3, 4, layout="t")], {"weight": 0.3})]),
        entry("hypot", torch.hypot, [([F(3, 4), F(3, 4)],), ([F(2, 3), F(3)],)]),
        entry("addcmul", lambda a, b, c, value: torch.addcmul(a, b, c, value=value), [([F(3, 4), F(3, 4), F(4)], {"value": 0.5})]),
        entry("addcdiv", lambda a, b, c, value: torch.addcdiv(a, b, c, value=value), [([F(3, 4), F(3, 4), P(4)], {"value": -2.0})]),
        entry("xlogy", torch.xlogy, [([F(3, 4), P(3, 4)],), ([V([0.0, 1.0, 0.0, 2.0], [4]), P(4)],)]),
        entry("logaddexp", torch.logaddexp, [([F(3, 4), F(3, 4)],), ([F(2, 3, lo=-50, hi=50), F(3, lo=-50, hi=50)],)]),
        entry("fmax", torch.fmax, [([F(3, 4), F(3, 4)],), ([V([NAN, 1.0, NAN, -1.0], [4]), V([2.0, NAN, NAN, 3.0], [4])],)]),
        entry("fmin", torch.fmin, [([F(3, 4), F(3, 4)],), ([V([NAN, 1.0, NAN, -1.0], [4]), V([2.0, NAN, NAN, 3.0], [4])],)]),
        entry("copysign", torch.copysign, [([F(3, 4), F(3, 4)],), ([F(2, 3), F(3)],)]),
        entry("rsub", lambda a, b, alpha: torch.rsub(a, b, alpha=alpha), [([F(3, 4), F(4)], {"alpha": 2.0})]),
        entry("float_power", torch.float_power, [([P(3, 4), F(3, 4)],)]),
        entry("where", torch.where, [([B(3, 4), F(3, 4), F(3, 4)],), ([B(3, 1), F(4), F(3, 4, layout="t")],), ([B(5), I(5), F(5)],)]),
    ]


def compare():
    special = V([NAN, INF, -INF, 0.0, -0.0, 1.5], [6])
    cls = [([special],), ([F(3, 4)],), ([I(4, lo=-3)],)]
    logical = [([B(3, 4), B(3, 4)],), ([F(3, 4), B(4)],), ([I(5, lo=0, hi=2), I(5, lo=0, hi=2)],)]
    bitwise = [([I(5, lo=0, hi=16), I(5, lo=0, hi=16)],), ([B(3, 4), B(4)],), ([I(4, lo=-8, hi=8, dtype="int32"), I(4, lo=-8, hi=8, dtype="int32")],)]
    return [entry(n, getattr(torch, n), cls, grad=False) for n in ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "signbit"]] + [
        entry(n, getattr(torch, n), logical, grad=False) for n in ["logical_and", "logical_or", "logical_xor"]] + [
        entry("logical_not", torch.logical_not, [([B(3, 4)],), ([F(5)],)], grad=False)] + [
        entry(n, getattr(torch, n), bitwise, grad=False) for n in ["bitwise_and", "bitwise_or", "bitwise_xor"]] + [
        entry("bitwise_not", torch.bitwise_not, [([I(5, lo=-8, hi=8)],), ([B(4)],)], grad=False),
        entry("isclose", lambda a, b, **k: torch.isclose(a, b, **k),
              [([F(3, 4), F(3, 4)],), ([V([1.0, NAN, 2.0], [3]), V([1.0 + 1e-9, NAN, 2.1], [3])], {"equal_nan": True}),
               ([V([1.0, 2.0, 3.0], [3]), V([1.05, 2.5, 3.0], [3])], {"rtol": 0.1, "atol": 0.0})], grad=False),
        entry("allclose", lambda a, b, **k: torch.tensor(torch.allclose(a, b, **k)),
              [([V([1.0, 2.0], [2]), V([1.0, 2.0000001], [2])],), ([V([1.0, 2.0], [2]), V([1.0, 2.1], [2])],)], grad=False),
        entry("equal", lambda a, b: torch.tensor(torch.equal(a, b)),
              [([V([1.0, 2.0], [2]), V([1.0, 2.0], [2])],), ([V([1.0, 2.0], [2]), V([1.0, 2.5], [2])],)], grad=False),
    ]


def act(name, fn, cases=None, **kw):
    return entry(name, fn, cases or unary_cases(lo=kw.pop("lo", -3.0), hi=kw.pop("hi", 3.0)), **kw)


def activation():
    sm = [([F(3, 5)], {"dim": 1}), ([F(2, 3, 4, layout="t")], {"dim": 0}), ([F(4)], {"dim": -1}), ([F(0, 3)], {"dim": 1})]
    return [
        act("relu", Fn.relu), act("relu6", Fn.relu6, lo=-8, hi=8),
        act("leaky_relu", lambda x, **k: Fn.leaky_relu(x, **k), [([F(3, 4)],), ([F(5)], {"negative_slope": 0.2})]),
        act("elu", lambda x, **k: Fn.elu(x, **k), [([F(3, 4)],), ([F(5)], {"alpha": 0.5}), ([V([100.0, -100.0, 1.0], [3])],)]),
        act("selu", Fn.selu), act("celu", lambda x, **k: Fn.celu(x, **k), [([F(3, 4)],), ([F(5)], {"alpha": 2.0})]),
        act("gelu", lambda x, **k: Fn.gelu(x, **k), [([F(3, 4)],), ([F(5)], {"approximate": "tanh"}), ([F(2, 3, layout="t")],)]),
        act("silu", Fn.silu), act("mish", Fn.mish),
        act("softplus", lambda x, **k: Fn.softplus(x, **k), [([F(3, 4)],), ([F(6, lo=-4, hi=4)], {"beta": 2.0, "threshold": 3.0})]),
        act("softsign", Fn.softsign),
        act("hardtanh", lambda x, **k: Fn.hardtanh(x, **k), [([F(3, 4)],), ([F(5)], {"min_val": -0.5, "max_val": 0.8})]),
        act("hardsigmoid", Fn.hardsigmoid, lo=-4, hi=4), act("hardswish", Fn.hardswish, lo=-4, hi=4), act("logsigmoid", Fn.logsigmoid),
        act("tanhshrink", Fn.tanhshrink),
        act("softshrink", lambda x, **k: Fn.softshrink(x, **k), [([F(3, 4)],), ([F(5)], {"lambd": 1.0})]),
        act("hardshrink", lambda x, **k: Fn.hardshrink(x, **k), [([F(3, 4)],), ([F(5)], {"lambd": 1.0})]),
        act("threshold", lambda x, threshold, value: Fn.threshold(x, threshold, value), [([F(3, 4)], {"threshold": 0.3, "value": -1.0})]),
        act("glu", lambda x, **k: Fn.glu(x, **k), [([F(3, 4)],), ([F(4, 3)], {"dim": 0})]),
        act("prelu", Fn.prelu, [([F(2, 3, 4), F(3, lo=0, hi=1)],), ([F(5), F(1, lo=0, hi=1)],)]),
        act("rrelu", lambda x: Fn.rrelu(x, training=False), [([F(3, 4)],)]),
        act("sigmoid", torch.sigmoid), act("tanh", torch.tanh),
        act("softmax", lambda x, dim: Fn.softmax(x, dim=dim), sm),
        act("log_softmax", lambda x, dim: Fn.log_softmax(x, dim=dim), sm),
        act("softmin", lambda x, dim: Fn.softmin(x, dim=dim), sm[:2]),
        act("normalize", lambda x, **k: Fn.normalize(x, **k), [([F(3, 4)],), ([F(3, 4)], {"p": 1.0, "dim": 0})]),
        act("cosine_similarity", lambda a, b, **k: Fn.cosine_similarity(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(2, 5), F(2, 5)], {"dim": 0})]),
        act("pairwise_distance", lambda a, b, **k: Fn.pairwise_distance(a, b, **k), [([F(3, 4), F(3, 4)],), ([F(2, 5), F(2, 5)], {"p": 1.0})]),
    ]


def families():
    return {"pointwise": pointwise(), "logic": compare(), "activation": activation()}
