"""Encoding of tensors for the FlintNN fixtures, and seeded random inputs."""
import math

import numpy
import torch

NAMES = {torch.bool: "bool", torch.uint8: "uint8", torch.int32: "int32", torch.int64: "int64",
         torch.float32: "float32", torch.float64: "float64"}


def encode_values(t):
    """Row-major values as JSON numbers; non-finite floats as strings (JSON has no NaN)."""
    flat = t.detach().reshape(-1)
    if t.dtype == torch.bool:
        return [bool(v) for v in flat.tolist()]
    if not t.dtype.is_floating_point:
        return [int(v) for v in flat.tolist()]
    out = []
    as_f32 = t.dtype == torch.float32
    for v in flat.tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        elif as_f32:
            # The shortest repr that round-trips float32 keeps files small and exact.
            out.append(float(str(numpy.float32(v))))
        else:
            out.append(v)
    return out


def encode(t):
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": encode_values(t)}


class Encoder:
    """Draws every random tensor from one seeded generator, so a seed fixes a file."""

    def __init__(self, gen):
        self.gen = gen

    def uniform(self, *shape, lo=-1.0, hi=1.0, dtype=torch.float32):
        return (torch.rand(shape, generator=self.gen, dtype=torch.float64) * (hi - lo) + lo).to(dtype)

    def normal(self, *shape, std=1.0, dtype=torch.float32):
        return (torch.randn(shape, generator=self.gen, dtype=torch.float64) * std).to(dtype)

    def randint(self, lo, hi, *shape):
        return torch.randint(lo, hi, shape, generator=self.gen)
