"""The central case (roisim.analysis.central) against flows computed by hand.

Each scenario is small enough that its central flows have a closed form, written out here from
docs/methodology.md (ramp, growth, timing) and from the distributions' medians (closed forms or
scipy's own truncated families, not roisim's code).  The metrics are then checked against
numpy-financial and against the textbook payback formula.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from scipy import stats

import roisim
from roisim.analysis.central import central_case, central_flows, evaluate
from roisim.scenario.expressions import parse_expression

REL = 1e-12


def load(body: str, horizon: int = 4, rate="0.1", timing="end-of-year"):
    head = (
        f'[scenario]\nname = "t"\nhorizon_years = {horizon}\ndiscount_rate = {rate}\n'
        f'timing = "{timing}"\n'
    )
    return roisim.load_scenario(head + body)


def payback_by_hand(values) -> float:
    """k + (−C_k)/v_{k+1} with k the last year of negative cumulative flow (methodology §4)."""
    c = np.cumsum(values)
    negative = [t for t in range(len(c)) if c[t] < 0]
    if not negative:
        return 0.0
    k = negative[-1]
    if k == len(c) - 1:
        return math.inf
    return k + (-c[k]) / values[k + 1]


def check_metrics(scenario, flows, rate, timing="end-of-year", benefits=None, costs=None):
    """Compare central_case with numpy-financial and hand formulas on ``flows``."""
    flows = np.asarray(flows, float)
    t = np.arange(len(flows), dtype=float)
    exponent = t if timing == "end-of-year" else np.where(t > 0, t - 0.5, 0.0)
    d = (1 + rate) ** -exponent
    got = central_case(scenario)
    np.testing.assert_allclose(central_flows(scenario).net, flows, rtol=REL, atol=1e-9)
    assert got["npv"] == pytest.approx(float((flows * d).sum()), rel=REL)
    if timing == "end-of-year":
        assert got["npv"] == pytest.approx(npf.npv(rate, flows), rel=REL)
        assert got["irr"] == pytest.approx(npf.irr(flows), rel=1e-9)
    pb, dpb = payback_by_hand(flows), payback_by_hand(flows * d)
    assert got["payback_years"] == (None if math.isinf(pb) else pytest.approx(pb, rel=REL))
    assert got["discounted_payback_years"] == (
        None if math.isinf(dpb) else pytest.approx(dpb, rel=REL)
    )
    if benefits is not None:
        b, k = np.asarray(benefits, float), np.asarray(costs, float)
        assert got["roi"] == pytest.approx((b.sum() - k.sum()) / k.sum(), rel=REL)
        assert got["bcr"] == pytest.approx((b * d).sum() / (k * d).sum(), rel=REL)
    return got


def test_ramp_and_growth_end_of_year():
    # hours ~ uniform(40, 80): median 60, so the amount is 60 * 2 = 120
    s = load(
        """
[inputs]
hours = { dist = "uniform", min = 40, max = 80 }
rate = 2
[[benefits]]
name = "saving"
amount = "hours * rate"
ramp = [0.5, 0.8]
growth = 0.03
[[costs]]
name = "build"
amount = 200
years = "0"
[[costs]]
name = "run"
amount = 10
"""
    )
    a = 120.0
    benefits = [0, 0.5 * a, 0.8 * 1.03 * a, 1.03**2 * a, 1.03**3 * a]
    costs = [200, 10, 10, 10, 10]
    flows = np.subtract(benefits, costs)
    got = check_metrics(s, flows, 0.1, benefits=benefits, costs=costs)
    assert 0 < got["irr"] < 1
    fl = central_flows(s)
    assert fl.inputs["hours"] == 60.0 and fl.medians == ("hours",)
    assert fl.amounts["benefits[0]", 2] == pytest.approx(0.8 * 1.03 * a, rel=REL)
    assert fl.lines[0].amounts[0] == 0.0


def test_growth_compounds_through_inactive_years_and_per_year_growth():
    # methodology 1.1: active years [1, 3] with 10% growth gives A_3 = 1.1² · amount
    s = load(
        """
[inputs]
g = "where(year >= 3, 0.2, 0.1)"
[[benefits]]
name = "gapped"
amount = 100
years = [1, 3]
growth = 0.1
[[benefits]]
name = "yearly growth"
amount = 50
years = "2.."
growth = "g"
[[costs]]
name = "build"
amount = 300
years = "0"
""",
        horizon=4,
    )
    gapped = [0, 100, 0, 1.1**2 * 100, 0]
    # growth from the first active year (2): years 3 and 4 use g(3) = g(4) = 0.2
    yearly = [0, 0, 50, 50 * 1.2, 50 * 1.2**2]
    benefits = np.add(gapped, yearly)
    costs = [300, 0, 0, 0, 0]
    check_metrics(s, benefits - costs, 0.1, benefits=benefits, costs=costs)


def test_mid_year_with_a_drawn_discount_rate():
    # the rate ~ uniform(0.06, 0.10) is at its median, 8%
    s = load(
        """
