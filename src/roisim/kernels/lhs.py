"""Latin hypercube uniforms without a stored permutation: a keyed bijection of 0..N-1.

Run ``run`` of an N-run Latin hypercube gets, for each input, the stratum
``s = permute(run, key, N)`` and the uniform ``u = (s + v) / N`` with ``v`` the input's
independent uniform ``uniform01(key, run, year)`` (``roisim.kernels.rng``).  ``permute`` is a
bijection of 0..N-1, so each stratum [k/N, (k+1)/N) holds exactly one run; it is computed from
(key, run, N) alone, so any run finds its stratum anywhere (threads, blocks, Dask), at 10^9 runs
as at 10.

``permute`` is a cycle-walking Feistel network: an alternating (unbalanced when b is odd)
Feistel permutation of the b-bit integers, b the bit length of N - 1, applied again until the
value lands below N.  Each round swaps the high and low parts and XORs one of them with a
SplitMix64 hash of the other XOR a round key (key + r·γ), which is a bijection whatever the
hash; cycle walking keeps it one on 0..N-1.  2^b < 2N, so fewer than two applications are
needed on average.
"""

import numpy as np
from numba import njit

from roisim.kernels.rng import GAMMA, mix64, uniform01

ROUNDS = 4
ONE = np.uint64(1)
YEAR_SALT = np.uint64(0xD1B54A32D192ED03)  # a per-year input's permutation differs by year
LOW = 2.0**-53
HIGH = 1.0 - 2.0**-53


@njit(cache=True, nogil=True, inline="always")
def bit_length(n):
    """The number of bits of n - 1 (0 for n <= 1): the Feistel network's width."""
    b = 0
    m = np.uint64(n - 1) if n > 1 else np.uint64(0)
    while m:
        m >>= ONE
        b += 1
    return b


@njit(cache=True, nogil=True, inline="always")
def feistel(x, key, bits):
    """One application of the keyed Feistel permutation of 0 .. 2^bits - 1."""
    x = np.uint64(x)
    high_bits = np.uint64((bits + 1) // 2)
    low_bits = np.uint64(bits // 2)
    for r in range(ROUNDS):
        high = x >> low_bits
        low = x & ((ONE << low_bits) - ONE)
        f = mix64(low ^ (key + np.uint64(r + 1) * GAMMA))  # key: already a mixed 64-bit key
        # (low, high ^ f): the low part moves up, the widths swap
        x = (low << high_bits) | ((high ^ f) & ((ONE << high_bits) - ONE))
        high_bits, low_bits = low_bits, high_bits
    return x


@njit(cache=True, nogil=True)
def permute(run, key, n, bits):
    """The stratum of ``run`` (0 <= run < n): a keyed bijection of 0..n-1 (cycle walking)."""
    x = feistel(run, key, bits)
    while x >= np.uint64(n):
        x = feistel(x, key, bits)
    return x


@njit(cache=True, nogil=True, inline="always")
def year_key(key, year):
    """The permutation key of a stream in ``year`` (year 0 for a per-run input)."""
    return mix64(key ^ (np.uint64(year) + ONE) * YEAR_SALT)


@njit(cache=True, nogil=True)
def lhs_uniform(key, run, year, n, bits):
    """The Latin hypercube uniform of one input: (stratum + jitter) / n, inside (0, 1)."""
    stratum = permute(np.uint64(run), year_key(key, year), n, bits)
    u = (np.float64(stratum) + uniform01(key, run, year)) / np.float64(n)
    return min(max(u, LOW), HIGH)
