"""Binomial quantiles in numba, for the order-statistic confidence intervals.

This keeps ``scipy`` out of a warm run's imports (importing scipy.special is slow;
``benchmarks/RESULTS.md`` has the start-up timings).
"""

import math

from numba import njit


@njit(cache=True, nogil=True)
def binom_ppf(alpha, n, q):
    """Smallest k with P(Binomial(n, q) <= k) >= alpha (what scipy.stats.binom.ppf returns).

    The pmf is summed upwards from 12 standard deviations below the mean to 12 above (the mass
    outside is under 1e-32) with p(k+1)/p(k) = (n-k)/(k+1) · q/(1-q), starting from 1 and
    normalised by the total, so no large log-gamma differences (and their rounding) enter.
    """
    if q <= 0.0:
        return 0
    if q >= 1.0:
        return n
    mu = n * q
    sd = math.sqrt(n * q * (1.0 - q))
    lo = max(0, int(math.floor(mu - 12.0 * sd - 10.0)))
    hi = min(n, int(math.ceil(mu + 12.0 * sd + 10.0)))
    ratio = q / (1.0 - q)
    total = 0.0
    p = 1.0
    for k in range(lo, hi + 1):
        total += p
        p *= (n - k) / (k + 1.0) * ratio
    target = alpha * total
    c = 0.0
    p = 1.0
    for k in range(lo, hi):
        c += p
        if c >= target:
            return k
        p *= (n - k) / (k + 1.0) * ratio
    return hi
