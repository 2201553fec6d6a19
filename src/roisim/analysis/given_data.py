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


def given_data(x: np.ndarray, y: np.ndarray, bins: int = BINS) -> dict:
    """``{"bins": [mean of y in each equal-count bin of x], "low": min, "high": max}``.

    Runs are ordered by x with a stable sort, so runs with equal x (a discrete input) keep
    their run order and a tie may straddle two bins, as in @RISK. Bin k holds runs
    ⌊k·n/bins⌋ … ⌊(k+1)·n/bins⌋ − 1 of that order. Runs with a NaN input or metric are dropped.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = x.size
    if n < bins:
        return {"bins": [None] * bins, "low": None, "high": None}
    ordered = y[np.argsort(x, kind="stable")]
    edges = (np.arange(bins + 1) * n) // bins
    means = [float(ordered[a:b].mean()) for a, b in zip(edges[:-1], edges[1:])]
    return {"bins": means, "low": min(means), "high": max(means)}
