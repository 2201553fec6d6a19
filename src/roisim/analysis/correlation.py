"""Rank correlation of each input with a metric, and Crystal Ball's contribution to variance.

>>> import numpy as np
>>> x = np.arange(10.0)
>>> spearman(x, x ** 3), spearman(x, -x)
(1.0, -1.0)
>>> [round(v, 2) for v in contribution_to_variance([0.8, -0.6])]   # ρ²/Σρ² with ρ's sign
[0.64, -0.36]
>>> average_ranks(np.array([3.0, 1.0, 3.0, 2.0]))                  # ties share their average
array([3.5, 1. , 3.5, 2. ])
"""
from __future__ import annotations

import math

import numpy as np


def average_ranks(x: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """1-based ranks of ``x`` with ties given their average rank (``scipy.stats.rankdata``'s
    default), from one sort; ``order`` is ``np.argsort(x)`` when the caller has it already.

    ±inf are the largest and smallest values (equal infinities tie); ``x`` must have no NaN.
    """
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable") if order is None else order
    n = x.size
    if n == 0:
        return np.empty(0)
    xs = x[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(xs[1:], xs[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def rank_correlation(rx: np.ndarray, ry: np.ndarray) -> float:
    """The Pearson correlation of two rank vectors (of the same runs): Spearman's ρ when they
    come from :func:`average_ranks`.  NaN when either side is constant."""
    rx = rx - rx.mean()
    ry = ry - ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / den if den > 0.0 else math.nan


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ: the Pearson correlation of the ranks (ties share their average rank).

    Runs where either value is NaN are dropped; ±inf ranks as the largest or smallest value.
    NaN when either side is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < 2:
        return math.nan
    if not keep.all():
        x, y = x[keep], y[keep]
    return rank_correlation(average_ranks(x), average_ranks(y))


def contribution_to_variance(rhos) -> list[float]:
    """ρᵢ² / Σⱼ ρⱼ², with the sign of ρᵢ (Crystal Ball's definition); NaN ρ counts as 0."""
    r = np.nan_to_num(np.asarray(rhos, dtype=float), nan=0.0)
    total = float((r * r).sum())
    if total == 0.0:
        return [0.0] * r.size
    return [float(np.sign(v) * v * v / total) for v in r]
