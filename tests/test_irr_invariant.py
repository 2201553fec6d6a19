"""The IRR invariant, on roisim.finance and on the simulation kernel.

For any flow with exactly one sign change, either NPV(irr) is zero to within a few rounding
errors of the flows' discounted scale, or the IRR is NaN and no root lies in (−0.99, 10].
NPVs are checked in 80-digit arithmetic (tests/oracles.py), never with roisim's kernels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import (
    EPS,
    IRR_HI,
    IRR_LO,
    exponents,
    irr_brent,
    npv_exact,
    root_in_range,
    sign_changes,
)

import roisim
from roisim import finance

TIMINGS = ("end-of-year", "mid-year")


def backward_bound(n: int) -> float:
    """The relative NPV bound the tests hold: |NPV(irr)| ≤ 16·(n+2)·ε·Σ|CF_t·d_t| for n flows
    (the solver accepts at 8·(n+2)·ε on its own float evaluation; the rest covers rounding in
    that evaluation and in returning r = 1/x − 1)."""
    return 16.0 * (n + 2) * EPS


def assert_irr_invariant(flows, timing: str, got: float) -> None:
    flows = np.asarray(flows, dtype=float)
    assert sign_changes(flows) == 1
    if math.isnan(got):
        assert not root_in_range(flows, timing), (
            f"IRR NaN but a root lies in range: {flows.tolist()}"
        )
        return
    assert IRR_LO < got <= IRR_HI
    value, scale = npv_exact(got, flows, timing)
    rel = float(abs(value) / scale)
    assert rel <= backward_bound(flows.size), (
        f"|NPV(irr)|/scale = {rel:.3g} at irr = {got!r} for {flows.tolist()} ({timing})"
    )


# --------------------------------------------------------------------------- strategies
magnitude = st.floats(1e-2, 1e7, allow_nan=False, allow_infinity=False)


@st.composite
def one_sign_change(draw, min_len=2, max_len=40):
    """k leading flows of one sign (zeros allowed after the first), then the other sign."""
    n = draw(st.integers(min_len, max_len))
    k = draw(st.integers(1, n - 1))
    head = draw(st.lists(magnitude, min_size=k, max_size=k))
    tail = draw(st.lists(st.one_of(magnitude, st.just(0.0)), min_size=n - k, max_size=n - k))
    assume(any(v > 0 for v in tail))
    sign = draw(st.sampled_from((-1.0, 1.0)))  # investment (−…+) or loan (+…−)
    return [sign * -v for v in head] + [sign * v for v in tail]


@st.composite
def flat_point(draw):
    """Flows with Σ t·CF_t ≈ 0, where p′(x = 1) ≈ 0 and a Halley step from r = 0 is tiny: several
    outflow years, then inflows, the last inflow fixed to cancel the weighted sum (times 1 + δ)."""
    n = draw(st.integers(3, 30))
    k = draw(st.integers(1, n - 2))  # outflows in years 0..k−1
    out = draw(st.lists(st.floats(10.0, 1e6), min_size=k, max_size=k))
    inflow = draw(st.lists(st.floats(0.01, 1e3), min_size=n - 1 - k, max_size=n - 1 - k))
    flows = [-v for v in out] + inflow
    weighted = sum(t * v for t, v in enumerate(flows))
    h = n - 1
    last = -weighted / h
    assume(last > 0.0)
    delta = draw(st.sampled_from((0.0, 1e-12, -1e-9, 1e-7, -1e-6, 1e-4)))
    return flows + [last * (1.0 + delta)]


@st.composite
def long_horizon(draw):
    """74–100-year flows whose early years are mostly outflows."""
    n = draw(st.integers(75, 101))
    k = draw(st.integers(5, 60))
    out = draw(st.lists(st.floats(1.0, 1e5), min_size=k, max_size=k))
    inflow = draw(st.lists(st.floats(1.0, 1e5), min_size=n - k, max_size=n - k))
    return [-v for v in out] + inflow


PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------- roisim.finance
@PROPERTY
@given(flows=one_sign_change(), timing=st.sampled_from(TIMINGS))
def test_invariant_one_sign_change(flows, timing):
    assert_irr_invariant(flows, timing, finance.irr(flows, timing=timing))


@PROPERTY
@given(flows=flat_point(), timing=st.sampled_from(TIMINGS))
def test_invariant_flat_point(flows, timing):
    assert_irr_invariant(flows, timing, finance.irr(flows, timing=timing))


@settings(max_examples=60, deadline=None)
@given(flows=long_horizon(), timing=st.sampled_from(TIMINGS))
def test_invariant_long_horizon(flows, timing):
    assert_irr_invariant(flows, timing, finance.irr(flows, timing=timing))


def test_flat_point_strategy_hits_the_trap():
    """The flat-point flows are the hard case: the first Halley step from r = 0 is tiny there,
    while the NPV at r = 0 is far from zero (this is what stopped the old solver)."""
    flows = np.array([-100.0, -90.0, 10.0, 10.0, 10.00001])
    t = np.arange(flows.size)
    assert abs((t * flows).sum()) < 1e-4 * np.abs(flows).sum()  # p′(1) ≈ 0
    assert abs(flows.sum()) > 100  # p(1) far from 0


# --------------------------------------------------------------------------- forward error
def forward_bound(flows, r: float, timing: str) -> float:
    """|r − r*| bound implied by the backward bound: backward·scale/|NPV′(r)| (plus 4 ulps)."""
    flows = np.asarray(flows, dtype=float)
    e = exponents(flows.size, timing)
    slope = abs(float(np.sum(-e * flows * (1.0 + r) ** (-e - 1.0))))
    _, scale = npv_exact(r, flows, timing)
    return 2.0 * backward_bound(flows.size) * float(scale) / slope + 4.0 * EPS * (1.0 + abs(r))


@settings(max_examples=60, deadline=None)
@given(flows=st.one_of(long_horizon(), one_sign_change(2, 12)), timing=st.sampled_from(TIMINGS))
def test_forward_error_within_condition_bound(flows, timing):
    """The exact NPV changes sign within forward_bound of the returned IRR: the root is there."""
    r = finance.irr(flows, timing=timing)
    assume(not math.isnan(r))
    d = forward_bound(flows, r, timing)
    lo, _ = npv_exact(max(r - d, -1 + 1e-12), flows, timing)
    hi, _ = npv_exact(r + d, flows, timing)
    assert lo == 0 or hi == 0 or (lo > 0) != (hi > 0), (r, d)


def test_forward_error_of_conventional_flows_is_below_1e_12():
    """What docs/methodology.md states for conventional (−, +, +, …) flows up to 30 years."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 31))
        flows = np.concatenate([[-rng.uniform(50, 150)], rng.uniform(5, 60, n - 1)])
        r = finance.irr(flows)
        assert forward_bound(flows, r, "end-of-year") <= 1e-12


