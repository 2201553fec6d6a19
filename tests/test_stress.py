"""Stress cases: ``[[stress]]``, ``roisim.stress``, ``roisim stress`` and ``roisim run --stress``.

Every test runs one linear scenario structure (one kernel compile for the whole file):

    NPV_i = (S_i − C)·A(r) − B_i,   A(r) = Σ_{t=1..5} (1 + r)^−t,

with the saving S ~ N(80k, 15k) per run and year 1..5, the build B ~ N(200k, 20k) in year 0
(truncated at 0, which leaves out mass 1e-23) and a constant running cost C = 20k in years 1..5.
So each case's paired difference is known run by run:

* build × 1.3:            d_i = −0.3·B_i
* benefits a year late:   d_i = −S_i/(1 + r)        (year 6 falls past the horizon)
* saving × 0.9:           d_i = −0.1·S_i·A(r)
* discount rate 10%:      d_i = (S_i − C)·(A(0.10) − A(0.08))
* delay 0, every scale 1: d_i = 0 exactly

The tests compare with that algebra evaluated on the draws themselves (``simulate`` with
``keep_inputs``), to rounding error, and with the population values to 4 Monte Carlo standard
errors: never with the program's own output.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner

import roisim
from roisim.analysis.intervals import Z
from roisim.cli.main import main
from roisim.report.numbers import money

H, R, MU_S, SD_S, MU_B, SD_B, C = 5, 0.08, 80_000.0, 15_000.0, 200_000.0, 20_000.0, 20_000.0
RUNS, SEED = 20_000, 7


def annuity(r: float) -> float:
    return sum((1 + r) ** -t for t in range(1, H + 1))


A = annuity(R)
BASE = f"""
[scenario]
name = "Linear stress test"
horizon_years = {H}
discount_rate = {R}

[simulation]
runs = {RUNS}
seed = {SEED}

[inputs]
saving = {{ dist = "normal", mean = {MU_S:.0f}, sd = {SD_S:.0f} }}
build = {{ dist = "normal", mean = {MU_B:.0f}, sd = {SD_B:.0f}, lower = 0 }}
unused = {{ dist = "uniform", min = 0, max = 1 }}

[[benefits]]
name = "Saving"
amount = "saving"

[[costs]]
name = "Build"
amount = "build"
years = "0"

[[costs]]
name = "Run"
amount = {C:.0f}
"""
CASES = """
[[stress]]
name = "Build +30%"
scale = { "costs[0]" = 1.3 }

[[stress]]
name = "Benefits a year late"
delay = 1

[[stress]]
name = "Saving -10%"
scale = { inputs.saving = 0.9 }

[[stress]]
name = "Rate 10%"
set = { "scenario.discount_rate" = 0.10 }

[[stress]]
name = "Nothing changes"
delay = 0
scale = { costs = 1, benefits = 1, "costs[1]" = 1, "inputs.saving" = 1 }
"""
LINEAR = BASE + CASES


@pytest.fixture(scope="module")
def scenario():
    return roisim.load_scenario(LINEAR)


@pytest.fixture(scope="module")
def result(scenario):
    return roisim.stress(scenario)


@pytest.fixture(scope="module")
def draws(scenario):
    """The base case's draws and NPVs, run by run."""
    ds = roisim.simulate(scenario, keep_inputs=True).dataset
    return {name: ds[name].values for name in ("saving", "build", "npv")}


def case(result, name):
    return next(c for c in result.cases if c.name == name)


def check_difference(got: dict, d: np.ndarray) -> None:
    """``got`` (the difference block) against the per-run differences ``d`` of the algebra."""
    scale = float(np.abs(d).mean())
    assert got["mean"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-9 * scale)
    for p in (5, 50, 95):
        assert got[f"p{p}"] == pytest.approx(np.percentile(d, p), rel=1e-9, abs=1e-9 * scale)
    half = Z * d.std(ddof=1) / math.sqrt(d.size)
    low, high = got["ci95"]
    assert low == pytest.approx(d.mean() - half, rel=1e-6, abs=1e-9 * scale)
    assert high == pytest.approx(d.mean() + half, rel=1e-6, abs=1e-9 * scale)


def standard_error(sd: float) -> float:
    return sd / math.sqrt(RUNS)


