#!/bin/sh
# A grid sweep over learning rate and batch size with a plain shell loop:
# one `flint train` per point, each in its own run directory, then one table.
#
#   examples/sweep.sh [SPEC] [OUT]
#   LRS="0.01 0.1" BATCH_SIZES="32 64" examples/sweep.sh models/mnist_mlp.yaml sweeps/lr-bs
#
# A run that fails does not stop the sweep; `flint runs` lists it as failed.
# Start-up is a few milliseconds, so the time goes to training.
set -u
FLINT=${FLINT:-flint}
SPEC=${1:-models/mnist_mlp.yaml}
OUT=${2:-sweeps/$(date -u +%Y%m%d-%H%M%S)}
LRS=${LRS:-"0.01 0.05 0.1"}
BATCH_SIZES=${BATCH_SIZES:-"32 64"}

for lr in $LRS; do
    for bs in $BATCH_SIZES; do
        "$FLINT" train "$SPEC" --set optimizer.lr="$lr" --set data.batch_size="$bs" \
            --run-dir "$OUT/lr=$lr-bs=$bs" --quiet >/dev/null \
            || echo "run lr=$lr bs=$bs failed (exit $?)" >&2
    done
done

"$FLINT" runs "$OUT" --sort val/accuracy
