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

``digits-png/``
    The first 100 digits of ``digits.jsonl`` as 8x8 8-bit grayscale PNG files
    named ``digit-<index, 4 digits>-label-<digit>.png`` (``digit-0000-label-0.png``),
    for Spark's image source.  Pixel value = the digit's 0..16 value times 15
    (0..240), exactly.  Written with the standard library only (see png_gray8):
    the folder is deleted and rewritten on every run, byte-for-byte the same.
    The script also prints the exact mean and standard deviation of these
    pixels, raw and divided by 255 (the known answer in data/README.md).
"""

import csv
import json
import math
import os
import shutil
import struct
import zlib
from decimal import Decimal, localcontext
from fractions import Fraction

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


PNG_COUNT = 100
PNG_FACTOR = 15  # 0..16 -> 0..240


def png_chunk(kind, data):
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_gray8(rows):
    """A PNG file of 8-bit grayscale pixels (rows: lists of ints 0..255, all the same length).

    Signature; IHDR (bit depth 8, colour type 0 = grayscale, compression 0, filter 0,
    no interlace); one IDAT; IEND.  The IDAT holds the scanlines, each with filter
    byte 0 (none), as a zlib stream of one stored (uncompressed) deflate block built
    here byte by byte, so the bytes do not depend on the zlib library's compressor.
    """
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    assert len(raw) <= 0xFFFF  # one stored block
    # zlib header 0x78 0x01 (deflate, 32K window, no dictionary; (0x78 * 256 + 0x01) % 31 == 0),
    # the final stored block (BFINAL=1, BTYPE=00) with LEN and its complement NLEN (little-endian),
    # the data, and the big-endian Adler-32 of the data.
    stream = (b"\x78\x01" + b"\x01" + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF) + raw
              + struct.pack(">I", zlib.adler32(raw) & 0xFFFFFFFF))
    assert zlib.decompress(stream) == raw
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", stream)
            + png_chunk(b"IEND", b""))


def write_digit_pngs(folder):
    """The first PNG_COUNT digits as 8x8 PNG files; returns all their pixel values (ints)."""
    digits = load_digits()
    images, target = digits.images, digits.target
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    pixels = []
    for i in range(PNG_COUNT):
        image = images[i]
        assert image.shape == (8, 8), image.shape
        rows = [[int(v) * PNG_FACTOR for v in row] for row in image]
        assert all(float(v) * PNG_FACTOR == p for row, prow in zip(image, rows) for v, p in zip(row, prow))
        assert all(0 <= p <= 240 for row in rows for p in row)
        pixels.extend(p for row in rows for p in row)
        name = "digit-%04d-label-%d.png" % (i, int(target[i]))
        with open(os.path.join(folder, name), "wb") as f:
            f.write(png_gray8(rows))
    return pixels


def exact_moments(values, scale):
    """Mean and biased variance of values / scale as exact Fractions."""
    n = len(values)
    mean = Fraction(sum(values), n * scale)
    var = Fraction(n * sum(v * v for v in values) - sum(values) ** 2, n * n * scale * scale)
    return mean, var


def main():
    n = write_digits(os.path.join(HERE, "digits.jsonl"))
    print("digits.jsonl: %d samples" % n)
    n = write_wine(os.path.join(HERE, "wine.csv"))
    print("wine.csv: %d rows" % n)
    pixels = write_digit_pngs(os.path.join(HERE, "digits-png"))
    print("digits-png/: %d PNG files, %d pixels (0..16 x %d)" % (PNG_COUNT, len(pixels), PNG_FACTOR))
    for label, scale in (("raw pixels", 1), ("pixels / 255", 255)):
        mean, var = exact_moments(pixels, scale)
        # float(Fraction) is the correctly rounded double; std = math.sqrt of the rounded variance.
        std = math.sqrt(float(var))
        with localcontext() as ctx:
            ctx.prec = 80
            exact_std = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
        # For these data it is also the correctly rounded square root of the exact variance.
        assert std == float(exact_std), (std, exact_std)
        print("  %s: mean %r = %s exactly, var %r = %s exactly, std %r" % (label, float(mean), mean, float(var), var, std))


if __name__ == "__main__":
    main()
