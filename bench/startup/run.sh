#!/bin/sh
# Start-up time of the flint executable: `flint --version` and `flint config
# SPEC`, median of many runs (hyperfine when installed, else a timed loop).
# A shell sweep starts flint once per run, so this is its fixed cost per run;
# the goal is under 20 ms for both. For scale, `import torch` takes ~2 s here.
#
#   sh bench/startup/run.sh            # builds release first
#   FLINT=path/to/flint RUNS=200 sh bench/startup/run.sh
set -eu
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-100}
if [ -z "${FLINT:-}" ]; then
    swift build -c release --product flint >/dev/null
    FLINT=.build/release/flint
fi
SPEC=${SPEC:-models/mnist_mlp.yaml}

median_ms() {
    # Runs "$@" RUNS times and prints the median wall time in milliseconds.
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        echo $(( (end - start) / 1000 ))
        i=$((i + 1))
    done | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}

if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 10 --runs "$RUNS" --export-json /tmp/flint-startup.json \
        "$FLINT --version" "$FLINT config $SPEC" >/dev/null
    python3 - <<'PY'
import json
for r in json.load(open("/tmp/flint-startup.json"))["results"]:
    print(f"{r['command']}: median {r['median'] * 1000:.2f} ms")
PY
else
    "$FLINT" --version >/dev/null
    echo "$FLINT --version: median $(median_ms "$FLINT" --version) ms (includes fork+exec of the timing loop)"
    echo "$FLINT config $SPEC: median $(median_ms "$FLINT" config "$SPEC") ms"
    echo "/bin/true for reference: median $(median_ms /bin/true) ms"
fi
