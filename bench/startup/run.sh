#!/bin/sh
# Start-up time of the flint executable: `flint --version` and `flint config
# SPEC`, median and minimum of many runs, with `/bin/true` for the cost of
# starting any process. A shell sweep starts flint once per run, so this is its
# fixed cost per run; the goal is under 20 ms for both. For scale, `import
# torch` takes ~2 s here.
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

echo "load: $(uptime | sed 's/.*load average: //') on $(nproc) cores; $RUNS runs each"
python3 bench/startup/timeit.py "$RUNS" "$FLINT" --version ";;" "$FLINT" config "$SPEC" ";;" /bin/true
