"""``roisim.compare``: paired NPV differences on common random numbers, checked against exact
algebra (the same option twice, a constant benefit added, a longer horizon), the rules
(currencies, horizons, discount rates, unused seeds), the JSON layout, streaming and the text
report.  Tolerances come from floating-point rounding bounds, never from roisim's own output."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from oracles import EPS, discount_factors
from shared_scenarios import MIXED

import roisim
from roisim.analysis.compare import ComparisonSummary, check_options
from roisim.analysis.intervals import Z
from roisim.report.compare import render_comparison

RUNS, SEED = 20_000, 11
BONUS = 25.0  # a constant benefit in years 1..H
WITH_BONUS = MIXED + f"""
[[benefits]]
name = "Bonus"
amount = {BONUS}
years = "1.."
"""
H = 4  # MIXED's horizon


@pytest.fixture(scope="module")
def base():
    return roisim.load_scenario(MIXED)


@pytest.fixture(scope="module")
def bonus():
    return roisim.load_scenario(WITH_BONUS)


@pytest.fixture(scope="module")
def paired(base, bonus):
    """MIXED against MIXED plus a constant benefit, in memory with every input kept."""
    return roisim.compare([base, bonus], RUNS, SEED, keep_inputs=True)


def _rounding(result) -> np.ndarray:
    """Per-run bound on the float error of one NPV: (H + 2) roundings of each discounted flow,
    i.e. (H + 2)·eps·Σ|CF_t|·d_t, with a factor 4 for the discount factors' own rounding."""
    ds = result.dataset
    d = discount_factors(ds["discount_rate"].values, H + 1)
    return 4 * (H + 2) * EPS * np.sum(np.abs(ds["net_cashflow"].values) * d, axis=1)


# ---------------------------------------------------------------------------- exact algebra
@pytest.mark.parametrize("streaming", [False, True], ids=["in-memory", "streaming"])
def test_the_same_option_twice_differs_by_exactly_zero(base, streaming):
    c = roisim.compare([base, base], RUNS, SEED, summary_only=streaming)
    (d,) = c.summary["differences"]
    assert d["npv"] == {"mean": 0.0, "ci95": [0.0, 0.0], "p5": 0.0, "p50": 0.0, "p95": 0.0}
    # no run is better: 0 of n, whose Wilson interval is [0, z²/(n + z²)]
    assert d["prob_better"]["value"] == 0.0
    assert d["prob_better"]["ci95"][0] == 0.0
    assert d["prob_better"]["ci95"][1] == pytest.approx(Z**2 / (RUNS + Z**2), rel=1e-12)
    assert c.summary["prob_best"] == [0.5, 0.5]  # every run is a tie, split equally
    assert c.summary["options"][0] == c.summary["options"][1]
    if not streaming:
        assert np.array_equal(c.npv[0], c.npv[1])


def test_a_constant_benefit_differs_by_its_present_value_in_every_run(paired):
    a, b = paired.results
    rate = a.dataset["discount_rate"].values
    assert np.array_equal(rate, b.dataset["discount_rate"].values)  # common random numbers
    pv = BONUS * discount_factors(rate, H + 1)[:, 1:].sum(axis=1)  # Σ_{t=1..H} 25·(1+r)^-t
    tol = _rounding(a) + _rounding(b)
    d = paired.npv[1] - paired.npv[0]
    assert np.all(np.abs(d - pv) <= tol)  # run by run
    got = paired.summary["differences"][0]
    # the mean of the differences is the mean of the present values, to rounding
    assert abs(got["npv"]["mean"] - pv.mean()) <= tol.max() + 4 * EPS * pv.mean()
    for p in (5, 50, 95):
        assert abs(got["npv"][f"p{p}"] - np.percentile(pv, p)) <= tol.max() + 4 * EPS * pv.max()
    # the interval is d̄ ± z·sd(PV)/√n (the differences are the present values)
    half = Z * pv.std(ddof=1) / math.sqrt(RUNS)
    lo, hi = got["npv"]["ci95"]
    assert hi - lo == pytest.approx(2 * half, rel=1e-6)
    # better in every run: n of n, whose Wilson interval is [n/(n + z²), 1]
    assert got["prob_better"]["value"] == 1.0
    assert got["prob_better"]["ci95"] == [pytest.approx(RUNS / (RUNS + Z**2), rel=1e-12), 1.0]
    assert paired.summary["prob_best"] == [0.0, 1.0]


