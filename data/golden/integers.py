#!/usr/bin/env python3
"""Golden files for integer tensors, from the documented formulas in exact rational arithmetic.

PyTorch's normalization functions refuse integer tensors (torch 1.13: ``"batch_norm" not
implemented for 'Long'``, ``"LayerNormKernelImpl" not implemented for 'Long'``); its users call
``.float()`` first, which rounds every integer beyond 2^24.  sparknorm computes on the integers'
exact values, so these goldens are not torch's output: they are torch.nn.functional's formulas
(biased variance, eps inside the square root, affine after) evaluated exactly with ``Fraction`` on
the exact integers, and rounded once at the end.  Each file says so in ``"reference"``.

Run from any directory (no torch needed): ``/usr/bin/python3 data/golden/integers.py``.
``generate.py`` runs it too.  It writes ``integers/<name>.json``:

    {"name", "reference": "exact-rational", "method", "dtype": "int32" | "int64", "shape", "eps",
     "groups", "weight", "bias", "input": [[integers]], "output_exact": [[doubles]],
     batch only: "count", "mean_exact", "mean_residual_exact", "var_exact", "var_unbiased_exact",
     "std_exact"}

``output_exact`` is each normalized value correctly rounded to float64 (the job writes float32 for
integer input: the tests hold it to one float32 ulp of this); the batch statistics are each the
exact value correctly rounded to float64 (``mean_residual_exact``: the exact mean less the rounded
one, rounded).  Inputs are JSON integers, exact at any size.
"""

import decimal
import json
import math
import os
import random
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "integers")
DIGITS = 80

INT32_MAX = 2 ** 31 - 1
INT64_MAX = 2 ** 63 - 1


def segments(method, n, shape, groups):
    """(sample, flat position) index sets over which mean and variance are taken."""
    c, s = shape[0], math.prod(shape[1:])
    if method == "batch":
        return [[(i, ch * s + j) for i in range(n) for j in range(s)] for ch in range(c)]
    if method == "layer":
        return [[(i, j) for j in range(c * s)] for i in range(n)]
    if method == "instance":
        return [[(i, ch * s + j) for j in range(s)] for i in range(n) for ch in range(c)]
    per = (c // groups) * s
    return [[(i, g * per + j) for j in range(per)] for i in range(n) for g in range(groups)]


def sqrt_fraction(q):
    """sqrt(q) for a Fraction q > 0, to DIGITS significant digits, as a Fraction."""
    with decimal.localcontext() as ctx:
        ctx.prec = DIGITS
        root = (decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)).sqrt()
    return Fraction(root)


def nearest_double(q):
    """The double nearest to the Fraction q, ties to even (Python's float(Fraction) rounds correctly)."""
    return float(q)


def correctly_rounded_sqrt(q):
    """The double nearest to sqrt(q): a 80-digit root, then moved until it is between the midpoints
    to its neighbours, decided exactly by squaring them."""
    r = float(sqrt_fraction(q))
    while True:
        lo, hi = math.nextafter(r, -math.inf), math.nextafter(r, math.inf)
        if ((Fraction(lo) + Fraction(r)) / 2) ** 2 > q:
            r = lo
        elif ((Fraction(r) + Fraction(hi)) / 2) ** 2 < q:
            r = hi
        else:
            return r


def exact_case(name, method, dtype, shape, eps, groups, rows, weight=None, bias=None):
    n, c, s = len(rows), shape[0], math.prod(shape[1:])
    limit = INT32_MAX if dtype == "int32" else INT64_MAX
    assert all(-limit - 1 <= v <= limit for row in rows for v in row), name
    assert all(len(row) == c * s for row in rows), name
    feps = Fraction(eps)
    out = [[None] * (c * s) for _ in rows]
    stats = []
    for seg in segments(method, n, shape, groups):
        m = len(seg)
        mean = Fraction(sum(rows[i][j] for i, j in seg), m)
        ss = sum((rows[i][j] - mean) ** 2 for i, j in seg)
        var = ss / m
        stats.append((mean, var, ss / (m - 1) if m > 1 else None, m))
        root = sqrt_fraction(var + feps)
        for i, j in seg:
            y = (rows[i][j] - mean) / root
            k = j if method == "layer" else j // s
            if weight is not None:
                y *= Fraction(weight[k])
            if bias is not None:
                y += Fraction(bias[k])
            out[i][j] = nearest_double(y)
    case = {"name": name, "reference": "exact-rational", "method": method, "dtype": dtype, "shape": shape,
            "eps": eps, "groups": groups, "weight": weight, "bias": bias, "input": rows, "output_exact": out}
    if method == "batch":
        means = [nearest_double(st[0]) for st in stats]
        case["count"] = stats[0][3]
        case["mean_exact"] = means
        case["mean_residual_exact"] = [nearest_double(st[0] - Fraction(mu)) for st, mu in zip(stats, means)]
        case["var_exact"] = [nearest_double(st[1]) for st in stats]
        case["var_unbiased_exact"] = [nearest_double(st[2]) for st in stats]
        case["std_exact"] = [correctly_rounded_sqrt(st[1]) for st in stats]
    return case


