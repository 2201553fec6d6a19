"""Hypothesis properties of roisim.finance and of whole simulations.

Oracles are the independent ones of tests/oracles.py (closed-form discount factors, the payback
rule written out, scipy root finding, a grid scan refined by bisection) and numpy polynomial
roots -- never roisim's own output, and never roisim.finance, which runs the simulation's
kernels.

Hypothesis runs derandomized with no example database, so the suite is deterministic.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import (
    IRR_HI,
    IRR_LO,
    discount_factors,
    discounted_payback,
    irr_brent,
    irr_smallest,
    npv,
    npv_scale,
    payback,
)

import roisim
from roisim import finance

TIMINGS = ("end-of-year", "mid-year")

FIN = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SIM = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def f(x) -> float:
    a = np.asarray(x)
    assert a.shape in ((), (1,)), a.shape
    return float(a.reshape(()))


def same(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# --------------------------------------------------------------------------- strategies
amounts = st.integers(-1000, 1000).map(float)
flows_st = st.lists(amounts, min_size=2, max_size=11).map(lambda xs: np.array(xs, float))
timing_st = st.sampled_from(TIMINGS)
rate_st = st.floats(-0.9, 5.0, allow_nan=False)
# powers of two scale floating point exactly; arbitrary factors only approximately
pow2_st = st.integers(-12, 12).map(lambda j: 2.0**j)
factor_st = st.one_of(pow2_st, st.floats(1e-3, 1e3, allow_nan=False))


@st.composite
def conventional_flows(draw, single_investment: bool = False):
    """m >= 1 strictly negative leading flows, then non-negative flows, at least one positive."""
    m = 1 if single_investment else draw(st.integers(1, 4))
    rest = draw(st.integers(1, 8))
    neg = [-float(draw(st.integers(1, 1000))) for _ in range(m)]
    pos = [float(draw(st.integers(0, 1000))) for _ in range(rest)]
    if not any(pos):
        pos[draw(st.integers(0, rest - 1))] = float(draw(st.integers(1, 1000)))
    return np.array(neg + pos), m


# --------------------------------------------------------------------------- NPV and the rate
@FIN
@given(conventional_flows(single_investment=True), rate_st, rate_st, timing_st)
def test_npv_decreases_as_rate_rises_single_investment(cf, r1, r2, timing):
    """CF_0 < 0 and CF_t >= 0 after (one positive): NPV is strictly decreasing in the rate."""
    flows, _ = cf
    assume(abs(r1 - r2) > 1e-6)
    r1, r2 = min(r1, r2), max(r1, r2)
    n1, n2 = f(finance.npv(r1, flows, timing=timing)), f(finance.npv(r2, flows, timing=timing))
    assert n1 > n2 - 1e-12 * npv_scale(r1, flows, timing), (n1, n2)
    assert n1 == pytest.approx(npv(r1, flows, timing), rel=1e-10, abs=1e-9)


@FIN
@given(conventional_flows(), rate_st, rate_st, timing_st)
def test_npv_conventional_flows_cross_zero_at_most_once(cf, r1, r2, timing):
    """For conventional flows with m leading negative years, (1+r)^e * NPV(r) is decreasing
    (e = m - 1 end-of-year, e = max(m - 1.5, 0) mid-year), so NPV changes sign at most once,
    from + to -.  (NPV itself need not be monotone when the investment spans several years:
    e.g. [0, -100, 1] -- hence the factor.)"""
    flows, m = cf
    assume(abs(r1 - r2) > 1e-6)
    r1, r2 = min(r1, r2), max(r1, r2)
    e = (m - 1) if timing == "end-of-year" else max(m - 1.5, 0.0)
    g1 = (1 + r1) ** e * f(finance.npv(r1, flows, timing=timing))
    g2 = (1 + r2) ** e * f(finance.npv(r2, flows, timing=timing))
    tol = 1e-12 * (1 + r1) ** e * npv_scale(r1, flows, timing)
    assert g1 > g2 - tol, (g1, g2)
    if g1 < -tol:
        assert g2 < 0


# --------------------------------------------------------------------------- scaling
@FIN
@given(flows_st, factor_st, rate_st, timing_st)
def test_scaling_flows_scales_npv_and_keeps_irr(flows, k, rate, timing):
    n1 = f(finance.npv(rate, flows, timing=timing))
    nk = f(finance.npv(rate, k * flows, timing=timing))
    assert nk == pytest.approx(k * n1, rel=1e-9, abs=1e-9 * k * npv_scale(rate, flows, timing))
    i1, ik = f(finance.irr(flows, timing=timing)), f(finance.irr(k * flows, timing=timing))
    assert same(i1, ik, rel=1e-7, abs_=1e-7), (i1, ik)


@FIN
@given(flows_st, pow2_st, rate_st, timing_st)
def test_scaling_flows_keeps_paybacks(flows, k, rate, timing):
    # k is a power of two, so k * flows and their cumulative sums are exact
    assert same(f(finance.payback(k * flows)), f(finance.payback(flows)), rel=1e-12, abs_=1e-12)
    a = f(finance.discounted_payback(rate, k * flows, timing=timing))
    b = f(finance.discounted_payback(rate, flows, timing=timing))
    assert same(a, b, rel=1e-12, abs_=1e-12), (a, b)


# --------------------------------------------------------------------------- payback
@FIN
@given(flows_st)
def test_payback_finite_exactly_when_final_cumulative_nonnegative(flows):
    c = np.cumsum(flows)  # integer-valued: exact
    pb = f(finance.payback(flows))
    assert not math.isnan(pb)
    assert math.isfinite(pb) == (c[-1] >= 0), (pb, c)
    if math.isfinite(pb):
        h = flows.size - 1
        assert 0.0 <= pb <= h
        # cumulative stays >= 0 from the first whole year at/after the payback time ...
        assert np.all(c[math.ceil(pb) :] >= 0)
        # ... and the year just before it is negative (unless payback is 0: never negative)
        if pb > 0:
            assert c[math.ceil(pb) - 1] < 0
        else:
            assert np.all(c >= 0)
        assert pb == pytest.approx(payback(flows), abs=1e-12)


@FIN
@given(flows_st, rate_st, timing_st)
def test_discounted_payback_is_payback_of_discounted_flows(flows, rate, timing):
    d = flows * discount_factors(rate, flows.size, timing)
    c = np.cumsum(d)
    # skip flows whose discounted cumulative sum touches 0 to within rounding
    assume(np.all((c == 0) | (np.abs(c) > 1e-9 * np.abs(d).sum())))
    got = f(finance.discounted_payback(rate, flows, timing=timing))
    assert math.isfinite(got) == (c[-1] >= 0)
    assert same(got, payback(d), rel=1e-9, abs_=1e-9), (got, payback(d))


# --------------------------------------------------------------------------- IRR
@FIN
@given(flows_st, timing_st)
def test_irr_when_defined_is_a_root_in_the_interval(flows, timing):
    r = f(finance.irr(flows, timing=timing))
    if math.isnan(r):
        return
    assert IRR_LO < r <= IRR_HI
    assert abs(npv(r, flows, timing)) <= 1e-6 * npv_scale(r, flows, timing), (
        r,
        npv(r, flows, timing),
    )


@FIN
@given(st.lists(st.integers(0, 1000).map(float), min_size=2, max_size=11), st.booleans(), timing_st)
def test_irr_nan_without_sign_change(xs, negate, timing):
    flows = np.array(xs) * (-1.0 if negate else 1.0)
    assume(np.any(flows != 0))  # all-zero flows: every rate is a root (not specified)
    assert math.isnan(f(finance.irr(flows, timing=timing)))


def _sign_change(flows, a, b, timing) -> bool:
    return np.sign(npv(a, flows, timing)) != np.sign(npv(b, flows, timing))


@FIN
@given(conventional_flows(), timing_st)
def test_irr_conventional_flows_matches_brentq(cf, timing):
    """Conventional flows have a single root: IRR is it when it lies in (-0.99, 10], else NaN."""
    flows, _ = cf
    inside = _sign_change(flows, IRR_LO, IRR_HI, timing)
    # keep away from the interval ends (solver resolution there is not the point)
    assume(
        inside
        == _sign_change(flows, IRR_LO + 1e-3, IRR_HI - 1e-2, timing)
        == _sign_change(flows, IRR_LO - 1e-4, IRR_HI + 1e-2, timing)
    )
    got = f(finance.irr(flows, timing=timing))
    if not inside:
        assert math.isnan(got)
    else:
        expected = irr_brent(flows, timing)
        assert got == pytest.approx(expected, abs=1e-7), (got, expected)


@FIN
@given(flows_st)
def test_irr_several_sign_changes_reports_smallest_root(flows):
    """End-of-year: the roots of sum CF_t y^(H-t) (y = 1+r) are all the IRRs; the smallest in
    (-0.99, 10] is reported.  Roots closer than 0.05 to each other or to the interval ends and
    near-real complex pairs (tangencies) are filtered out: resolving those is not the point."""
    assume(np.any(flows != 0))
    y = np.roots(flows)
    real = np.sort(y[np.abs(y.imag) < 1e-9].real - 1.0)
    near_real = y[(np.abs(y.imag) >= 1e-9) & (np.abs(y.imag) < 0.05)]
    # roots at or below -1 (y <= 0, e.g. from trailing zero flows) are not rates at all
    window = real[(real > IRR_LO - 0.009) & (real < IRR_HI + 0.05)]
    assume(not np.any((near_real.real - 1 > IRR_LO - 0.009) & (near_real.real - 1 < IRR_HI + 0.05)))
    assume(np.all(np.diff(window) > 0.05))
    assume(np.all(np.abs(window - IRR_LO) > 0.005) and np.all(np.abs(window - IRR_HI) > 0.05))
    in_range = window[(window > IRR_LO) & (window <= IRR_HI)]
    got = f(finance.irr(flows))
    if in_range.size == 0:
        assert math.isnan(got), (got, real)
    else:
        assert got == pytest.approx(in_range[0], abs=1e-6), (got, in_range)


# --------------------------------------------------------------------------- whole simulations
SIM_RUNS = 2000
H = 5


def scenario_text(k: float, rate, timing: str) -> str:
    """A business case whose every line amount is multiplied by k (k = 1: the base case)."""
    kk = repr(float(k))
    if isinstance(rate, dict):
        rate_toml = (
            "{ "
            + ", ".join(
                f"{a} = {b!r}" if not isinstance(b, str) else f'{a} = "{b}"'
                for a, b in rate.items()
            )
            + " }"
        )
    else:
        rate_toml = repr(float(rate))
    return f"""
