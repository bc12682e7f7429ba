#!/usr/bin/env python3
"""Runs every `flint` command over a corpus of hostile inputs and counts how each ended.

Exit codes 0, 1 and 2 are answers (success, runtime failure, bad input); anything else
(132 illegal instruction, 134 abort, 139 segfault, a signal) is a crash, and a command
still running after the timeout is a hang. Also counts "silent" outcomes: a bit-flipped
checkpoint that evaluates with exit 0 to a different loss than the intact one.

    python3 Tests/Robustness/corpus.py [--flint .build/release/flint] [--flips 120] [--seed 0]

Needs numpy and h5py (to write the bad HDF5 files); writes everything under a temporary
directory. Prints one line per crash or hang, then the counts.
"""
import collections
import gzip
import json
import os
import random
import shutil
import struct
import sys

import h5py
import numpy as np

from harness import arguments, run, scratch

BASE_SPEC = """name: tiny
seed: 0
data:
  source: {data}
  train: {{x: train/x, y: train/y}}
  val: {{split: 0.25}}
  test: {{x: test/x, y: test/y}}
  batch_size: 8
model:
  input: [1, 4, 4]
  layers:
{layers}
loss: {{type: cross_entropy_loss}}
optimizer: {{type: sgd, lr: 0.05, momentum: 0.9}}
train:
  epochs: 1
  metrics: [accuracy]
{extra}"""

MLP = """    - {type: flatten}
    - {type: linear, out_features: 8}
    - {type: relu}
    - {type: linear, out_features: 3}"""


class Corpus:
    def __init__(self, flint, work, timeout):
        self.flint = flint
        self.work = work
        self.timeout = timeout
        self.counts = collections.Counter()
        self.bad = []
        self.n = 0

    def path(self, name):
        return os.path.join(self.work, name)

    def run(self, label, args, timeout=None, cwd=None):
        self.n += 1
        code, out, err = run([self.flint] + args, timeout or self.timeout, cwd=cwd or self.work)
        if code in (0, 1, 2):
            self.counts[code] += 1
        else:
            kind = "hang" if code == "hang" else "crash"
            self.counts[kind] += 1
            tail = err.strip().splitlines()[-1][:160] if err.strip() else ""
            self.bad.append(f"{kind} ({code}) {label}: flint {' '.join(a[:60] for a in args)[:200]} | {tail}")
        return code, out

    def spec(self, name, layers=MLP, extra="", data=None):
        text = BASE_SPEC.format(data=data or self.path("tiny.h5"), layers=layers, extra=extra)
        return self.write(name, text)

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def spec_commands(self, label, spec, sets=(), train=True, train_timeout=None):
        args = [a for s in sets for a in ("--set", s)]
        self.run(label + " check", ["check", spec] + args)
        self.run(label + " summary", ["summary", spec] + args)
        self.run(label + " config", ["config", spec] + args)
        if train:
            self.run(label + " train", ["train", spec, "--quiet", "--force", "--run-dir", self.path("run-" + label.replace(" ", "_"))] + args,
                     timeout=train_timeout)


def make_data(path, n=48, seed=0):
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f["train/x"] = rng.standard_normal((n, 1, 4, 4)).astype(np.float32)
        f["train/y"] = rng.integers(0, 3, n).astype(np.int64)
        f["test/x"] = rng.standard_normal((16, 1, 4, 4)).astype(np.float32)
        f["test/y"] = rng.integers(0, 3, 16).astype(np.int64)


HUGE = ["100000000", "1e12", "4611686018427387904", "0x7fffffffffffffff", "9223372036854775807", "-1", "0"]


