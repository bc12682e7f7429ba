#!/usr/bin/env python3
"""Runs the PyTorch parity tests against fixtures made with other seeds.

The tests must pass for fixtures made with any seed (tolerances come from float32
arithmetic, never from one seed's luck). For each seed this keeps the committed
fixtures aside, reruns every seeded generator with --seed, runs the parity test
classes that read them (`swift test --skip-build`, so build the tests first:
`swift build -c release -Xswiftc -enable-testing --build-tests`), restores the
fixtures, and prints one line per seed with the tests that failed.

    python3 Tests/Fixtures/seed_sweep.py --seeds 20 [--first-seed 1] [--only spec_training,nn]

Needs torch (as the generators do). Exits 1 when any seed failed.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Each seeded generator and the test classes that read what it writes.
GENERATORS = {
    "core": ("generate.py", ["FlintTests.ParityTests"]),
    "nn": ("nn/generate_nn.py", ["FlintNNTests.LayerParityTests", "FlintNNTests.LossParityTests",
                                 "FlintNNTests.OptimizerParityTests", "FlintNNTests.SchedulerParityTests"]),
    "padding_mask": ("nn/padding_mask.py", ["FlintNNTests.PaddingMaskTests"]),
    "e2e": ("e2e/generate_e2e.py", ["FlintNNTests.EndToEndParityTests"]),
    "data": ("data/generate_data.py", ["FlintDataTests.TransformParityTests", "FlintDataTests.StandardizeTests",
                                       "FlintTrainTests.DataStatisticsTests"]),
    "spec_training": ("train/spec_training.py", ["FlintTrainTests.SpecTrainingParityTests",
                                                 "FlintSpecTests.SpecTrainingFeaturesTests"]),
    "lm": ("train/lm_parity.py", ["FlintTrainTests.LanguageModelTests", "FlintNNTests.SequenceModelTests"]),
    "init": ("train/init_weights.py", ["FlintTrainTests.CheckpointFileTests"]),
}


def run_seed(seed, names):
    failures = []
    for name in names:
        script, _ = GENERATORS[name]
        p = subprocess.run([sys.executable, os.path.join(HERE, script), "--seed", str(seed)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            failures.append(f"{script} failed: {p.stdout.decode(errors='replace')[-300:]}")
    tests = [t for name in names for t in GENERATORS[name][1]]
    p = subprocess.run(["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--skip-build",
                        "--filter", "|".join(re.escape(t) + "/" for t in tests)],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    failed = sorted(set(re.findall(r"Test Case '([^']+)' failed", out)))
    failures += failed
    if not re.search(r"Executed [1-9][0-9]* tests?", out):
        failures.append("no test ran (is the test build current?)")
    elif p.returncode != 0 and not failed:
        failures.append("swift test exited %d: %s" % (p.returncode, out[-300:]))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, help="sweep seeds from this one up (default: random seeds)")
    parser.add_argument("--only", help="comma-separated generators: " + ", ".join(GENERATORS))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(GENERATORS)
    seeds = (list(range(args.first_seed, args.first_seed + args.seeds)) if args.first_seed is not None
             else random.SystemRandom().sample(range(1, 2**31), args.seeds))
    saved = tempfile.mkdtemp(prefix="flint-fixtures-")
    shutil.copytree(HERE, os.path.join(saved, "Fixtures"))
    bad = 0
    try:
        for seed in seeds:
            failures = run_seed(seed, names)
            bad += bool(failures)
            print(f"seed {seed}: " + ("pass" if not failures else "FAIL " + "; ".join(failures)), flush=True)
            shutil.rmtree(HERE)
            shutil.copytree(os.path.join(saved, "Fixtures"), HERE)
    finally:
        shutil.rmtree(HERE)
        shutil.copytree(os.path.join(saved, "Fixtures"), HERE)
        shutil.rmtree(saved)
    print(f"{len(seeds) - bad} of {len(seeds)} seeds passed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
