#!/usr/bin/env python3
"""Training and evaluation speed of Flint against PyTorch on the workloads of issue 18, in interleaved rounds.

Each workload is one model, optimizer and data set trained for (a fraction of) one epoch by `flint train`
and by the same network in PyTorch (2.13 CPU); every round runs both, each in its own process, so the
peak RSS of each is its own. `--modes eval` times evaluation instead: `flint eval` of a checkpoint of the
workload over the same data against PyTorch's `model.eval()` + `torch.no_grad()` loop over it (loss and
accuracy). Prints, per mode and workload, the median and range over the rounds of the ratio
Flint / PyTorch (< 1: Flint is faster), and writes the tables to docs/performance.md.

    make bench                                   # every workload, 3 rounds, whole epochs, all cores
    python3 bench/workloads/bench.py --rounds 5 --workloads mlp,lstm --fraction 0.2 --threads 1 --clock cpu

Times: with `--clock wall` (the default, for a quiet machine) each side's own training-loop time: Flint's
`seconds` of its epoch record in metrics.jsonl (no validation: the harness trains without a val split), and
PyTorch's loop timed with perf_counter. With `--clock cpu` (for a shared machine; use with --threads 1) the
process CPU time instead: PyTorch's loop by time.process_time(), Flint's whole `flint train` process from
wait4 minus that of `flint check` on the same spec (start-up, reading the data, one batch).
Evaluation: PyTorch's loop as above; Flint's `flint eval` process (wall or CPU time) minus that of the same
command on a one-batch data file, which cancels start-up and reading the checkpoint.
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
    "char_lm": ("models/fortunes_char_lm.yaml",
                "models/fortunes_char_lm.yaml (5 causal pre-norm layers, d 128, block 64, batch 16), AdamW"),
}
# The character LM's shape (models/fortunes_char_lm.yaml) and its windows: non-overlapping blocks of 64, batch 16.
LM_VOCAB, LM_DIM, LM_HEADS, LM_FF, LM_LAYERS, LM_BLOCK, LM_STRIDE, LM_BATCH = 114, 128, 4, 512, 5, 64, 64, 16
MODES = ("train", "eval")


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
    if name == "char_lm":
        class LM(nn.Module):
            """GPT-style: token + learned position embeddings, causal pre-norm layers, head tied to the embedding."""
            def __init__(self):
                super().__init__()
                self.wte = nn.Embedding(LM_VOCAB, LM_DIM)
                nn.init.normal_(self.wte.weight, std=0.02)  # as the spec's init
                self.wpe = nn.Parameter(torch.randn(LM_BLOCK, LM_DIM) * 0.02)
                self.blocks = nn.ModuleList(
                    nn.TransformerEncoderLayer(LM_DIM, LM_HEADS, LM_FF, dropout=0.0, activation="gelu", batch_first=True,
                                               norm_first=True) for _ in range(LM_LAYERS))
                self.ln_f = nn.LayerNorm(LM_DIM)
                self.head = nn.Linear(LM_DIM, LM_VOCAB, bias=False)
                self.head.weight = self.wte.weight
                self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(LM_BLOCK))

            def forward(self, x):
                h = self.wte(x) + self.wpe[:x.shape[1]]
                for block in self.blocks:
                    h = block(h, src_mask=self.mask, is_causal=True)
                return self.head(self.ln_f(h)).flatten(0, 1)  # [N·T, vocab], as the loss takes it

        net = LM()
        return net, torch.optim.AdamW(net.parameters(), lr=0.002, weight_decay=0.01)
    raise ValueError(name)


def torch_batches(name, data, seed):
    """The workload's data, read now, as a generator of (inputs, targets) batches in a random order that makes
    each batch when the loop asks for it (as Flint's loader does)."""
    import h5py
    import torch
    torch.manual_seed(seed)
    if name == "char_lm":
        with h5py.File(data, "r") as f:
            tokens = torch.from_numpy(f["train/tokens"][...].astype("int64"))
        starts = torch.arange(0, tokens.shape[0] - LM_BLOCK, LM_STRIDE)
        perm = starts[torch.randperm(starts.shape[0])]

        def windows():
            offsets = torch.arange(LM_BLOCK)
            for i in range(0, perm.shape[0], LM_BATCH):
                idx = perm[i:i + LM_BATCH, None] + offsets
                yield tokens[idx], tokens[idx + 1].flatten()
        return windows()
    with h5py.File(data, "r") as f:
        x_u8 = torch.from_numpy(f["train/images"][...])
        y = torch.from_numpy(f["train/labels"][...])
    perm = torch.randperm(x_u8.shape[0])

    def images():
        for i in range(0, x_u8.shape[0], 64):
            idx = perm[i:i + 64]
            yield (x_u8[idx].float() / 255 - 0.1307) / 0.3081, y[idx]
    return images()


def torch_worker(args):
    """One PyTorch pass over the data file, training or (`--mode eval`) evaluating; prints {"wall", "cpu", "loss"}."""
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net, opt = torch_model(args.torch_worker)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = torch_batches(args.torch_worker, args.data, args.seed)
    clip = args.torch_worker == "char_lm"  # its spec's train.clip_grad_norm
    wall, cpu = time.perf_counter(), time.process_time()
    if args.mode == "eval":
        net.eval()
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in batches:
                out = net(xb)
                total += loss_fn(out, yb).item() * yb.shape[0]
                correct += (out.argmax(1) == yb).sum().item()
                count += yb.shape[0]
        loss = torch.tensor(total / count)
    else:
        net.train()
        for xb, yb in batches:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "loss": loss.item()}))


