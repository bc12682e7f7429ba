"""What the robustness scripts (corpus.py, kill_storm.py) share: where the repository and
the built `flint` are, their common arguments, a scratch folder, and running a command with
a deadline or a kill. Standard library only."""
import argparse
import collections
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# How a command ended: its exit code (negative for a signal), or "hang" when it was still
# running at its deadline (it is then killed); and its output.
Result = collections.namedtuple("Result", "code out err")


def arguments(description):
    """A parser with the options every script takes: --flint (the binary) and --seed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    parser.add_argument("--seed", type=int, default=0)
    return parser


def scratch(name):
    """A fresh temporary folder, flint-NAME-*."""
    return tempfile.mkdtemp(prefix=f"flint-{name}-")


def run(args, timeout, cwd=None):
    """Runs `args` with no input and waits at most `timeout` seconds."""
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return Result("hang", "", "")
    return Result(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def killed(args, delay):
    """Starts `args`, SIGKILLs it after `delay` seconds unless it ended first; returns its exit code."""
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()
