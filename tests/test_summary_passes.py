"""The passes of ``summarize``: how many run, and that the typed and plain forms agree."""

from __future__ import annotations

import numpy as np
import pytest
from shared_scenarios import MIXED

import roisim
import roisim.analysis.candidates as candidates
import roisim.analysis.summary as summary
from roisim.analysis.schema import CashflowByYear, Metrics
from roisim.engine.blocks import ArraySource
from roisim.engine.layout import METRICS

RUNS = 70_001  # two summary blocks


def _passes(monkeypatch, cap=None):
    if cap is not None:
        monkeypatch.setattr(summary, "CAP", cap)
    seen = []
    r = roisim.simulate(
        roisim.load_scenario(MIXED),
        runs=RUNS,
        seed=5,
        summary_only=True,
        progress=lambda p, done, total: seen.append(p),
    )
    return r, max(seen)


def test_candidates_make_one_pass(monkeypatch):
    """Pass 1 copies the bins the pilot puts around each wanted percentile, and the tail the
    expected shortfall sums (roisim.analysis.candidates): nothing is left for a pass 2."""
    _, passes = _passes(monkeypatch)
    assert passes == 1


def test_without_candidates_two_passes_give_the_same_bits(monkeypatch):
    """With no room for candidates, pass 2 copies the bins and sums the tail, as before: the
    summary is the same to the last bit."""
    base, _ = _passes(monkeypatch)
    monkeypatch.setattr(candidates, "STREAMING_LIMIT", 0)
    plain, passes = _passes(monkeypatch)
    assert passes == 2  # moments and histograms, then the copied bins
    assert plain.summary == base.summary


def test_candidate_windows_that_miss_fall_back_to_pass_2(monkeypatch):
    """Windows far too narrow (Z = 0: two ranks either side of each pilot percentile) miss some
    of the wanted bins; those are copied by a pass 2 and the figures do not change."""
    base, _ = _passes(monkeypatch)
    monkeypatch.setattr(candidates, "Z", 0.0)
    narrow, passes = _passes(monkeypatch)
    assert passes == 2
    assert narrow.summary == base.summary


def test_a_tail_beyond_the_kept_values_is_summed_by_pass_2(monkeypatch):
    """The expected shortfall's bin past the kept tail: pass 2 sums it, with the same bits."""
    base, _ = _passes(monkeypatch)
    monkeypatch.setattr(candidates.Candidates, "sum_before", lambda self, tail_bin: None)
    summed, passes = _passes(monkeypatch)
    assert passes == 2
    assert summed.summary == base.summary


@pytest.mark.parametrize("cap", [1, 2])
def test_split_bins_take_at_most_the_stated_rounds(monkeypatch, cap):
    """With bins split into sub-bins the summary needs every round of the loop, no more, and
    gives the same figures."""
    base, _ = _passes(monkeypatch)
    refined, passes = _passes(monkeypatch, cap)
    assert passes == summary.ROUNDS == 3
    assert refined.summary == base.summary


def test_summarize_is_the_plain_form_of_summarize_figures():
    """The figures of the per-run arrays, summarised again, are simulate's figures."""
    runs = 3_000
    r = roisim.simulate(roisim.load_scenario(MIXED), runs=runs, seed=9)
    rows = [r.dataset[m].values for m in METRICS] + [r.dataset["net_cashflow"].values.T]
    values = np.ascontiguousarray(np.vstack(rows))
    several = round(r.figures.metrics.irr.prob_multiple * runs)
    metrics, cashflow = summary.summarize_figures(ArraySource(values, 1), runs, several)
    assert isinstance(metrics, Metrics) and isinstance(cashflow, CashflowByYear)
    assert metrics == r.figures.metrics and cashflow == r.figures.cashflow_by_year
    plain = summary.summarize(ArraySource(values, 1), runs, several)
    assert plain == (metrics.to_dict(), cashflow.to_dict())
