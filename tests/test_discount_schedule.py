"""Discount schedules (issue 11, part 4): ``discount_rate = { schedule = [...] }`` and the Green
Book presets, through the engine, the central case, the variants and the analyses.

Oracles: the HM Treasury Green Book (2018) table written out here, numpy-financial's ``npv``
for the flat stretches, and plain Python products Π 1/(1 + r_s) of the formula

    d_t = Π_{s=1..t} 1/(1 + r_s)                       (end-of-year)
    d_t = Π_{s=1..t-1} 1/(1 + r_s) · (1 + r_t)^-1/2    (mid-year)

never roisim's kernels.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

import roisim
from roisim import ScenarioError
from roisim.analysis.breakeven import breakeven
from roisim.analysis.central import central_case, central_flows
from roisim.scenario.discounting import GREEN_BOOK

# HM Treasury, The Green Book (2018), Table 8: years 0-30, 31-75, 76-125, 126-200, 201-300, 301+
BANDS = [(0, 30), (31, 75), (76, 125), (126, 200), (201, 300), (301, None)]
STANDARD = [0.035, 0.03, 0.025, 0.02, 0.015, 0.01]
HEALTH = [0.015, 0.01286, 0.01071, 0.00857, 0.00643, 0.00429]


def rate_in_year(t: int, table) -> float:
    """The Green Book rate of year t, read off the bands."""
    for (lo, hi), r in zip(BANDS, table):
        if lo <= t and (hi is None or t <= hi):
            return r
    raise AssertionError(t)


def factors(rate_of_year, horizon: int, timing: str = "end-of-year") -> list[float]:
    """The formula, as plain products: rate_of_year(s) is r_s."""
    out = [1.0]
    for t in range(1, horizon + 1):
        before = math.prod(1.0 / (1.0 + rate_of_year(s)) for s in range(1, t))
        if timing == "mid-year":
            out.append(before * (1.0 + rate_of_year(t)) ** -0.5)
        else:
            out.append(before / (1.0 + rate_of_year(t)))
    return out


def scenario_text(rate: str, *, horizon: int = 40, timing: str = "end-of-year",
                  benefit: str = "100", years: str = '"1.."', cost: float = 1000.0,
                  inputs: str = "", extra: str = "") -> str:
    return f"""\
[scenario]
name = "schedule"
horizon_years = {horizon}
timing = "{timing}"
discount_rate = {rate}

[inputs]
{inputs}

[[benefits]]
name = "b"
amount = {benefit}
years = {years}

