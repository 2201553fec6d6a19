"""The Gaussian copula's two numba pieces: normal scores in, uniforms out.

A correlated input's uniform is made from the normal scores z = Φ⁻¹(u) of the independent
uniforms of its group, mixed by a factor L of the group's correlation matrix (z' = L·z), and
mapped back by Φ.  ``normal_cdf_open`` keeps the result strictly inside (0, 1), as every uniform
source must: Φ(z') rounds to 1.0 for z' > 8.3, which an unbounded inverse CDF would turn into
infinity.
"""

import math

from numba import njit

LOW = 2.0**-53
HIGH = 1.0 - 2.0**-53


@njit(cache=True, nogil=True, inline="always")
def normal_cdf_open(z):
    """Φ(z) = erfc(−z/√2)/2, clipped to [2^-53, 1 − 2^-53]."""
    u = 0.5 * math.erfc(-z * 0.7071067811865476)
    return min(max(u, LOW), HIGH)