# --------------------------------------------------------------------------- closed forms
def test_scaling_a_cost_line_lowers_each_run_by_the_scaled_amount(result, draws):
    got = case(result, "Build +30%").difference["npv"]
    check_difference(got, -0.3 * draws["build"])
    assert abs(got["mean"] - (-0.3 * MU_B)) < 4 * standard_error(0.3 * SD_B)


def test_a_year_of_delay_loses_the_first_year_of_benefit(result, draws):
    got = case(result, "Benefits a year late").difference["npv"]
    check_difference(got, -draws["saving"] / (1 + R))
    assert abs(got["mean"] - (-MU_S / (1 + R))) < 4 * standard_error(SD_S / (1 + R))


def test_scaling_an_input_scales_its_present_value(result, draws):
    got = case(result, "Saving -10%").difference["npv"]
    check_difference(got, -0.1 * draws["saving"] * A)
    assert abs(got["mean"] - (-0.1 * MU_S * A)) < 4 * standard_error(0.1 * SD_S * A)


def test_a_set_discount_rate_revalues_every_run(result, draws):
    got = case(result, "Rate 10%").difference["npv"]
    factor = annuity(0.10) - A
    check_difference(got, (draws["saving"] - C) * factor)
    assert abs(got["mean"] - (MU_S - C) * factor) < 4 * standard_error(SD_S * abs(factor))


def test_no_change_gives_exactly_zero_with_zero_width(result):
    difference = case(result, "Nothing changes").difference
    assert difference["npv"] == {"mean": 0.0, "ci95": [0.0, 0.0], "p5": 0.0, "p50": 0.0,
                                 "p95": 0.0}
    assert difference["prob_positive"] == {"value": 0.0, "ci95": [0.0, 0.0]}
    assert case(result, "Nothing changes").figures.metrics == result.base.metrics


def test_the_change_in_prob_positive_is_paired(result, draws):
    """P(NPV > 0) changes by (runs that turn positive − runs that turn negative)/n, with the
    interval of the mean of those −1/0/+1 values."""
    base = draws["npv"] > 0
    other = draws["npv"] - 0.3 * draws["build"] > 0
    change = other.astype(float) - base.astype(float)
    got = case(result, "Build +30%").difference["prob_positive"]
    assert got["value"] == pytest.approx(change.mean(), abs=1.5 / RUNS)
    half = Z * change.std(ddof=1) / math.sqrt(RUNS)
    assert got["ci95"][1] - got["ci95"][0] == pytest.approx(2 * half, rel=1e-3)
    summaries = case(result, "Build +30%").figures.metrics.npv.prob_positive
    assert got["value"] == pytest.approx(summaries - result.base.metrics.npv.prob_positive,
                                         abs=1e-12)


def test_streaming_gives_the_same_figures(scenario, result):
    streamed = roisim.stress(scenario, summary_only=True)
    assert streamed.streamed and not result.streamed
    assert streamed.base == result.base
    for a, b in zip(streamed.cases, result.cases):
        assert a.figures == b.figures
        for key in ("p5", "p50", "p95"):  # exact order statistics in both modes
            assert a.difference["npv"][key] == b.difference["npv"][key]
        scale = abs(b.difference["npv"]["p95"] - b.difference["npv"]["p5"]) + 1.0
        assert a.difference["npv"]["mean"] == pytest.approx(b.difference["npv"]["mean"],
                                                            abs=1e-9 * scale)
        assert a.difference["prob_positive"]["value"] == b.difference["prob_positive"]["value"]
        for x, y in zip(a.difference["prob_positive"]["ci95"],
                        b.difference["prob_positive"]["ci95"]):
            assert x == pytest.approx(y, abs=1e-12)


# --------------------------------------------------------------------------- JSON and the CLI
def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def json_of(*args) -> dict:
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def linear_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("stress") / "linear.toml"
    path.write_text(LINEAR, encoding="utf-8")
    return path


def test_json_layout_is_the_contract(linear_file):
    out = json_of("stress", linear_file, "--runs", 3000)
    assert list(out) == ["base", "cases"]
    assert [c["name"] for c in out["cases"]] == [
        "Build +30%", "Benefits a year late", "Saving -10%", "Rate 10%", "Nothing changes"]
    for c in out["cases"]:
        assert list(c) == ["name", "summary", "difference"]
        assert list(c["difference"]) == ["npv", "prob_positive"]
        assert list(c["difference"]["npv"]) == ["mean", "ci95", "p5", "p50", "p95"]
        assert list(c["difference"]["prob_positive"]) == ["value", "ci95"]
        assert len(c["difference"]["npv"]["ci95"]) == 2
    assert list(out["base"]) == list(json_of("run", linear_file, "--runs", 3000, "--quiet"))


