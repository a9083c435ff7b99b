#!/usr/bin/env python3
"""Generate golden files for the Java normalization tests, with PyTorch as the oracle.

Run from any directory (paths are resolved relative to this file):

    /usr/bin/python3 data/golden/generate.py

Needs PyTorch (Debian: ``apt-get install -y python3-torch``; written against 1.13).
Every run deletes the previous outputs and writes them again; the result is
deterministic (fixed seeds, single-threaded torch).

Outputs, all next to this script:

``cases/<name>.json``
    One normalization case: a few samples, the parameters, and torch's output
    from ``torch.nn.functional`` (batch_norm in training mode, layer_norm,
    instance_norm, group_norm).  Samples are flattened channels-first
    (row-major over ``shape``).  float32 cases are generated and computed in
    float32 and every value is written as the exact double value of the float32
    number; float64 cases are float64 throughout.  Batch cases also hold the
    batch statistics (count, mean, biased and unbiased variance per channel,
    computed in float64 from the same input).

    float64 cases also hold ``output_exact`` (and, for batch,
    ``mean_exact``, ``var_exact``, ``var_unbiased_exact``): the same quantities
    computed from the same float64 inputs in exact arithmetic (``Fraction``
    for sums, means and variances; ``Decimal`` with 60 digits for the square
    root and the division; weight and bias applied exactly) and rounded to
    float64 only at the end.  On the stress inputs torch's float64 results
    lose digits against these; the maximum |output - output_exact| of every
    float64 case is printed.

    Stress cases: a constant channel / sample / group (``const`` in the name);
    1e8 + noise of standard deviation 0.1 (``1e8noise``); values +-10**k for
    k in -30..30 (``span1e30``).  In the constant cases the constant is chosen,
    from a fixed list, so that torch's output in the constant part is exactly
    the bias (the generator asserts this); in batch/instance/group constant
    cases the biases are rounded to multiples of 1/8 to make that likelier.  For an arbitrary constant torch is
    not exact: its CPU batch/instance/group kernels compute
    ``x * alpha + (bias - mean * alpha)`` with ``alpha = weight / sqrt(var + eps)``
    and the rounding of ``mean * alpha`` leaves an error of a few ulps of
    ``|x * alpha|``.

``running/<name>.json``
    Batch norm running statistics over several batches, as torch.nn.BatchNorm
    in training mode (momentum 0.1, running mean starts at 0, running variance
    at 1 and is updated with the unbiased batch variance), with the training
    output of every batch and the eval-mode output of the last batch.

``replay/<name>.json``
    Mini-batch replay of batch norm's training mode: one dataset of n rows
    (drifting from row to row, so that batches differ) split into consecutive
    mini-batches of ``batch_size`` rows (the last one smaller when n is not a
    multiple), each through ``F.batch_norm(training=True)`` with the running
    buffers carried over from batch to batch (starting from given values, or
    from 0 and 1 as torch does).  Holds every row, the training output of
    every row, the running statistics after each batch and
    ``num_batches_tracked``; float64 cases also ``outputs_exact`` (each batch
    in exact arithmetic, as ``output_exact`` above).  A case whose last batch
    has one value per channel holds ``torch_error`` (what torch raised) and
    ``error_batch`` (0-based) instead of outputs.  Each run is checked against
    ``torch.nn.BatchNorm1d``/``BatchNorm2d`` in training mode.

``errors.json``
    Inputs for which torch raises, each checked by calling torch; the message
    torch raised is recorded.

``integers/<name>.json``
    Integer tensors (int32 and int64, beyond 2^24 and 2^53), which torch's
    normalization functions refuse: written by ``integers.py`` from the
    documented formulas in exact rational arithmetic, marked
    ``"reference": "exact-rational"``.

The schemas are described in data/README.md.
"""

import decimal
import json
import math
import os
import zlib
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

import integers

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
RUNNING_DIR = os.path.join(HERE, "running")
REPLAY_DIR = os.path.join(HERE, "replay")
ERRORS_FILE = os.path.join(HERE, "errors.json")

DTYPES = {"float32": torch.float32, "float64": torch.float64}


# ---------------------------------------------------------------------------
# JSON output
# ---------------------------------------------------------------------------

def _scalar(v):
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("non-finite value %r" % v)
    return json.dumps(v, allow_nan=False)


