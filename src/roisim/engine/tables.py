"""Sampling tables built once per plan from scipy.stats (exact quantiles at the knots).

* ``quantile_table``: the quantile function x(z) of a continuous distribution on an even grid of
  normal scores z, with slopes, for cubic Hermite interpolation (``kernels.inverse.s_table``).
  Tested against scipy's ``ppf``: relative error below 1e-9 of the distribution's scale.
* ``discrete_table``: CDF, survival function, values and a guide table for exact inversion
  (``s_discrete``); the survival function keeps the far upper tail exact.
"""

from __future__ import annotations

import numpy as np
from scipy import special

Z_MIN, Z_MAX, KNOTS = -8.5, 8.5, 4097  # uniforms lie in [2**-53, 1 - 2**-53]: |z| <= 8.22
MAX_SUPPORT = 2_000_000


def quantile_table(frozen) -> np.ndarray:
    z = np.linspace(Z_MIN, Z_MAX, KNOTS)
    h = z[1] - z[0]
    u = special.ndtr(z)
    x = frozen.ppf(u)
    # points where ppf saturates are taken from the upper tail for accuracy
    hi = z > 0
    x[hi] = frozen.isf(special.ndtr(-z[hi]))
    x = np.maximum.accumulate(np.nan_to_num(x, nan=-np.inf))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = (
            h * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi) / frozen.pdf(x)
        )  # h·dx/dz = h·φ(z)/f(x)
    fd = np.gradient(x) if np.all(np.isfinite(x)) else np.zeros_like(x)
    bad = ~np.isfinite(slope) | (slope < 0)
    slope[bad] = fd[bad]
    if not np.all(np.isfinite(x)):
        raise ValueError("quantile table has non-finite knots")
    return np.concatenate([[Z_MIN, 1.0 / h, KNOTS], x, slope])


def discrete_table(frozen, family: str, params: dict) -> np.ndarray:
    if family in ("discrete", "constant"):
        values = np.asarray(frozen.xk, float)
        pmf = np.asarray(frozen.pk, float)
        cdf = np.cumsum(pmf)
    else:
        if family == "bernoulli":
            lo, hi = 0, 1
        elif family == "binomial":
            lo, hi = 0, int(params["n"])
        else:
            m = params["mean"]
            lo, hi = 0, int(m + 15.0 * np.sqrt(m) + 40)
        if hi - lo > 1000:
            # trim the far tails (mass < 2**-60 on each side: never reached by a uniform >= 2**-53)
            lo = max(lo, int(frozen.ppf(2.0**-60)) - 1)
            sf = frozen.sf(np.arange(lo, hi + 1))
            small = np.nonzero(sf < 2.0**-60)[0]
            if len(small):
                hi = lo + int(small[0])
        if hi - lo + 1 > MAX_SUPPORT:
            raise ValueError("support too large")
        values = np.arange(lo, hi + 1, dtype=float)
        cdf = frozen.cdf(values)
    if family in ("discrete", "constant"):
        sf = np.concatenate([np.cumsum(pmf[::-1])[::-1][1:], [0.0]])
    else:
        sf = frozen.sf(values)
    cdf = np.minimum(np.maximum.accumulate(cdf), 1.0)
    cdf[-1] = 1.0
    sf = np.maximum(np.minimum.accumulate(sf), 0.0)  # the upper tail, to full relative precision
    sf[-1] = 0.0
    n = len(values)
    g = n
    guide = np.searchsorted(cdf, np.arange(g) / g, side="left").astype(float)
    return np.concatenate([[n, g], cdf, values, guide, sf])
