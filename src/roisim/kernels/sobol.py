"""One point of a scrambled Sobol sequence, computed directly from its index.

The i-th point (0-based) of scipy's scrambled Sobol sequence (``scipy.stats.qmc.Sobol``, which
draws the points in Gray-code order) is, in each dimension,

    x_i = shift XOR (XOR of sv[b] over the set bits b of gray(i) = i ^ (i >> 1))

with ``sv`` that dimension's scrambled direction numbers and ``shift`` its digital shift.
Computing it from i alone (no running state) lets any run be computed anywhere.  The uniform is
``(x_i + 0.5)·2^-BITS``: the midpoint of scipy's cell ``[x_i, x_i + 1)·2^-BITS``, so it lies
strictly inside (0, 1) and ``floor(u·2^BITS)`` is scipy's point times 2^BITS, bit for bit.

The numbers of one (replicate, dimension) sit in ``params[offset : offset + BITS + 1]``: the
BITS direction numbers, then the shift, as exact integers in float64.
"""

import numpy as np
from numba import njit

BITS = 30
SCALE = 2.0**-BITS
ONE = np.uint64(1)


@njit(cache=True, nogil=True, inline="always")
def gray(i):
    """The Gray code of a point index."""
    i = np.uint64(i)
    return i ^ (i >> ONE)


@njit(cache=True, nogil=True)
def sobol_uniform(params, offset, code):
    """The uniform of the point whose Gray code is ``code`` in the (replicate, dimension) whose
    numbers start at ``params[offset]``."""
    x = np.uint64(params[offset + BITS])
    b = 0
    while code:
        if code & ONE:
            x ^= np.uint64(params[offset + b])
        code >>= ONE
        b += 1
    return (np.float64(x) + 0.5) * SCALE
