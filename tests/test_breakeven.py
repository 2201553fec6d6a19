"""Breakeven values: ``roisim.breakeven`` and ``roisim breakeven``, on the linear scenario of
tests/test_stress.py (the same kernel):

    NPV_i(c, r) = (S_i − c)·A(r) − B_i,   S ~ N(80k, 15k), B ~ N(200k, 20k), c = 20k.

* Mean NPV against the running cost c: zero at c* = mean(S) − mean(B)/A on the draws, and at
  μ_S − μ_B/A(r) in the population.
* P(NPV > 0) against the discount rate: for a fixed rate NPV is normal, so P(NPV > 0) = 1/2
  where its mean is 0: (μ_S − c)·A(r*) = μ_B.  On the draws, exactly half the runs have
  NPV_i(r) > 0 at the crossing.
* P50 NPV against c: NPV_i(c) = (S_i·A − B_i) − c·A, so the median is 0 at
  c* = median(S_i·A − B_i)/A.

Reference values come from that algebra on the draws themselves (``simulate`` with
``keep_inputs``), to the root finder's tolerance, and from the population to 4 Monte Carlo
standard errors.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from test_stress import LINEAR as TEXT
from test_stress import (
    MU_B,
    MU_S,
    RUNS,
    SD_B,
    SD_S,
    C,
    R,
    annuity,
    line_number,
    one_line_error,
)

import roisim
from roisim.analysis.breakeven import NO_CROSSING, NO_DEPENDENCE, metric_names
from roisim.cli.main import main
from roisim.report.numbers import money

A = annuity(R)
TOLERANCE = 1e-6  # relative: the root finder stops at 1e-7 of the bracket's ends


@pytest.fixture(scope="module")
def scenario():
    return roisim.load_scenario(TEXT)


@pytest.fixture(scope="module")
def draws(scenario):
    ds = roisim.simulate(scenario, keep_inputs=True).dataset
    return ds["saving"].values, ds["build"].values


@pytest.fixture(scope="module")
def cost_breakeven(scenario):
    return roisim.breakeven(scenario, "costs[1].amount")


def test_mean_npv_against_a_constant_cost(cost_breakeven, draws):
    saving, build = draws
    b = cost_breakeven
    exact = saving.mean() - build.mean() / A  # on these draws
    assert b.value == pytest.approx(exact, rel=TOLERANCE)
    se = math.sqrt(SD_S**2 + (SD_B / A) ** 2) / math.sqrt(RUNS)
    assert abs(b.value - (MU_S - MU_B / A)) < 4 * se
    assert b.base_value == C and b.metric == "npv.mean" and b.target == 0.0
    assert b.percent_change == pytest.approx(100 * (b.value - C) / C, rel=1e-12)
    low, high = b.bracket
    assert low <= b.value <= high and (low <= C or high >= C) and b.reason is None
    assert b.base_metric == pytest.approx((saving.mean() - C) * A - build.mean(), rel=1e-9)


def test_discount_rate_at_which_prob_positive_is_one_half(scenario, draws):
    saving, build = draws
    b = roisim.breakeven(scenario, "scenario.discount_rate", "npv.prob_positive", 0.5)
    r = b.value

    def positive(rate):
        return int(((saving - C) * annuity(rate) - build > 0).sum())

    # on the draws: at least half the runs positive just below r, at most half just above
    assert positive(r * (1 - 1e-5)) >= RUNS // 2 >= positive(r * (1 + 1e-5))
    # in the population: (μ_S − c)·A(r*) = μ_B; the median NPV has standard error
    # sqrt(π/2)·sd/√n, which moves r by that over |d mean NPV / dr|
    exact = _solve(lambda rate: (MU_S - C) * annuity(rate) - MU_B, 0.0, 0.5)
    sd = math.hypot(SD_S * annuity(exact), SD_B)
    slope = (MU_S - C) * (annuity(exact + 1e-6) - annuity(exact - 1e-6)) / 2e-6
    se = math.sqrt(math.pi / 2) * sd / math.sqrt(RUNS) / abs(slope)
    assert abs(r - exact) < 4 * se, (r, exact, se)


def _solve(f, low, high):
    for _ in range(200):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if (f(mid) > 0) == (f(low) > 0) else (low, mid)
    return 0.5 * (low + high)


def test_a_percentile_against_a_constant_cost(scenario, draws):
    saving, build = draws
    b = roisim.breakeven(scenario, "costs[1].amount", metric="npv.p50")
    assert b.value == pytest.approx(np.median(saving * A - build) / A, rel=TOLERANCE)


def test_no_crossing_gives_null_and_the_bracket_tried(scenario):
    # no running cost >= 0 lifts P(NPV > 0) to 99.9999%: even at c = 0 it is Φ(1.85) ≈ 0.97
    b = roisim.breakeven(scenario, "costs[1].amount", "npv.prob_positive", 0.999999)
    assert b.value is None and b.percent_change is None and b.reason == NO_CROSSING
    assert b.summary["reason"] == "no_crossing"
    low, high = b.bracket
    assert 0 <= low < 1e-3 * C  # down to the edge of valid costs (a cost is >= 0)
    assert high > 100 * C  # out to about 800 times the base value
    assert b.summary["bracket"] == [low, high] and b.summary["value"] is None


def test_a_path_the_metric_does_not_depend_on(scenario):
    b = roisim.breakeven(scenario, "inputs.unused.max")
    assert b.value is None and b.reason == NO_DEPENDENCE
    assert b.summary["reason"] == "no_dependence"
    assert b.trials <= 5  # the base, one step either side and the two far ends
    assert b.bracket[0] < 1e-3 and b.bracket[1] > 100


def test_the_base_value_itself_can_be_the_answer(scenario, cost_breakeven):
    b = roisim.breakeven(scenario, "costs[1].amount", target=cost_breakeven.base_metric)
    assert b.value == b.base_value == C and b.percent_change == 0.0


def test_streaming_finds_the_same_value(scenario):
    """Streamed summaries are the in-memory ones exactly, so every trial and the answer agree."""
    args = (scenario, "costs[1].amount", "npv.p50")
    streamed = roisim.breakeven(*args, runs=5000, summary_only=True)
    assert streamed == roisim.breakeven(*args, runs=5000)


# --------------------------------------------------------------------------- JSON and the CLI
def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def linear_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("breakeven") / "linear.toml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_json_is_the_contract(linear_file, cost_breakeven):
    res = invoke("breakeven", linear_file, "costs[1].amount", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == ["path", "metric", "target", "base_value", "value", "percent_change",
                         "bracket", "reason"]
    assert out["reason"] is None
    assert out == cost_breakeven.summary == json.loads(cost_breakeven.to_json())


def test_text_report(linear_file, cost_breakeven):
    res = invoke("breakeven", linear_file, "costs[1].amount")
    assert res.exit_code == 0, res.output
    assert f"{cost_breakeven.value:,.6g}" in res.stdout
    assert "mean NPV reaches £0" in res.stdout and "20,000" in res.stdout
    assert money(cost_breakeven.base_metric, "GBP") in res.stdout
    res = invoke("breakeven", linear_file, "inputs.unused.max")
    assert "does not depend on inputs.unused.max" in res.stdout


def test_options_reach_the_function(linear_file, scenario):
    res = invoke("breakeven", linear_file, "scenario.discount_rate", "--metric", "npv.p50",
                 "--target", "-1000", "--runs", "3000", "--seed", "5", "--json")
    assert res.exit_code == 0, res.output
    expected = roisim.breakeven(scenario, "scenario.discount_rate", "npv.p50", -1000.0,
                                runs=3000, seed=5)
    assert json.loads(res.stdout) == expected.summary


def test_metric_names_are_the_summary_figures():
    names = metric_names()
    for name in ("npv.mean", "npv.p50", "npv.prob_positive", "irr.p50", "bcr.mean",
                 "payback_years.prob_within_horizon"):
        assert name in names
    assert not any(name.endswith(".ci95") for name in names)


@pytest.mark.parametrize("args,path,fragment", [
    (("costs[9].amount",), "costs[9].amount", "points at nothing"),
    (("inputs.savng.mean",), "inputs.savng.mean", "did you mean 'saving'?"),
    (("inputs.saving.meen",), "inputs.saving.meen", "did you mean 'mean'?"),
    (("inputs.saving",), "inputs.saving", "name one of its parameters, e.g. inputs.saving.mean"),
    (("costs[0].amount",), "costs[0].amount", "is an expression"),
    (("scenario.name",), "scenario.name", "not a number"),
    (("simulation.runs",), "simulation.runs", "--runs"),
    (("scenario.horizon_years",), "scenario.horizon_years", "whole number of years"),
    (("stress[0].delay",), "stress[0].delay", "not of a stress case"),
    (("costs[1].amount", "--metric", "npv.avg"), "--metric", "did you mean 'npv.mean'?"),
    (("costs[1].amount", "--metric", "npv"), "--metric", "did you mean 'npv.mean'?"),
    (("costs[1].amount", "--metric", "npv.ci95"), "--metric", "unknown metric"),
])
def test_errors(linear_file, args, path, fragment):
    line = one_line_error(invoke("breakeven", linear_file, *args), "linear.toml")
    assert f" {path}: " in line and fragment in line, line


def test_an_error_in_the_file_points_at_its_line(linear_file):
    line = one_line_error(invoke("breakeven", linear_file, "inputs.saving"), "linear.toml")
    expected = linear_file.read_text().splitlines().index(
        next(ln for ln in linear_file.read_text().splitlines() if ln.startswith("saving ="))) + 1
    assert line_number(line, "linear.toml") == expected


def test_the_python_function_checks_its_arguments(scenario):
    with pytest.raises(TypeError):
        roisim.breakeven("linear.toml", "costs[1].amount")
    with pytest.raises(roisim.ScenarioError, match="--target"):
        roisim.breakeven(scenario, "costs[1].amount", target="zero")
    with pytest.raises(roisim.ScenarioError, match="--target"):
        roisim.breakeven(scenario, "costs[1].amount", target=math.inf)