def test_summaries_are_exactly_what_run_prints(linear_file, scenario):
    args = ("--runs", 4000, "--seed", 11)
    out = json_of("stress", linear_file, *args)
    assert out["base"] == json_of("run", linear_file, *args, "--quiet")
    for c in out["cases"]:
        alone = json_of("run", linear_file, *args, "--quiet", "--stress", c["name"])
        assert c["summary"] == alone
        assert alone["scenario"]["name"] == f"Linear stress test [stress: {c['name']}]"
    api = roisim.stress(roisim.load_scenario(linear_file), runs=4000, seed=11)
    assert json.loads(api.to_json()) == out == api.summary


def test_set_adds_a_one_off_case(linear_file):
    args = ("--runs", 3000)
    out = json_of("stress", linear_file, *args, "--set", "scenario.discount_rate=0.10")
    one_off = out["cases"][-1]
    assert one_off["name"] == "--set scenario.discount_rate=0.10"
    filed = next(c for c in out["cases"] if c["name"] == "Rate 10%")
    assert one_off["difference"] == filed["difference"]  # the same change, the same draws
    alone = json_of("run", linear_file, *args, "--quiet", "--set", "scenario.discount_rate=0.10")
    assert one_off["summary"]["metrics"] == alone["metrics"]


def test_run_stress_applies_the_case_on_top_of_set(linear_file):
    args = ("--runs", 3000, "--quiet", "--set", "costs[1].amount=30000")
    alone = json_of("run", linear_file, *args, "--stress", "Build +30%")
    changed = roisim.load_scenario(linear_file, {"costs[1].amount": 30000})
    assert alone == roisim.stress(changed, runs=3000).summary["cases"][0]["summary"]


def test_set_alone_needs_no_stress_table(write_toml):
    path = write_toml(BASE, "plain.toml")
    out = json_of("stress", path, "--runs", 2000, "--set", "costs[1].amount=30000")
    (only,) = out["cases"]
    # the running cost 10k higher in years 1..5: −10k·A(r) in every run
    assert only["difference"]["npv"]["mean"] == pytest.approx(-10_000 * A, rel=1e-9)
    assert only["difference"]["prob_positive"]["value"] < 0


def test_text_report(linear_file):
    res = invoke("stress", linear_file, "--runs", 3000)
    assert res.exit_code == 0, res.output
    out = res.stdout
    data = json_of("stress", linear_file, "--runs", 3000)
    assert "Base case" in out and "3,000 runs" in out
    for c in data["cases"]:
        assert c["name"] in out
        npv = c["summary"]["metrics"]["npv"]
        assert money(npv["mean"], "GBP", compact=True) in out
        low, high = c["difference"]["npv"]["ci95"]
        shown = money(low, "GBP")
        assert shown in out, (shown, out)
    assert "P(payback ≤ 5 y)" in out and "pts" in out


# --------------------------------------------------------------------------- errors
ERRORS = [
    ('scale = { "costs[9]" = 1.3 }', "stress[0].scale.costs[9]", "points at nothing"),
    ('scale = { "inputs.savng" = 1.3 }', "stress[0].scale.inputs.savng",
     "did you mean 'inputs.saving'?"),
    ('scale = { cost = 1.3 }', "stress[0].scale.cost", "did you mean 'costs'?"),
    ('scale = { "costs: Buld" = 2 }', "stress[0].scale.costs: Buld",
     "did you mean 'costs: Build'?"),
    ('scale = { "costs[0]" = -1 }', "stress[0].scale.costs[0]", "must be a factor >= 0"),
    ('scale = { "costs[0]" = "x" }', "stress[0].scale.costs[0]", "must be a number"),
    ("scale = 2", "stress[0].scale", "must be a table"),
    ("delay = 5", "stress[0].delay", "pushes every benefit past the horizon"),
    ("delay = 1.5", "stress[0].delay", "must be a whole number"),
    ("delay = -1", "stress[0].delay", "must be a whole number"),
    ('set = { "inputs.savng.mean" = 1 }', "stress[0].set.inputs.savng.mean",
     "did you mean 'saving'?"),
    ('set = { "inputs.saving.sd" = -1 }', "stress[0].set.inputs.saving.sd",
     "(value given by stress[0].set)"),
    ('set = { "costs[0].amout" = 2 }', "stress[0].set.costs[0].amout",
     "did you mean 'amount'?"),
    ('set = { "costs[5].amount" = 2 }', "stress[0].set.costs[5].amount", "points at nothing"),
    ('set = { "simulation.runs" = 10 }', "stress[0].set.simulation.runs", "runs and seed"),
    ('set = { "scenario.currency" = "EUR" }', "stress[0].set.scenario.currency", "currency"),
    ("dealy = 1", "stress[0].dealy", "did you mean 'delay'?"),
]