def tabular(n, columns):
    """n rows of channels, channel k = columns[k](i)."""
    return [[f(i) for f in columns] for i in range(n)]


def all_cases():
    rng = random.Random(30)
    cases = []
    # The defect's own example: channel 0 above 2^24, channel 1 near 1e9 (a float has 24 bits).
    above24 = tabular(20, [lambda i: 16777217 + i, lambda i: 1000000001 + 3 * i])
    cases.append(exact_case("batch_c2_above2p24_int64", "batch", "int64", [2], 1e-5, None, above24))
    cases.append(exact_case("batch_c2_above2p24_int32", "batch", "int32", [2], 1e-5, None, above24))
    # Beyond 2^53 a double has no room either: 2^53 + 1 + i collapses to one double per two values.
    above53 = tabular(20, [lambda i: 2 ** 53 + 1 + i, lambda i: -(2 ** 62) + 7 * i * i])
    cases.append(exact_case("batch_c2_above2p53_int64", "batch", "int64", [2], 1e-5, None, above53,
                            weight=[0.5, 2.0], bias=[1.0, -0.25]))
    # Nanosecond timestamps and counts, channels and positions: (C, L) samples.
    stamps = [[1_733_500_000_000_000_000 + rng.randrange(10 ** 9) for _ in range(3 * 4)] for _ in range(6)]
    counts = [[rng.randrange(2 ** 30, INT32_MAX) for _ in range(3 * 4)] for _ in range(6)]
    for method, groups in (("batch", None), ("layer", None), ("instance", None), ("group", 3)):
        cases.append(exact_case(method + "_c3x4_timestamps_int64", method, "int64", [3, 4], 1e-5, groups, stamps))
        cases.append(exact_case(method + "_c3x4_counts_int32", method, "int32", [3, 4], 1e-5, groups, counts))
    # Layer and group norm on tabular rows of mixed magnitudes, with affine.
    mixed = [[2 ** 53 + rng.randrange(-50, 50), rng.randrange(-9, 9), -(2 ** 60) + rng.randrange(1000),
              rng.randrange(10 ** 12)] for _ in range(5)]
    cases.append(exact_case("layer_c4_mixed_int64", "layer", "int64", [4], 1e-5, None, mixed,
                            weight=[1.5, -0.5, 2.0, 0.25], bias=[0.125, 0.0, -1.0, 3.0]))
    cases.append(exact_case("group_c4_g2_mixed_int64", "group", "int64", [4], 1e-3, 2, mixed,
                            weight=[1.5, -0.5, 2.0, 0.25], bias=[0.125, 0.0, -1.0, 3.0]))
    # The long range's ends in one channel.
    ends = tabular(4, [lambda i: [INT64_MAX, -INT64_MAX - 1, INT64_MAX - 1, 12345][i], lambda i: i])
    cases.append(exact_case("batch_c2_longends_int64", "batch", "int64", [2], 1e-5, None, ends))
    return cases


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT_DIR, f))
    cases = all_cases()
    for case in cases:
        with open(os.path.join(OUT_DIR, case["name"] + ".json"), "w") as f:
            json.dump(case, f, indent=1)
            f.write("\n")
        print("integers %s" % case["name"])
    print("%d integer cases (exact rational references)" % len(cases))


if __name__ == "__main__":
    main()
