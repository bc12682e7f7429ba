#!/usr/bin/env bash
# Runs the Flint and PyTorch op benchmarks on this machine, in the same run,
# and prints a table of best times and ratios (Flint / PyTorch; below 1 is faster).
# Arguments, if any, select the cases whose names contain one of them: run.sh exp softmax
# BENCH_THREADS=n runs both sides on n threads (steadier than all cores on a busy machine).
# BENCH_CLOCK=cpu times both sides by process CPU time instead of the wall clock (with
# BENCH_THREADS=1, the kernels' own cost on a machine busy with other work).
# BENCH_SCRATCH=dir builds in another scratch directory (default .build-bench), so
# benchmarks of different working states can run side by side.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scratch="${BENCH_SCRATCH:-.build-bench}"
swift build -c release --package-path bench/ops --scratch-path "$scratch" >&2
flint="$(mktemp)"; torch="$(mktemp)"
trap 'rm -f "$flint" "$torch"' EXIT
# The bench links OpenBLAS itself (for its sgemm baseline), so OpenBLAS loads before
# Flint's own dlopen could set its thread timeout (Sources/CBLAS/shim.h): set it here
# as `flint` does, or OpenBLAS's idle threads spin on the second core after each
# threaded GEMM and the elementwise cases run on one core.
OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" "$scratch"/release/FlintOpsBench "$@" > "$flint"
python3 bench/ops/bench_torch.py "$@" > "$torch"
python3 - "$flint" "$torch" <<'PY'
import sys
flint = dict(l.split() for l in open(sys.argv[1]) if l.strip())
torch = dict(l.split() for l in open(sys.argv[2]) if l.strip())
print(f"| {'case':34} | {'Flint ms':>9} | {'PyTorch ms':>10} | {'ratio':>6} |")
print(f"|{'-'*36}|{'-'*11}|{'-'*12}|{'-'*8}|")
for name, t in flint.items():
    f = float(t) * 1e3
    if name in torch:
        p = float(torch[name]) * 1e3
        print(f"| {name:34} | {f:9.3f} | {p:10.3f} | {f/p:6.2f} |")
    else:
        print(f"| {name:34} | {f:9.3f} | {'':>10} | {'':>6} |")
for m in ["64x784x256", "1024x1024x1024"]:
    if f"matmul_{m}" in flint and f"sgemm_{m}" in flint:
        print(f"matmul {m}: {float(flint[f'matmul_{m}']) / float(flint[f'sgemm_{m}']):.2f}x OpenBLAS's own sgemm")
PY