[[costs]]
name = "c"
amount = {cost}
years = "0"
{extra}
"""


def run(text: str, runs: int = 500, seed: int = 5, **kw):
    return roisim.simulate(roisim.load_scenario(text), runs=runs, seed=seed, **kw)


# ---------------------------------------------------------------- the presets
def test_green_book_presets_are_the_2018_table():
    for name, table in (("green-book-2018", STANDARD), ("green-book-2018-health", HEALTH)):
        entries = GREEN_BOOK[name]
        assert [y for y, _ in entries] == [lo for lo, _ in BANDS]
        assert [r for _, r in entries] == table
    s = roisim.load_scenario(scenario_text('"green-book-2018"'))
    assert s.discount_rate.preset == "green-book-2018"


@pytest.mark.parametrize("name, table", [("green-book-2018", STANDARD),
                                         ("green-book-2018-health", HEALTH)])
def test_preset_band_edges_in_the_simulation(name, table):
    """A unit flow in one year at a time: the ratio of consecutive years' NPVs is 1/(1+r_t),
    with r_t read off the Green Book bands (31, 76 are the first years of new bands)."""
    pv = {}
    for t in (29, 30, 31, 32, 75, 76):
        text = scenario_text(f'"{name}"', horizon=80, years=f'"{t}"', cost=0.0)
        pv[t] = run(text, runs=1).summary["metrics"]["npv"]["mean"]
    for t in (30, 31, 32, 76):
        if t - 1 in pv:
            assert pv[t] / pv[t - 1] == pytest.approx(1 / (1 + rate_in_year(t, table)),
                                                     rel=1e-13)


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_forty_year_green_book_npv_closed_form(timing):
    """40 years of 100 a year after a build of 1,000, crossing year 31: the NPV from plain
    products, and (end-of-year) from numpy-financial on the two flat stretches."""
    result = run(scenario_text('"green-book-2018"', timing=timing), runs=3)
    d = factors(lambda s: rate_in_year(s, STANDARD), 40, timing)
    want = -1000.0 + 100.0 * sum(d[1:])
    if timing == "end-of-year":
        # years 1..30 at 3.5%, then years 31..40 at 3% from year 30's factor
        split = npf.npv(0.035, [-1000.0] + [100.0] * 30) + 1.035**-30 * npf.npv(
            0.03, [0.0] + [100.0] * 10)
        assert want == pytest.approx(split, rel=1e-13)
    npv = result.dataset["npv"].values
    assert npv == pytest.approx(np.full(3, want), rel=1e-12)
    bcr = result.dataset["bcr"].values
    assert bcr == pytest.approx(np.full(3, 100.0 * sum(d[1:]) / 1000.0), rel=1e-12)
    # discounted payback: k + (−C_k)/v_{k+1} on the discounted flows
    cumulative, k = -1000.0, 0
    while cumulative + 100.0 * d[k + 1] < 0:
        k += 1
        cumulative += 100.0 * d[k]
    want_pb = k + (-cumulative) / (100.0 * d[k + 1])
    got_pb = result.dataset["discounted_payback_years"].values
    assert got_pb == pytest.approx(np.full(3, want_pb), rel=1e-12)
    assert result.summary["central_case"]["npv"] == pytest.approx(want, rel=1e-12)


def test_a_rate_from_year_31_first_discounts_year_31_against_year_30():
    text = lambda t: scenario_text("{ schedule = [[0, 0.05], [31, 0.02]] }", years=f'"{t}"',
                                   cost=0.0)
    pv30 = run(text(30), runs=1).summary["metrics"]["npv"]["mean"]
    pv31 = run(text(31), runs=1).summary["metrics"]["npv"]["mean"]
    assert pv30 == pytest.approx(100.0 * 1.05**-30, rel=1e-13)
    assert pv31 / pv30 == pytest.approx(1 / 1.02, rel=1e-13)


def test_mid_year_at_a_change_discounts_half_a_year_at_each_rate():
    """Mid-year: year 31's flow sits half a year after the end of year 30, at year 31's rate."""
    text = lambda t: scenario_text("{ schedule = [[0, 0.05], [31, 0.02]] }", years=f'"{t}"',
                                   cost=0.0, timing="mid-year")
    pv30 = run(text(30), runs=1).summary["metrics"]["npv"]["mean"]
    pv31 = run(text(31), runs=1).summary["metrics"]["npv"]["mean"]
    assert pv30 == pytest.approx(100.0 * 1.05**-29.5, rel=1e-13)
    assert pv31 == pytest.approx(100.0 * 1.05**-30 * 1.02**-0.5, rel=1e-13)


def test_finance_npv_and_discounted_payback_take_a_schedule():
    flows = [-250.0, 100.0, 100.0, 100.0, 100.0]
    sched = [(0, 0.1), (3, 0.2)]
    d = factors(lambda s: 0.1 if s < 3 else 0.2, 4)
    assert roisim.finance.npv(sched, flows) == pytest.approx(
        sum(f * x for f, x in zip(flows, d)), rel=1e-14)
    assert list(roisim.finance.discount_factors(sched, 4, "mid-year")) == pytest.approx(
        factors(lambda s: 0.1 if s < 3 else 0.2, 4, "mid-year"), rel=1e-15)
    v = [f * x for f, x in zip(flows, d)]
    c = np.cumsum(v)
    k = max(i for i in range(5) if c[i] < 0)
    assert roisim.finance.discounted_payback(sched, flows) == pytest.approx(
        k + -c[k] / v[k + 1], rel=1e-14)
    with pytest.raises(ValueError):
        roisim.finance.npv([(1, 0.1)], flows)


# ---------------------------------------------------------------- a flat rate is unchanged
@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_one_entry_and_entries_beyond_the_horizon_equal_the_single_rate(timing):
    inputs = 'x = { dist = "uniform", min = 50, max = 150 }'
    flat = run(scenario_text("0.08", horizon=10, benefit='"x"', inputs=inputs, timing=timing))
    for rate in ("{ schedule = [[0, 0.08]] }", "{ schedule = [[0, 0.08], [50, 0.03]] }"):
        other = run(scenario_text(rate, horizon=10, benefit='"x"', inputs=inputs,
                                  timing=timing))
        for metric in ("npv", "bcr", "discounted_payback_years"):
            assert np.array_equal(flat.dataset[metric].values, other.dataset[metric].values)
    dist = '{ dist = "pert", min = 0.05, mode = 0.08, max = 0.12 }'
    a = run(scenario_text(dist, horizon=10, benefit='"x"', inputs=inputs, timing=timing))
    b = run(scenario_text(f"{{ schedule = [[0, {dist}]] }}", horizon=10, benefit='"x"',
                          inputs=inputs, timing=timing))
    assert np.array_equal(a.dataset["npv"].values, b.dataset["npv"].values)


@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_before_the_first_change_a_schedule_gives_the_flat_factors_bit_for_bit(timing):
    """The schedule's recursion is the flat one within a band."""
    flat = roisim.finance.discount_factors(0.035, 40, timing)
    sched = roisim.finance.discount_factors([(0, 0.035), (31, 0.03)], 40, timing)
    assert np.array_equal(flat[:31], sched[:31])
    assert not np.array_equal(flat[31:], sched[31:])