def test_a_longer_horizon_adds_its_last_year_and_warns(base):
    """The same inputs over 5 years instead of 4: years 0..4 take the same draws, so the
    difference in each run is the discounted net cash flow of year 5 of the longer option."""
    longer = roisim.load_scenario(MIXED, overrides={"scenario.horizon_years": 5})
    c = roisim.compare([base, longer], RUNS, SEED, keep_inputs=True)
    (warning,) = c.warnings
    assert "different horizons" in warning and "4 years" in warning and "5 years" in warning
    assert c.summary["warnings"] == [warning]
    ds = c.results[1].dataset
    rate = ds["discount_rate"].values
    last = ds["net_cashflow"].values[:, 5] * (1 + rate) ** -5.0
    tol = _rounding(c.results[0]) + 4 * 7 * EPS * np.sum(
        np.abs(ds["net_cashflow"].values) * discount_factors(rate, 6), axis=1
    )
    assert np.all(np.abs((c.npv[1] - c.npv[0]) - last) <= tol)


# ---------------------------------------------------------------------------- the rules
def test_at_least_two_options_are_needed(base):
    for given in ([base], base, []):
        with pytest.raises(roisim.ScenarioError, match="at least two options"):
            roisim.compare(given, RUNS, SEED)


def test_different_currencies_are_an_error_naming_both_files(write_toml):
    a = write_toml(MIXED, "a.toml")
    b = write_toml(MIXED.replace('currency = "GBP"', 'currency = "USD"'), "b.toml")
    with pytest.raises(roisim.ScenarioError) as err:
        roisim.compare([a, b], RUNS, SEED)
    text = str(err.value)
    assert "\n" not in text
    for part in (str(a), str(b), "GBP", "USD", "different currencies"):
        assert part in text


def test_different_discount_rates_warn_and_still_compare(base):
    other = roisim.load_scenario(
        MIXED, overrides={"scenario.discount_rate": {"dist": "uniform", "min": 0.04, "max": 0.1}}
    )
    c = roisim.compare([base, other], 2_000, SEED)
    (warning,) = c.warnings
    assert "different discount rates" in warning
    assert "min=0.03" in warning and "min=0.04" in warning
    assert c.summary["differences"][0]["npv"]["mean"] is not None


def test_a_seed_or_run_count_that_is_not_used_is_a_warning(base):
    other = roisim.load_scenario(MIXED.replace("[inputs]", "[simulation]\nseed = 5\n\n[inputs]"))
    assert any("[simulation] seeds" in w for w in check_options([base, other]))
    assert check_options([base, other], seed=SEED) == []  # a seed given: nothing unused
    assert check_options([base, base]) == []


# ---------------------------------------------------------------------------- JSON, streaming
def test_the_json_layout(paired, base):
    s = paired.summary
    assert list(s) == ["options", "differences", "prob_best", "inputs", "warnings"]
    assert [list(o) for o in s["options"]] == [["file", "name", "summary"]] * 2
    (d,) = s["differences"]
    assert list(d) == ["option", "versus", "npv", "prob_better"]
    assert (d["option"], d["versus"]) == (1, 0)
    assert list(d["npv"]) == ["mean", "ci95", "p5", "p50", "p95"]
    assert list(d["prob_better"]) == ["value", "ci95"]
    assert len(s["prob_best"]) == 2 and s["warnings"] == []
    assert json.loads(paired.to_json()) == s
    # <run summary> is exactly what `roisim run --json` prints (Result.summary)
    assert s["options"][0]["summary"] == roisim.simulate(base, RUNS, SEED).summary
    assert s["options"][0]["name"] == "mixed" and s["options"][0]["file"] is None


