"""The typed run summary (roisim.analysis.schema): its JSON keys, their order, and round trips.

The expected keys are written out here from the documented contract, not read from the code:
README "What you get" (``--json`` is one object, the same as ``Result.summary``, with the run's
header), docs/methodology.md section 9 (mean, sd, p5 ... p95, each with a ``ci95`` entry;
probabilities with Wilson intervals: ``prob_positive``, ``prob_defined``,
``prob_within_horizon``; ``expected_shortfall_5``; ``cashflow_by_year`` with the mean, 5th and
95th percentiles), section 3 (IRR: ``prob_defined`` with an interval, ``prob_multiple``),
section 4 (payback: ``mean_within_horizon``, ``prob_within_horizon`` with an interval) and
section 5 (ROI and BCR: ``prob_defined`` with an interval).
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

import roisim
from roisim.analysis import schema
from roisim.analysis.intervals import PERCENTILES
from roisim.analysis.schema import Interval, RunSummary
from roisim.engine.plan import METRICS

HEADER = ["roisim_version", "scenario", "runs", "seed", "currency", "horizon_years", "timing",
          "discount_rate"]
TOP = [*HEADER, "metrics", "cashflow_by_year", "lines", "central_case", "correlations",
       "precision",  # issue 11 section 3: the stop rule, None without one
       "sampling", "replicates", "intervals", "warnings"]  # issue 11 section 2
SCENARIO = ["name", "file", "sha256"]
METRIC_NAMES = ["npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr"]
PCT = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
FIGURES = ["mean", "sd", *PCT, "ci95"]
CI = ["mean", *PCT]
# per metric: (keys after ci95, keys the ci95 block adds after the percentiles)
EXTRAS = {
    "npv": (["prob_positive", "expected_shortfall_5"], ["prob_positive"]),
    "irr": (["prob_defined", "prob_multiple"], ["prob_defined"]),
    "payback_years": (["prob_within_horizon", "mean_within_horizon"], ["prob_within_horizon"]),
    "discounted_payback_years": (
        ["prob_within_horizon", "mean_within_horizon"],
        ["prob_within_horizon"],
    ),
    "roi": (["prob_defined"], ["prob_defined"]),
    "bcr": (["prob_defined"], ["prob_defined"]),
}
CASHFLOW = ["year", "mean", "p5", "p95"]
# issue 10 section 1: each line's PV and amounts by year, and the central case
LINE = ["name", "kind", "pv", "mean_by_year", "p5_by_year", "p95_by_year"]
LINE_PV = ["mean", "p5", "p50", "p95"]
CENTRAL = METRIC_NAMES

# a payback that often never happens (so None percentiles and means), several IRRs now and then
SLOW = """
[scenario]
name = "schema test"
horizon_years = 4
discount_rate = 0.08

[inputs]
x = { dist = "normal", mean = 30, sd = 15 }
late = { dist = "normal", mean = 0, sd = 40, per = "year" }

[[benefits]]
name = "b"
amount = "x + late"

