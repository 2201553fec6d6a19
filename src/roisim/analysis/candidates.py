"""Candidate bins: what pass 1 copies out so that pass 2 rarely has to look for it.

The summary's exact percentiles (``roisim.analysis.summary``) come from the values in a few
histogram bins: pass 1 histograms every variable, and pass 2 used to scan every run again to
copy out the bins that hold the wanted order statistics.  Those bins can be foreseen.  The
pilot (the first block of runs, which every source regenerates identically) puts the
percentile p of a variable near the pilot's own p-quantile: with m pilot values, the rank
fraction of the pilot quantile is off by about sqrt(p(1-p)/m).  So pass 1 also copies the
values of every bin within Z = 5 such errors (and two ranks) of each wanted percentile:

    bins of the pilot ranks (p ± δ)·(m − 1),   δ = 5·sqrt(p(1 − p)/m) + 2/m.

After pass 1 the full histogram names each wanted bin exactly.  A wanted bin that was a
candidate has *all* its values among the copies (every value of a flagged bin is copied in
every block), so its order statistics are read from them; any other bin falls back to
pass 2, as before.  The figures are therefore the same exact order statistics either way:
the candidates only save work (for fintech at 10^6 runs about 5% of the values are copied,
and pass 2 scans one row instead of twenty).

Copies cost memory in proportion to the runs, so a source that streams (constant memory) gets
candidates only while they stay under ``STREAMING_LIMIT`` values; a source holding its runs
in memory, under a quarter of what it holds.
"""

from __future__ import annotations

import math

import numpy as np

from roisim.engine.blocks import NO_PICKS, NO_VALUES
from roisim.kernels import reduce

#: standard errors of the pilot's quantile rank covered on each side of a wanted percentile
Z = 5.0
#: the most values copied as candidates when the source streams its runs (8 bytes each)
STREAMING_LIMIT = 1 << 23
NO_RESULT = np.zeros(reduce.N_MOM)


def candidate_flags(pilot_row: np.ndarray, lo: float, hi: float, nb: int, percentiles) -> tuple:
    """``(flags, share, tail)``: a uint8 flag per bin of the histogram (nb bins on [lo, hi) plus
    the under- and overflow bins, never flagged) for the bins within δ of each of
    ``percentiles`` (in %) among the pilot's non-NaN values; the share of the pilot's values
    they hold; and the share and last bin of the values up to the first percentile's window
    (the expected shortfall's tail, when that percentile is its TAIL_SHARE)."""
    counts = np.zeros(nb + 2, np.int64)
    reduce.moments_hist(pilot_row, NO_RESULT.copy(), lo, hi, nb, counts, NO_PICKS, NO_VALUES)
    m = int(counts.sum())
    flags = np.zeros(nb + 2, np.uint8)
    if m == 0:
        return flags, 0.0, (0.0, -1)
    cumulative = np.cumsum(counts)
    windows = []
    for p in percentiles:
        q = p / 100.0
        delta = Z * math.sqrt(q * (1.0 - q) / m) + 2.0 / m
        first = _bin_of_rank(cumulative, max(0.0, q - delta) * (m - 1))
        last = _bin_of_rank(cumulative, min(1.0, q + delta) * (m - 1))
        flags[max(first, 1) : min(last, nb) + 1] = 1
        windows.append(min(last, nb))
    tail_last = windows[0] if windows else -1
    tail_share = float(cumulative[tail_last]) / m if tail_last >= 0 else 0.0
    return flags, float(counts[flags == 1].sum()) / m, (tail_share, tail_last)


def _bin_of_rank(cumulative: np.ndarray, rank: float) -> int:
    """The bin holding the value of 0-based ``rank`` (rounded down) in a histogram."""
    return int(np.searchsorted(cumulative, int(rank), side="right"))


