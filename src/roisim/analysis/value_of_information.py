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
#: runs that place the knots (a regular subsample of the runs when there are more)
KNOT_SAMPLE = 1 << 16
#: runs per block when the spline's normal equations are accumulated
BLOCK = 1 << 16


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


def normal_scores(x: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """Φ⁻¹((rank − ½)/n) of each value (ties share their average rank); ``ranks`` are x's
    average ranks (:func:`roisim.analysis.correlation.average_ranks`) when the caller has them."""
    from scipy import special

    from roisim.analysis.correlation import average_ranks

    ranks = average_ranks(x) if ranks is None else ranks
    return special.ndtri((ranks - 0.5) / ranks.size)


def _basis(z: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """The spline's columns at the scores ``z``: 1, z and max(z − c, 0) for each knot c."""
    basis = np.empty((z.size, 2 + cuts.size))
    basis[:, 0] = 1.0
    basis[:, 1] = z
    np.maximum(z[:, None] - cuts[None, :], 0.0, out=basis[:, 2:])
    return basis


def conditional_mean(
    x: np.ndarray, y: np.ndarray, knots: int = SPLINE_KNOTS, ranks: np.ndarray | None = None
) -> np.ndarray:
    """Least-squares estimate of E[y | x] at every run: a continuous piecewise-linear function
    of x's normal score z, with ``knots`` interior knots at equal-count quantiles of z (of
    a regular subsample of at least KNOT_SAMPLE runs when there are more).

    The fit contains a constant and z, so it is exact for a y linear in a normal x, and its
    mean equals the mean of y (the least-squares residuals sum to zero).  It is solved from
    the normal equations, accumulated over blocks of runs so that no (runs × columns) matrix
    is ever held; a knot that would duplicate another (a discrete input) is dropped."""
    z = normal_scores(x, ranks)
    step = max(1, z.size // KNOT_SAMPLE)  # placing the knots needs no sort of every run
    cuts = np.unique(np.quantile(z[::step], np.linspace(0.0, 1.0, knots + 2)[1:-1]))
    cuts = cuts[(cuts > z.min()) & (cuts < z.max())]
    k = 2 + cuts.size
    gram = np.zeros((k, k))
    rhs = np.zeros(k)
    for a in range(0, z.size, BLOCK):
        basis = _basis(z[a : a + BLOCK], cuts)
        gram += basis.T @ basis
        rhs += basis.T @ y[a : a + BLOCK]
    coef = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    fitted = np.empty(z.size)
    for a in range(0, z.size, BLOCK):
        fitted[a : a + BLOCK] = _basis(z[a : a + BLOCK], cuts) @ coef
    return fitted


def evppi(
    x: np.ndarray, npv: np.ndarray, knots: int = SPLINE_KNOTS, ranks: np.ndarray | None = None
) -> float:
    """EVPPI of the input with values ``x`` (one per run) for the NPVs ``npv`` of the same runs.

    EVPPI = mean_i max(ĝ(x_i), 0) − max(mean NPV, 0), where ĝ is :func:`conditional_mean`.
    Runs whose NPV is NaN are dropped. The estimate is biased upwards by the noise in ĝ (of
    order √((knots+2)/n) times the sd of the residual NPV), and downwards where the spline
    cannot follow E[NPV | x]; docs/methodology.md gives the accuracy measured at the default
    run count.  ``ranks`` are x's average ranks when the caller has them (x and npv then have
    no NaN).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(npv, dtype=float)
    if ranks is None:
        keep = ~(np.isnan(x) | np.isnan(y))
        if not keep.all():
            x, y = x[keep], y[keep]
    if y.size < knots + 3 or np.ptp(x) == 0.0:
        return 0.0
    g = conditional_mean(x, y, knots, ranks)
    value = float(np.maximum(g, 0.0).mean()) - max(float(y.mean()), 0.0)
    return max(value, 0.0)