def test_streaming_gives_the_in_memory_figures(base, bonus, paired):
    streamed = roisim.compare([base, bonus], RUNS, SEED, summary_only=True)
    assert streamed.npv is None and streamed.results[0].dataset is None
    s, m = streamed.summary, paired.summary
    assert s["options"] == m["options"]
    ds, dm = s["differences"][0], m["differences"][0]
    assert ds["prob_better"] == dm["prob_better"]
    for p in ("p5", "p50", "p95"):  # the same order statistics, exactly
        assert ds["npv"][p] == dm["npv"][p]
    # the mean merged from block moments: equal to rounding (n additions of values ≤ max|d|)
    bound = RUNS * EPS * float(np.max(np.abs(paired.npv[1] - paired.npv[0])))
    assert abs(ds["npv"]["mean"] - dm["npv"]["mean"]) <= bound
    assert s["prob_best"] == m["prob_best"]


def test_shared_and_unshared_inputs(paired):
    inputs = paired.summary["inputs"]
    assert set(inputs["shared"]) == {"build", "saving", "noise", "incidents", "discount_rate"}
    assert inputs["not_shared"] == []  # a constant benefit takes no draws


def test_the_text_report_names_the_shared_inputs(paired):
    text = render_comparison(paired.figures)
    assert isinstance(paired.figures, ComparisonSummary)
    for part in ("NPV[2] − NPV[1]", "P([2] better than [1])", "P(best)", "build, saving",
                 "Every random input is shared", "sharp"):
        assert part in text, part


# ---------------------------------------------------------------------------- the fintech pair
@pytest.fixture(scope="module")
def fintech_pair():
    return roisim.compare(["scenarios/fintech.toml", "scenarios/fintech-buy.toml"], 100_000)


def test_fintech_build_against_buy(fintech_pair):
    s = fintech_pair.summary
    a, b = (o["summary"]["metrics"]["npv"] for o in s["options"])
    d = s["differences"][0]
    # the mean difference is the difference of the means (to rounding of 10^5-term sums)
    scale = 100_000 * EPS * float(np.max(np.abs(np.concatenate(fintech_pair.npv))))
    assert abs(d["npv"]["mean"] - (b["mean"] - a["mean"])) <= 4 * scale
    # NPVs are continuous: no ties, so with two options P(best of B) = P(B better than A)
    assert s["prob_best"][1] == pytest.approx(d["prob_better"]["value"], abs=1e-12)
    assert sum(s["prob_best"]) == pytest.approx(1.0, abs=1e-12)
    # the shared benefits make Cov(NPV_A, NPV_B) > 0, so the paired interval is narrower than
    # that of two independent means
    width = lambda ci: ci[1] - ci[0]
    assert width(d["npv"]["ci95"]) < math.hypot(width(a["ci95"]["mean"]), width(b["ci95"]["mean"]))
    inputs = s["inputs"]
    for name in ("missed_fraud_losses", "fn_reduction", "discount_rate", "model_incidents",
                 "costs: Model-risk validation of the new pipeline"):
        assert name in inputs["shared"]
    not_shared = {u["name"]: u["options"] for u in inputs["not_shared"]}
    assert not_shared["platform_fte"] == [0] and not_shared["service_fte"] == [1]
    assert not_shared["costs: Managed-service subscription"] == [1]
    assert s["warnings"] == []


def test_fintech_text_report_names_shared_and_unshared_inputs(fintech_pair):
    text = render_comparison(fintech_pair.figures)
    assert "Shared by every option" in text and "Drawn by some options only" in text
    assert "platform_fte [1]" in text and "service_fte [2]" in text
    assert "costs: Managed-service subscription [2]" in text
    assert "Sharing is what makes the differences sharp" in text
    assert max(len(line) for line in text.splitlines()) <= 100