[[costs]]
name = "c"
amount = 100
years = "0"
"""


@pytest.fixture(scope="module")
def result():
    return roisim.simulate(roisim.load_scenario(SLOW), runs=3000, seed=11)


def test_the_tree_mirrors_the_documented_keys_in_order():
    """Field names of the classes themselves, in order (no simulation needed)."""
    names = lambda cls: [f.name for f in dataclasses.fields(cls)]
    assert names(RunSummary) == TOP
    assert names(schema.ScenarioInfo) == SCENARIO
    assert names(schema.Metrics) == METRIC_NAMES == list(METRICS)
    assert names(schema.MetricFigures) == FIGURES
    assert names(schema.Intervals) == CI
    assert [f"p{p}" for p in PERCENTILES] == PCT
    assert names(schema.CashflowByYear) == CASHFLOW
    assert names(schema.LineFigures) == LINE
    assert names(schema.LinePv) == LINE_PV
    assert names(schema.CentralCase) == CENTRAL
    hints = {f.name: f.type for f in dataclasses.fields(schema.Metrics)}
    for metric, (extra, ci_extra) in EXTRAS.items():
        cls = getattr(schema, hints[metric])
        assert names(cls) == FIGURES + extra, metric
        ci_cls = {f.name: f.type for f in dataclasses.fields(cls)}["ci95"]
        assert names(getattr(schema, ci_cls)) == CI + ci_extra, metric


def test_to_dict_has_exactly_the_documented_keys(result):
    d = result.figures.to_dict()
    assert list(d) == TOP
    assert list(d["scenario"]) == SCENARIO
    assert list(d["metrics"]) == METRIC_NAMES
    for metric, (extra, ci_extra) in EXTRAS.items():
        m = d["metrics"][metric]
        assert list(m) == FIGURES + extra, metric
        assert list(m["ci95"]) == CI + ci_extra, metric
        for pair in m["ci95"].values():
            assert isinstance(pair, list) and len(pair) == 2
    assert list(d["cashflow_by_year"]) == CASHFLOW
    assert d["cashflow_by_year"]["year"] == list(range(5))
    assert all(len(d["cashflow_by_year"][k]) == 5 for k in CASHFLOW)
    assert [(line["name"], line["kind"]) for line in d["lines"]] == [
        ("b", "benefit"),
        ("c", "cost"),
    ]
    for line in d["lines"]:
        assert list(line) == LINE and list(line["pv"]) == LINE_PV
    assert list(d["central_case"]) == CENTRAL


def test_values_are_plain_json_types(result):
    """Python floats, ints, strings, lists and None only; no NaN or infinity."""

    def walk(v):
        if isinstance(v, dict):
            assert all(isinstance(k, str) for k in v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        else:
            assert v is None or type(v) in (str, int, float), (type(v), v)
            assert not (type(v) is float and not math.isfinite(v))

    walk(result.figures.to_dict())
    # this scenario does exercise None: the payback beyond the horizon in many runs
    assert result.figures.metrics.payback_years.mean is None
    assert result.figures.metrics.payback_years.p95 is None


def test_result_summary_and_json_come_from_the_typed_tree(result):
    assert result.summary == result.figures.to_dict()
    assert result.to_json() == result.figures.to_json()
    assert json.loads(result.to_json()) == result.summary
    npv = result.figures.metrics.npv
    assert npv.mean == result.summary["metrics"]["npv"]["mean"]
    assert npv.ci95.p5 == Interval(*result.summary["metrics"]["npv"]["ci95"]["p5"])
    assert npv.ci95.mean.low <= npv.mean <= npv.ci95.mean.high


def test_round_trip(result):
    figures = result.figures
    assert RunSummary.from_dict(figures.to_dict()) == figures
    assert RunSummary.from_dict(json.loads(figures.to_json())) == figures
    assert RunSummary.from_dict(figures.to_dict()).to_json() == figures.to_json()
    again = RunSummary.from_dict(json.loads(result.to_json()))
    assert isinstance(again.metrics.npv, schema.NpvFigures)
    assert isinstance(again.metrics.npv.ci95.p50, Interval)
    assert isinstance(again.cashflow_by_year.mean, tuple)
    assert all(isinstance(line, schema.LineFigures) for line in again.lines)
    assert isinstance(again.lines[0].pv, schema.LinePv) and again.lines[0].p5_by_year is None
    assert isinstance(again.lines[0].mean_by_year, tuple)
    assert isinstance(again.central_case, schema.CentralCase)


def test_round_trip_of_a_metric_that_is_never_defined():
    """All costs zero: ROI and BCR are never defined, so every figure of theirs is None."""
    text = SLOW.replace("amount = 100", "amount = 0")
    r = roisim.simulate(roisim.load_scenario(text), runs=500, seed=2)
    roi = r.figures.metrics.roi
    assert roi.prob_defined == 0.0 and roi.mean is None and roi.p50 is None
    assert roi.ci95.p50 == Interval(None, None)
    assert RunSummary.from_dict(r.summary) == r.figures


@pytest.mark.parametrize("change", ["missing", "unknown"])
def test_from_dict_rejects_other_keys(result, change):
    d = result.figures.to_dict()
    if change == "missing":
        del d["metrics"]["npv"]["expected_shortfall_5"]
    else:
        d["metrics"]["npv"]["var_5"] = 1.0
    with pytest.raises(ValueError, match="NpvFigures"):
        RunSummary.from_dict(d)


def test_the_summary_is_immutable(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.figures.metrics.npv.mean = 0.0


def test_a_result_built_from_a_plain_dict_keeps_it():
    r = roisim.Result({"metrics": {"x": float("nan")}, "runs": 3})
    assert r.figures is None and r.summary == {"metrics": {"x": None}, "runs": 3}