[scenario]
name = "property scenario"
currency = "GBP"
horizon_years = {H}
discount_rate = {rate_toml}
timing = "{timing}"

[simulation]
runs = 1000
seed = 7

[inputs]
hours = {{ dist = "pert", min = 120, mode = 160, max = 240 }}
share = {{ dist = "pert", min = 0.40, mode = 0.55, max = 0.70 }}
hourly_rate = {{ dist = "normal", mean = 75, sd = 10, lower = 40 }}
incidents = {{ dist = "poisson", mean = 4, per = "year" }}
saved = "hours * 12 * share"

[[benefits]]
name = "Hours saved"
amount = "{kk} * (saved * hourly_rate)"
years = "1.."
ramp = [0.5, 0.8]
growth = 0.03

[[benefits]]
name = "Fraud avoided"
amount = {{ dist = "lognormal", p5 = {k * 20_000!r}, p95 = {k * 90_000!r} }}
years = "2..5"

[[costs]]
name = "Build"
amount = {{ dist = "pert", min = {k * 150_000!r}, mode = {k * 200_000!r}, max = {k * 320_000!r} }}
years = "0"

[[costs]]
name = "Run"
amount = {k * 30_000!r}
years = "1.."

[[costs]]
name = "Incidents"
amount = "{kk} * (incidents * 2500)"
years = "1.."
"""


METRICS = (
    "npv",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "roi",
    "bcr",
    "net_cashflow",
    "discount_rate",
)


@functools.lru_cache(maxsize=64)
def run_sim(k: float, rate_key, timing: str, seed: int) -> dict[str, np.ndarray]:
    rate = dict(rate_key) if isinstance(rate_key, tuple) else rate_key
    res = roisim.simulate(
        roisim.load_scenario(scenario_text(k, rate, timing)), runs=SIM_RUNS, seed=seed
    )
    ds = res.dataset
    return {m: np.array(ds[m].values, float) for m in METRICS if m in ds}


RATE_DIST = (("dist", "normal"), ("mean", 0.08), ("sd", 0.03), ("lower", -0.5))
sim_rate_st = st.one_of(st.sampled_from([0.0, 0.035, 0.08, 0.15]), st.just(RATE_DIST))
seed_st = st.integers(1, 2**31 - 1)


def _rates(out, rate_key):
    if isinstance(rate_key, tuple):
        assert "discount_rate" in out
        return out["discount_rate"]
    return np.full(SIM_RUNS, float(rate_key))


def _assert_same_arrays(a, b, rtol, atol=0.0):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
    fin = np.isfinite(a)
    np.testing.assert_array_equal(fin, np.isfinite(b))
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=atol)


@SIM
@given(factor_st, sim_rate_st, timing_st, seed_st)
def test_simulation_scaling_amounts_scales_npv_keeps_irr_and_payback(k, rate_key, timing, seed):
    base = run_sim(1.0, rate_key, timing, seed)
    scaled = run_sim(k, rate_key, timing, seed)
    # same seed, same input names: the same draws, so every cash flow is scaled by k
    np.testing.assert_allclose(
        scaled["net_cashflow"],
        k * base["net_cashflow"],
        rtol=1e-9,
        atol=1e-9 * k * np.abs(base["net_cashflow"]).max(),
    )
    scale = npv_scale(_rates(base, rate_key), base["net_cashflow"], timing)
    np.testing.assert_allclose(scaled["npv"], k * base["npv"], rtol=1e-9, atol=0)
    assert np.all(np.abs(scaled["npv"] - k * base["npv"]) <= 1e-9 * k * scale)
    _assert_same_arrays(scaled["irr"], base["irr"], rtol=0, atol=1e-7)
    _assert_same_arrays(scaled["payback_years"], base["payback_years"], rtol=1e-9)
    _assert_same_arrays(
        scaled["discounted_payback_years"], base["discounted_payback_years"], rtol=1e-9
    )
    _assert_same_arrays(scaled["roi"], base["roi"], rtol=1e-9, atol=1e-12)
    _assert_same_arrays(scaled["bcr"], base["bcr"], rtol=1e-9)


@SIM
@given(sim_rate_st, timing_st, seed_st)
def test_simulation_metrics_agree_with_closed_forms(rate_key, timing, seed):
    out = run_sim(1.0, rate_key, timing, seed)
    cf = out["net_cashflow"]
    assert cf.shape == (SIM_RUNS, H + 1)
    rates = _rates(out, rate_key)
    # NPV = sum_t CF_t d_t under the scenario's timing
    np.testing.assert_allclose(
        out["npv"],
        npv(rates, cf, timing),
        rtol=1e-10,
        atol=1e-10 * npv_scale(rates, cf, timing).max(),
    )
    # payback finite exactly when the final cumulative flow is >= 0, and equal to the rule
    c = np.cumsum(cf, axis=1)
    pb = out["payback_years"]
    np.testing.assert_array_equal(np.isfinite(pb), c[:, -1] >= 0)
    np.testing.assert_allclose(pb, payback(cf), rtol=1e-12, atol=1e-12)
    # discounted payback: the same rule on d_t CF_t
    d = cf * discount_factors(rates, H + 1, timing)
    np.testing.assert_allclose(out["discounted_payback_years"], payback(d), rtol=1e-9, atol=1e-9)
    # IRR, where defined, is a root of the run's NPV in (-0.99, 10]
    irr = out["irr"]
    ok = ~np.isnan(irr)
    assert ok.any()
    assert np.all((irr[ok] > IRR_LO) & (irr[ok] <= IRR_HI))
    resid = np.abs(npv(irr[ok], cf[ok], timing))
    assert np.all(resid <= 1e-6 * npv_scale(irr[ok], cf[ok], timing))
    # every run has one year-0 investment then (mostly) positive flows: if NPV at the run's
    # rate is > 0 and the flows are conventional, the IRR exceeds that rate
    conventional = (cf[:, 0] < 0) & np.all(cf[:, 1:] >= 0, axis=1) & np.any(cf[:, 1:] > 0, axis=1)
    sel = conventional & (out["npv"] > 0) & ok
    assert np.all(irr[sel] > rates[sel])


@SIM
@given(sim_rate_st, timing_st, seed_st)
def test_simulation_metrics_equal_the_oracles(rate_key, timing, seed):
    """Every run's metrics against the independent oracles (tests/oracles.py), at the run's own
    rate (a distribution rate included): the payback rule, the closed-form NPV and discounted
    payback, and the smallest NPV root in (-0.99, 10] found by a grid scan and bisection."""
    out = run_sim(1.0, rate_key, timing, seed)
    cf = out["net_cashflow"]
    rates = _rates(out, rate_key)
    _assert_same_arrays(out["payback_years"], payback(cf), rtol=1e-12, atol=1e-12)
    _assert_same_arrays(out["irr"], irr_smallest(cf, timing), rtol=0, atol=1e-9)
    _assert_same_arrays(out["npv"], npv(rates, cf, timing), rtol=1e-12, atol=1e-6)
    _assert_same_arrays(
        out["discounted_payback_years"],
        discounted_payback(rates, cf, timing),
        rtol=1e-12,
        atol=1e-12,
    )


@FIN
@given(flows_st, st.floats(-0.5, 1.0), st.sampled_from(TIMINGS))
def test_fused_paybacks_match_the_payback_rule(flows, rate, timing):
    # paybacks() (the generated kernels and roisim.finance) against the payback oracle: the
    # payback of the flows, and the payback of the discounted flows cf_t·d_t
    from roisim.kernels.metrics import discount_factors, paybacks

    cf = np.asarray(flows, float)
    d = np.empty(cf.size)
    discount_factors(rate, 1 if timing == "mid-year" else 0, d)
    pb, pbd = paybacks(cf, d)
    assert same(pb, payback(cf), rel=1e-12, abs_=1e-12)
    assert same(pbd, payback(cf * d), rel=1e-9, abs_=1e-9)
