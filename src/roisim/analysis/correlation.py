"""Rank correlation of each input with a metric, and Crystal Ball's contribution to variance.

>>> import numpy as np
>>> x = np.arange(10.0)
>>> spearman(x, x ** 3), spearman(x, -x)
(1.0, -1.0)
>>> [round(v, 2) for v in contribution_to_variance([0.8, -0.6])]   # ρ²/Σρ² with ρ's sign
[0.64, -0.36]
"""
from __future__ import annotations

import math

import numpy as np


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ: the Pearson correlation of the ranks (ties share their average rank).

    Runs where either value is NaN are dropped; ±inf ranks as the largest or smallest value.
    NaN when either side is constant.
    """
    from scipy import stats
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < 2:
        return math.nan
    rx = stats.rankdata(x[keep])
    ry = stats.rankdata(y[keep])
    rx -= rx.mean()
    ry -= ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / den if den > 0.0 else math.nan


def contribution_to_variance(rhos) -> list[float]:
    """ρᵢ² / Σⱼ ρⱼ², with the sign of ρᵢ (Crystal Ball's definition); NaN ρ counts as 0."""
    r = np.nan_to_num(np.asarray(rhos, dtype=float), nan=0.0)
    total = float((r * r).sum())
    if total == 0.0:
        return [0.0] * r.size
    return [float(np.sign(v) * v * v / total) for v in r]
