"""The parts of ``roisim sensitivity`` that need no engine: the switching-value search, the
swing, the held values, and the text report's table and bars (on summaries written here)."""

from __future__ import annotations

import math

import pytest
from scipy import optimize, stats

from roisim.analysis.swing import swing
from roisim.analysis.switching import switching
from roisim.analysis.uncertain import held_values
from roisim.errors import ScenarioError
from roisim.report.sensitivity import BAR_WIDTH, given_bar, render_sensitivity, swing_bar
from roisim.scenario.distributions import parse_distribution


class Counted:
    """f(c), counting its calls; ScenarioError above ``invalid_above``."""

    def __init__(self, f, invalid_above=math.inf):
        self.f, self.invalid_above, self.calls = f, invalid_above, []

    def __call__(self, c):
        self.calls.append(c)
        if c > self.invalid_above:
            raise ScenarioError("makes the growth factor 1 + growth <= 0 in 3 of 10 run-years; "
                                "check the expression", "benefits[0].growth", file="a.toml")
        return self.f(c)


# --------------------------------------------------------------------------- switching
def test_a_linear_mean_npv_is_solved_in_two_evaluations():
    f = Counted(lambda c: 100.0 - 40.0 * c)
    out = switching(f, 60.0, guess=1.3, ftol=1e-9)
    assert out == {"factor": pytest.approx(2.5), "percent_change": pytest.approx(150.0),
                   "reason": None}
    assert len(f.calls) == 2  # the guess, then one exact secant step


@pytest.mark.parametrize("guess", [None, 0.5, 3.0, -4.0, 1e9])
def test_a_nonlinear_root_is_found_from_any_guess(guess):
    f = Counted(lambda c: 50.0 - 30.0 * c * math.log(c) - 5.0 * c)
    out = switching(f, f.f(1.0), guess=guess, ftol=1e-10)
    root = optimize.brentq(f.f, 1.0, 3.0, xtol=1e-14)
    assert out["factor"] == pytest.approx(root, rel=1e-6)
    assert len(f.calls) < 20


def test_a_negative_base_and_a_root_below_one():
    out = switching(lambda c: -10.0 + 20.0 * (1 - c), -10.0, guess=None, ftol=1e-12)
    assert out["factor"] == pytest.approx(0.5)


def test_no_effect_and_no_root_give_reasons():
    assert switching(lambda c: 7.0, 7.0, guess=None)["reason"] == (
        "mean NPV does not depend on this input")
    out = switching(lambda c: 10.0 + c, 11.0, guess=-9.0)
    assert out == {"factor": None, "percent_change": None,
                   "reason": "mean NPV stays above 0 at every factor tried from 0.01 to 100"}
    below = switching(lambda c: -10.0 - c, -11.0, guess=-9.0)["reason"]
    assert below.startswith("mean NPV stays below 0")


def test_an_invalid_factor_is_stepped_back_from_and_named():
    f = Counted(lambda c: 10.0 + c, invalid_above=20.0)
    reason = switching(f, 11.0, guess=-3.0)["reason"]
    assert reason.startswith("mean NPV stays above 0 at every factor tried from 0.01 to ")
    assert "factors above about" in reason and "make the scenario invalid" in reason
    assert "(benefits[0].growth: makes the growth factor 1 + growth <= 0 in 3 of" in reason
    assert "a.toml" not in reason and "check the expression" not in reason
    # a root beyond the valid range is still found when it lies below the limit
    g = Counted(lambda c: 10.0 - c, invalid_above=20.0)
    assert switching(g, 9.0, guess=50.0, ftol=1e-12)["factor"] == pytest.approx(10.0)


def test_a_base_of_exactly_zero_is_its_own_switching_value():
    assert switching(lambda c: 1 / 0, 0.0)["factor"] == 1.0


def test_ftol_stops_the_search_once_the_mean_is_that_close_to_zero():
    f = Counted(lambda c: 1.3 - c**3)
    out = switching(f, 0.3, guess=3.0, ftol=0.05)
    assert abs(f.f(out["factor"])) <= 0.05
    exact = Counted(f.f)
    switching(exact, 0.3, guess=3.0, ftol=1e-12)
    assert len(f.calls) < len(exact.calls)


# --------------------------------------------------------------------------- swing, held values
def test_swing_holds_at_both_values_and_keeps_them():
    seen = []
    out = swing(lambda v: seen.append(v) or 2.0 * v, [1.5, 4.0])
    assert seen == [1.5, 4.0] and out == {"p10": 3.0, "p90": 8.0, "at": [1.5, 4.0]}
    assert swing(lambda v: math.nan, [0, 1])["p10"] is None


