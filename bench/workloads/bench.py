#!/usr/bin/env python3
"""Training speed of Flint against PyTorch on the workloads of issue 18, in interleaved rounds.

Each workload is one model, optimizer and data set trained for (a fraction of) one epoch by `flint train`
and by the same network in PyTorch (2.13 CPU); every round runs both, each in its own process, so the
peak RSS of each is its own. Prints, per workload, the median and range over the rounds of the ratio
Flint / PyTorch (< 1: Flint is faster), and writes the table to docs/performance.md.

    make bench                                   # every workload, 3 rounds, whole epochs, all cores
    python3 bench/workloads/bench.py --rounds 5 --workloads mlp,lstm --fraction 0.2 --threads 1 --clock cpu

Times: with `--clock wall` (the default, for a quiet machine) each side's own training-loop time: Flint's
`seconds` of its epoch record in metrics.jsonl (no validation: the harness trains without a val split), and
PyTorch's loop timed with perf_counter. With `--clock cpu` (for a shared machine; use with --threads 1) the
process CPU time instead: PyTorch's loop by time.process_time(), Flint's whole `flint train` process from
wait4 minus that of `flint check` on the same spec (start-up, reading the data, one batch).
`--threads N` gives PyTorch N threads (torch.set_num_threads) and Flint N (FLINT_NUM_THREADS, which sizes its
worker pool and OpenBLAS); below the machine's core count both processes are also pinned to the first N cores of
`--cores` (default: the cores this process may run on).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (Flint spec, title); the PyTorch twin of each is built by torch_model().
WORKLOADS = {
    "mlp": ("bench/mlp/mlp_epoch.yaml", "MNIST MLP 784-256-128-10, SGD momentum"),
    "cnn": ("bench/cnn/cnn_epoch.yaml", "MNIST CNN conv16-conv32-fc10 (5x5), SGD momentum"),
    "resnet": ("models/mnist_resnet.yaml", "models/mnist_resnet.yaml (3x3 convs, batch norm, residual adds), SGD"),
    "lstm": ("models/mnist_lstm.yaml", "models/mnist_lstm.yaml (LSTM 64 over 28 rows), Adam"),
    "transformer": ("bench/workloads/transformer_epoch.yaml",
                    "transformer encoder over MNIST rows (2 post-norm layers, d 64, 4 heads, ff 128), Adam"),
}


# ---------------------------------------------------------------- PyTorch side (run in a child process)

def torch_model(name):
    """The PyTorch network and optimizer of a workload, as Flint builds them from its spec."""
    import torch
    from torch import nn

    def basic(c):
        class Basic(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(c)
                self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(c)

            def forward(self, x):
                return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))
        return Basic()

    class Rows(nn.Module):
        """[N, 1, 28, 28] -> [N, 28, 28], then the wrapped layer; the LSTM's output sequence only."""
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            out = self.inner(x.flatten(1, 2))
            return out[0] if isinstance(out, tuple) else out

    if name == "mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        return net, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    if name == "cnn":
        net = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        return net, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    if name == "resnet":
        net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                            basic(16), basic(16), nn.Conv2d(16, 32, 3, stride=2, padding=1), basic(32), basic(32),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        return net, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=0.0001)
    if name == "lstm":
        net = nn.Sequential(Rows(nn.LSTM(28, 64, batch_first=True)), nn.Flatten(), nn.Linear(28 * 64, 10))
        return net, torch.optim.Adam(net.parameters(), lr=0.002)
    if name == "transformer":
        def layer():
            return nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, batch_first=True)
        net = nn.Sequential(Rows(nn.Linear(28, 64)), layer(), layer(), nn.Flatten(), nn.Linear(28 * 64, 10))
        return net, torch.optim.Adam(net.parameters(), lr=0.001)
    raise ValueError(name)


def torch_worker(args):
    """One PyTorch training pass over the data file; prints {"wall", "cpu", "loss"} as JSON."""
    import h5py
    import torch
    torch.set_num_threads(args.threads)
    with h5py.File(args.data, "r") as f:
        x_u8 = torch.from_numpy(f["train/images"][...])
        y = torch.from_numpy(f["train/labels"][...])
    torch.manual_seed(args.seed)
    net, opt = torch_model(args.torch_worker)
    net.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    n, batch = x_u8.shape[0], 64
    wall, cpu = time.perf_counter(), time.process_time()
    perm = torch.randperm(n)
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        xb = (x_u8[idx].float() / 255 - 0.1307) / 0.3081
        loss = loss_fn(net(xb), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "loss": loss.item()}))


# ---------------------------------------------------------------- the harness

def run(cmd, env, cores):
    """Runs `cmd` to completion, reaped with wait4; returns (stdout, CPU seconds, peak RSS in MB) of that process alone."""
    def pin():
        if cores:
            os.sched_setaffinity(0, cores)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, preexec_fn=pin, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{err.read()[-3000:]}")
        return out.read(), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def make_subset(path, fraction):
    """The first `fraction` of MNIST's training set (uint8 images, int64 labels) as an HDF5 file; returns its size."""
    import h5py
    with h5py.File(os.path.join(ROOT, "datasets/mnist.h5"), "r") as src, h5py.File(path, "w") as dst:
        n = max(64, int(round(src["train/images"].shape[0] * fraction)))
        dst["train/images"] = src["train/images"][:n]
        dst["train/labels"] = src["train/labels"][:n]
    return n