# ---------------------------------------------------------------- drawn entries
DRAWN = ('{ schedule = [[0, { dist = "uniform", min = 0.03, max = 0.04 }], [31, 0.03], '
         '[36, { dist = "uniform", min = 0.01, max = 0.03 }]] }')
X = 'x = { dist = "uniform", min = 50, max = 150 }'


@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_drawn_entries_are_drawn_once_per_run(timing):
    result = run(scenario_text(DRAWN, benefit='"x"', inputs=X, timing=timing), runs=300)
    ds = result.dataset
    r0, r36, x = (ds[n].values for n in ("discount_rate.0", "discount_rate.36", "x"))
    assert 0.03 <= r0.min() and r0.max() <= 0.04 and 0.01 <= r36.min() and r36.max() <= 0.03
    for i in range(0, 300, 37):
        rate = lambda s, i=i: r0[i] if s < 31 else (0.03 if s < 36 else r36[i])
        d = factors(rate, 40, timing)
        assert ds["npv"].values[i] == pytest.approx(-1000 + x[i] * sum(d[1:]), rel=1e-12)


def test_entry_draws_are_keyed_on_their_names():
    """Adding a schedule, or another entry, leaves every other input's draws alone."""
    flat = run(scenario_text("0.035", benefit='"x"', inputs=X))
    drawn = run(scenario_text(DRAWN, benefit='"x"', inputs=X))
    assert np.array_equal(flat.dataset["x"].values, drawn.dataset["x"].values)
    fewer = run(scenario_text(
        '{ schedule = [[0, 0.035], [36, { dist = "uniform", min = 0.01, max = 0.03 }]] }',
        benefit='"x"', inputs=X))
    assert np.array_equal(fewer.dataset["discount_rate.36"].values,
                          drawn.dataset["discount_rate.36"].values)
    assert np.array_equal(fewer.dataset["x"].values, drawn.dataset["x"].values)


def test_central_case_uses_each_entry_at_its_median():
    s = roisim.load_scenario(scenario_text(DRAWN, benefit='"x"', inputs=X))
    flows = central_flows(s)
    assert [y for y, _ in flows.schedule] == [0, 31, 36]
    assert [r for _, r in flows.schedule] == pytest.approx([0.035, 0.03, 0.02], rel=1e-14)
    d = factors(lambda t: 0.035 if t < 31 else (0.03 if t < 36 else 0.02), 40)
    assert flows.discount == pytest.approx(d, rel=1e-14)
    assert central_case(s)["npv"] == pytest.approx(-1000 + 100 * sum(d[1:]), rel=1e-12)
    assert flows.value("discount_rate.36") == pytest.approx(0.02, rel=1e-14)


