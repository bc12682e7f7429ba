#!/usr/bin/env python3
"""PyTorch timings for the cases of the Swift op benchmark: the fastest of repeated runs, as `name seconds`.
Arguments, if any, select the cases whose names contain one of them."""
import os
import sys
import time

import torch

if "BENCH_THREADS" in os.environ:
    torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
# BENCH_CLOCK=cpu: CPU time of the whole process, as the Swift side measures it then.
clock = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def bench(name, fn, repeats=10):
    if sys.argv[1:] and not any(f in name for f in sys.argv[1:]):
        return
    fn()
    samples = []
    for _ in range(repeats):
        start = clock()
        fn()
        samples.append(clock() - start)
    print(name, "%.6e" % min(samples), flush=True)


torch.manual_seed(0)
with torch.no_grad():
    for m, k, n in [(64, 784, 256), (1024, 1024, 1024)]:
        a, b = torch.randn(m, k), torch.randn(k, n)
        bench(f"matmul_{m}x{k}x{n}", lambda: a @ b)
    for label, side in [("64K", 256), ("256K", 512), ("1M", 1024), ("16M", 4096)]:
        a, b = torch.randn(side, side), torch.randn(side, side)
        at, bt = a.t(), b.t()
        bench(f"add_{label}", lambda: a + b)
        bench(f"mul_{label}", lambda: a * b)
        bench(f"relu_{label}", lambda: torch.relu(a))
        bench(f"exp_{label}", lambda: torch.exp(a))
        bench(f"add_{label}_transposed", lambda: at + bt)
        bench(f"mul_{label}_transposed", lambda: at * bt)
        bench(f"relu_{label}_transposed", lambda: torch.relu(at))
        bench(f"exp_{label}_transposed", lambda: torch.exp(at))
    big = torch.randn(4096, 4096)
    for d in range(2):
        bench(f"sum_dim{d}", lambda: big.sum(d))
        bench(f"mean_dim{d}", lambda: big.mean(d))
    for r, c in [(128, 10), (4096, 1000)]:
        x = torch.randn(r, c)
        bench(f"softmax_{r}x{c}", lambda: torch.softmax(x, -1), repeats=200 if r == 128 else 10)

for cin, cout, side in [(1, 16, 28), (16, 32, 14)]:
    x, w, bias = torch.randn(64, cin, side, side), torch.randn(cout, cin, 5, 5), torch.randn(cout)
    with torch.no_grad():
        bench(f"conv2d_{cin}to{cout}_forward", lambda: torch.nn.functional.conv2d(x, w, bias, padding=2))
    xg, wg, bg = x.clone().requires_grad_(), w.clone().requires_grad_(), bias.clone().requires_grad_()
    upstream = torch.ones(64, cout, side, side)

    def step():
        xg.grad = wg.grad = bg.grad = None
        torch.nn.functional.conv2d(xg, wg, bg, padding=2).backward(upstream)

    bench(f"conv2d_{cin}to{cout}_forward_backward", step)

for channels, side in [(16, 28), (32, 14)]:
    x = torch.randn(64, channels, side, side)
    with torch.no_grad():
        bench(f"max_pool2d_{channels}x{side}_forward", lambda: torch.nn.functional.max_pool2d(x, 2))
    xg = x.clone().requires_grad_()
    upstream = torch.ones(64, channels, side // 2, side // 2)

    def pool_step():
        xg.grad = None
        torch.nn.functional.max_pool2d(xg, 2).backward(upstream)

    bench(f"max_pool2d_{channels}x{side}_forward_backward", pool_step)
