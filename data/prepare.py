#!/usr/bin/env python3
"""Write the two example datasets used by sparknorm from the copies bundled with scikit-learn.

Run from any directory (paths are resolved relative to this file):

    /usr/bin/python3 data/prepare.py

Needs scikit-learn (Debian: ``apt-get install -y python3-sklearn``).  The data
is read with sklearn.datasets.load_digits / load_wine, which read files shipped
inside the package; nothing is downloaded.  Outputs (rewritten on every run,
byte-for-byte the same each time):

``digits.jsonl``
    1797 lines, one JSON object per sample:
    ``{"id": i, "label": digit, "features": [64 integers 0..16]}``,
    the 8x8 image flattened row-major (sample shape 1x8x8).
    Source: the test set of the UCI "Optical Recognition of Handwritten Digits"
    data set, as shipped by scikit-learn.

``wine.csv``
    178 rows plus a header: ``id``, the 13 measurements (snake_case names) and
    ``cultivar`` (class 0, 1 or 2 as in scikit-learn; the UCI file numbers them
    1..3).  Numbers are written with Python's repr, so they round-trip exactly.
    Source: the UCI "Wine" data set, as shipped by scikit-learn.
"""

import csv
import json
import os

import numpy as np
from sklearn.datasets import load_digits, load_wine

HERE = os.path.dirname(os.path.abspath(__file__))

WINE_COLUMNS = [
    # (sklearn feature name, column name in wine.csv)
    ("alcohol", "alcohol"),
    ("malic_acid", "malic_acid"),
    ("ash", "ash"),
    ("alcalinity_of_ash", "alcalinity_of_ash"),
    ("magnesium", "magnesium"),
    ("total_phenols", "total_phenols"),
    ("flavanoids", "flavanoids"),
    ("nonflavanoid_phenols", "nonflavanoid_phenols"),
    ("proanthocyanins", "proanthocyanins"),
    ("color_intensity", "color_intensity"),
    ("hue", "hue"),
    ("od280/od315_of_diluted_wines", "od280_od315"),
    ("proline", "proline"),
]


def write_digits(path):
    digits = load_digits()
    data, target = digits.data, digits.target
    assert data.shape == (1797, 64), data.shape
    ints = data.astype(np.int64)
    assert np.array_equal(ints, data), "digit pixels are not integers"
    assert ints.min() >= 0 and ints.max() <= 16
    # data is images.reshape(n, 64), i.e. the 8x8 image flattened row-major
    assert np.array_equal(digits.images.reshape(len(data), 64), data)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i, (row, label) in enumerate(zip(ints, target)):
            rec = {"id": i, "label": int(label), "features": [int(v) for v in row]}
            f.write(json.dumps(rec, separators=(", ", ": ")) + "\n")
    return len(data)


def write_wine(path):
    wine = load_wine()
    data, target = wine.data, wine.target
    assert data.shape == (178, 13), data.shape
    assert list(wine.feature_names) == [s for s, _ in WINE_COLUMNS], wine.feature_names
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id"] + [c for _, c in WINE_COLUMNS] + ["cultivar"])
        for i, (row, label) in enumerate(zip(data, target)):
            w.writerow([i] + [repr(float(v)) for v in row] + [int(label)])
    return len(data)


def main():
    n = write_digits(os.path.join(HERE, "digits.jsonl"))
    print("digits.jsonl: %d samples" % n)
    n = write_wine(os.path.join(HERE, "wine.csv"))
    print("wine.csv: %d rows" % n)


if __name__ == "__main__":
    main()
