"""Block reductions in numba: the pieces of a mergeable summary.

A *summary block* is a fixed run range [65,536·b, 65,536·(b+1)).  Each reduction here looks
at one variable (one row of values) of one block; the results merge exactly (counts, min,
max) or in block order (means, sums), so a summary does not depend on threads, chunking or
the number of processes.
"""

import math

import numpy as np
from numba import njit

# moments vector layout
N_FIN, MEAN, M2, VMIN, VMAX, N_POS, N_NAN, N_POSINF, N_NEGINF = range(9)
N_MOM = 9

# bin filter layout: a bin of a histogram of BIN_COUNT equal bins from BIN_LO, with
# BIN_SCALE = BIN_COUNT / (hi - lo); SUB_COUNT = 0, or the same for a sub-histogram of the values
# in top bin BIN_INDEX, of which the filter selects sub-bin SUB_INDEX
BIN_LO, BIN_SCALE, BIN_COUNT, BIN_INDEX, SUB_LO, SUB_SCALE, SUB_COUNT, SUB_INDEX = range(8)
BIN_FILTER_SIZE = 8


@njit(cache=True, nogil=True, inline="always")
def bin_of(v, lo, w, nb):
    """Bin of v in a histogram of nb equal bins from lo with nb/(hi-lo) = w: 0 below lo,
    nb+1 at or above hi (infinities and NaN included).  Monotone in v.

    ``t < nb`` is tested before ``int(t)``, so a huge t is never converted to an integer."""
    if v < lo:
        return 0
    t = (v - lo) * w
    return 1 + int(t) if t < nb else nb + 1


@njit(cache=True, nogil=True, inline="always")
def _top_bin(v, bin_filter):
    return bin_of(v, bin_filter[BIN_LO], bin_filter[BIN_SCALE], int(bin_filter[BIN_COUNT]))


@njit(cache=True, nogil=True, inline="always")
def _sub_bin(v, bin_filter):
    return bin_of(v, bin_filter[SUB_LO], bin_filter[SUB_SCALE], int(bin_filter[SUB_COUNT]))


@njit(cache=True, nogil=True, inline="always")
def in_bin(v, bin_filter):
    """Is v in the bin that ``bin_filter`` describes (layout above)?

    SUB_COUNT = 0 means no sub-histogram: the bin is bin BIN_INDEX of the top histogram.
    Otherwise the bin is sub-bin SUB_INDEX of a histogram of the values in that top bin."""
    if math.isnan(v) or _top_bin(v, bin_filter) != int(bin_filter[BIN_INDEX]):
        return False
    if bin_filter[SUB_COUNT] == 0.0:
        return True
    return _sub_bin(v, bin_filter) == int(bin_filter[SUB_INDEX])


@njit(cache=True, nogil=True, inline="always")
def before_bin(v, bin_filter):
    """Is v (not NaN) ordered before the bin ``bin_filter``?  (bins are monotone in v)"""
    k = _top_bin(v, bin_filter)
    if k != int(bin_filter[BIN_INDEX]):
        return k < int(bin_filter[BIN_INDEX])
    if bin_filter[SUB_COUNT] == 0.0:
        return False
    return _sub_bin(v, bin_filter) < int(bin_filter[SUB_INDEX])


@njit(cache=True, nogil=True)
def histogram(x, bin_filter, lo, hi, nb, counts, bmin, bmax):
    """Add the non-NaN values of x to nb equal bins on [lo, hi) plus an underflow and an overflow
    bin.  With a parent bin (bin_filter[BIN_COUNT] != 0) only the values in that bin count, and each
    bin's min and max are tracked too (a top-level histogram skips that: it is the hot loop)."""
    w = nb / (hi - lo)
    if bin_filter[BIN_COUNT] == 0.0:
        for i in range(x.shape[0]):
            v = x[i]
            if v == v:
                counts[bin_of(v, lo, w, nb)] += 1
        return
    for i in range(x.shape[0]):
        v = x[i]
        if not in_bin(v, bin_filter):
            continue
        k = bin_of(v, lo, w, nb)
        counts[k] += 1
        if v < bmin[k]:
            bmin[k] = v
        if v > bmax[k]:
            bmax[k] = v


@njit(cache=True, nogil=True)
def count_in(x, bin_filter):
    k = 0
    for i in range(x.shape[0]):
        if in_bin(x[i], bin_filter):
            k += 1
    return k


@njit(cache=True, nogil=True)
def collect(x, bin_filter, out):
    """Copy the values of x that lie in the bin ``bin_filter`` into out (sized by count_in)."""
    k = 0
    for i in range(x.shape[0]):
        v = x[i]
        if in_bin(v, bin_filter):
            out[k] = v
            k += 1
    return k