# ---------------------------------------------------------------- variants and analyses
def test_stress_scale_and_hold_of_the_discount_rate_act_on_every_entry():
    text = scenario_text('{ schedule = [[0, 0.04], [31, 0.02]] }', extra="""
[[stress]]
name = "dearer"
scale = { "scenario.discount_rate" = 1.5 }
""")
    s = roisim.load_scenario(text)
    scaled = roisim.simulate(s, runs=2, seed=1, scale={"discount_rate": 1.5})
    d = factors(lambda t: 0.06 if t < 31 else 0.03, 40)
    assert scaled.dataset["npv"].values[0] == pytest.approx(-1000 + 100 * sum(d[1:]),
                                                           rel=1e-12)
    held = roisim.simulate(s, runs=2, seed=1, hold={"discount_rate": 0.05})
    assert held.dataset["npv"].values[0] == pytest.approx(
        npf.npv(0.05, [-1000.0] + [100.0] * 40), rel=1e-12)
    one = roisim.simulate(s, runs=2, seed=1, hold={"discount_rate.31": 0.05})
    d = factors(lambda t: 0.04 if t < 31 else 0.05, 40)
    assert one.dataset["npv"].values[0] == pytest.approx(-1000 + 100 * sum(d[1:]), rel=1e-12)
    from roisim.analysis.stress import stress
    case = stress(s, runs=2, seed=1).cases[0]
    d = factors(lambda t: 0.06 if t < 31 else 0.03, 40)
    assert case.figures.metrics.npv.mean == pytest.approx(-1000 + 100 * sum(d[1:]), rel=1e-12)


def test_stress_set_can_write_a_schedule_or_a_preset():
    text = scenario_text("0.08", extra="""
[[stress]]
name = "gb"
set = { "scenario.discount_rate" = "green-book-2018" }
[[stress]]
name = "table"
set = { "scenario.discount_rate" = { schedule = [[0, 0.035], [31, 0.03]] } }
""")
    s = roisim.load_scenario(text)
    for case in s.stress:
        assert case.scenario.discount_rate.entries[:2] == ((0, 0.035), (31, 0.03))


def test_correlating_a_drawn_entry_and_not_the_schedule():
    ok = scenario_text(DRAWN, benefit='"x"', inputs=X, extra="""
[correlations]
pairs = [["x", "discount_rate.36", 0.8]]
""")
    ds = run(ok, runs=4000).dataset
    from scipy.stats import spearmanr
    rho = spearmanr(ds["x"].values, ds["discount_rate.36"].values).statistic
    assert rho == pytest.approx(0.8, abs=0.03)
    bad = ok.replace('"discount_rate.36"', '"discount_rate"')
    with pytest.raises(ScenarioError) as info:
        roisim.load_scenario(bad)
    assert "discount_rate.0" in str(info.value) and "schedule" in str(info.value)


def test_sensitivity_lists_each_drawn_entry():
    from roisim.analysis.uncertain import uncertain_inputs
    from roisim.engine.plan import build_plan
    s = roisim.load_scenario(scenario_text(DRAWN, benefit='"x"', inputs=X))
    names = [i.name for i in uncertain_inputs(build_plan(s))]
    assert names == ["x", "discount_rate.0", "discount_rate.36"]


def test_breakeven_on_one_entry_and_a_clear_error_on_the_whole_schedule():
    s = roisim.load_scenario(scenario_text("{ schedule = [[0, 0.035], [31, 0.03]] }",
                                           cost=2000.0))
    found = breakeven(s, "scenario.discount_rate.schedule[0][1]", "npv.mean", runs=4)
    r = found.value
    d = factors(lambda t: r if t < 31 else 0.03, 40)
    assert -2000 + 100 * sum(d[1:]) == pytest.approx(0.0, abs=1e-4)
    with pytest.raises(ScenarioError, match=r"schedule\[1\]\[1\]"):
        breakeven(s, "scenario.discount_rate", "npv.mean", runs=4)
    gb = roisim.load_scenario(scenario_text('"green-book-2018"'))
    with pytest.raises(ScenarioError, match="write the schedule out"):
        breakeven(gb, "scenario.discount_rate", "npv.mean", runs=4)


def test_reports_show_the_schedule():
    result = run(scenario_text('"green-book-2018"'), runs=10)
    info = result.summary["discount_rate"]
    assert info["kind"] == "schedule" and info["preset"] == "green-book-2018"
    assert info["schedule"] == [[0, 0.035], [31, 0.03]]  # the entries in force over 40 years
    from roisim.report.text import render_report
    text = render_report(result.figures)
    lines = text.splitlines()
    k = lines.index("Discount schedule (green-book-2018): the rate in force from each year on")
    assert [ln.split() for ln in lines[k + 1:k + 3]] == [["from", "year", "0", "3.5%"],
                                                         ["from", "year", "31", "3%"]]
    assert "green-book-2018: 3.5% from year 0, 3% from year 31" == info["text"]


