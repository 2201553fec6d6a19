"""Paired differences between two sets of runs on common random numbers.

Run i of a stress case, of another option or of a variant uses the same draws as run i of the
base, so the per-run differences d_i = y_i − x_i carry only what the change does: their mean has
the interval d̄ ± z·s_d/√n, far narrower than the difference of two independent means.

>>> import numpy as np
>>> base = np.array([-10.0, 5.0, 20.0, 40.0])
>>> d = difference(base, base + 7.0)
>>> d["mean"], d["ci95"], d["p50"]
(7.0, [7.0, 7.0], 7.0)
>>> prob_change(base > 0, base + 12.0 > 0)["value"]         # run 1 moves above 0: +1/4
0.25
>>> prob_better(base, base + 7.0)  # doctest: +ELLIPSIS
{'value': 1.0, 'ci95': [0.5101..., 1.0]}
"""
from __future__ import annotations

import math

import numpy as np

from roisim.analysis.intervals import Z, mean_interval, wilson

PERCENTILES = (5, 50, 95)


def _finite_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired runs must have the same shape, got {x.shape} and {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def difference(base: np.ndarray, other: np.ndarray) -> dict:
    """Distribution of the per-run difference other − base: its mean with a 95% interval, and
    its P5, P50 and P95 (numpy's linear percentiles). Runs where either value is not finite are
    left out. Identical inputs give exactly 0 with a zero-width interval."""
    x, y = _finite_pairs(base, other)
    d = y - x
    n = d.size
    if n == 0:
        return {"mean": None, "ci95": [None, None], **{f"p{p}": None for p in PERCENTILES}}
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    lo, hi = mean_interval(mean, sd, n) if sd > 0.0 else (mean, mean)
    out = {"mean": mean, "ci95": [float(lo), float(hi)]}
    for p, v in zip(PERCENTILES, np.percentile(d, PERCENTILES)):
        out[f"p{p}"] = float(v)
    return out


def prob_change(base_event: np.ndarray, other_event: np.ndarray) -> dict:
    """Paired change in a probability, e.g. P(NPV > 0): the mean of 1[other] − 1[base] over
    the runs, with the interval mean ± z·s/√n of those −1/0/+1 values (zero width when no run
    changes)."""
    a = np.asarray(base_event, dtype=bool)
    b = np.asarray(other_event, dtype=bool)
    d = b.astype(np.int8) - a.astype(np.int8)
    n = d.size
    if n == 0:
        return {"value": None, "ci95": [None, None]}
    value = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    half = Z * sd / math.sqrt(n)
    return {"value": value, "ci95": [value - half, value + half]}


def prob_better(base: np.ndarray, other: np.ndarray) -> dict:
    """P(other > base) over the runs with both values finite, with a Wilson interval."""
    x, y = _finite_pairs(base, other)
    k = int((y > x).sum())
    n = x.size
    if n == 0:
        return {"value": None, "ci95": [None, None]}
    return {"value": k / n, "ci95": wilson(k, n)}


def prob_best(values: list[np.ndarray]) -> list[float]:
    """For each option, the share of runs in which it has the highest value (ties split
    equally between the options that share the top value; runs with a non-finite value in any
    option are left out)."""
    stack = np.vstack([np.asarray(v, dtype=float) for v in values])
    keep = np.isfinite(stack).all(axis=0)
    stack = stack[:, keep]
    if stack.shape[1] == 0:
        return [None] * len(values)
    top = stack == stack.max(axis=0)
    share = top / top.sum(axis=0)
    return [float(s) for s in share.mean(axis=1)]
