"""Value of information for the fund / do-not-fund decision (do-not-fund is worth 0).

Functions on arrays of runs, so they serve any sampler and any metric:

* :func:`evpi` — the expected value of perfect information on everything,
  ``EVPI = E[max(NPV, 0)] − max(E[NPV], 0)``, with a 95% interval;
* :func:`evppi` — the expected value of perfect information on one input φ,
  ``EVPPI = E_φ[max(E[NPV | φ], 0)] − max(E[NPV], 0)``, estimated from the same runs by
  regressing NPV on φ (Strong, Oakley & Brennan 2014), with a piecewise-linear spline in φ's
  normal score as the regression.

>>> import numpy as np
>>> npv = np.random.default_rng(0).normal(100.0, 400.0, 400_000)
>>> round(evpi(npv)[0] / 400.0, 2)     # s·φ(m/s) + m·Φ(m/s) − m = 0.286·s for m/s = 0.25
0.29
"""
from __future__ import annotations

import math

import numpy as np

Z = 1.959963984540054       # the 97.5% point of the standard normal
#: interior knots of the spline regression (at quantiles of the input's normal score)
SPLINE_KNOTS = 8


def evpi(npv: np.ndarray) -> tuple[float, list[float]]:
    """EVPI = E[max(NPV, 0)] − max(E[NPV], 0) and a 95% interval.

    With the mean NPV m > 0 the decision without information is "fund", and
    EVPI = E[max(−NPV, 0)]: the mean loss avoided in the runs where funding was wrong. With
    m ≤ 0 it is E[max(NPV, 0)]. Either way EVPI is the mean of one per-run quantity, whose
    standard error gives the interval (clipped at 0). When |m| is within its own standard
    error of 0, which decision is "without information" is itself uncertain and the interval
    is optimistic by up to the difference the choice makes (at most z·SE(m)).

    >>> evpi(np.array([-1.0, 3.0]))[0]      # m = 1 > 0: the one losing run loses 1, so 1/2
    0.5
    """
    x = np.asarray(npv, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return math.nan, [math.nan, math.nan]
    regret = np.maximum(-x, 0.0) if x.mean() > 0.0 else np.maximum(x, 0.0)
    value = float(regret.mean())
    half = Z * float(regret.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return value, [max(0.0, value - half), value + half]


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Φ⁻¹((rank − ½)/n) of each value (ties share their average rank)."""
    from scipy import special, stats
    ranks = stats.rankdata(x)                    # average ranks for ties
    return special.ndtri((ranks - 0.5) / x.size)


def conditional_mean(x: np.ndarray, y: np.ndarray, knots: int = SPLINE_KNOTS) -> np.ndarray:
    """Least-squares estimate of E[y | x] at every run: a continuous piecewise-linear function
    of x's normal score z, with ``knots`` interior knots at equal-count quantiles of z.

    The fit contains a constant and z, so it is exact for a y linear in a normal x, and its
    mean equals the mean of y (the least-squares residuals sum to zero)."""
    z = normal_scores(x)
    cuts = np.unique(np.quantile(z, np.linspace(0.0, 1.0, knots + 2)[1:-1]))
    basis = np.empty((z.size, 2 + cuts.size))
    basis[:, 0] = 1.0
    basis[:, 1] = z
    for j, c in enumerate(cuts):
        basis[:, 2 + j] = np.maximum(z - c, 0.0)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return basis @ coef


def evppi(x: np.ndarray, npv: np.ndarray, knots: int = SPLINE_KNOTS) -> float:
    """EVPPI of the input with values ``x`` (one per run) for the NPVs ``npv`` of the same runs.

    EVPPI = mean_i max(ĝ(x_i), 0) − max(mean NPV, 0), where ĝ is :func:`conditional_mean`.
    Runs whose NPV is NaN are dropped. The estimate is biased upwards by the noise in ĝ (of
    order √((knots+2)/n) times the sd of the residual NPV), and downwards where the spline
    cannot follow E[NPV | x]; docs/methodology.md gives the accuracy measured at the default
    run count.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(npv, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if y.size < knots + 3 or np.ptp(x) == 0.0:
        return 0.0
    g = conditional_mean(x, y, knots)
    value = float(np.maximum(g, 0.0).mean()) - max(float(y.mean()), 0.0)
    return max(value, 0.0)
