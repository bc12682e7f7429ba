#!/usr/bin/env python3
"""`make test-faults`: SIGKILLs at random moments of `flint train` (with step checkpoints),
`flint export` and `flint import`; afterwards every checkpoint must load (`flint eval`),
every run must resume (`flint train --resume`), no finished output may be torn and no
temporary file may outlive the next start in its folder.

    python3 Tests/Robustness/kill_storm.py [--kills 100] [--seed 0] [--flint .build/release/flint]

Standard library only. Exits 1 on the first broken promise, printing what broke.
"""
import glob
import os
import random
import shutil
import subprocess
import sys
import time

from harness import ROOT, arguments, killed, run, scratch

SPEC = """name: storm
seed: 0
data:
  source: {data}
  train: {{x: train/images, y: train/labels}}
  val: {{split: 0.1}}
  test: {{x: test/images, y: test/labels}}
  batch_size: 32
  transforms:
    - {{type: to_tensor}}
model:
  input: [1, 8, 8]
  layers:
    - {{type: flatten}}
    - {{type: linear, out_features: 32}}
    - {{type: relu}}
    - {{type: linear, out_features: 10}}
loss: {{type: cross_entropy_loss}}
optimizer: {{type: adam, lr: 0.01}}
train:
  epochs: 50
  checkpoint: {{every_steps: 3, keep_last: 2}}
"""


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def main():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    flint = os.path.abspath(args.flint)
    work = scratch("storm")
    data = os.path.join(ROOT, "datasets/digits.h5")
    spec = os.path.join(work, "storm.yaml")
    with open(spec, "w") as f:
        f.write(SPEC.format(data=data))
    run_dir = os.path.join(work, "run")
    csv = os.path.join(work, "table.csv")
    with open(csv, "w") as f:
        f.write("a,b,c,y\n" + "".join(f"{i},{i * 2},{i % 7},{i % 3}\n" for i in range(20000)))
    counts = {"train": 0, "export": 0, "import": 0, "evaluated": 0, "resumed": 0}
    for kill in range(args.kills):
        kind = rng.choice(["train", "train", "export", "import"])
        delay = rng.uniform(0.05, 2.0)
        last = os.path.join(run_dir, "checkpoints", "last.h5")
        if kind == "train":
            resume = ["--resume", run_dir] if os.path.exists(last) else ["--run-dir", run_dir, "--force"]
            killed([flint, "train", spec, "--quiet"] + resume, delay)
        elif kind == "export" and os.path.exists(last):
            out = os.path.join(work, "weights.safetensors")
            before = open(out, "rb").read() if os.path.exists(out) else None
            code = killed([flint, "export", last, "--format", "safetensors", "--output", out, "--force"], delay / 10)
            if code != 0 and before is not None and open(out, "rb").read() != before:
                fail(f"kill {kill}: a killed export changed the previous {out}")
        elif kind == "import":
            out = os.path.join(work, "table.h5")
            killed([flint, "import", "csv", csv, "--target", "y", "--output", out, "--force"], delay / 4)
            if os.path.exists(out) and run([flint, "inspect", out], timeout=120).code != 0:
                fail(f"kill {kill}: {out} is torn after a killed import")
        counts[kind] += 1
        # Every checkpoint that exists must load, and the run must resume from it.
        for checkpoint in glob.glob(os.path.join(run_dir, "checkpoints", "*.h5")):
            r = run([flint, "eval", checkpoint, "--json"], timeout=120)
            if r.code != 0:
                fail(f"kill {kill}: {checkpoint} does not load ({r.code}): {r.err[-400:]}")
            counts["evaluated"] += 1
        if kind == "train" and os.path.exists(last) and kill % 5 == 4:
            # A resume must start and train (it is killed again unless it finishes all epochs first).
            p = subprocess.Popen([flint, "train", spec, "--quiet", "--resume", run_dir], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            try:
                _, err = p.communicate(timeout=3)
                if p.returncode != 0:
                    fail(f"kill {kill}: resuming from {last} failed ({p.returncode}): {err.decode()[-400:]}")
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
            counts["resumed"] += 1
    # A start in each folder removes the temporary files of the killed writers: one more
    # resume, ended by SIGTERM (which writes a checkpoint and exits 143).
    if os.path.exists(os.path.join(run_dir, "checkpoints", "last.h5")):
        p = subprocess.Popen([flint, "train", spec, "--quiet", "--resume", run_dir], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(2)
        p.terminate()
        _, err = p.communicate(timeout=60)
        if p.returncode not in (0, 143):
            fail(f"the final resume failed ({p.returncode}): {err.decode()[-400:]}")
    leftovers = glob.glob(os.path.join(run_dir, "checkpoints", ".*.tmp-*"))
    if leftovers:
        fail(f"temporary files of killed runs were not cleaned up: {leftovers}")
    print(f"kill storm: {args.kills} kills ({counts['train']} train, {counts['export']} export, {counts['import']} import); "
          f"{counts['evaluated']} checkpoint loads and {counts['resumed']} resumes, all fine")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