# ---------------------------------------------------------------- the harness

def run(cmd, env, cores):
    """Runs `cmd` to completion, reaped with wait4; returns (stdout, CPU seconds, peak RSS in MB, wall seconds) of
    that process alone."""
    def pin():
        if cores:
            os.sched_setaffinity(0, cores)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, preexec_fn=pin, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{err.read()[-3000:]}")
        return out.read(), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall


def make_subset(path, fraction):
    """The first `fraction` of MNIST's training set (uint8 images, int64 labels) as an HDF5 file; returns its size."""
    import h5py
    with h5py.File(os.path.join(ROOT, "datasets/mnist.h5"), "r") as src, h5py.File(path, "w") as dst:
        n = max(64, int(round(src["train/images"].shape[0] * fraction)))
        dst["train/images"] = src["train/images"][:n]
        dst["train/labels"] = src["train/labels"][:n]
    return n


def make_text_subset(path, fraction):
    """The first `fraction` of the fortunes training text (uint8 token ids) as an HDF5 file; returns its windows."""
    import h5py
    with h5py.File(os.path.join(ROOT, "datasets/fortunes.h5"), "r") as src, h5py.File(path, "w") as dst:
        n = max((LM_BATCH - 1) * LM_STRIDE + LM_BLOCK + 1, int(round(src["train/tokens"].shape[0] * fraction)))
        dst["train/tokens"] = src["train/tokens"][:n]
    return len(range(0, n - LM_BLOCK, LM_STRIDE))