@njit(cache=True, nogil=True)
def sum_before(x, bin_filter):
    """Sum and count of the finite values ordered before the bin ``bin_filter``."""
    s = 0.0
    n = 0
    for i in range(x.shape[0]):
        v = x[i]
        if math.isfinite(v) and before_bin(v, bin_filter):
            s += v
            n += 1
    return s, n


@njit(cache=True, nogil=True)
def copy_through(x, lo, w, nb, last, out):
    """Copy the finite values of x in bins 0 .. ``last`` of a histogram of nb equal bins from lo
    (nb/(hi-lo) = w) into out, in the order of x; returns how many were copied.  Whatever bin
    k <= last turns out to hold the expected shortfall's rank, ``sum_before`` over these copies
    gives the same sum and count, to the bit, as over all of x."""
    m = 0
    for i in range(x.shape[0]):
        v = x[i]
        if math.isfinite(v) and bin_of(v, lo, w, nb) <= last:
            out[m] = v
            m += 1
    return m


@njit(cache=True, nogil=True)
def row_sums(values, rows, out):
    """out[k] = the sum of row rows[k] of values, added left to right from 0.0 (the order in which
    the kernel adds a line's amounts into its sums, so the bits are the same)."""
    for k in range(rows.shape[0]):
        s = 0.0
        for i in range(values.shape[1]):
            s += values[rows[k], i]
        out[k] = s


@njit(cache=True, nogil=True)
def moments_hist(x, out, lo, hi, nb, counts, pick, picked):
    """Moments and a top-level ``histogram`` of x in one pass, and the values of x in the bins
    ``pick`` marks copied into ``picked``; returns how many were copied.

    out[0:9] gets: finite count, mean and M2 of the finite values, min, max, count > 0, NaN count,
    +inf count, -inf count.  ``pick`` is empty (copy nothing) or has a flag (0/1) per bin,
    0 for bins 0 and nb+1; ``picked`` is then at least as long as x.

    The sums are taken about c, the block's first finite value: mean = c + S1/n and
    M2 = S2 - S1²/n with S1 = Σ(x - c), S2 = Σ(x - c)², which is accurate because c is one of the
    values (|mean - c| is of the order of the sd).  The finite values take the first branch of
    the loop, which has no other test, so it runs at the speed of its two sums."""
    w = nb / (hi - lo)
    c = np.nan
    for i in range(x.shape[0]):
        if math.isfinite(x[i]):
            c = x[i]
            break
    n = 0
    s1 = 0.0
    s2 = 0.0
    vlo = np.inf
    vhi = -np.inf
    npos = 0
    nnan = 0
    npinf = 0
    nninf = 0
    copying = pick.shape[0] > 0
    m = 0
    for i in range(x.shape[0]):
        v = x[i]
        if math.isfinite(v):
            dv = v - c
            n += 1
            s1 += dv
            s2 += dv * dv
            vlo = min(vlo, v)
            vhi = max(vhi, v)
            npos += v > 0.0
            k = bin_of(v, lo, w, nb)
            counts[k] += 1
            if copying:  # written every time, kept when flagged: no branch to mispredict
                picked[m] = v
                m += pick[k]
        elif v != v:
            nnan += 1
        elif v > 0.0:
            npinf += 1
            npos += 1
            counts[nb + 1] += 1
        else:
            nninf += 1
            counts[0] += 1
    out[N_FIN] = n
    out[MEAN] = c + s1 / n if n > 0 else 0.0
    out[M2] = max(0.0, s2 - s1 * s1 / n) if n > 0 else 0.0
    out[VMIN] = vlo
    out[VMAX] = vhi
    out[N_POS] = npos
    out[N_NAN] = nnan
    out[N_POSINF] = npinf
    out[N_NEGINF] = nninf
    return m


@njit(cache=True, nogil=True)
def gather_bins(x, lo, w, nb, slot_of_bin, counts, pos, picked, slots):
    """The values of x in the top-level bins mapped to slots (slot_of_bin[bin] >= 0; -1 for bins
    not wanted), grouped by slot: counts[s] values of slot s from out[pos[s]], in the order of x.

    One scan of x picks the values out with their slots into the scratch arrays ``picked`` and
    ``slots`` (at least as long as x; reused from block to block, so nothing large is allocated
    per call); the few picked are then grouped."""
    m = 0
    for i in range(x.shape[0]):
        v = x[i]
        s = slot_of_bin[bin_of(v, lo, w, nb)]
        if s >= 0 and v == v:
            picked[m] = v
            slots[m] = s
            m += 1
    for s in range(counts.shape[0]):
        counts[s] = 0
    for j in range(m):
        counts[slots[j]] += 1
    total = 0
    for s in range(counts.shape[0]):
        pos[s] = total
        total += counts[s]
    out = np.empty(total)
    fill = pos.copy()
    for j in range(m):
        s = slots[j]
        out[fill[s]] = picked[j]
        fill[s] += 1
    return out
