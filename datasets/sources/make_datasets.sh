#!/bin/sh
# Rebuilds wine.h5, diabetes.h5 and digits.h5 from scikit-learn's bundled data
# with Flint's own importers. Run from the repository root after building flint:
#   pip install scikit-learn pillow && sh datasets/sources/make_datasets.sh
set -eu
FLINT=${FLINT:-.build/release/flint}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 datasets/sources/export_sklearn.py "$WORK"
"$FLINT" import csv "$WORK/wine.csv" --target class --test-fraction 0.2 --seed 0 --stratify \
    --output datasets/wine.h5 --force
"$FLINT" import csv "$WORK/diabetes.csv" --target progression --test-fraction 0.2 --seed 0 \
    --output datasets/diabetes.h5 --force
"$FLINT" import images "$WORK/digits" --test-fraction 0.2 --seed 0 --stratify \
    --output datasets/digits.h5 --force