def size_corpus(c):
    layers = {
        "linear_out": "    - {{type: flatten}}\n    - {{type: linear, out_features: {v}}}\n    - {{type: linear, out_features: 3}}",
        "conv_out": "    - {{type: conv2d, out_channels: {v}, kernel_size: 3}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "conv_kernel": "    - {{type: conv2d, out_channels: 2, kernel_size: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "conv_padding": "    - {{type: conv2d, out_channels: 2, kernel_size: 3, padding: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "conv_dilation": "    - {{type: conv2d, out_channels: 2, kernel_size: 3, dilation: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "unflatten": "    - {{type: flatten}}\n    - {{type: unflatten, dim: 1, unflattened_size: [{v}, {v}]}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "adaptive": "    - {{type: adaptive_avg_pool2d, output_size: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "embedding": "    - {{type: flatten}}\n    - {{type: embedding, num_embeddings: {v}, embedding_dim: 4}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "lstm": "    - {{type: flatten, start_dim: 2}}\n    - {{type: lstm, hidden_size: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
        "maxpool": "    - {{type: max_pool2d, kernel_size: 2, padding: {v}}}\n    - {{type: flatten}}\n    - {{type: linear, out_features: 3}}",
    }
    for name, template in layers.items():
        for v in HUGE[:5]:
            spec = c.spec(f"size-{name}-{v}.yaml", layers=template.format(v=v))
            # check and summary never draw weights; train draws what fits in memory as PyTorch
            # does (4·10^8 normal numbers for the embedding take 10-40 s here): not a hang.
            c.spec_commands(f"size {name}={v}", spec, train=(v == HUGE[0]), train_timeout=120)
    base = c.spec("base.yaml")
    for key, values in {
        "model.layers.1.out_features": HUGE,
        "data.batch_size": HUGE,
        "model.input": ["[100000, 100000, 100000]", "[4611686018427387904, 4, 4]", "[0, 4, 4]", "[]"],
        "train.epochs": HUGE,
        "seed": ["-1", "1e400", "0x7fffffffffffffff"],
        "optimizer.lr": [".inf", "1e400", ".nan", "-.inf"],
        "optimizer.momentum": [".nan", ".inf"],
        "data.num_workers": HUGE[:3],
    }.items():
        for v in values:
            # A huge but valid epoch count trains for that long, as asked: not a hang.
            c.spec_commands(f"set {key}={v}", base, sets=[f"{key}={v}"], train=key not in ("train.epochs",))


def bomb_corpus(c):
    # Alias chain: each anchor refers to the previous one.
    n = 50000
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i-1}]" for i in range(1, n)]
    c.run("alias chain", ["check", c.write("bomb-alias-chain.yaml", "\n".join(lines) + "\n")])
    # Billion laughs.
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        lines.append(f"{chr(97+i)}: &{chr(97+i)} [" + ",".join([f"*{chr(96+i)}"] * 10) + "]")
    c.run("billion laughs", ["check", c.write("bomb-laughs.yaml", "\n".join(lines) + "\n")])
    for depth in (1000, 3000, 30000):
        c.run(f"flow nesting {depth}", ["check", c.write(f"bomb-nest-{depth}.yaml", "x: " + "[" * depth + "]" * depth + "\n")])
        c.run(f"mapping nesting {depth}", ["check", c.write(f"bomb-map-{depth}.yaml", "x: " + "{a: " * depth + "1" + "}" * depth + "\n")])
        path = ".".join(["a"] * depth)
        c.run(f"--set depth {depth}", ["check", c.spec("base.yaml"), "--set", f"vars.{path}=1"])
        c.run(f"--set value depth {depth}", ["check", c.spec("base.yaml"), "--set", "vars.x=" + "[" * depth + "]" * depth])
        c.run(f"vars nesting {depth}", ["check", c.spec(f"bomb-vars-{depth}.yaml", extra="vars:\n  x: " + "{a: " * depth + "1" + "}" * depth + "\n")])
        c.run(f"vars nesting train {depth}", ["train", c.spec(f"bomb-vars-{depth}.yaml", extra="vars:\n  x: " + "{a: " * depth + "1" + "}" * depth + "\n"),
                                              "--quiet", "--force", "--run-dir", c.path(f"run-vars-{depth}")])
    # Interpolation doubling a string.
    vars_ = ["vars:", "  s0: xxxxxxxx"] + [f"  s{i}: ${{vars.s{i-1}}}${{vars.s{i-1}}}" for i in range(1, 40)]
    c.run("interpolation doubling", ["check", c.spec("bomb-interp.yaml", extra="\n".join(vars_) + "\nnote: ${vars.s39}\n")])
    vars_ = ["vars:", "  s0: xxxxxxxx"] + [f"  s{i}: ${{vars.s{i-1}}}${{vars.s{i-1}}}" for i in range(1, 40)]
    c.run("interpolation doubling name", ["check", c.spec("bomb-interp2.yaml", extra="\n".join(vars_[:-1]) + "\n").replace("x", "x"),
                                          "--set", "name=${vars.s38}"])
    # Exponential blocks.
    blocks = ["  blocks:", "    b0: {layers: [{type: relu}]}"]
    for i in range(1, 40):
        blocks.append(f"    b{i}: {{layers: [{{type: b{i-1}}}, {{type: b{i-1}}}]}}")
    layers = "    - {type: flatten}\n    - {type: b39}\n    - {type: linear, out_features: 3}"
    text = BASE_SPEC.format(data=c.path("tiny.h5"), layers=layers, extra="").replace("model:\n", "model:\n" + "\n".join(blocks) + "\n")
    c.spec_commands("blocks 2^39", c.write("bomb-blocks.yaml", text), train=False)
    blocks = ["  blocks:", "    b0: {layers: [{type: relu, repeat: 1000}]}"]
    for i in range(1, 6):
        blocks.append(f"    b{i}: {{layers: [{{type: b{i-1}, repeat: 1000}}]}}")
    layers = "    - {type: flatten}\n    - {type: b5}\n    - {type: linear, out_features: 3}"
    text = BASE_SPEC.format(data=c.path("tiny.h5"), layers=layers, extra="").replace("model:\n", "model:\n" + "\n".join(blocks) + "\n")
    c.spec_commands("blocks repeat 1000^6", c.write("bomb-repeat.yaml", text), train=False)
    c.spec_commands("layer repeat huge", c.spec("bomb-repeat2.yaml", layers="    - {type: flatten}\n    - {type: relu, repeat: 0x7fffffffffffffff}\n    - {type: linear, out_features: 3}"), train=False)
    # Self-extending and mutually extending specs.
    c.run("extends self", ["check", c.write("ext-self.yaml", "extends: ext-self.yaml\n")])
    # Duplicate keys, control bytes, binary garbage.
    c.run("duplicate key", ["check", c.write("dup.yaml", "name: a\nseed: 1\nname: b\n")])
    c.run("binary spec", ["check", c.write("bin.yaml", "".join(chr(random.randrange(1, 255)) for _ in range(4000)))])
    c.run("huge scalar", ["check", c.spec("huge-scalar.yaml", extra="note: " + "x" * 5_000_000 + "\n")])


def data_corpus(c):
    # HDF5 with huge declared dimensions (chunked, never written).
    path = c.path("huge-dims.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("train/x", shape=(2**40, 1, 4, 4), dtype="f4", chunks=(1, 1, 4, 4))
        f.create_dataset("train/y", shape=(2**40,), dtype="i8", chunks=(1,))
        f.create_dataset("test/x", shape=(16, 2**30, 2**30, 4), dtype="f4", chunks=(1, 1, 1, 4))
        f.create_dataset("test/y", shape=(16,), dtype="i8")
    spec = c.spec("huge-dims.yaml", data=path)
    c.spec_commands("hdf5 huge dims", spec)
    c.spec_commands("hdf5 huge dims streaming", spec, sets=["data.streaming=true"])
    c.run("inspect huge dims", ["inspect", path])
    for name, shape in {"rank0": (), "rank5": (2, 1, 4, 4, 1), "wrongfeat": (48, 1, 5, 4)}.items():
        p = c.path(f"data-{name}.h5")
        with h5py.File(p, "w") as f:
            f["train/x"] = np.zeros(shape, np.float32)
            f["train/y"] = np.zeros(48, np.int64)
            f["test/x"] = np.zeros((16, 1, 4, 4), np.float32)
            f["test/y"] = np.zeros(16, np.int64)
        c.spec_commands(f"data {name}", c.spec(f"data-{name}.yaml", data=p))
    # Labels out of range, NaN inputs, string datasets.
    p = c.path("data-labels.h5")
    with h5py.File(p, "w") as f:
        f["train/x"] = np.zeros((48, 1, 4, 4), np.float32)
        f["train/y"] = np.full(48, 2**62, np.int64)
        f["test/x"] = np.zeros((16, 1, 4, 4), np.float32)
        f["test/y"] = np.full(16, -5, np.int64)
    c.spec_commands("data labels", c.spec("data-labels.yaml", data=p))
    p = c.path("data-str.h5")
    with h5py.File(p, "w") as f:
        f["train/x"] = np.array([b"abc"] * 48)
        f["train/y"] = np.zeros(48, np.int64)
        f["test/x"] = np.zeros((16, 1, 4, 4), np.float32)
        f["test/y"] = np.zeros(16, np.int64)
    c.spec_commands("data strings", c.spec("data-str.yaml", data=p))
    # drop_last with too few samples; empty test split.
    c.spec_commands("drop_last", c.spec("droplast.yaml"), sets=["data.drop_last=true", "data.batch_size=1000"])
    p = c.path("data-emptytest.h5")
    with h5py.File(p, "w") as f:
        f["train/x"] = np.zeros((48, 1, 4, 4), np.float32)
        f["train/y"] = np.zeros(48, np.int64)
        f["test/x"] = np.zeros((0, 1, 4, 4), np.float32)
        f["test/y"] = np.zeros(0, np.int64)
    c.spec_commands("empty test", c.spec("data-emptytest.yaml", data=p))
    # Not HDF5 at all, truncated HDF5.
    c.write("nothdf.h5", "this is not hdf5\n" * 10)
    c.spec_commands("not hdf5", c.spec("nothdf.yaml", data=c.path("nothdf.h5")))
    raw = open(c.path("tiny.h5"), "rb").read()
    for cut in (100, 1000, len(raw) // 2, len(raw) - 10):
        p = c.path(f"trunc-{cut}.h5")
        open(p, "wb").write(raw[:cut])
        c.run(f"inspect truncated {cut}", ["inspect", p])
        c.spec_commands(f"truncated {cut}", c.spec(f"trunc-{cut}.yaml", data=p), train=False)


def import_corpus(c):
    out = lambda name: ["--output", c.path(name), "--force"]
    # NPY headers.
    def npy(name, header, payload=b""):
        h = header.encode()
        h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
        p = c.path(name)
        open(p, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload)
        return p
    headers = {
        "overflow": "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }",
        "huge": "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 10), }",
        "negative": "{'descr': '<f4', 'fortran_order': False, 'shape': (-4, 10), }",
        "bignum": "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999999, 1), }",
        "descr": "{'descr': '<f99999999999999999', 'fortran_order': False, 'shape': (4,), }",
        "object": "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }",
        "garbage": "{'descr': ",
        "deep": "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 5000 + ")" * 5000 + ", }",
        "rank": "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 100 + "), }",
    }
    for name, header in headers.items():
        p = npy(f"npy-{name}.npy", header, b"\0" * 64)
        c.run(f"npy {name}", ["import", "npy", f"x={p}", "--split", "train"] + out(f"npy-{name}.h5"))
    p = c.path("npy-hugelen.npy")
    open(p, "wb").write(b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{")
    c.run("npy header length", ["import", "npy", f"x={p}"] + out("npy-hl.h5"))
    # IDX.
    def idx(name, dtype, dims, payload=b"", compress=False, cut=0):
        data = bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload
        if compress:
            data = gzip.compress(data)
            if cut:
                data = data[:-cut]
        p = c.path(name)
        open(p, "wb").write(data)
        return p
    cases = {
        "train-huge-idx3-ubyte": (8, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b"\0" * 100),
        "train-rank0-idx1-ubyte": (8, [], b""),
        "train-rank255-idx1-ubyte": (8, [1] * 255, b"\0"),
        "train-badtype-idx1-ubyte": (0x77, [4], b"\0" * 4),
        "train-short-idx1-ubyte": (8, [100], b"\0" * 4),
        "train-zero-idx3-ubyte": (8, [0, 28, 28], b""),
    }
    for name, (dt, dims, payload) in cases.items():
        c.run(f"idx {name}", ["import", "idx", idx(name, dt, dims, payload), "--split", "train"] + out(f"{name}.h5"))
    for cut in (1, 4, 8, 20):
        p = idx(f"train-gz{cut}-idx1-ubyte.gz", 8, [64], bytes(range(64)), compress=True, cut=cut)
        c.run(f"idx gz cut {cut}", ["import", "idx", p, "--split", "train"] + out(f"gz{cut}.h5"))
    p = c.path("train-bomb-idx1-ubyte.gz")
    open(p, "wb").write(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 0xFFFFFFFF) + b"\0" * 50_000_000))
    c.run("idx gzip bomb", ["import", "idx", p, "--split", "train"] + out("gzbomb.h5"))
    # CSV.
    csvs = {
        "overflow": "a,b,y\n1e39,2,0\n-1e400,3,1\n4,5,0\n",
        "ragged": "a,b,y\n1,2\n1,2,3,4\n",
        "empty": "",
        "onlyheader": "a,b,y\n",
        "quotes": 'a,b,y\n"1,2,0\n',
        "binary": "a,b,y\n\x00\x01\x02,\xff,1\n",
        "wide": ",".join(f"c{i}" for i in range(20000)) + ",y\n" + ",".join("1" for _ in range(20001)) + "\n" + ",".join("2" for _ in range(20000)) + ",0\n",
        "longname": ("x" * 100000) + ",y\n1,0\n2,1\n",
        "manyclasses": "a,y\n" + "".join(f"{i},{i}\n" for i in range(20000)),
    }
    for name, text in csvs.items():
        p = c.write(f"csv-{name}.csv", text)
        c.run(f"csv {name}", ["import", "csv", p, "--target", "y"] + out(f"csv-{name}.h5"))
    c.run("csv target index", ["import", "csv", c.path("csv-overflow.csv"), "--target", "99999999999999999999"] + out("csv-t.h5"))


def checkpoint_corpus(c, flips, seed):
    spec = c.spec("ckpt.yaml")
    run = c.path("run-ckpt")
    code, _ = c.run("train for checkpoint", ["train", spec, "--quiet", "--force", "--run-dir", run], timeout=120)
    ckpt = os.path.join(run, "checkpoints", "last.h5")
    if not os.path.exists(ckpt):
        print("could not train the base checkpoint", file=sys.stderr)
        return
    # Modified copies: config with huge sizes, counters, NaN weights, wrong-shaped state.
    def variant(name, edit):
        p = c.path(name)
        shutil.copy(ckpt, p)
        with h5py.File(p, "r+") as f:
            edit(f)
        return p
    def set_config(f, text):
        del f["config"]
        f["config"] = text
    cfg = open(os.path.join(run, "config.yaml")).read()
    variants = {
        "config-huge": lambda f: set_config(f, cfg.replace("out_features: 8", "out_features: 100000000000")),
        "config-huge2": lambda f: set_config(f, cfg.replace("input: [1, 4, 4]", "input: [4611686018427387904, 4, 4]")),
        "config-deep": lambda f: set_config(f, cfg + "vars:\n  x: " + "[" * 100000 + "]" * 100000 + "\n"),
        "config-garbage": lambda f: set_config(f, "\x01\xff{{{"),
        "epoch-max": lambda f: f.attrs.__setitem__("epoch", np.int64(2**63 - 1)),
        "epoch-neg": lambda f: f.attrs.__setitem__("epoch", np.int64(-4)),
        "step-max": lambda f: f.attrs.__setitem__("step", np.int64(2**63 - 1)),
        "step-neg": lambda f: f.attrs.__setitem__("step", np.int64(-7)),
        "epoch-str": lambda f: f.attrs.__setitem__("epoch", "ten"),
        "nan-weights": lambda f: f["model/1.weight"].__setitem__(..., np.nan),
    }
    def rewrite(f, key, value):
        del f[key]
        f[key] = value
    for group in ("optimizer", "rng", "data", "scheduler"):
        variants[f"{group}-gone"] = (lambda g: (lambda f: f.__delitem__(g) if g in f else None))(group)
    def each_dataset(f, fn):
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            fn(f, n)
    variants["all-datasets-int64-max"] = lambda f: each_dataset(f, lambda f, n: rewrite(f, n, np.full(f[n].shape, 2**63 - 1, np.int64)) if f[n].dtype.kind in "iu" else None)
    variants["all-datasets-negative"] = lambda f: each_dataset(f, lambda f, n: rewrite(f, n, np.full(f[n].shape, -3, f[n].dtype)) if f[n].dtype.kind in "iu" else None)
    variants["all-datasets-reshaped"] = lambda f: each_dataset(f, lambda f, n: rewrite(f, n, np.zeros((3, 5), f[n].dtype)) if f[n].dtype.kind in "iuf" else None)
    variants["all-datasets-scalar"] = lambda f: each_dataset(f, lambda f, n: rewrite(f, n, np.zeros((), f[n].dtype)) if f[n].dtype.kind in "iuf" else None)
    variants["all-datasets-strings"] = lambda f: each_dataset(f, lambda f, n: rewrite(f, n, "x") if n != "config" else None)
    variants["all-attrs-strings"] = lambda f: [f.attrs.__setitem__(k, "x") for k in list(f.attrs)]
    for name, edit in variants.items():
        try:
            p = variant(f"ckpt-{name}.h5", edit)
        except Exception as error:  # h5py refused the edit itself
            print(f"skipped variant {name}: {error}", file=sys.stderr)
            continue
        checkpoint_commands(c, f"ckpt {name}", p, spec)
    # Bit flips.
    raw = bytearray(open(ckpt, "rb").read())
    code, out = c.run("eval intact", ["eval", ckpt, "--json"])
    intact = json.loads(out.strip().splitlines()[-1])["metrics"] if code == 0 else None
    rng = random.Random(seed)
    silent = 0
    for i in range(flips):
        bit = rng.randrange(len(raw) * 8)
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        p = c.path(f"flip-{i}.h5")
        open(p, "wb").write(flipped)
        code, out = c.run(f"flip bit {bit} eval", ["eval", p, "--json"])
        if code == 0 and intact is not None:
            metrics = json.loads(out.strip().splitlines()[-1])["metrics"]
            if metrics != intact:
                silent += 1
                c.bad.append(f"silent: bit {bit} of the checkpoint changed the metrics with exit 0")
        if i % 4 == 0:
            checkpoint_commands(c, f"flip bit {bit}", p, spec, evaluate=False)
        os.remove(p)
    c.counts["silent"] += silent


def checkpoint_commands(c, label, p, spec, evaluate=True):
    if evaluate:
        c.run(label + " eval", ["eval", p])
    c.run(label + " summary", ["summary", p])
    c.run(label + " export", ["export", p, "--format", "safetensors", "--output", c.path("x.safetensors"), "--force"])
    c.run(label + " export onnx", ["export", p, "--format", "onnx", "--output", c.path("x.onnx"), "--force"])
    c.run(label + " predict", ["predict", p, "--input", c.path("tiny.h5") + ":test/x", "--output", c.path("pred.h5"), "--force"])
    c.run(label + " inspect", ["inspect", p])
    c.run(label + " resume", ["train", spec, "--resume", p, "--quiet", "--set", "train.epochs=2", "--run-dir", c.path("run-resume"), "--force"])


def file_corpus(c):
    fifo = c.path("fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    c.run("fifo spec", ["check", fifo], timeout=5)
    c.run("fifo data", ["check", c.spec("fifo-data.yaml", data=fifo)], timeout=5)
    c.run("fifo eval", ["eval", fifo], timeout=5)
    c.run("fifo inspect", ["inspect", fifo], timeout=5)
    c.run("fifo csv", ["import", "csv", fifo, "--target", "y", "--output", c.path("f.h5"), "--force"], timeout=5)
    c.run("fifo npy", ["import", "npy", f"x={fifo}", "--output", c.path("f.h5"), "--force"], timeout=5)
    c.run("fifo idx", ["import", "idx", fifo, "--split", "train", "--output", c.path("f.h5"), "--force"], timeout=5)
    c.run("fifo predict input", ["predict", c.path("run-ckpt/checkpoints/last.h5"), "--input", fifo, "--output", c.path("p.h5"), "--force"], timeout=5)
    c.run("dev/zero spec", ["check", "/dev/zero"], timeout=5)
    c.run("dev/zero inspect", ["inspect", "/dev/zero"], timeout=5)
    c.run("dev/urandom csv", ["import", "csv", "/dev/urandom", "--target", "y", "--output", c.path("f.h5"), "--force"], timeout=5)
    c.run("name traversal", ["train", c.spec("trav.yaml"), "--quiet", "--set", "name=../../escaped"], timeout=30)
    for args in (["eval", "x", "--top-k", "-1"], ["predict", "x", "--input", "y", "--output", "z", "--batch-size", "-3"],
                 ["predict", "x", "--input", "y", "--output", "z", "--batch-size", "99999999999999999999"]):
        c.run("cli numbers", args)
    # Same file as input and output.
    ck = c.path("run-ckpt/checkpoints/last.h5")
    if os.path.exists(ck):
        same = c.path("same.h5")
        shutil.copy(ck, same)
        c.run("export over input", ["export", same, "--format", "h5", "--output", same, "--force"])
        c.run("predict over ckpt", ["predict", same, "--input", c.path("tiny.h5") + ":test/x", "--output", same, "--force"])
        tiny2 = c.path("tiny2.h5")
        shutil.copy(c.path("tiny.h5"), tiny2)
        c.run("predict over input", ["predict", same, "--input", tiny2 + ":test/x", "--output", tiny2, "--force"])
        code, _ = c.run("eval after same-file", ["eval", same])
        if code != 0:
            c.counts["lost"] += 1
            c.bad.append("lost: the checkpoint no longer evaluates after export/predict named it as output")


def main():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=120)
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--only", default="")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    random.seed(args.seed)
    work = scratch("corpus")
    c = Corpus(os.path.abspath(args.flint), work, args.timeout)
    make_data(c.path("tiny.h5"))
    sections = {"sizes": size_corpus, "bombs": bomb_corpus, "data": data_corpus, "imports": import_corpus,
                "checkpoints": lambda c: checkpoint_corpus(c, args.flips, args.seed), "files": file_corpus}
    for name, fn in sections.items():
        if args.only and name not in args.only.split(","):
            continue
        before = c.n
        fn(c)
        print(f"[{name}] {c.n - before} runs", file=sys.stderr, flush=True)
    for line in c.bad:
        print(line)
    print(json.dumps({"runs": c.n, **{str(k): v for k, v in sorted(c.counts.items(), key=lambda kv: str(kv[0]))}}))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept", work, file=sys.stderr)
    sys.exit(1 if c.counts["crash"] or c.counts["hang"] or c.counts["silent"] or c.counts["lost"] else 0)


if __name__ == "__main__":
    main()
