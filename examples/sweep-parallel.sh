#!/bin/sh
# The grid of sweep.sh, run N at a time with xargs -P (default: one per core).
# Each run writes only to its own directory, so runs never step on each other.
#
#   JOBS=2 examples/sweep-parallel.sh [SPEC] [OUT]
#
# With JOBS > 1, each run gets cores/JOBS threads (FLINT_NUM_THREADS, which sets
# Flint's kernels and OpenBLAS together, as `flint train --threads N` does) so the
# runs together do not ask for more threads than there are cores.
set -u
FLINT=${FLINT:-flint}
SPEC=${1:-models/mnist_mlp.yaml}
OUT=${2:-sweeps/$(date -u +%Y%m%d-%H%M%S)}
LRS=${LRS:-"0.01 0.05 0.1"}
BATCH_SIZES=${BATCH_SIZES:-"32 64"}
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
export FLINT SPEC OUT
CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
THREADS=$((CORES / JOBS))
[ "$THREADS" -lt 1 ] && THREADS=1
[ "$JOBS" -gt 1 ] && export FLINT_NUM_THREADS=$THREADS

for lr in $LRS; do
    for bs in $BATCH_SIZES; do
        echo "$lr $bs"
    done
done | xargs -P "$JOBS" -n 2 sh -c '
    "$FLINT" train "$SPEC" --set optimizer.lr="$0" --set data.batch_size="$1" \
        --run-dir "$OUT/lr=$0-bs=$1" --quiet >/dev/null \
        || echo "run lr=$0 bs=$1 failed (exit $?)" >&2
    exit 0'

"$FLINT" runs "$OUT" --sort val/accuracy
