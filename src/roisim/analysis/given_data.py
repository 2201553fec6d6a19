"""@RISK's "change in output mean": the given-data tornado.

Sort the runs by the input, split them into equal-count bins (10 by default) and take the
metric's mean in each bin. The bar runs from the lowest to the highest bin mean, wherever those
bins fall. Other inputs are not held anywhere, so the bars stay valid when inputs are
correlated (each bin is a conditional mean given the input, correlations included).

>>> import numpy as np
>>> x = np.arange(100.0)
>>> out = given_data(x, 2 * x)
>>> out["bins"][:3], out["low"], out["high"]
([9.0, 29.0, 49.0], 9.0, 189.0)
"""
from __future__ import annotations

import numpy as np

BINS = 10


def given_data(x: np.ndarray, y: np.ndarray, bins: int = BINS, order=None) -> dict:
    """``{"bins": [mean of y in each equal-count bin of x], "low": min, "high": max}``.

    Runs are ordered by x with a stable sort, so runs with equal x (a discrete input) keep
    their run order and a tie may straddle two bins, as in @RISK. Bin k holds runs
    ⌊k·n/bins⌋ … ⌊(k+1)·n/bins⌋ − 1 of that order. Runs with a NaN input are dropped before
    binning. The bins are the input's own quantile bins over every run; a run whose metric is
    not finite (no IRR: NaN; no payback within the horizon: inf) counts in its bin but not in
    the bin's mean, and a bin with no finite value has the mean None. ``order`` is
    ``np.argsort(x, kind="stable")`` when the caller has it already (x then has no NaN).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if order is None:
        keep = ~np.isnan(x)
        if not keep.all():
            x, y = x[keep], y[keep]
        order = np.argsort(x, kind="stable")
    n = x.size
    if n < bins:
        return {"bins": [None] * bins, "low": None, "high": None}
    ordered = y[order]
    finite = np.isfinite(ordered)
    edges = (np.arange(bins) * n) // bins
    sums = np.add.reduceat(np.where(finite, ordered, 0.0), edges)
    counts = np.add.reduceat(finite.astype(np.int64), edges)
    means = [float(s / c) if c else None for s, c in zip(sums, counts)]
    present = [m for m in means if m is not None]
    if not present:
        return {"bins": means, "low": None, "high": None}
    return {"bins": means, "low": min(present), "high": max(present)}