def one_line_error(res, file_name: str) -> str:
    """The one line of a user error (exit 2), ``error: FILE[:LINE]: path: message``."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert re.match(rf"error: \S*{re.escape(file_name)}(:\d+)?: ", lines[0]), lines[0]
    return lines[0]


def line_number(line: str, file_name: str) -> int:
    return int(re.search(rf"{re.escape(file_name)}:(\d+): ", line).group(1))


@pytest.mark.parametrize("body,path,fragment", ERRORS)
def test_stress_table_errors(write_toml, body, path, fragment):
    text = BASE + f'\n[[stress]]\nname = "broken"\n{body}\n'
    file = write_toml(text, "broken.toml")
    header = file.read_text().splitlines().index("[[stress]]") + 1
    for command in (("stress", file), ("run", file, "--runs", 100), ("validate", file)):
        line = one_line_error(invoke(*command), "broken.toml")
        assert f": {path}: " in line and fragment in line, line
        number = line_number(line, "broken.toml")
        assert header <= number <= header + 2, line  # the case's header or its key


@pytest.mark.parametrize("extra,path,fragment", [
    ('[[stress]]\nname = "a"\ndelay = 1\n[[stress]]\nname = "a"\n', "stress[1].name",
     "already used by stress[0]"),
    ('[[stress]]\ndelay = 1\n', "stress[0].name", "is required"),
    ('[[stress]]\nname = " "\n', "stress[0].name", "must not be empty"),
    ("stress = 3\n", "stress", "must be an array of tables written [[stress]]"),
])
def test_case_table_errors(write_toml, extra, path, fragment):
    if extra.startswith("stress"):
        text = extra + BASE  # a top-level key must come before the first table
    else:
        text = BASE + "\n" + extra
    file = write_toml(text, "broken.toml")
    line = one_line_error(invoke("stress", file), "broken.toml")
    assert f" {path}: " in line and fragment in line, line


def test_an_error_in_the_second_case_points_at_its_line(write_toml):
    text = BASE + '\n[[stress]]\nname = "a"\ndelay = 1\n\n[[stress]]\nname = "b"\ndelay = 9\n'
    file = write_toml(text, "broken.toml")
    line = one_line_error(invoke("stress", file), "broken.toml")
    expected = file.read_text().splitlines().index("delay = 9") + 1
    assert f"broken.toml:{expected}: stress[1].delay" in line, line


def test_unknown_stress_name(linear_file):
    line = one_line_error(invoke("run", linear_file, "--stress", "Build 30%"), "linear.toml")
    assert "--stress: no stress case 'Build 30%'; did you mean 'Build +30%'?" in line
    assert "'Benefits a year late'" in line


def test_no_cases_and_no_set(write_toml):
    file = write_toml(BASE, "plain.toml")
    line = one_line_error(invoke("stress", file), "plain.toml")
    assert "no [[stress]] cases" in line and "--set" in line
    line = one_line_error(invoke("run", file, "--stress", "x"), "plain.toml")
    assert "no [[stress]] cases" in line


def test_a_bad_one_off_set(linear_file):
    line = one_line_error(invoke("stress", linear_file, "--set", "inputs.savng.mean=1"),
                          "linear.toml")
    assert "did you mean 'saving'?" in line


def test_the_python_function_checks_its_arguments(scenario):
    with pytest.raises(TypeError):
        roisim.stress("linear.toml")
    with pytest.raises(roisim.ScenarioError, match="runs"):
        roisim.stress(scenario, runs=0)
    with pytest.raises(roisim.ScenarioError, match="EUR"):
        other = roisim.load_scenario(LINEAR, {"scenario.currency": "EUR"})
        roisim.stress(scenario, runs=100, extra={"euros": other})