def flint_spec(name, data, directory):
    """The workload's spec trained on `data` for one epoch with no validation, test, scheduler or metrics
    (the PyTorch loop has none of them), written into `directory`; returns its path."""
    import yaml
    with open(os.path.join(ROOT, WORKLOADS[name][0])) as f:
        spec = yaml.safe_load(f)
    spec["data"]["source"] = data
    spec["data"]["train"] = {"x": "train/images", "y": "train/labels"}
    spec["data"]["batch_size"] = 64
    for key in ("val", "test"):
        spec["data"].pop(key, None)
    spec.pop("scheduler", None)
    spec["train"] = {"epochs": 1}
    path = os.path.join(directory, f"{name}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False)
    return path


def flint_round(flint, spec, env, cores, clock, baseline_cpu):
    """(seconds, peak RSS MB) of one `flint train` epoch."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "run")
        _, cpu, rss = run([flint, "train", spec, "--run-dir", run_dir, "--quiet"], env, cores)
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            record = next(json.loads(line) for line in f if json.loads(line).get("kind", "epoch") == "epoch")
    return (record["seconds"] if clock == "wall" else cpu - baseline_cpu), rss


def torch_round(name, data, env, cores, clock, threads, seed):
    out, _, rss = run([sys.executable, os.path.abspath(__file__), "--torch-worker", name, "--data", data,
                       "--threads", str(threads), "--seed", str(seed)], env, cores)
    record = json.loads(out.strip().splitlines()[-1])
    return record[clock], rss


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def versions(flint):
    import torch
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    return f"PyTorch {torch.__version__}, {swift[0] if swift else 'swift ?'}, Flint {commit or '?'} ({flint})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per workload (default 3)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated subset of {','.join(WORKLOADS)}")
    ap.add_argument("--fraction", type=float, default=1.0, help="fraction of MNIST's 60000 training images per epoch")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads (cores) for each side")
    ap.add_argument("--cores", default=None, help="cores to pin to when --threads is below the core count (e.g. 1)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="each loop's own time, or process CPU time")
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    ap.add_argument("--output", default=os.path.join(ROOT, "docs/performance.md"), help="markdown report ('' for none)")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        return torch_worker(args)

    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if not os.access(args.flint, os.X_OK):
        ap.error(f"no flint binary at {args.flint}; run `swift build -c release --product flint` first")
    cores = None
    if args.threads < os.cpu_count():
        pool = [int(c) for c in args.cores.split(",")] if args.cores else sorted(os.sched_getaffinity(0))
        cores = set(pool[:args.threads])
    env = dict(os.environ, FLINT_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               OMP_NUM_THREADS=str(args.threads))

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist_train.h5")
        samples = make_subset(data, args.fraction)
        for name in names:
            spec = flint_spec(name, data, tmp)
            baseline = 0.0
            if args.clock == "cpu":  # start-up, reading the data and one batch, outside the training loop
                _, baseline, _ = run([args.flint, "check", spec], env, cores)
            rows = []
            for r in range(args.rounds):
                # Alternate which side goes first, so a drift in the machine's load hits both alike.
                first_torch = r % 2 == 0
                if first_torch:
                    t = torch_round(name, data, env, cores, args.clock, args.threads, r)
                f = flint_round(args.flint, spec, env, cores, args.clock, baseline)
                if not first_torch:
                    t = torch_round(name, data, env, cores, args.clock, args.threads, r)
                rows.append((f, t))
                print(f"{name} round {r + 1}: Flint {f[0]:.2f} s, PyTorch {t[0]:.2f} s, ratio {f[0] / t[0]:.2f}",
                      file=sys.stderr, flush=True)
            results[name] = rows

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    clock = ("each side's own training-loop time (Flint: `seconds` in metrics.jsonl; PyTorch: perf_counter)"
             if args.clock == "wall" else
             "process CPU time (PyTorch: its loop; Flint: `flint train` minus `flint check` of the same spec)")
    lines = [
        f"- Date: {stamp}",
        f"- Machine: {machine()}",
        f"- Versions: {versions(args.flint)}",
        f"- Run: `python3 bench/workloads/bench.py --rounds {args.rounds} --workloads {','.join(names)} "
        f"--fraction {args.fraction:g} --threads {args.threads}" + (f" --cores {args.cores}" if args.cores else "")
        + f" --clock {args.clock}`",
        f"- Each round: {samples} MNIST training images, batch 64, one process per side; threads per side: {args.threads}"
        + (f", pinned to cores {sorted(cores)}" if cores else ""),
        f"- Times: {clock}; ratio = Flint / PyTorch within a round (< 1: Flint is faster), median and range over the rounds",
        "",
        "| workload | Flint s | PyTorch s | ratio (median) | ratio range | Flint peak RSS | PyTorch peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, rows in results.items():
        ratios = [f[0] / t[0] for f, t in rows]
        lines.append(f"| {WORKLOADS[name][1]} | {statistics.median(f[0] for f, _ in rows):.2f} "
                     f"| {statistics.median(t[0] for _, t in rows):.2f} | **{statistics.median(ratios):.2f}** "
                     f"| {min(ratios):.2f}-{max(ratios):.2f} | {max(f[1] for f, _ in rows):.0f} MB "
                     f"| {max(t[1] for _, t in rows):.0f} MB |")
    table = "\n".join(lines)
    print(table)
    if args.output:
        with open(args.output, "w") as f:
            f.write("# Training speed against PyTorch\n\n"
                    "Written by `make bench` (`bench/workloads/bench.py`); rerun it to refresh. Each workload trains the same\n"
                    "model with the same optimizer on the same data in Flint (`flint train`) and in PyTorch, in interleaved\n"
                    "rounds, each in its own process.\n\n" + table + "\n")
        print(f"wrote {os.path.relpath(args.output, ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