[[benefits]]
name = "saving"
amount = 60
[[costs]]
name = "build"
amount = 100
years = "0"
""",
        horizon=2,
        rate='{ dist = "uniform", min = 0.06, max = 0.10 }',
        timing="mid-year",
    )
    fl = central_flows(s)
    assert fl.rate == pytest.approx(0.08, rel=REL)
    assert fl.medians == ("discount_rate",)
    assert fl.discount == pytest.approx((1.0, 1.08**-0.5, 1.08**-1.5), rel=REL)
    got = check_metrics(s, [-100, 60, 60], 0.08, timing="mid-year")
    # Excel's form of the mid-year NPV: NPV(r, CF1:CFH) * (1+r)^0.5 + CF0
    assert got["npv"] == pytest.approx(npf.npv(0.08, [0, 60, 60]) * 1.08**0.5 - 100, rel=REL)
    # the mid-year IRR solves CF0 + Σ CF_t (1+r)^-(t-0.5) = 0; check the root by its NPV
    r = got["irr"]
    assert -100 + 60 * (1 + r) ** -0.5 + 60 * (1 + r) ** -1.5 == pytest.approx(0, abs=1e-9)


def test_per_year_inputs_at_their_median_every_year():
    s = load(
        """
[inputs]
noise = { dist = "normal", mean = 5, sd = 2, per = "year" }
incidents = { dist = "poisson", mean = 4, per = "year" }
trend = "100 + noise * year"
[[benefits]]
name = "trend"
amount = "trend"
[[costs]]
name = "incidents"
amount = "incidents * 3"
years = "0.."
""",
        horizon=3,
    )
    fl = central_flows(s)
    assert fl.year_inputs["noise"] == (5.0, 5.0, 5.0, 5.0)
    assert fl.year_inputs["incidents"] == (4.0,) * 4  # the Poisson(4) median is 4
    assert fl.year_inputs["trend"] == (100.0, 105.0, 110.0, 115.0)
    benefits = [0, 105, 110, 115]
    costs = [12, 12, 12, 12]
    check_metrics(s, np.subtract(benefits, costs), 0.1, benefits=benefits, costs=costs)


def test_truncated_and_skewed_medians():
    s = load(
        """
[inputs]
tn = { dist = "normal", mean = 10, sd = 2, lower = 9, upper = 20 }
lg = { range = [1_000, 4_000] }
pt = { dist = "pert", min = 0, mode = 1, max = 4 }
tr = { dist = "triangular", min = 0, mode = 0, max = 1 }
bern = { dist = "bernoulli", p = 0.2 }
bino = { dist = "binomial", n = 5, p = 0.8 }
[[benefits]]
name = "b"
amount = "tn * 10 + lg / 100 + pt + tr + bern + bino"
[[costs]]
name = "build"
amount = { dist = "uniform", min = 100, max = 300, upper = 200 }
years = "0"
""",
        horizon=2,
    )
    a, b = (9 - 10) / 2, (20 - 10) / 2
    tn = stats.truncnorm(a, b, loc=10, scale=2).median()
    lg = math.sqrt(1_000 * 4_000)  # a lognormal 90% interval has median √(lo·hi)
    pt = stats.beta(1 + 4 * 1 / 4, 1 + 4 * 3 / 4, loc=0, scale=4).median()
    tr = 1 - math.sqrt(0.5)  # triangular(0, 0, 1): 1 − (1−x)² = ½
    fl = central_flows(s)
    for name, want in (("tn", tn), ("lg", lg), ("pt", pt), ("tr", tr), ("bern", 0), ("bino", 4)):
        assert fl.inputs[name] == pytest.approx(want, rel=1e-12), name
    assert fl.inputs["costs: build"] == pytest.approx(150.0, rel=REL)  # uniform(100, 200)
    amount = tn * 10 + lg / 100 + pt + tr + 0 + 4
    check_metrics(s, [-150, amount, amount], 0.1)


def test_derived_inputs_with_functions():
    s = load(
        """