def _fmt(v, indent):
    """Lists of scalars on one line, deeper lists one element per line."""
    if isinstance(v, list):
        if all(not isinstance(e, (list, dict)) for e in v):
            return "[" + ", ".join(_scalar(e) for e in v) + "]"
        pad = " " * (indent + 2)
        inner = (",\n").join(pad + _fmt(e, indent + 2) for e in v)
        return "[\n" + inner + "\n" + " " * indent + "]"
    if isinstance(v, dict):
        pad = " " * (indent + 2)
        inner = (",\n").join(pad + json.dumps(k) + ": " + _fmt(e, indent + 2)
                             for k, e in v.items())
        return "{\n" + inner + "\n" + " " * indent + "}"
    return _scalar(v)


def write_json(path, obj):
    text = _fmt(obj, 0) + "\n"
    json.loads(text)  # must be valid JSON
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def flat_samples(t):
    """(N, C, *S) tensor -> list of N flat lists of Python floats (exact)."""
    return t.reshape(t.shape[0], -1).tolist()


def flat(t):
    return None if t is None else t.reshape(-1).tolist()


# ---------------------------------------------------------------------------
# Random data
# ---------------------------------------------------------------------------

def generator_for(name):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode("utf-8")))
    return g


def randn(g, shape, dtype):
    return torch.randn(*shape, generator=g, dtype=dtype)


def random_input(g, n, shape, dtype):
    """randn * scale + offset, with a different scale and offset per channel."""
    c = shape[0]
    bshape = (1, c) + (1,) * (len(shape) - 1)
    scale = torch.exp(randn(g, (c,), dtype)).reshape(bshape)
    offset = (randn(g, (c,), dtype) * 3).reshape(bshape)
    return randn(g, (n,) + tuple(shape), dtype) * scale + offset


def param_len(method, shape):
    return math.prod(shape) if method == "layer" else shape[0]


# ---------------------------------------------------------------------------
# Torch as the oracle
# ---------------------------------------------------------------------------

def run_torch(method, x, shape, eps, groups, w, b):
    if method == "batch":
        return F.batch_norm(x, None, None, w, b, training=True, eps=eps)
    if method == "layer":
        return F.layer_norm(x, tuple(shape),
                            weight=None if w is None else w.reshape(shape),
                            bias=None if b is None else b.reshape(shape), eps=eps)
    if method == "instance":
        return F.instance_norm(x, weight=w, bias=b, eps=eps)
    if method == "group":
        return F.group_norm(x, groups, weight=w, bias=b, eps=eps)
    raise ValueError(method)


def reference(method, x, shape, eps, groups, w, b):
    """Textbook formula in float64 (two-pass), only to sanity-check torch."""
    x = x.double()
    n, c = x.shape[0], x.shape[1]
    if method == "batch":
        dims = [0] + list(range(2, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps)
    else:
        if method == "layer":
            xg = x.reshape(n, 1, -1)
        elif method == "instance":
            xg = x.reshape(n, c, -1)
        else:
            xg = x.reshape(n, groups, -1)
        mean = xg.mean(dim=2, keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=2, keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)
    pshape = (1,) + tuple(shape) if method == "layer" else (1, c) + (1,) * (x.dim() - 2)
    if w is not None:
        y = y * w.double().reshape(pshape)
    if b is not None:
        y = y + b.double().reshape(pshape)
    return y, std_min(method, x, groups)


def std_min(method, x, groups):
    n, c = x.shape[0], x.shape[1]
    if method == "batch":
        xs = x.transpose(0, 1).reshape(c, -1)
    elif method == "layer":
        xs = x.reshape(n, -1)
    elif method == "instance":
        xs = x.reshape(n * c, -1)
    else:
        xs = x.reshape(n * groups, -1)
    return xs.std(dim=1, unbiased=False)


def sanity_check(name, method, dtype, x, y, shape, eps, groups, w, b):
    ref, _ = reference(method, x, shape, eps, groups, w, b)
    u = torch.finfo(DTYPES[dtype]).eps
    xmax = x.double().abs().max().item()
    wmax = 1.0 if w is None else max(1.0, w.double().abs().max().item())
    bmax = 0.0 if b is None else b.double().abs().max().item()
    # error of a normalized value is about ulp(|x|) / sqrt(var + eps)
    tol = 256 * u * ((xmax / math.sqrt(eps) + 1) * wmax + bmax)
    err = (y.double() - ref).abs().max().item()
    assert torch.isfinite(y).all(), name
    assert err <= tol, "%s: torch differs from reference by %g (tol %g)" % (name, err, tol)
    return err


# ---------------------------------------------------------------------------
# Exact reference (float64 cases)
# ---------------------------------------------------------------------------

EXACT_DIGITS = 60  # decimal precision of the square root and the division
EXACT_REPORT_THRESHOLD = 1e-10  # main() lists the float64 cases where torch is off by more


_segments = integers.segments  # one definition of which values share a mean and variance


def _to_decimal(q):
    """Fraction -> Decimal, rounded to the current context precision."""
    return decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)


