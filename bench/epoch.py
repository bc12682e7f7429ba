"""What bench/mlp/bench.py and bench/cnn/bench.py share: MNIST in memory, one
PyTorch training epoch of a given network, one `flint train` epoch of a spec,
and the table that compares them."""
import json
import os
import subprocess
import tempfile
import time

import h5py
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_mnist():
    """The training images (uint8) and labels of datasets/mnist.h5, as tensors."""
    with h5py.File(os.path.join(ROOT, "datasets/mnist.h5"), "r") as f:
        return torch.from_numpy(f["train/images"][...]), torch.from_numpy(f["train/labels"][...])


def torch_epoch(make_net, x_u8, y, seed, batch_size=64):
    """One epoch of SGD (momentum 0.9, lr 0.05) with cross-entropy over shuffled
    batches, normalising as Flint's to_tensor + normalize do; returns (seconds, last loss)."""
    torch.manual_seed(seed)
    net = make_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x_u8.shape[0]
    start = time.perf_counter()
    perm = torch.randperm(n)
    for i in range(0, n, batch_size):
        idx = perm[i:i + batch_size]
        xb = (x_u8[idx].float() / 255 - 0.1307) / 0.3081
        loss = loss_fn(net(xb), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, loss.item()


def flint_epoch(flint, spec):
    """`flint train SPEC` for its first epoch; returns the epoch record's (seconds, train/loss)."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "run")
        subprocess.run([flint, "train", spec, "--run-dir", run_dir, "--quiet"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            first = json.loads(f.readline())
        return first["seconds"], first["train/loss"]


def print_table(times, repeats):
    """One row per entry of `times` (name -> seconds per run), with its ratio to the "PyTorch" row."""
    base = min(times["PyTorch"])
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"OPENBLAS_NUM_THREADS = {os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, cores = {os.cpu_count()}")
    print(f"| {'run':22} | {'s/epoch (best of ' + str(repeats) + ')':>22} | {'all runs':>24} | {'ratio to PyTorch':>16} |")
    print(f"|{'-' * 24}|{'-' * 24}|{'-' * 26}|{'-' * 18}|")
    for name, ts in times.items():
        if ts:
            print(f"| {name:22} | {min(ts):22.2f} | {' '.join(f'{t:.2f}' for t in ts):>24} | {min(ts) / base:16.2f} |")
