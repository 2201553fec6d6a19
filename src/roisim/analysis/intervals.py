"""Interval formulas and the exact merge of block moments.

* mean: x̄ ± z·s/√n (z = 1.959964), s the sample standard deviation (ddof = 1);
* percentiles: numpy's default (linear) estimate from order statistics; a 95% distribution-free
  interval [x_(j), x_(k)], j and k from the 2.5% and 97.5% points of Binomial(n, q);
* probabilities: Wilson score interval;
* block moments (count, mean, M2) merged pairwise in block order (Chan et al.), so the result
  does not depend on how the blocks were spread over threads or machines.
"""

from __future__ import annotations

import math

import numpy as np

from roisim.analysis.schema import PERCENTILES  # noqa: F401  (re-exported: the reported set)
from roisim.kernels.binomial import binom_ppf as _binom_ppf
from roisim.kernels.reduce import M2, MEAN, N_FIN, N_NAN, N_NEGINF, N_POS, N_POSINF, VMAX, VMIN

Z = 1.959963984540054  # the 97.5% point of the standard normal


def wilson(k: int, n: int, z: float = Z) -> list[float]:
    """Wilson score interval for a proportion k/n.

    (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)

    >>> [round(v, 4) for v in wilson(50, 100)]
    [0.4038, 0.5962]
    """
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # at k = 0 the lower end is 0 and at k = n the upper end is 1 exactly (the formula's
    # centre − half cancels to a rounding residue there)
    lo = 0.0 if k <= 0 else max(0.0, centre - half)
    hi = 1.0 if k >= n else min(1.0, centre + half)
    return [lo, hi]


def binom_ppf(alpha: float, n: int, p: float) -> int:
    """Smallest k with P(Binomial(n, p) <= k) >= alpha (as scipy.stats.binom.ppf)."""
    return int(_binom_ppf(float(alpha), int(n), float(p)))


def order_stat_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int, int]:
    """1-based ranks (j, k) with P(x_(j) <= ξ_q <= x_(k)) >= confidence, clamped to 1..n.

    With B ~ Binomial(n, q): j = ppf((1 − c)/2), k = ppf((1 + c)/2) + 1, so that
    P(j <= B <= k-1) >= c (at 95%: ppf(0.025) and ppf(0.975) + 1).
    """
    low, high = round((1.0 - confidence) / 2.0, 12), round((1.0 + confidence) / 2.0, 12)
    j = binom_ppf(low, n, q)
    k = binom_ppf(high, n, q) + 1
    return max(1, j), min(n, k)


def quantile_positions(n: int, q: float) -> tuple[int, int, float]:
    """0-based order statistics and weight of numpy's linear quantile: x_lo + frac·(x_hi − x_lo)."""
    h = (n - 1) * q
    lo = int(math.floor(h))
    return lo, min(lo + 1, n - 1), h - lo


def merge_moments(blocks: dict) -> np.ndarray:
    """Merge per-block moment vectors in block order.

    ``blocks`` maps a block number to a (variables, 9) array laid out as the vectors that
    ``kernels.reduce.moments_hist`` fills (N_FIN, MEAN, M2, VMIN, VMAX, N_POS, N_NAN, N_POSINF,
    N_NEGINF).
    """
    merged = None
    for b in sorted(blocks):
        block = blocks[b]
        if merged is None:
            merged = block.copy()
            continue
        n_a, n_b = merged[:, N_FIN], block[:, N_FIN]
        n = n_a + n_b
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = block[:, MEAN] - merged[:, MEAN]
            mean = np.where(n > 0, merged[:, MEAN] + delta * (n_b / np.where(n > 0, n, 1)), 0.0)
            m2 = (
                merged[:, M2]
                + block[:, M2]
                + np.where(n > 0, delta * delta * n_a * n_b / np.where(n > 0, n, 1), 0.0)
            )
        merged[:, N_FIN] = n
        merged[:, MEAN] = mean
        merged[:, M2] = m2
        merged[:, VMIN] = np.minimum(merged[:, VMIN], block[:, VMIN])
        merged[:, VMAX] = np.maximum(merged[:, VMAX], block[:, VMAX])
        for column in (N_POS, N_NAN, N_POSINF, N_NEGINF):
            merged[:, column] += block[:, column]
    return merged


def mean_interval(mean: float, sd: float, n: int) -> list[float]:
    """x̄ ± z·s/√n."""
    half = Z * sd / math.sqrt(n) if n > 0 else math.inf
    return [mean - half, mean + half]