def exact_normalize(method, inputs, shape, eps, groups, weight, bias):
    """Normalization of the float64 values ``inputs`` (list of flat samples) in
    exact arithmetic.  Returns (output, stats) with output rounded to float64
    like ``inputs`` and stats a list of (mean, var_biased, var_unbiased, count)
    as Fractions, one per segment (per channel for batch)."""
    n = len(inputs)
    c = shape[0]
    s = math.prod(shape[1:])
    xs = [[Fraction(v) for v in row] for row in inputs]
    ws = None if weight is None else [Fraction(v) for v in weight]
    bs = None if bias is None else [Fraction(v) for v in bias]
    feps = Fraction(eps)  # exact double value of eps
    out = [[None] * len(row) for row in inputs]
    stats = []
    with decimal.localcontext() as ctx:
        ctx.prec = EXACT_DIGITS
        ctx.rounding = decimal.ROUND_HALF_EVEN
        for seg in _segments(method, n, shape, groups):
            m = len(seg)
            mean = sum(xs[i][j] for i, j in seg) / m
            ss = sum((xs[i][j] - mean) ** 2 for i, j in seg)
            var = ss / m
            var_u = ss / (m - 1) if m > 1 else None
            stats.append((mean, var, var_u, m))
            q = var + feps
            root = _to_decimal(q).sqrt()           # sqrt(var + eps), 60 digits
            for i, j in seg:
                d = xs[i][j] - mean                 # exact
                y = decimal.Decimal(d.numerator) / (decimal.Decimal(d.denominator) * root)
                y = Fraction(y)                     # exact value of the 60-digit quotient
                k = j if method == "layer" else j // s
                if ws is not None:
                    y = y * ws[k]
                if bs is not None:
                    y = y + bs[k]
                out[i][j] = float(y)               # correctly rounded to float64
    return out, stats


def add_exact(case):
    """Add the exact-arithmetic keys to a float64 case (in place); returns
    max |output - output_exact|."""
    out, stats = exact_normalize(case["method"], case["input"], case["shape"], case["eps"],
                                 case["groups"], case["weight"], case["bias"])
    err = max(abs(Fraction(a) - Fraction(e)) for ra, re_ in zip(case["output"], out)
              for a, e in zip(ra, re_))
    case["output_exact"] = out
    if case["method"] == "batch":
        case["mean_exact"] = [float(st[0]) for st in stats]
        case["var_exact"] = [float(st[1]) for st in stats]
        case["var_unbiased_exact"] = [float(st[2]) for st in stats]
    return float(err)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def eps_tag(eps):
    return {1e-5: "eps1e-5", 1e-3: "eps1e-3"}[eps]


def dt_tag(dtype):
    return {"float32": "f32", "float64": "f64"}[dtype]


def case_name(method, shape, groups, affine, eps, dtype, extra=None):
    parts = [method, "c" + "x".join(str(s) for s in shape)]
    if method == "group":
        parts.append("g%d" % groups)
    if extra:
        parts.append(extra)
    parts += [affine, eps_tag(eps), dt_tag(dtype)]
    return "_".join(parts)


def make_params(g, method, shape, affine, dtype):
    k = param_len(method, shape)
    w = randn(g, (k,), DTYPES[dtype]) if affine in ("affine", "weightonly") else None
    b = randn(g, (k,), DTYPES[dtype]) if affine in ("affine", "biasonly") else None
    return w, b


def build_case(name, method, dtype, shape, eps, groups, x, w, b, const_check=None):
    shape = list(shape)
    y = run_torch(method, x, shape, eps, groups, w, b)
    assert y.dtype == DTYPES[dtype] and x.dtype == DTYPES[dtype]
    if const_check is not None:
        const_check(y)
    err = sanity_check(name, method, dtype, x, y, shape, eps, groups, w, b)
    case = {
        "name": name,
        "method": method,
        "dtype": dtype,
        "shape": shape,
        "eps": eps,
        "groups": groups if method == "group" else None,
        "weight": flat(w),
        "bias": flat(b),
        "input": flat_samples(x),
        "output": flat_samples(y),
    }
    exact_err = None
    if dtype == "float64":
        # output_exact (and the exact batch statistics) right after output
        exact_err = add_exact(case)
    if method == "batch":
        xd = x.double()
        dims = tuple([0] + list(range(2, x.dim())))
        var_b, mean = torch.var_mean(xd, dim=dims, unbiased=False)
        var_u, mean_u = torch.var_mean(xd, dim=dims, unbiased=True)
        assert torch.equal(mean, mean_u)
        case["count"] = x.numel() // x.shape[1]
        case["mean"] = mean.tolist()
        case["var"] = var_b.tolist()
        case["var_unbiased"] = var_u.tolist()
    check_case_schema(case)
    return case, (err, exact_err)