def flint_spec(name, data, directory, tag=""):
    """The workload's spec trained on `data` for one epoch with no validation, test, scheduler or metrics
    (the PyTorch loop has none of them), written into `directory`; returns its path."""
    import yaml
    with open(os.path.join(ROOT, WORKLOADS[name][0])) as f:
        spec = yaml.safe_load(f)
    spec["data"]["source"] = data
    if name == "char_lm":
        spec["data"]["train"] = {"tokens": "train/tokens", "block_size": LM_BLOCK, "stride": LM_STRIDE}
        spec["data"]["batch_size"] = LM_BATCH
    else:
        spec["data"]["train"] = {"x": "train/images", "y": "train/labels"}
        spec["data"]["batch_size"] = 64
    for key in ("val", "test"):
        spec["data"].pop(key, None)
    spec.pop("scheduler", None)
    clip = spec.get("train", {}).get("clip_grad_norm")
    spec["train"] = {"epochs": 1}
    if clip:
        spec["train"]["clip_grad_norm"] = clip
    path = os.path.join(directory, f"{name}{tag}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False)
    return path


def flint_round(flint, spec, env, cores, clock, baseline):
    """(seconds, peak RSS MB) of one `flint train` epoch."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "run")
        _, cpu, rss, _ = run([flint, "train", spec, "--run-dir", run_dir, "--quiet"], env, cores)
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            record = next(json.loads(line) for line in f if json.loads(line).get("kind", "epoch") == "epoch")
    return (record["seconds"] if clock == "wall" else cpu - baseline), rss


def flint_eval_round(flint, checkpoint, data, env, cores, clock, baseline):
    """(seconds, peak RSS MB) of `flint eval` of `checkpoint` over the training split of `data`."""
    _, cpu, rss, wall = run([flint, "eval", checkpoint, "--split", "train", "--data", data, "--json"], env, cores)
    return (wall if clock == "wall" else cpu) - baseline, rss


def torch_round(name, data, env, cores, clock, threads, seed, mode):
    out, _, rss, _ = run([sys.executable, os.path.abspath(__file__), "--torch-worker", name, "--data", data,
                          "--threads", str(threads), "--seed", str(seed), "--mode", mode], env, cores)
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
    ap.add_argument("--modes", default=",".join(MODES), help="train, eval or both (default train,eval)")
    ap.add_argument("--fraction", type=float, default=1.0, help="fraction of MNIST's 60000 training images per epoch")
    ap.add_argument("--text-fraction", type=float, default=0.1,
                    help="fraction of the fortunes training text per char_lm epoch (default 0.1: 226 steps of 16 windows)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads (cores) for each side")
    ap.add_argument("--cores", default=None, help="cores to pin to when --threads is below the core count (e.g. 1)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="each loop's own time, or process CPU time")
    ap.add_argument("--flint", default=os.path.join(ROOT, ".build/release/flint"))
    ap.add_argument("--output", default=os.path.join(ROOT, "docs/performance.md"), help="markdown report ('' for none)")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=MODES, default="train", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        return torch_worker(args)

    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        ap.error(f"--modes takes {' or '.join(MODES)}, comma-separated; got {args.modes!r}")
    if not os.access(args.flint, os.X_OK):
        ap.error(f"no flint binary at {args.flint}; run `swift build -c release --product flint` first")
    cores = None
    if args.threads < os.cpu_count():
        pool = [int(c) for c in args.cores.split(",")] if args.cores else sorted(os.sched_getaffinity(0))
        cores = set(pool[:args.threads])
    env = dict(os.environ, FLINT_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               OMP_NUM_THREADS=str(args.threads))

    results = {mode: {} for mode in modes}
    with tempfile.TemporaryDirectory() as tmp:
        images, text = os.path.join(tmp, "mnist_train.h5"), os.path.join(tmp, "fortunes_train.h5")
        samples = make_subset(images, args.fraction)
        windows = make_text_subset(text, args.text_fraction) if "char_lm" in names else 0
        # One batch of each, for the checkpoints that `flint eval` reads and its start-up baseline.
        one_images, one_text = os.path.join(tmp, "mnist_one.h5"), os.path.join(tmp, "fortunes_one.h5")
        make_subset(one_images, 0)
        make_text_subset(one_text, 0)
        for name in names:
            data, one = (text, one_text) if name == "char_lm" else (images, one_images)
            spec = flint_spec(name, data, tmp)
            for mode in modes:
                if mode == "train":
                    baseline = 0.0
                    if args.clock == "cpu":  # start-up, reading the data and one batch, outside the training loop
                        _, baseline, _, _ = run([args.flint, "check", spec], env, cores)
                    flint_side = lambda: flint_round(args.flint, spec, env, cores, args.clock, baseline)
                else:
                    # A checkpoint of the model (trained on one batch: speed does not depend on the weights),
                    # and the time of evaluating it on one batch (start-up, reading the checkpoint).
                    run_dir = os.path.join(tmp, f"{name}-checkpoint")
                    run([args.flint, "train", flint_spec(name, one, tmp, "-one"), "--run-dir", run_dir, "--quiet"], env, cores)
                    checkpoint = os.path.join(run_dir, "checkpoints", "last.h5")
                    _, cpu, _, wall = run([args.flint, "eval", checkpoint, "--split", "train", "--data", one, "--json"],
                                          env, cores)
                    baseline = wall if args.clock == "wall" else cpu
                    flint_side = lambda: flint_eval_round(args.flint, checkpoint, data, env, cores, args.clock, baseline)
                rows = []
                for r in range(args.rounds):
                    # Alternate which side goes first, so a drift in the machine's load hits both alike.
                    first_torch = r % 2 == 0
                    if first_torch:
                        t = torch_round(name, data, env, cores, args.clock, args.threads, r, mode)
                    f = flint_side()
                    if not first_torch:
                        t = torch_round(name, data, env, cores, args.clock, args.threads, r, mode)
                    rows.append((f, t))
                    print(f"{name} {mode} round {r + 1}: Flint {f[0]:.2f} s, PyTorch {t[0]:.2f} s, ratio {f[0] / t[0]:.2f}",
                          file=sys.stderr, flush=True)
                results[mode][name] = rows

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    clock = ("each side's own loop time (Flint: `seconds` in metrics.jsonl when training, the `flint eval` process's "
             "wall time minus that of evaluating one batch when evaluating; PyTorch: perf_counter around its loop)"
             if args.clock == "wall" else
             "process CPU time (PyTorch: its loop; Flint: `flint train` minus `flint check` of the same spec, or "
             "`flint eval` minus `flint eval` of one batch)")
    lines = [
        f"- Date: {stamp}",
        f"- Machine: {machine()}",
        f"- Versions: {versions(args.flint)}",
        f"- Run: `python3 bench/workloads/bench.py --rounds {args.rounds} --workloads {','.join(names)} "
        f"--modes {','.join(modes)} --fraction {args.fraction:g} --text-fraction {args.text_fraction:g} --threads {args.threads}"
        + (f" --cores {args.cores}" if args.cores else "") + f" --clock {args.clock}`",
        f"- Each round: {samples} MNIST training images, batch 64"
        + (f" (the character LM: {windows} windows of the fortunes training text, batch {LM_BATCH})" if windows else "")
        + f", one process per side; threads per side: {args.threads}" + (f", pinned to cores {sorted(cores)}" if cores else ""),
        f"- Times: {clock}; ratio = Flint / PyTorch within a round (< 1: Flint is faster), median and range over the rounds",
    ]
    titles = {"train": "Training (one epoch)",
              "eval": "Evaluation (`flint eval` against PyTorch's `model.eval()` and `torch.no_grad()` loop)"}
    for mode, table in results.items():
        lines += ["", f"### {titles[mode]}", "",
                  "| workload | Flint s | PyTorch s | ratio (median) | ratio range | Flint peak RSS | PyTorch peak RSS |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, rows in table.items():
            ratios = [f[0] / t[0] for f, t in rows]
            lines.append(f"| {WORKLOADS[name][1]} | {statistics.median(f[0] for f, _ in rows):.2f} "
                         f"| {statistics.median(t[0] for _, t in rows):.2f} | **{statistics.median(ratios):.2f}** "
                         f"| {min(ratios):.2f}-{max(ratios):.2f} | {max(f[1] for f, _ in rows):.0f} MB "
                         f"| {max(t[1] for _, t in rows):.0f} MB |")
    report = "\n".join(lines)
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write("# Speed against PyTorch\n\n"
                    "Written by `make bench` (`bench/workloads/bench.py`); rerun it to refresh. Each workload trains (and\n"
                    "evaluates) the same model with the same optimizer on the same data in Flint and in PyTorch, in\n"
                    "interleaved rounds, each in its own process.\n\n" + report + "\n")
        print(f"wrote {os.path.relpath(args.output, ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