# --------------------------------------------------------------------------- regression rows
REGRESSION = [  # rows where the old stopping rule accepted a flat point (issue 7)
    [-100, -90, 10, 10, 10.00001],
    [-60505.65, -30184.10, -10253.94, 4173.65, 4216.64, 4260.93],  # recruitment.toml, run 474282
    [
        -45008.93,
        -38940.00,
        -13679.43,
        1165.68,
        1258.03,
        1353.16,
    ],  # recruitment.toml seed 7, run 548937
]
BRENT = [-0.4999999, -0.44333, -0.61537]  # the true IRRs, as the issue gives them (Brent)


@pytest.mark.parametrize("flows,approx", list(zip(REGRESSION, BRENT)))
def test_regression_rows_match_brentq(flows, approx):
    expected = irr_brent(flows)
    assert expected == pytest.approx(approx, abs=1e-5)
    got = finance.irr(flows)
    assert got == pytest.approx(expected, abs=1e-12)
    assert_irr_invariant(flows, "end-of-year", got)


@pytest.mark.parametrize("flows", REGRESSION)
def test_regression_rows_mid_year(flows):
    got = finance.irr(flows, timing="mid-year")
    assert got == pytest.approx(irr_brent(flows, "mid-year"), abs=1e-12)
    assert_irr_invariant(flows, "mid-year", got)


def test_regression_rows_as_a_batch():
    """As rows of one array (the first padded with a year-5 zero, which changes no root)."""
    rows = np.array([REGRESSION[0] + [0.0]] + REGRESSION[1:])
    got = finance.irr(rows)
    np.testing.assert_allclose(got, [irr_brent(f) for f in rows], atol=1e-12, rtol=0)


# --------------------------------------------------------------------------- several roots
@st.composite
def two_roots(draw):
    """(1 − x/a)(1 − x/b)·(positive polynomial) with x = 1/(1+r): flows with two sign changes
    and known roots r_a, r_b in range."""
    ra, rb = sorted(draw(st.lists(st.floats(-0.9, 5.0), min_size=2, max_size=2, unique=True)))
    assume(rb - ra > 1e-3)
    xa, xb = 1 / (1 + ra), 1 / (1 + rb)
    base = np.polynomial.polynomial.polyfromroots([xa, xb])  # (x − xa)(x − xb), low first
    extra = draw(st.lists(st.floats(0.1, 10.0), min_size=0, max_size=3))
    flows = base
    for c in extra:  # times (1 + c·x): no new real root > 0
        flows = np.polynomial.polynomial.polymul(flows, [1.0, c])
    scale = draw(st.floats(1.0, 1e5))
    return (flows * scale).tolist(), ra