def check_case_schema(case):
    shape = case["shape"]
    size = math.prod(shape)
    k = param_len(case["method"], shape)
    for key in ("weight", "bias"):
        assert case[key] is None or len(case[key]) == k, (case["name"], key)
    assert len(case["input"]) == len(case["output"]) >= 1
    for row in case["input"] + case["output"]:
        assert len(row) == size
    if case["method"] == "group":
        assert shape[0] % case["groups"] == 0
    if case["method"] == "batch":
        for key in ("mean", "var", "var_unbiased"):
            assert len(case[key]) == shape[0]
    exact_stats = {"mean_exact", "var_exact", "var_unbiased_exact"}
    if case["dtype"] == "float64":
        assert len(case["output_exact"]) == len(case["output"])
        for row in case["output_exact"]:
            assert len(row) == size
        if case["method"] == "batch":
            for key in exact_stats:
                assert len(case[key]) == shape[0]
        else:
            assert not exact_stats & set(case)
    else:
        assert not (exact_stats | {"output_exact"}) & set(case)


def regular_case(method, shape, n, affine, eps, dtype, groups=None):
    name = case_name(method, shape, groups, affine, eps, dtype)
    g = generator_for(name)
    x = random_input(g, n, shape, DTYPES[dtype])
    w, b = make_params(g, method, shape, affine, dtype)
    return build_case(name, method, dtype, shape, eps, groups, x, w, b)


# Constants tried, in order, for the constant-channel cases; the first one for
# which torch's output is exactly the bias is used (see the module docstring).
CONST_CANDIDATES = [2.5, -1.5, 0.75, 3.0, -2.25, 1.25, -0.5, 5.0, -3.5, 0.375,
                    -0.3, 0.1, 0.01, -0.004, 0.001, -5e-4, 2e-4, 1e-4, 0.0]


def const_case(method, shape, n, eps, dtype, groups=None):
    """One channel (batch, instance), one whole group (group) or one sample
    (layer) holds a single value; weight and bias are random."""
    tag = {"batch": "constchan", "instance": "constchan",
           "group": "constgroup", "layer": "constsample"}[method]
    name = case_name(method, shape, groups, "affine", eps, dtype, extra=tag)
    dt = DTYPES[dtype]
    g = generator_for(name)
    x0 = random_input(g, n, shape, dt)
    w, b = make_params(g, method, shape, "affine", dtype)
    c = shape[0]
    pshape = (1, c) + (1,) * (len(shape) - 1)
    if method != "layer":
        # a bias with few significant bits lets torch's folded formula be exact
        # for more constants: bias of the constant channels to a multiple of 1/8
        b = torch.round(b * 8) / 8
        b[b == 0] = 0.625
    if method == "batch":
        region = (slice(None), 1)            # channel 1 of every sample
        expect = lambda y: y[:, 1] == b[1]
    elif method == "instance":
        region = (1, 1)                      # channel 1 of sample 1
        expect = lambda y: y[1, 1] == b[1]
    elif method == "group":
        per = c // groups
        region = (slice(None), slice(per, 2 * per))  # group 1 of every sample
        expect = lambda y: y[:, per:2 * per] == b.reshape(pshape)[:, per:2 * per]
    else:
        region = (1,)                        # sample 1
        expect = lambda y: y[1] == b.reshape(shape)
    for value in CONST_CANDIDATES:
        x = x0.clone()
        x[region] = value
        y = run_torch(method, x, shape, eps, groups, w, b)
        if bool(expect(y).all()):
            break
    else:
        raise AssertionError("no constant gives an exact result for " + name)

    def check(y):
        assert bool(expect(y).all()), name

    case, err = build_case(name, method, dtype, shape, eps, groups, x, w, b, check)
    return case, err, value


def noise1e8_case(method, shape, n, eps, groups=None):
    name = case_name(method, shape, groups, "affine", eps, "float64", extra="1e8noise")
    g = generator_for(name)
    x = 1e8 + 0.1 * randn(g, (n,) + tuple(shape), torch.float64)
    w, b = make_params(g, method, shape, "affine", "float64")
    return build_case(name, method, "float64", shape, eps, groups, x, w, b)