def candidate_picks(
    pilot: np.ndarray, tops, percentiles, runs: int, limit: int, tail_variable: int
) -> tuple[tuple, tuple]:
    """``(PassSpec.picks, PassSpec.tail)`` for pass 1: (variable, flags) for every variable with
    candidate bins, and (tail_variable, last bin) to keep its values up to its first wanted
    percentile's window; ((), ()) when the copies would exceed ``limit`` values.  ``tops`` are
    pass 1's top-level histograms (variable, parent, lo, hi, nb); ``percentiles[v]`` the wanted
    ones of v, the first of the tail variable's being the expected shortfall's share."""
    picks = []
    tail = ()
    expected = 0.0
    for (variable, _, lo, hi, nb), wanted in zip(tops, percentiles):
        flags, share, (tail_share, tail_last) = candidate_flags(
            pilot[variable], lo, hi, nb, wanted
        )
        expected += share * runs
        if share > 0.0:
            picks.append((variable, flags))
        if variable == tail_variable and tail_last >= 0:
            tail = (variable, tail_last)
            expected += tail_share * runs
    return (tuple(picks), tail) if expected <= limit else ((), ())


def limit_for(source) -> int:
    """How many values the candidates may take for ``source``: a quarter of the values held by a
    source that holds its runs in memory (``values``), else ``STREAMING_LIMIT``."""
    values = getattr(source, "values", None)
    return values.size // 4 if isinstance(values, np.ndarray) else STREAMING_LIMIT


class Candidates:
    """The values pass 1 copied from each variable's candidate bins, grouped by bin."""

    def __init__(self, picks: tuple, picked: dict, tops, tail: tuple = (), tail_values=None):
        self.flags = dict(picks)
        self.picked = picked
        self.tail, self.tail_values = tail, tail_values or {}
        self.histogram = {variable: (lo, nb / (hi - lo), nb) for variable, _, lo, hi, nb in tops}
        self.found: dict[tuple[int, int], np.ndarray] = {}

    def prepare(self, bins_by_variable: dict) -> None:
        """Group the copies of each variable by the bins it will be asked for (one scan of its
        copies, by the kernel that bins values in every pass, ``reduce.gather_bins``)."""
        for variable, bins in bins_by_variable.items():
            flags = self.flags.get(variable)
            wanted = sorted({k for k in bins if flags is not None and flags[k]})
            wanted = [k for k in wanted if (variable, k) not in self.found]
            if not wanted:
                continue
            arrays = self.picked.get(variable, [])
            values = np.concatenate(arrays) if arrays else np.empty(0)
            lo, w, nb = self.histogram[variable]
            slot_of_bin = np.full(nb + 2, -1, np.int64)
            slot_of_bin[wanted] = np.arange(len(wanted))
            counts = np.zeros(len(wanted), np.int64)
            pos = np.zeros(len(wanted), np.int64)
            scratch = (np.empty(len(values)), np.empty(len(values), np.int64))
            grouped = reduce.gather_bins(values, lo, w, nb, slot_of_bin, counts, pos, *scratch)
            for k, c, p0 in zip(wanted, counts, pos):
                self.found[(variable, k)] = np.sort(grouped[p0 : p0 + c])

    def values_in(self, variable: int, k: int) -> np.ndarray | None:
        """The sorted values of top-level bin ``k`` of ``variable``, or None when that bin was
        not a candidate (its values must be copied by another pass)."""
        flags = self.flags.get(variable)
        if flags is None or not flags[k]:
            return None
        self.prepare({variable: [k]})
        return self.found[(variable, k)]

    def sum_before(self, tail_bin) -> tuple[float, int] | None:
        """The expected shortfall's (sum, count) of the finite values before its bin (summary's
        ``tail_bin``: (key, bin filter, before)), added as a pass over all the runs adds them
        (block by block with ``reduce.sum_before``, then in block order), or None when the bin
        is not a top-level bin within the tail that pass 1 kept."""
        (variable, top_bin, sub_bin), bin_filter, _ = tail_bin
        if not self.tail or self.tail[0] != variable or sub_bin != -1 or top_bin > self.tail[1]:
            return None
        total = 0.0
        count = 0
        for block in sorted(self.tail_values):
            s, n = reduce.sum_before(self.tail_values[block], bin_filter)
            total += float(s)
            count += int(n)
        return total, count
