"""The array-level sensitivity and value-of-information functions against closed forms.

A linear model of independent normal inputs, NPV = a + Σ bᵢXᵢ, has a closed form for every
figure (the formulas are in the module docstrings and docs/methodology.md); the draws here
come from numpy, not from roisim's engine.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from roisim.analysis.correlation import (
    average_ranks,
    contribution_to_variance,
    rank_correlation,
    spearman,
)
from roisim.analysis.given_data import given_data
from roisim.analysis.value_of_information import evpi, evppi

MU = np.array([10.0, 5.0, 3.0, 1.0])
SD = np.array([4.0, 6.0, 2.0, 1.0])
B = np.array([3.0, -2.0, 5.0, 0.0])        # the last input does not enter the NPV
A = -20.0
N = 400_000


def linear(n=N, seed=1, a=A):
    rng = np.random.default_rng(seed)
    x = rng.normal(MU, SD, (n, MU.size))
    return x, a + x @ B


def normal_loss(m, s):
    """E[max(Y, 0)] − max(E[Y], 0) for Y ~ N(m, s²)."""
    return s * stats.norm.pdf(m / s) + m * stats.norm.cdf(m / s) - max(m, 0.0)


M = A + B @ MU
S = math.sqrt(((B * SD) ** 2).sum())


# --------------------------------------------------------------------------- spearman
def test_spearman_of_a_bivariate_normal_is_6_over_pi_arcsin_half_rho():
    x, y = linear()
    for i in range(3):
        rho = B[i] * SD[i] / S                          # Pearson correlation of Xᵢ with NPV
        expected = 6 / math.pi * math.asin(rho / 2)
        assert spearman(x[:, i], y) == pytest.approx(expected, abs=4e-3)
    assert abs(spearman(x[:, 3], y)) < 4e-3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6)), min_size=3, max_size=60))
def test_spearman_agrees_with_scipy_including_ties(pairs):
    x = np.array([p[0] for p in pairs], float)
    y = np.array([p[1] for p in pairs], float)
    ref = stats.spearmanr(x, y).statistic
    got = spearman(x, y)
    if np.isnan(ref):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12)


def test_spearman_drops_nan_runs():
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    y = np.array([2.0, 1.0, 7.0, 4.0, np.nan])
    assert spearman(x, y) == pytest.approx(stats.spearmanr([1, 2, 4], [2, 1, 4]).statistic)


@given(st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1), st.floats(-1, -1e-6)), min_size=1,
                max_size=12))
def test_contribution_to_variance_is_signed_and_sums_to_one(rhos):
    ctv = contribution_to_variance(rhos)
    if all(r == 0 for r in rhos):
        assert ctv == [0.0] * len(rhos)
        return
    assert sum(abs(c) for c in ctv) == pytest.approx(1.0)
    for r, c in zip(rhos, ctv):
        assert c == pytest.approx(math.copysign(r * r, r) / sum(v * v for v in rhos))


# --------------------------------------------------------------------------- given data
def test_given_data_top_bin_mean_closed_form():
    """E[NPV | Xᵢ in its top decile] = m + bᵢσᵢ·φ(z₀.₉)/0.1, bottom decile the mirror image."""
    x, y = linear()
    z9 = stats.norm.ppf(0.9)
    for i in range(3):
        out = given_data(x[:, i], y)
        shift = B[i] * SD[i] * stats.norm.pdf(z9) / 0.1
        se = S / math.sqrt(N / 10)
        assert out["bins"][-1] == pytest.approx(M + shift, abs=5 * se)
        assert out["bins"][0] == pytest.approx(M - shift, abs=5 * se)
        assert out["low"] == min(out["bins"]) and out["high"] == max(out["bins"])


def test_given_data_bins_are_equal_count_means():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, 1003).astype(float)           # ties straddle bins
    y = rng.normal(size=1003)
    out = given_data(x, y, bins=7)
    # independently: rank the runs by (x, run number) and cut the ranks at k·n/7
    ranked = sorted(range(1003), key=lambda i: (x[i], i))
    expected = []
    for k in range(7):
        members = ranked[(k * 1003) // 7:((k + 1) * 1003) // 7]
        expected.append(sum(y[i] for i in members) / len(members))
    assert out["bins"] == pytest.approx(expected, rel=1e-12)
    assert {len(ranked[(k * 1003) // 7:((k + 1) * 1003) // 7]) for k in range(7)} == {143, 144}


def test_given_data_too_few_runs():
    assert given_data(np.arange(5.0), np.arange(5.0))["low"] is None


# --------------------------------------------------------------------------- EVPI
@pytest.mark.parametrize("a", [A, -120.0, 0.0 - B @ MU])
def test_evpi_closed_form_and_interval(a):
    x, y = linear(a=a)
    m = a + B @ MU
    value, (lo, hi) = evpi(y)
    expected = normal_loss(m, S)
    assert lo <= expected <= hi or abs(value - expected) < 1e-3 * S
    assert value == pytest.approx(expected, abs=4 * (hi - lo) / (2 * 1.96) + 1e-3 * S)
    assert 0 <= lo <= value <= hi


def test_evpi_interval_covers_about_95_percent():
    hits = 0
    trials = 200
    for seed in range(trials):
        y = np.random.default_rng(seed).normal(30.0, 100.0, 4000)
        _, (lo, hi) = evpi(y)
        hits += lo <= normal_loss(30.0, 100.0) <= hi
    assert 0.90 <= hits / trials <= 0.99


def test_evpi_is_zero_without_uncertainty_about_the_decision():
    assert evpi(np.array([5.0, 7.0, 9.0]))[0] == 0.0
    assert evpi(np.array([-5.0, -7.0]))[0] == 0.0


# --------------------------------------------------------------------------- EVPPI
def test_evppi_closed_form():
    """E[NPV | Xᵢ] ~ N(m, (bᵢσᵢ)²): EVPPI = normal_loss(m, |bᵢ|σᵢ)."""
    x, y = linear()
    for i in range(3):
        expected = normal_loss(M, abs(B[i]) * SD[i])
        assert evppi(x[:, i], y) == pytest.approx(expected, rel=0.08, abs=1e-3 * S)


def test_evppi_of_an_input_that_does_not_enter_is_about_zero_and_below_evpi():
    x, y = linear()
    total = evpi(y)[0]
    assert evppi(x[:, 3], y) < 0.02 * total
    for i in range(4):
        assert evppi(x[:, i], y) <= total


def test_evppi_of_the_only_input_is_the_evpi():
    x = np.random.default_rng(3).normal(0.5, 1.0, 200_000)
    y = 3 * x - 1
    assert evppi(x, y) == pytest.approx(evpi(y)[0], rel=1e-2)


def test_evppi_follows_a_nonlinear_conditional_mean():
    """NPV = 10·(U − 0.5)² − 1 with U uniform: E[NPV | U] is the parabola itself, so EVPPI equals
    EVPI; a straight-line fit (knots=0) is flat and below 0, so it would find none of it."""
    u = np.random.default_rng(4).uniform(size=200_000)
    y = 10 * (u - 0.5) ** 2 - 1
    assert evppi(u, y) == pytest.approx(evpi(y)[0], rel=0.03)
    assert evppi(u, y, knots=0) < 0.05 * evpi(y)[0]


# --------------------------------------------------------------------------- ranks, shared work
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3).map(float), st.floats(-1e6, 1e6),
                          st.sampled_from([math.inf, -math.inf])), min_size=1, max_size=80))
def test_average_ranks_agree_with_scipy(values):
    x = np.array(values, float)
    assert average_ranks(x) == pytest.approx(stats.rankdata(x), abs=0)
    order = np.argsort(x, kind="stable")
    assert np.array_equal(average_ranks(x, order), average_ranks(x))


def test_rank_correlation_of_average_ranks_is_spearman():
    x, y = linear(n=20_000)
    r = rank_correlation(average_ranks(x[:, 0]), average_ranks(y))
    assert r == pytest.approx(stats.spearmanr(x[:, 0], y).statistic, abs=1e-12)


def test_given_data_counts_non_finite_runs_in_their_bin_but_not_in_its_mean():
    x = np.arange(20.0)
    y = x.copy()
    y[[0, 1]] = np.nan          # bin 0 (runs 0, 1): no finite value
    y[3] = np.inf               # bin 1 (runs 2, 3): mean of run 2 alone
    out = given_data(x, y)
    assert out["bins"][0] is None and out["bins"][1] == 2.0 and out["bins"][2] == 4.5
    assert out["low"] == 2.0 and out["high"] == 18.5
    order = np.argsort(x, kind="stable")
    assert given_data(x, y, order=order) == out


def test_given_data_with_no_finite_metric():
    out = given_data(np.arange(30.0), np.full(30, np.nan))
    assert out == {"bins": [None] * 10, "low": None, "high": None}


def test_the_blockwise_spline_is_the_least_squares_fit():
    from roisim.analysis import value_of_information as voi
    x, y = linear(n=150_000)                       # more runs than one block (2^16)
    z = voi.normal_scores(x[:, 0])
    step = z.size // voi.KNOT_SAMPLE                # the knots come from every step-th run
    cuts = np.unique(np.quantile(z[::step], np.linspace(0, 1, voi.SPLINE_KNOTS + 2)[1:-1]))
    basis = np.column_stack([np.ones_like(z), z, *(np.maximum(z - c, 0) for c in cuts)])
    direct = basis @ np.linalg.lstsq(basis, y, rcond=None)[0]
    assert voi.conditional_mean(x[:, 0], y) == pytest.approx(direct, rel=1e-9, abs=1e-9)


def test_evppi_with_ranks_given_is_the_same():
    x, y = linear(n=50_000)
    for i in range(4):
        assert evppi(x[:, i], y, ranks=average_ranks(x[:, i])) == evppi(x[:, i], y)


def test_evppi_of_a_discrete_input_with_few_values():
    """A bernoulli switch decides the sign: E[NPV | switch] is exact with two values."""
    rng = np.random.default_rng(8)
    on = (rng.uniform(size=100_000) < 0.4).astype(float)
    y = np.where(on == 1.0, 50.0, -10.0) + rng.normal(0, 5, on.size)
    assert evppi(on, y) == pytest.approx(0.6 * 10.0, rel=0.02)   # learn off: avoid −10