def span_values(rs):
    """+-10**k for k in -30..30, shuffled, random signs."""
    v = np.array([10.0 ** k for k in range(-30, 31)])
    v = v * rs.choice([-1.0, 1.0], size=v.size)
    rs.shuffle(v)
    return v


def span_case(method, n, eps):
    if method == "layer":
        shape = [61]
    else:
        shape = [2]
    name = case_name(method, shape, None, "affine", eps, "float64", extra="span1e30")
    rs = np.random.RandomState(zlib.crc32(name.encode("utf-8")))
    if method == "layer":
        x = np.stack([span_values(rs) for _ in range(n)])
    else:
        assert n == 61
        x = np.stack([span_values(rs), span_values(rs)], axis=1)
    x = torch.from_numpy(x)
    g = generator_for(name)
    w, b = make_params(g, method, shape, "affine", "float64")
    return build_case(name, method, "float64", shape, eps, None, x, w, b)


def all_cases():
    E5, E3 = 1e-5, 1e-3
    cases = []  # (case, err, note)

    def add(res, note=""):
        cases.append((res[0], res[1], note))

    # batch
    add(regular_case("batch", [4], 6, "affine", E5, "float32"))
    add(regular_case("batch", [3], 5, "noaffine", E3, "float32"))
    add(regular_case("batch", [8], 2, "affine", E5, "float64"))
    add(regular_case("batch", [1, 6], 3, "affine", E5, "float32"))
    add(regular_case("batch", [3, 7], 4, "affine", E5, "float32"))
    add(regular_case("batch", [5, 4], 3, "noaffine", E5, "float64"))
    add(regular_case("batch", [4, 5], 2, "weightonly", E5, "float64"))
    add(regular_case("batch", [2, 3, 4], 3, "affine", E3, "float32"))
    add(regular_case("batch", [2, 5, 5], 2, "biasonly", E3, "float32"))
    add(regular_case("batch", [3, 8, 8], 4, "affine", E5, "float32"))
    # layer
    add(regular_case("layer", [5], 4, "affine", E5, "float32"))
    add(regular_case("layer", [4], 3, "noaffine", E3, "float64"))
    add(regular_case("layer", [1], 3, "affine", E5, "float64"))
    add(regular_case("layer", [3, 6], 3, "affine", E5, "float32"))
    add(regular_case("layer", [2, 7], 4, "noaffine", E5, "float32"))
    add(regular_case("layer", [4, 3], 2, "weightonly", E5, "float32"))
    add(regular_case("layer", [3, 4, 5], 2, "affine", E3, "float64"))
    add(regular_case("layer", [2, 2, 3], 3, "biasonly", E5, "float64"))
    add(regular_case("layer", [3, 8, 8], 2, "affine", E5, "float32"))
    # instance
    add(regular_case("instance", [3, 5], 4, "affine", E5, "float32"))
    add(regular_case("instance", [2, 7], 3, "noaffine", E3, "float32"))
    add(regular_case("instance", [1, 2], 3, "noaffine", E5, "float64"))
    add(regular_case("instance", [3, 4], 2, "weightonly", E3, "float64"))
    add(regular_case("instance", [4, 3, 3], 2, "affine", E5, "float64"))
    add(regular_case("instance", [2, 2, 5], 3, "biasonly", E5, "float32"))
    add(regular_case("instance", [3, 8, 8], 2, "noaffine", E5, "float32"))
    # group
    add(regular_case("group", [6, 5], 3, "affine", E3, "float32", groups=3))
    add(regular_case("group", [6, 5], 2, "affine", E5, "float32", groups=1))
    add(regular_case("group", [6, 5], 3, "noaffine", E5, "float32", groups=6))
    add(regular_case("group", [4], 3, "affine", E5, "float64", groups=2))
    add(regular_case("group", [4], 3, "affine", E5, "float64", groups=4))
    add(regular_case("group", [1, 7], 2, "affine", E5, "float32", groups=1))
    add(regular_case("group", [4, 3], 2, "weightonly", E5, "float32", groups=2))
    add(regular_case("group", [6, 2, 2], 2, "biasonly", E3, "float64", groups=2))
    add(regular_case("group", [8, 3, 3], 2, "affine", E5, "float64", groups=4))
    add(regular_case("group", [4, 4, 4], 2, "noaffine", E3, "float32", groups=2))
    # stress: constant channel / sample / group
    for args in [("batch", [3, 4], 4, E5, "float64"),
                 ("batch", [3, 4], 4, E5, "float32"),
                 ("layer", [4, 4], 3, E5, "float64"),
                 ("instance", [3, 6], 3, E5, "float64"),
                 ("group", [6, 4], 3, E5, "float64", 3)]:
        case, err, value = const_case(*args)
        cases.append((case, err, "constant %r" % value))
    # stress: 1e8 + noise
    add(noise1e8_case("batch", [2], 400, E5))
    add(noise1e8_case("layer", [4, 16], 3, E5))
    add(noise1e8_case("instance", [2, 8, 8], 2, E5))
    add(noise1e8_case("group", [4, 16], 2, E5, groups=2))
    # stress: magnitudes 1e-30 .. 1e30
    add(span_case("layer", 3, E5))
    add(span_case("batch", 61, E5))
    return cases


