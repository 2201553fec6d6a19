"""Counter-based uniform random numbers keyed on (seed, input, run, year).

``u = uniform01(key, run, year)`` is the ``(run·128 + year + 1)``-th output of a SplitMix64
stream that starts at ``key`` (a 64-bit hash of the seed and the input's name).  Because a
draw depends only on those four things, any run -- and therefore any block of runs -- can
be regenerated anywhere, in any order, on any number of threads or machines, and two
scenarios that share an input name share its draws (common random numbers).
"""

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S12 = np.uint64(12)
YEARS_PER_RUN = np.uint64(128)  # horizon is at most 100, so year slots never overlap runs
ONE = np.uint64(1)
INV52 = 1.0 / 4503599627370496.0  # 2**-52


@njit(cache=True, nogil=True, inline="always")
def mix64(z):
    """SplitMix64's output function (a bijection on 64-bit integers)."""
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@njit(cache=True, nogil=True, inline="always")
def uniform01(key, run, year):
    """A uniform double strictly inside (0, 1): (k + 0.5)·2**-52 for the top 52 bits k.

    k + 0.5 needs 53 bits, so it is exact: u lies in [2**-53, 1 - 2**-53] and is never 0 or 1."""
    z = key + (np.uint64(run) * YEARS_PER_RUN + np.uint64(year) + ONE) * GAMMA
    return (np.float64(mix64(z) >> S12) + 0.5) * INV52