[inputs]
hours = { dist = "uniform", min = 40, max = 80 }
capped = "min(hours, 50, 70)"
wide = "max(hours, 10)"
flag = "where(hours > 55, 2, 3)"
share = "clip(hours / 100, 0.7, 0.9)"
curve = "sqrt(hours) + exp(0) + log(1) + abs(-2) + hours ** 2 / 3600 + (hours != 60)"
step = "where(year >= 2, 1, 0.5)"
[[benefits]]
name = "b"
amount = "(capped + wide * flag) * share * step + curve"
[[costs]]
name = "build"
amount = 100
years = "0"
""",
        horizon=3,
    )
    curve = math.sqrt(60) + 1 + 0 + 2 + 1 + 0
    base = (50 + 60 * 2) * 0.7
    b = [0, base * 0.5 + curve, base + curve, base + curve]
    fl = central_flows(s)
    assert fl.inputs["capped"] == 50 and fl.inputs["flag"] == 2 and fl.inputs["share"] == 0.7
    assert fl.year_inputs["step"] == (0.5, 0.5, 1.0, 1.0)
    check_metrics(s, np.subtract(b, [100, 0, 0, 0]), 0.1)


def test_evaluate_takes_only_the_branch_of_where():
    tree = parse_expression("where(x > 0, 1, log(x - 10))", "e", ["x"])
    assert evaluate(tree, {"x": 1.0}) == 1.0
    assert math.isnan(evaluate(tree, {"x": -1.0}))


def test_undefined_metrics_are_none():
    # benefits only: no sign change (IRR undefined), no costs (ROI and BCR undefined)
    s = load('[[benefits]]\nname = "b"\namount = 10\n', horizon=2)
    got = central_case(s)
    assert got["npv"] == pytest.approx(10 / 1.1 + 10 / 1.21, rel=REL)
    assert got["irr"] is None and got["roi"] is None and got["bcr"] is None
    assert got["payback_years"] == 0.0
    # never paid back within the horizon
    s = load(
        '[[benefits]]\nname = "b"\namount = 10\n[[costs]]\nname = "c"\namount = 100\nyears = "0"\n',
        horizon=2,
    )
    got = central_case(s)
    assert got["payback_years"] is None and got["discounted_payback_years"] is None


def test_non_finite_derived_input_is_a_scenario_error():
    s = load(
        """
[inputs]
hours = { dist = "uniform", min = 40, max = 80 }
bad = "log(hours - 60)"
[[benefits]]
name = "b"
amount = "hours"
"""
    )
    with pytest.raises(roisim.ScenarioError, match="inputs.bad"):
        central_case(s)


def test_negative_cost_and_bad_growth_are_scenario_errors():
    body = """
[inputs]
x = { dist = "uniform", min = 0, max = 100 }
[[benefits]]
name = "b"
amount = 10
growth = "{growth}"
[[costs]]
name = "c"
amount = "{cost}"
"""
    s = load(body.replace("{growth}", "0").replace("{cost}", "x - 60"))
    with pytest.raises(roisim.ScenarioError, match=r"costs\[0\].amount"):
        central_case(s)
    s = load(body.replace("{growth}", "-x / 50").replace("{cost}", "1"))
    with pytest.raises(roisim.ScenarioError, match=r"benefits\[0\].growth"):
        central_case(s)


def test_constant_inputs_give_the_simulated_case():
    s = load(
        """
[inputs]
hours = 60
rate = 2
noise = { dist = "constant", value = 7, per = "year" }
amount = "hours * rate + noise * year"
[[benefits]]
name = "saving"
amount = "amount"
ramp = [0.5]
growth = 0.05
[[costs]]
name = "build"
amount = 150
years = "0"
[[costs]]
name = "run"
amount = 20
""",
        timing="mid-year",
    )
    got = central_case(s)
    ds = roisim.simulate(s, runs=8, seed=3).dataset
    for key in ("npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr"):
        values = ds[key].values
        assert np.all(values == values[0])  # degenerate: every run is the same
        assert got[key] == pytest.approx(float(values[0]), rel=1e-12), key


@pytest.mark.parametrize("name", ["fintech", "ecommerce", "recruitment"])
def test_shipped_scenarios_match_the_engine_with_every_input_held(name):
    """The kernel, with every random input held at the central values, gives the same run."""
    s = roisim.load_scenario(f"scenarios/{name}.toml")
    fl = central_flows(s)
    hold = {n: fl.value(n) for n in fl.medians}
    ds = roisim.simulate(s, runs=2, seed=1, hold=hold).dataset
    np.testing.assert_allclose(ds["net_cashflow"].values[0], fl.net, rtol=1e-12)
    got = central_case(s)
    for key, value in got.items():
        assert value == pytest.approx(float(ds[key].values[0]), rel=1e-12), key