# ---------------------------------------------------------------------------
# Running statistics
# ---------------------------------------------------------------------------

def running_case(shape, dtype, batch_sizes, affine, eps=1e-5, momentum=0.1):
    name = "running_c%s_%s_%s" % ("x".join(str(s) for s in shape), affine, dt_tag(dtype))
    dt = DTYPES[dtype]
    g = generator_for(name)
    c = shape[0]
    w, b = make_params(g, "batch", shape, affine, dtype)
    running_mean = torch.zeros(c, dtype=dt)
    running_var = torch.ones(c, dtype=dt)
    batches, outputs, rms, rvs = [], [], [], []
    # The data drifts from batch to batch so the running statistics move.
    for k, n in enumerate(batch_sizes):
        x = random_input(g, n, shape, dt) + 0.5 * k
        y = F.batch_norm(x, running_mean, running_var, w, b, training=True,
                         momentum=momentum, eps=eps)
        batches.append(flat_samples(x))
        outputs.append(flat_samples(y))
        rms.append(running_mean.tolist())
        rvs.append(running_var.tolist())
        # check torch's update rule against the documented one
        dims = tuple([0] + list(range(2, x.dim())))
        var_u, mean = torch.var_mean(x.double(), dim=dims, unbiased=True)
        prev_m = torch.zeros(c, dtype=torch.float64) if k == 0 else torch.tensor(rms[-2], dtype=torch.float64)
        prev_v = torch.ones(c, dtype=torch.float64) if k == 0 else torch.tensor(rvs[-2], dtype=torch.float64)
        tol = 1e-5 if dtype == "float32" else 1e-12
        assert torch.allclose(running_mean.double(), (1 - momentum) * prev_m + momentum * mean, rtol=tol, atol=tol)
        assert torch.allclose(running_var.double(), (1 - momentum) * prev_v + momentum * var_u, rtol=tol, atol=tol)
    eval_y = F.batch_norm(x, running_mean, running_var, w, b, training=False, eps=eps)
    return {
        "name": name,
        "dtype": dtype,
        "shape": list(shape),
        "eps": eps,
        "momentum": momentum,
        "weight": flat(w),
        "bias": flat(b),
        "batches": batches,
        "outputs": outputs,
        "running_mean": rms,
        "running_var": rvs,
        "eval_output": flat_samples(eval_y),
    }


def all_running():
    return [
        running_case([4], "float64", [5, 8, 3, 6], "noaffine"),
        running_case([3, 5], "float32", [4, 2, 6], "noaffine"),
        running_case([2, 3, 3], "float64", [3, 5, 2, 4, 3], "affine"),
    ]


# ---------------------------------------------------------------------------
# Mini-batch replay
# ---------------------------------------------------------------------------

def replay_rows(data_name, n, shape, dtype):
    """n samples drifting from row to row (each channel moves by 0.2 per row
    over its own randn * scale + offset), from the generator of data_name."""
    dt = DTYPES[dtype]
    g = generator_for(data_name)
    x = random_input(g, n, shape, dt)
    drift = (0.2 * torch.arange(n, dtype=dt)).reshape((n,) + (1,) * len(shape))
    return x + drift, g


def batch_norm_module(shape, dtype, eps, momentum, affine):
    c = shape[0]
    cls = torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d
    return cls(c, eps=eps, momentum=momentum, affine=affine).to(DTYPES[dtype]).train()


