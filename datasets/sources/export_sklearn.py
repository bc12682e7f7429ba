"""Writes scikit-learn's bundled datasets as plain files for Flint's importers.

    python datasets/sources/export_sklearn.py OUTDIR

wine.csv (header; the target column `class` holds the class names),
diabetes.csv (header; the original, unscaled measurements and the target
`progression`), and digits/<digit>/<index>.png (8×8 grey PNGs, the 0–16
levels scaled to 0–255 by 255/16 and rounded). scikit-learn ships all three
inside its package (sklearn/datasets/data, sklearn/datasets/descr), so nothing
is downloaded.
"""

import csv
import os
import sys

import numpy as np
from PIL import Image
from sklearn import datasets


def main(out):
    os.makedirs(out, exist_ok=True)
    wine = datasets.load_wine()
    with open(os.path.join(out, "wine.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(wine.feature_names) + ["class"])
        for row, target in zip(wine.data, wine.target):
            writer.writerow([repr(float(v)) for v in row] + [wine.target_names[target]])

    diabetes = datasets.load_diabetes(scaled=False)
    with open(os.path.join(out, "diabetes.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(diabetes.feature_names) + ["progression"])
        for row, target in zip(diabetes.data, diabetes.target):
            writer.writerow([repr(float(v)) for v in row] + [repr(float(target))])

    digits = datasets.load_digits()
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        folder = os.path.join(out, "digits", str(label))
        os.makedirs(folder, exist_ok=True)
        pixels = np.rint(image * 255.0 / 16.0).clip(0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").save(os.path.join(folder, f"{index:04d}.png"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "datasets/sources/out")
