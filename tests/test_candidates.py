"""Pass 1's candidate bins and tail (roisim.analysis.candidates) and the reductions they use.

The candidates only save passes: these tests check each piece against an independent
formulation (plain Python binning, numpy selection and sorting), and that a summary made with
them is the summary made without them, to the bit.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_scenarios import MIXED

import roisim
from roisim.analysis import candidates
from roisim.analysis.candidates import Candidates, candidate_flags, candidate_picks
from roisim.analysis.simulate import streams_cheaper
from roisim.engine.blocks import NO_PICKS, NO_VALUES
from roisim.kernels import reduce

values_st = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6),
        st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 5e-324, 0.0]),
    ),
    min_size=1,
    max_size=300,
)


def reference_bin(v: float, lo: float, hi: float, nb: int) -> int:
    """The documented binning in plain Python: 0 below lo, then 1 + floor((v - lo)·nb/(hi - lo))
    while that is at most nb, else nb + 1 (NaN and +inf included)."""
    if v < lo:
        return 0
    t = (v - lo) * (nb / (hi - lo))
    return 1 + math.floor(t) if t < nb else nb + 1


@settings(max_examples=200, deadline=None)
@given(values_st, st.floats(-1e5, 1e5), st.floats(1e-3, 1e5), st.integers(1, 64))
def test_moments_hist_bins_and_picks_follow_the_reference(values, lo, span, nb):
    x = np.array(values)
    hi = lo + span
    bins = [reference_bin(v, lo, hi, nb) for v in values]
    flags = np.zeros(nb + 2, np.uint8)
    flags[1 : nb + 1 : 2] = 1  # every other bin inside the range
    counts = np.zeros(nb + 2, np.int64)
    out = np.empty(reduce.N_MOM)
    picked = np.empty(len(x))
    m = reduce.moments_hist(x, out, lo, hi, nb, counts, flags, picked)
    expected_counts = np.bincount([k for k, v in zip(bins, values) if v == v], minlength=nb + 2)
    assert counts.tolist() == expected_counts.tolist()
    kept = [v for k, v in zip(bins, values) if math.isfinite(v) and flags[k]]
    assert picked[:m].tolist() == kept  # in the order of x
    finite = x[np.isfinite(x)]
    assert out[reduce.N_FIN] == len(finite)
    assert out[reduce.N_NAN] == int(np.isnan(x).sum())
    assert out[reduce.N_POS] == int((x > 0).sum())
    if len(finite):
        assert out[reduce.VMIN] == finite.min() and out[reduce.VMAX] == finite.max()
        scale = float(np.abs(finite).max()) * len(finite)  # the sums' rounding, at worst
        assert abs(out[reduce.MEAN] - math.fsum(finite) / len(finite)) <= 1e-12 * scale + 1e-300
    # without picks, the same histogram and moments
    counts2 = np.zeros(nb + 2, np.int64)
    out2 = np.empty(reduce.N_MOM)
    assert reduce.moments_hist(x, out2, lo, hi, nb, counts2, NO_PICKS, NO_VALUES) == 0
    assert np.array_equal(counts, counts2)
    assert np.array_equal(out, out2, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(values_st, st.floats(-1e5, 1e5), st.floats(1e-3, 1e5), st.integers(1, 64), st.data())
def test_gather_bins_groups_the_wanted_bins_in_order(values, lo, span, nb, data):
    x = np.array(values)
    hi = lo + span
    wanted = sorted(data.draw(st.sets(st.integers(0, nb + 1), min_size=1, max_size=5)))
    slot_of_bin = np.full(nb + 2, -1, np.int64)
    slot_of_bin[wanted] = np.arange(len(wanted))
    counts = np.zeros(len(wanted), np.int64)
    pos = np.zeros(len(wanted), np.int64)
    scratch = (np.empty(len(x)), np.empty(len(x), np.int64))
    out = reduce.gather_bins(x, lo, nb / (hi - lo), nb, slot_of_bin, counts, pos, *scratch)
    for s, k in enumerate(wanted):
        expected = [v for v in values if v == v and reference_bin(v, lo, hi, nb) == k]
        assert out[pos[s] : pos[s] + counts[s]].tolist() == expected


@settings(max_examples=200, deadline=None)
@given(values_st, st.floats(-1e5, 1e5), st.floats(1e-3, 1e5), st.integers(1, 64), st.data())
def test_the_kept_tail_sums_as_the_whole_block_does(values, lo, span, nb, data):
    """sum_before over copy_through's copies equals sum_before over all the values, bit for bit,
    for the bin of any rank up to the last kept bin."""
    x = np.array(values)
    hi = lo + span
    last = data.draw(st.integers(0, nb + 1))
    k = data.draw(st.integers(0, last))
    out = np.empty(len(x))
    m = reduce.copy_through(x, lo, nb / (hi - lo), nb, last, out)
    assert out[:m].tolist() == [
        v for v in values if math.isfinite(v) and reference_bin(v, lo, hi, nb) <= last
    ]
    bin_filter = np.zeros(reduce.BIN_FILTER_SIZE)
    bin_filter[reduce.BIN_LO] = lo
    bin_filter[reduce.BIN_SCALE] = nb / (hi - lo)
    bin_filter[reduce.BIN_COUNT] = nb
    bin_filter[reduce.BIN_INDEX] = k
    assert reduce.sum_before(out[:m], bin_filter) == reduce.sum_before(x, bin_filter)


def test_the_pilot_windows_hold_the_true_percentiles():
    """For 10^6 normal values and a pilot of their first 65,536, the bins of the true P5, P50 and
    P95 (numpy's order statistics of all the values) are candidates, and they hold about the
    share the windows predict (2·5·sqrt(p(1-p)/m) each)."""
    x = np.random.default_rng(3).normal(100.0, 15.0, 1_000_000)
    lo, hi, nb = 0.0, 200.0, 1 << 16
    flags, share, (tail_share, tail_last) = candidate_flags(x[:65536], lo, hi, nb, (5, 50, 95))
    s = np.sort(x)
    for q in (0.05, 0.5, 0.95):
        rank = int((len(x) - 1) * q)
        assert flags[reference_bin(s[rank], lo, hi, nb)] == 1
    predicted = sum(2 * 5 * math.sqrt(q * (1 - q) / 65536) for q in (0.05, 0.5, 0.95))
    assert predicted * 0.8 < share < predicted * 1.3
    assert reference_bin(s[int(0.05 * len(x))], lo, hi, nb) <= tail_last
    assert 0.05 < tail_share < 0.06


def test_candidates_give_the_sorted_values_of_a_flagged_bin_only():
    rng = np.random.default_rng(4)
    x = rng.normal(size=10_000)
    lo, hi, nb = -5.0, 5.0, 100
    flags = np.zeros(nb + 2, np.uint8)
    flags[40:60] = 1
    picked = np.empty(len(x))
    counts = np.zeros(nb + 2, np.int64)
    m = reduce.moments_hist(x, np.empty(reduce.N_MOM), lo, hi, nb, counts, flags, picked)
    tops = [(0, None, lo, hi, nb)]
    halves = [picked[: m // 2].copy(), picked[m // 2 : m].copy()]  # two blocks' copies
    found = Candidates(((0, flags),), {0: halves}, tops)
    bins = np.array([reference_bin(v, lo, hi, nb) for v in x])
    for k in (40, 50, 59):
        assert np.array_equal(found.values_in(0, k), np.sort(x[bins == k]))
    assert found.values_in(0, 39) is None and found.values_in(0, 60) is None
    assert found.values_in(1, 50) is None  # a variable without candidates


def test_copies_over_the_limit_are_not_made():
    pilot = np.random.default_rng(5).normal(size=(2, 4096))
    tops = [(v, None, -5.0, 5.0, 64) for v in range(2)]
    picks, tail = candidate_picks(pilot, tops, [(5, 50), (50,)], 10_000, 10**9, tail_variable=0)
    assert [v for v, _ in picks] == [0, 1] and tail[0] == 0
    assert candidate_picks(pilot, tops, [(5, 50), (50,)], 10_000, 100, 0) == ((), ())


def test_streams_cheaper_except_where_the_runs_are_read_again():
    s = roisim.load_scenario(MIXED)
    assert streams_cheaper(s)
    assert not streams_cheaper(s, "npv.mean=1000")
    assert not streams_cheaper(dataclasses.replace(s, sampling="sobol"))
    assert streams_cheaper(dataclasses.replace(s, sampling="lhs"))


@pytest.mark.parametrize("limit", [0, candidates.STREAMING_LIMIT])
def test_a_summary_with_or_without_candidates_is_the_in_memory_one(monkeypatch, limit):
    """Streamed with candidates (one pass) or without (two passes): the in-memory summary."""
    s = roisim.load_scenario(MIXED)
    in_memory = roisim.simulate(s, runs=70_001, seed=11, summary_only=False).summary
    monkeypatch.setattr(candidates, "STREAMING_LIMIT", limit)
    assert roisim.simulate(s, runs=70_001, seed=11, summary_only=True).summary == in_memory