def replay_case(name, data_name, shape, n, batch_size, dtype, affine="noaffine", eps=1e-5,
                momentum=0.1, initial=False):
    """Consecutive mini-batches of batch_size rows through torch's training
    mode, running buffers carried over; see the module docstring."""
    dt = DTYPES[dtype]
    c = shape[0]
    x, g = replay_rows(data_name, n, shape, dtype)
    pg = generator_for(name)  # parameters and initial statistics: per case
    w, b = make_params(pg, "batch", shape, affine, dtype)
    if initial:
        running_mean = randn(pg, (c,), dt) * 2
        running_var = torch.exp(randn(pg, (c,), dt))
    else:
        running_mean = torch.zeros(c, dtype=dt)
        running_var = torch.ones(c, dtype=dt)
    case = {
        "name": name,
        "dtype": dtype,
        "shape": list(shape),
        "eps": eps,
        "momentum": momentum,
        "batch_size": batch_size,
        "weight": flat(w),
        "bias": flat(b),
        "initial_running_mean": running_mean.tolist(),
        "initial_running_var": running_var.tolist(),
        "rows": flat_samples(x),
    }
    module = batch_norm_module(shape, dtype, eps, momentum, w is not None)
    with torch.no_grad():
        if w is not None:
            module.weight.copy_(w)
            module.bias.copy_(b)
        module.running_mean.copy_(running_mean)
        module.running_var.copy_(running_var)
    outputs, exact, rms, rvs = [], [], [], []
    for k, start in enumerate(range(0, n, batch_size)):
        xb = x[start:start + batch_size]
        try:
            y = F.batch_norm(xb, running_mean, running_var, w, b, training=True,
                             momentum=momentum, eps=eps)
        except Exception as e:  # torch raises ValueError for one value per channel
            case.update({"outputs": None, "running_mean": None, "running_var": None,
                         "num_batches_tracked": None, "torch_error": str(e), "error_batch": k})
            return case
        with torch.no_grad():
            ym = module(xb)
        assert torch.equal(y, ym), name
        assert torch.equal(running_mean, module.running_mean), name
        assert torch.equal(running_var, module.running_var), name
        outputs += flat_samples(y)
        if dtype == "float64":
            exact += exact_normalize("batch", flat_samples(xb), list(shape), eps, None,
                                     flat(w), flat(b))[0]
        rms.append(running_mean.tolist())
        rvs.append(running_var.tolist())
    assert int(module.num_batches_tracked) == len(rms), name
    case["outputs"] = outputs
    if dtype == "float64":
        case["outputs_exact"] = exact
    case.update({"running_mean": rms, "running_var": rvs,
                 "num_batches_tracked": int(module.num_batches_tracked),
                 "torch_error": None, "error_batch": None})
    return case


def all_replay():
    return [
        # one dataset of 23 rows, batch sizes 5, 8, 23 (last batch 3, 7, one batch of all rows)
        replay_case("replay_c4_b5_f64", "replay_c4_f64", [4], 23, 5, "float64"),
        replay_case("replay_c4_b8_f64", "replay_c4_f64", [4], 23, 8, "float64"),
        replay_case("replay_c4_b23_f64", "replay_c4_f64", [4], 23, 23, "float64"),
        # pairs: 22 rows go; of 23 rows the last batch is one value per channel, which torch refuses
        replay_case("replay_c4_b2_f64", "replay_c4_n22_f64", [4], 22, 2, "float64"),
        replay_case("replay_c4_b2_error_f64", "replay_c4_f64", [4], 23, 2, "float64"),
        # the last batch is one row of 3 x 3 values per channel: allowed
        replay_case("replay_c2x3x3_affine_b4_f64", "replay_c2x3x3_f64", [2, 3, 3], 17, 4, "float64",
                    affine="affine"),
        replay_case("replay_c3x5_b6_f32", "replay_c3x5_f32", [3, 5], 20, 6, "float32"),
        # momentum 0.3 from given running statistics
        replay_case("replay_c3x2_affine_b4_m0.3_initial_f64", "replay_c3x2_f64", [3, 2], 14, 4, "float64",
                    affine="affine", momentum=0.3, initial=True),
        # the last batch is one row of one value per channel: torch refuses it
        replay_case("replay_c3_b4_error_f64", "replay_c3_f64", [3], 9, 4, "float64"),
    ]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def error_specs():
    # (name, method, shape, groups, samples, weight_len, bias_len, tensor_len)
    return [
        ("group_g_not_dividing_c", "group", [6, 4], 4, 2, None, None, None),
        ("group_g_greater_than_c", "group", [6, 4], 8, 2, None, None, None),
        ("group_g_zero", "group", [6, 4], 0, 2, None, None, None),
        ("group_g_negative", "group", [6, 4], -2, 2, None, None, None),
        ("instance_one_spatial_element", "instance", [3, 1], None, 2, None, None, None),
        ("instance_no_spatial_dims", "instance", [3], None, 2, None, None, None),
        ("batch_one_value_per_channel", "batch", [3], None, 1, None, None, None),
        ("batch_weight_wrong_length", "batch", [3, 4], None, 2, 2, None, None),
        ("batch_bias_wrong_length", "batch", [3, 4], None, 2, None, 4, None),
        ("layer_weight_wrong_length", "layer", [3, 4], None, 2, 11, None, None),
        ("layer_bias_wrong_length", "layer", [3, 4], None, 2, None, 13, None),
        ("group_weight_wrong_length", "group", [6, 4], 3, 2, 5, None, None),
        ("group_bias_wrong_length", "group", [6, 4], 3, 2, None, 5, None),
        ("instance_weight_wrong_length", "instance", [3, 4], None, 2, 2, None, None),
        ("layer_tensor_len_mismatch", "layer", [3, 4], None, 2, None, None, 11),
        ("batch_tensor_len_mismatch", "batch", [2, 3], None, 3, None, None, 7),
    ]