@pytest.mark.parametrize(
    "table, frozen",
    [
        ({"dist": "pert", "min": 1, "mode": 2, "max": 6},
         stats.beta(1 + 4 * 1 / 5, 1 + 4 * 4 / 5, loc=1, scale=5)),
        ({"dist": "lognormal", "median": 10, "p95": 20}, None),
        ({"dist": "binomial", "n": 10, "p": 0.3}, stats.binom(10, 0.3)),
    ],
)
def test_held_values_are_the_distributions_p10_and_p90(table, frozen):
    dist = parse_distribution(table, "inputs.x")
    frozen = frozen or dist.scipy()
    assert held_values(dist) == pytest.approx(list(frozen.ppf([0.1, 0.9])), rel=1e-12)


def test_held_values_follow_the_truncation():
    dist = parse_distribution({"dist": "normal", "mean": 0, "sd": 1, "upper": 0.5,
                               "lower": -1.0}, "inputs.x")
    a, b = stats.norm.cdf(-1.0), stats.norm.cdf(0.5)
    assert held_values(dist) == pytest.approx(
        [stats.norm.ppf(a + 0.1 * (b - a)), stats.norm.ppf(a + 0.9 * (b - a))], rel=1e-12)


# --------------------------------------------------------------------------- the text report
def row(name, rho, ctv, low, high, p10, p90, evppi, factor=None, reason=None, per="run"):
    return {"name": name, "field": f"inputs.{name}", "per": per, "unit": None,
            "spearman": rho, "contribution_to_variance": ctv,
            "given_data": {"bins": [low] + [0.0] * 8 + [high], "low": low, "high": high},
            "swing": {"p10": p10, "p90": p90, "at": [1.0, 2.0]}, "evppi": evppi,
            "switching": {"factor": factor,
                          "percent_change": None if factor is None else 100 * (factor - 1),
                          "reason": reason}}


def summary(inputs, metric="npv", finite=1.0):
    return {"roisim_version": "0", "scenario": {"name": "demo", "file": "demo.toml",
                                                 "sha256": "x"},
            "runs": 1000, "seed": 3, "currency": "GBP", "metric": metric,
            "base": {"mean": 0.0, "finite_share": finite, "npv_mean": 0.0},
            "evpi": {"value": 500.0, "ci95": [450.0, 550.0]}, "settings": {}, "inputs": inputs}


def test_bars_share_one_axis_and_mark_the_mean():
    s = summary([row("a", 0.8, 0.64, -100, 100, -80, 60, 300, 0.5),
                 row("b", -0.6, -0.36, -50, 20, 40, -30, 0.0)])
    axis = (-100.0, 100.0)
    bar = given_bar(s["inputs"][0], 0.0, axis)
    assert len(bar) == BAR_WIDTH and bar.count("|") == 1 and "." not in bar
    bar = swing_bar(s["inputs"][0], 0.0, axis)
    assert bar.index("-") < bar.index("|") < bar.index("+")
    bar = swing_bar(s["inputs"][1], 0.0, axis)  # P90 lowers the metric: '+' on the left
    assert bar.index("+") < bar.index("|") < bar.index("-")
    assert given_bar(s["inputs"][1], 0.0, axis).startswith(".")


def test_report_rows_in_the_summary_order_and_the_closing_sentence():
    s = summary([row("a", 0.8, 0.64, -100, 100, -80, 60, 300.0, 0.5),
                 row("b", -0.6, -0.36, -50, 20, 40, -30, 12.0, None,
                     "mean NPV does not depend on this input", per="year"),
                 row("c_with_a_very_long_name_that_will_not_fit_the_column", 0.0, 0.0,
                     0, 0, 0, 0, 0.0, None, "mean NPV stays above 0; factors above about 3 "
                     "make the scenario invalid (x: bad)")])
    text = render_sensitivity(s)
    lines = text.splitlines()
    body = [ln for ln in lines if ln[:2] in ("a ", "b*", "c_")]
    assert [ln.split()[0] for ln in body][:2] == ["a", "b*"]
    assert "x0.5 (-50%)" in body[0] and "£300" in body[0] and "+64.0%" in body[0]
    assert body[1].rstrip().endswith("no effect")
    assert "* drawn each year" in text
    assert "switching for c_with_a_very_long_name_that_will_not_fit_the_column:" in text
    assert lines[-1] == ("The input whose measurement is worth most is a: knowing it exactly "
                         "before deciding is worth £300, against £500 for removing all "
                         "uncertainty (EVPI).")
    assert "EVPI £500 (95% interval [£450, £550])" in text


def test_report_when_nothing_is_worth_measuring_and_other_metrics():
    s = summary([row("a", 0.8, 1.0, 1.0, 3.0, 1.5, 2.5, 0.0)], metric="payback_years",
                finite=0.75)
    s["base"]["mean"] = 2.0
    text = render_sensitivity(s)
    assert text.startswith("Sensitivity of payback: demo")
    assert "mean payback 2.00 y | mean NPV £0" in text
    assert "payback has no finite value in 25.0% of runs" in text
    assert "EVPI, EVPPI and switching are about NPV" in text
    assert text.splitlines()[-1].startswith("No single input is worth measuring")
    assert "nothing to rank" in render_sensitivity(summary([]))