@settings(max_examples=200, deadline=None)
@given(case=two_roots())
def test_several_roots_polished_root_is_a_zero_of_npv(case):
    flows, smallest = case
    got, nroots = finance.irr(flows, return_roots=True)
    assert nroots >= 1 and not math.isnan(got)
    value, scale = npv_exact(got, flows)
    assert float(abs(value) / scale) <= 1e-9
    assert got == pytest.approx(smallest, abs=1e-7)


# --------------------------------------------------------------------------- the simulation kernel
FLAT_SCENARIO = """
[scenario]
name = "flat-point flows"
horizon_years = {h}
discount_rate = 0.08

[simulation]
runs = {runs}
seed = {seed}

[inputs]
build = {{ dist = "uniform", min = 20_000, max = 80_000 }}
second_year = {{ dist = "uniform", min = 10_000, max = 60_000 }}
yearly = {{ dist = "uniform", min = 100, max = 3_000 }}
wobble = {{ dist = "uniform", min = -1e-6, max = 1e-6 }}
# the last inflow cancels Σ t·CF_t (outflows in years 0..{k1}, inflows in {k}..{h1}),
# times 1 + wobble
last = "({weighted}) / {h} * (1 + wobble)"

[[costs]]
name = "build"
amount = "build"
years = "0..{k1}"

[[costs]]
name = "second year"
amount = "second_year"
years = "1"

[[benefits]]
name = "yearly"
amount = "yearly"
years = "{k}..{h1}"

[[benefits]]
name = "last"
amount = "max(last, 1)"
years = "{h}"
"""


def flat_scenario(h: int, k: int, runs: int, seed: int) -> str:
    # Σ t·CF_t for t < h: −build·Σ_{t<k} t − second_year·1 + yearly·Σ_{t=k}^{h−1} t
    w_build = sum(range(k))
    w_yearly = sum(range(k, h))
    weighted = f"build * {w_build} + second_year - yearly * {w_yearly}"
    return FLAT_SCENARIO.format(
        h=h, k=k, k1=k - 1, h1=h - 1, runs=runs, seed=seed, weighted=weighted
    )


@pytest.mark.parametrize("h,k", [(4, 2), (9, 4)])
def test_invariant_on_the_simulation_kernel(h, k):
    """Every run of a scenario built to sit on the flat point satisfies the invariant, in the
    compiled simulation kernel (irr_one inside the generated code), not only in roisim.finance."""
    sc = roisim.load_scenario(flat_scenario(h, k, 20_000, 11))
    res = roisim.simulate(sc)
    ds = res.dataset
    flows = ds["net_cashflow"].values
    irr = ds["irr"].values
    t = np.arange(h + 1)
    # the construction works: Σ t·CF_t is tiny next to the flows for (nearly) every run
    weighted = np.abs(flows @ t) / np.abs(flows).sum(axis=1)
    assert np.median(weighted) < 1e-5
    assert (np.array([sign_changes(f) for f in flows[:2000]]) == 1).all()
    # a vectorised check in extended precision on every run ...
    x = 1.0 / (1.0 + irr.astype(np.longdouble))
    powers = x[:, None] ** t[None, :]
    value = (flows.astype(np.longdouble) * powers).sum(axis=1)
    scale = (np.abs(flows).astype(np.longdouble) * powers).sum(axis=1)
    defined = ~np.isnan(irr)
    assert defined.mean() > 0.99
    rel = np.abs(value[defined] / scale[defined]).astype(float)
    assert rel.max() <= backward_bound(h + 1), rel.max()
    # ... and the exact check on the worst 30 runs and on those with no IRR
    worst = np.flatnonzero(defined)[np.argsort(rel)[-30:]]
    for i in worst:
        assert_irr_invariant(flows[i], "end-of-year", float(irr[i]))
    for i in np.flatnonzero(~defined)[:30]:
        assert_irr_invariant(flows[i], "end-of-year", float(irr[i]))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_invariant_on_the_simulation_kernel_any_seed(seed):
    sc = roisim.load_scenario(flat_scenario(4, 2, 2_000, seed))
    ds = roisim.simulate(sc, threads=1).dataset
    flows, irr = ds["net_cashflow"].values, ds["irr"].values
    for i in range(0, 2_000, 50):
        assert_irr_invariant(flows[i], "end-of-year", float(irr[i]))