# ---------------------------------------------------------------- errors, one by one
@pytest.mark.parametrize("rate, path, fragment", [
    ("{ schedule = [[1, 0.035], [31, 0.03]] }", "scenario.discount_rate.schedule[0][0]",
     "must start at year 0"),
    ("{ schedule = [[0, 0.035], [31, 0.03], [31, 0.02]] }",
     "scenario.discount_rate.schedule[2][0]", "increase"),
    ("{ schedule = [[0, 0.035], [40, 0.03], [31, 0.02]] }",
     "scenario.discount_rate.schedule[2][0]", "increase"),
    ("{ schedule = [[0, 0.035], [30.5, 0.03]] }", "scenario.discount_rate.schedule[1][0]",
     "whole number"),
    ('{ schedule = [[0, 0.035], ["31", 0.03]] }', "scenario.discount_rate.schedule[1][0]",
     "whole number"),
    ("{ schedule = [[0, 0.035], [-5, 0.03]] }", "scenario.discount_rate.schedule[1][0]",
     ">= 0"),
    ("{ schedule = [[0, 0.035], [31, 3.5]] }", "scenario.discount_rate.schedule[1][1]",
     "such as 0.08"),
    ("{ schedule = [[0, 0.035], [31, -1]] }", "scenario.discount_rate.schedule[1][1]",
     "greater than -1"),
    ('{ schedule = [[0, 0.035], [31, { dist = "normal", mean = 0.03, sd = 1 }]] }',
     "scenario.discount_rate.schedule[1][1]", "can reach"),
    ('{ schedule = [[0, 0.035], [31, { dist = "uniform", min = 0.01, max = 0.03, '
     'per = "year" }]] }', "scenario.discount_rate.schedule[1][1].per", "once per run"),
    ("{ schedule = [] }", "scenario.discount_rate.schedule", "empty"),
    ("{ schedule = [0, 0.035] }", "scenario.discount_rate.schedule[0]", "pair"),
    ("{ schedule = [[0, 0.035, 31]] }", "scenario.discount_rate.schedule[0]", "pair"),
    ("{ schedule = 0.035 }", "scenario.discount_rate.schedule", "list"),
    ("{ schedul = [[0, 0.035]] }", "scenario.discount_rate.schedul", "did you mean 'schedule'"),
    ("{ schedule = [[0, 0.035]], from = 1 }", "scenario.discount_rate.from", "unknown key"),
    ('"green-book-2019"', "scenario.discount_rate", "did you mean 'green-book-2018'"),
    ('"greenbook"', "scenario.discount_rate", "green-book-2018-health"),
    ("[[0, 0.035], [31, 0.03]]", "scenario.discount_rate", "{ schedule ="),
])
def test_schedule_errors_are_one_line_at_the_field(write_toml, rate, path, fragment):
    p = write_toml(scenario_text(rate))
    with pytest.raises(ScenarioError) as info:
        roisim.load_scenario(p)
    err = info.value
    text = str(err)
    assert err.path == path, text
    assert fragment.lower() in text.lower(), text
    assert "\n" not in text and "Traceback" not in text
    assert Path(err.file).name == p.name
    assert err.line == 5  # the discount_rate line of scenario_text


def test_schedule_error_from_the_command_line(write_toml, tmp_path):
    from click.testing import CliRunner

    from roisim.cli.main import main
    p = write_toml(scenario_text("{ schedule = [[5, 0.035]] }"))
    out = CliRunner().invoke(main, ["validate", str(p)])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and ":5: scenario.discount_rate.schedule[0][0]:" in lines[0]


def test_drawn_schedule_is_the_same_across_threads_and_streaming():
    s = roisim.load_scenario(scenario_text(DRAWN, benefit='"x"', inputs=X, timing="mid-year"))
    one = roisim.simulate(s, runs=3000, seed=9, threads=1)
    two = roisim.simulate(s, runs=3000, seed=9, threads=2)
    streamed = roisim.simulate(s, runs=3000, seed=9, threads=2, summary_only=True)
    assert np.array_equal(one.dataset["npv"].values, two.dataset["npv"].values)
    assert one.summary["metrics"] == streamed.summary["metrics"]


def test_html_method_section_shows_the_schedule():
    from roisim.report.html.sections import method
    result = run(scenario_text('"green-book-2018-health"', horizon=80), runs=10)
    rows = dict(method(result.figures, "roisim report x.toml", None))
    assert rows["Discount rate"] == (
        "green-book-2018-health: 1.5% from year 0, 1.286% from year 31, 1.071% from year 76")