def call_for_error(method, shape, groups, samples, weight_len, bias_len, tensor_len):
    dt = torch.float64
    g = torch.Generator()
    g.manual_seed(0)
    if tensor_len is not None:
        # a sample whose flat length is not prod(shape): torch can only see it
        # when reshaping the flat sample to the sample shape
        rows = [torch.randn(tensor_len, generator=g, dtype=dt) for _ in range(samples)]
        x = torch.stack([r.reshape(shape) for r in rows])
    else:
        x = torch.randn(samples, *shape, generator=g, dtype=dt)
    w = None if weight_len is None else torch.randn(weight_len, generator=g, dtype=dt)
    b = None if bias_len is None else torch.randn(bias_len, generator=g, dtype=dt)
    if method == "batch":
        return F.batch_norm(x, None, None, w, b, training=True)
    if method == "layer":
        # a 1-D parameter of the wrong length (it cannot take the sample shape)
        return F.layer_norm(x, tuple(shape), weight=w, bias=b)
    if method == "instance":
        return F.instance_norm(x, weight=w, bias=b)
    return F.group_norm(x, groups, weight=w, bias=b)


def all_errors():
    out = []
    for name, method, shape, groups, samples, wl, bl, tl in error_specs():
        try:
            call_for_error(method, shape, groups, samples, wl, bl, tl)
        except Exception as e:  # torch raises RuntimeError, ValueError, ...
            msg = str(e)
        else:
            print("torch did not raise for %s; left out" % name)
            continue
        out.append({"name": name, "method": method, "shape": shape, "groups": groups,
                    "samples": samples, "weight_len": wl, "bias_len": bl,
                    "tensor_len": tl, "torch_error": msg})
    return out


# ---------------------------------------------------------------------------

def clean_dir(path):
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        if f.endswith(".json"):
            os.remove(os.path.join(path, f))


def main():
    torch.set_num_threads(1)
    clean_dir(CASES_DIR)
    clean_dir(RUNNING_DIR)
    if os.path.exists(ERRORS_FILE):
        os.remove(ERRORS_FILE)

    cases = all_cases()
    names = [c["name"] for c, _, _ in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    for case, (err, exact_err), note in cases:
        write_json(os.path.join(CASES_DIR, case["name"] + ".json"), case)
        print("case %-48s max|torch-ref|=%.3g %s" % (case["name"], err, note))

    # torch's float64 output against the exact-arithmetic one
    worse = []
    for case, (_, exact_err), _ in cases:
        if exact_err is not None:
            print("exact %-48s max|output-output_exact|=%.17g" % (case["name"], exact_err))
            if exact_err > EXACT_REPORT_THRESHOLD:
                worse.append(case["name"])
    print("float64 cases with max|output-output_exact| > %g: %s"
          % (EXACT_REPORT_THRESHOLD, ", ".join(worse) if worse else "none"))

    for run in all_running():
        write_json(os.path.join(RUNNING_DIR, run["name"] + ".json"), run)
        print("running %s" % run["name"])

    replay = all_replay()
    clean_dir(REPLAY_DIR)
    for case in replay:
        write_json(os.path.join(REPLAY_DIR, case["name"] + ".json"), case)
        print("replay %s%s" % (case["name"], " (torch: %s)" % case["torch_error"] if case["torch_error"] else ""))

    errors = all_errors()
    write_json(ERRORS_FILE, errors)
    for e in errors:
        print("error %-30s %s" % (e["name"], e["torch_error"]))

    print("torch %s: %d cases, %d running, %d replay, %d errors"
          % (torch.__version__, len(cases), len(all_running()), len(replay), len(errors)))

    integers.main()  # integer tensors, which torch refuses: exact rational references


if __name__ == "__main__":
    main()
