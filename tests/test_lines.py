"""Each line's present value and amounts by year (issue 10, section 1), and the central case.

The oracles are independent: the identity Σ PV(benefits) − Σ PV(costs) = NPV, the annuity
closed form, a numpy recomputation of a line's PV from the dataset's own draws (written from
docs/methodology.md section 1.1, not from the kernel), and numpy's order statistics.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import roisim
from roisim.analysis.schema import CentralCase, LineFigures, RunSummary
from roisim.analysis.summary import summarize_run
from roisim.engine.blocks import ArraySource
from roisim.engine.layout import Layout
from roisim.engine.plan import build_plan
from roisim.engine.run import KernelSource, run_range

MIXED = """
[scenario]
name = "lines"
horizon_years = 5
discount_rate = {{ dist = "uniform", min = 0.03, max = 0.12 }}
timing = "{timing}"

[inputs]
x = {{ dist = "normal", mean = 100, sd = 30 }}
n = {{ dist = "poisson", mean = 3, per = "year" }}
g = {{ dist = "uniform", min = -0.05, max = 0.10 }}
rate = {{ dist = "pert", min = 20, mode = 25, max = 40 }}

[[benefits]]
name = "Hours"
amount = "x * n"
years = "1.."
ramp = [0.5, 0.8]
growth = "g"

[[benefits]]
name = "Flat"
amount = 50
years = "2..4"

[[costs]]
name = "Build"
amount = {{ dist = "pert", min = 150, mode = 200, max = 320 }}
years = "0"

[[costs]]
name = "Run"
amount = "rate * 2"
years = "1.."
growth = 0.03
"""


def scenario(timing: str = "end-of-year"):
    return roisim.load_scenario(MIXED.format(timing=timing))


def signed(ds) -> np.ndarray:
    return np.where(ds["line_kind"].values == "benefit", 1.0, -1.0)


@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
@pytest.mark.parametrize(
    "variant", [{}, {"delay": {"benefits": 1}, "scale": {"x": 1.3}, "hold": {"g": 0.02}}]
)
def test_line_pvs_add_up_to_the_npv_in_every_run(timing, variant):
    r = roisim.simulate(scenario(timing), runs=20_000, seed=4, **variant)
    ds = r.dataset
    assert ds["line_pv"].dims == ("run", "line")
    assert list(ds["line"].values) == ["Hours", "Flat", "Build", "Run"]
    assert list(ds["line_kind"].values) == ["benefit", "benefit", "cost", "cost"]
    total = (ds["line_pv"].values * signed(ds)).sum(axis=1)
    scale = np.abs(ds["line_pv"].values).sum(axis=1)
    assert np.all(np.abs(total - ds["npv"].values) <= 1e-12 * scale)
    # the central case of a variant is not the scenario's: None rather than wrong
    assert (r.figures.central_case is None) == bool(variant)


def test_a_delayed_line_has_the_pv_of_its_shifted_flows():
    base = roisim.simulate(scenario(), runs=5000, seed=8, line_years=True).dataset
    late = roisim.simulate(
        scenario(), runs=5000, seed=8, line_years=True, delay={"costs[1]": 1}
    ).dataset
    a = base["line_amount"].sel(line="Run").values
    b = late["line_amount"].sel(line="Run").values
    np.testing.assert_array_equal(b[:, 2:], a[:, 1:-1])  # a year later, growth moved too
    assert np.all(b[:, :2] == 0.0)


CONSTANT = """
[scenario]
name = "annuity"
horizon_years = 7
discount_rate = 0.07
timing = "{timing}"

[inputs]
noise = {{ dist = "normal", mean = 0, sd = 1 }}

[[benefits]]
name = "Noise"
amount = "noise"
years = "0"

[[benefits]]
name = "Saving"
amount = 1000
years = "1.."
"""


@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_a_constant_line_has_the_annuity_pv_in_every_run(timing):
    c, r, h = 1000.0, 0.07, 7
    expected = c * (1 - (1 + r) ** -h) / r
    if timing == "mid-year":
        expected *= (1 + r) ** 0.5
    res = roisim.simulate(roisim.load_scenario(CONSTANT.format(timing=timing)), runs=3000, seed=1)
    pv = res.dataset["line_pv"].sel(line="Saving").values
    np.testing.assert_allclose(pv, expected, rtol=1e-13)
    line = res.figures.lines[1]
    assert line.name == "Saving" and line.kind == "benefit"
    for v in (line.pv.mean, line.pv.p5, line.pv.p50, line.pv.p95):
        assert v == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("timing", ["end-of-year", "mid-year"])
def test_a_random_line_pv_recomputed_from_the_draws(timing):
    """Hours: x·n_t · ramp · (1+g)^(t−1), active from year 1, ramp 0.5, 0.8, then 1."""
    ds = roisim.simulate(scenario(timing), runs=4000, seed=12).dataset
    x, n, g = ds["x"].values, ds["n"].values, ds["g"].values
    r = ds["discount_rate"].values
    t = np.arange(6.0)
    ramp = np.array([0.0, 0.5, 0.8, 1.0, 1.0, 1.0])
    growth = (1.0 + g[:, None]) ** np.maximum(t - 1.0, 0.0)
    amounts = ramp * growth * x[:, None] * n
    exponent = np.where(t > 0, t - (0.5 if timing == "mid-year" else 0.0), 0.0)
    d = (1.0 + r[:, None]) ** -exponent
    np.testing.assert_allclose(
        ds["line_pv"].sel(line="Hours").values, (amounts * d).sum(1), rtol=1e-11
    )


def test_line_figures_are_numpys_order_statistics_and_means():
    r = roisim.simulate(scenario(), runs=30_001, seed=3, line_years=True)
    ds = r.dataset
    assert len(r.figures.lines) == 4
    for j, line in enumerate(r.figures.lines):
        pv = ds["line_pv"].values[:, j]
        assert line.pv.p5 == float(np.quantile(pv, 0.05))
        assert line.pv.p50 == float(np.quantile(pv, 0.50))
        assert line.pv.p95 == float(np.quantile(pv, 0.95))
        assert line.pv.mean == pytest.approx(pv.mean(), rel=1e-12)
        amounts = ds["line_amount"].values[:, j, :]
        assert line.p5_by_year == tuple(float(np.quantile(amounts[:, k], 0.05)) for k in range(6))
        assert line.p95_by_year == tuple(float(np.quantile(amounts[:, k], 0.95)) for k in range(6))
        np.testing.assert_allclose(line.mean_by_year, amounts.mean(axis=0), rtol=1e-12, atol=1e-9)
    # the amounts add up to the net cash flow, year by year
    net = (ds["line_amount"].values * signed(ds)[None, :, None]).sum(axis=1)
    np.testing.assert_allclose(net, ds["net_cashflow"].values, rtol=1e-12, atol=1e-9)
    assert r.figures.lines[2].mean_by_year[1:] == (0.0,) * 5  # the build is in year 0 only


def test_without_line_years_only_the_by_year_percentiles_are_none_and_the_rest_unchanged():
    plain = roisim.simulate(scenario(), runs=20_000, seed=6)
    full = roisim.simulate(scenario(), runs=20_000, seed=6, line_years=True)
    assert "line_amount" not in plain.dataset
    for a, b in zip(plain.figures.lines, full.figures.lines):
        assert a.p5_by_year is a.p95_by_year is None
        assert a.pv == b.pv
        assert a.mean_by_year == b.mean_by_year  # one definition: the same bits either way
    assert plain.figures.metrics == full.figures.metrics
    assert plain.figures.cashflow_by_year == full.figures.cashflow_by_year


@pytest.mark.parametrize("line_years", [False, True])
def test_streaming_equals_in_memory_exactly(line_years):
    kw = dict(runs=140_001, seed=9, line_years=line_years)
    mem = roisim.simulate(scenario("mid-year"), summary_only=False, **kw)
    one = roisim.simulate(scenario("mid-year"), summary_only=True, threads=1, **kw)
    two = roisim.simulate(scenario("mid-year"), summary_only=True, threads=2, **kw)
    text = lambda r: json.dumps(r.summary, sort_keys=True)
    assert text(mem) == text(one) == text(two)


PER_YEAR = """
[scenario]
name = "per-year"
horizon_years = 6
discount_rate = 0.08

[inputs]
users = { dist = "lognormal", median = 400, p95 = 900, per = "year" }
fee = { dist = "triangular", min = 2, mode = 3, max = 6 }
churn = { dist = "beta", alpha = 2, beta = 18, per = "year" }
g = { dist = "normal", mean = 0.04, sd = 0.03 }
kept = "users * (1 - churn)"

[[benefits]]
name = "Fees"
amount = "kept * fee"
years = "1.."
ramp = [0.25, 0.5, 0.9]
growth = "g"

[[benefits]]
name = "Bonus"
amount = { dist = "uniform", min = -20, max = 80 }
years = "3..5"

[[costs]]
name = "Build"
amount = { dist = "pert", min = 900, mode = 1200, max = 2000 }
years = "0..1"

[[costs]]
name = "Support"
amount = "0.2 * users"
years = "1.."
growth = 0.05
"""


@pytest.mark.parametrize(
    "text", [MIXED.format(timing="mid-year"), PER_YEAR], ids=["mixed", "per-year"]
)
@pytest.mark.parametrize("threads", [1, 2])
def test_mean_by_year_is_always_there_and_is_numpys_mean(text, threads):
    """mean_by_year without line_years: numpy's mean of the per-run amounts (taken from a
    line_years run of the same seed), in memory and streaming, whatever the threads; the lines'
    means add up to the mean net cash flow of each year."""
    s, runs = roisim.load_scenario(text), 140_001
    amounts = roisim.simulate(s, runs=runs, seed=11, threads=threads, line_years=True)
    amounts = amounts.dataset["line_amount"].values  # (run, line, year)
    mem = roisim.simulate(s, runs=runs, seed=11, threads=threads, keep_inputs=False)
    streamed = roisim.simulate(s, runs=runs, seed=11, threads=threads, summary_only=True)
    assert mem.summary == streamed.summary
    lines = mem.figures.lines
    for j, line in enumerate(lines):
        assert line.p5_by_year is line.p95_by_year is None
        assert len(line.mean_by_year) == s.horizon_years + 1
        np.testing.assert_allclose(
            line.mean_by_year, amounts[:, j, :].mean(axis=0), rtol=1e-12, atol=1e-12
        )
    sign = [1.0 if line.kind == "benefit" else -1.0 for line in lines]
    net = sum(k * np.array(line.mean_by_year) for k, line in zip(sign, lines))
    cashflow = np.array(mem.figures.cashflow_by_year.mean)
    np.testing.assert_allclose(net, cashflow, rtol=1e-9, atol=1e-9 * np.abs(cashflow).max())


def test_mean_by_year_is_the_same_from_every_source():
    """The kernel's block sums (streaming, in memory) and the line-year rows' sums (a source
    given only the values) give the same bits, whatever the chunks and the block order."""
    runs = 200_003
    plan = build_plan(scenario(), 5).with_line_rows("pv")
    full = plan.with_line_rows("years")
    arrays = run_range(plan, 0, runs, threads=2, chunk=777, keep_inputs=False)
    by_source = [
        summarize_run(KernelSource(plan, runs, threads=2, chunk=4099), runs, Layout.of(plan)),
        summarize_run(KernelSource(full, runs, threads=1, blocks=[3, 1, 0, 2]), runs,
                      Layout.of(full)),
        summarize_run(ArraySource(arrays.values, 2, arrays.line_sums), runs, Layout.of(plan)),
        summarize_run(ArraySource(run_range(full, 0, runs, threads=1).values, 1), runs,
                      Layout.of(full)),
    ]
    means = {tuple(line.mean_by_year for line in lines) for _, _, lines in by_source}
    assert len(means) == 1
    # a source with neither the kernel's sums nor the line-year rows cannot know them
    bare = summarize_run(ArraySource(arrays.values, 1), runs, Layout.of(plan))[2]
    assert all(line.mean_by_year is None for line in bare)


def test_block_order_and_chunks_do_not_change_the_lines():
    runs = 200_003
    plan = build_plan(scenario(), 5).with_line_rows("years")
    layout = Layout.of(plan)
    sources = [
        KernelSource(plan, runs, threads=1),
        KernelSource(plan, runs, threads=2, chunk=4099),
        KernelSource(plan, runs, threads=1, blocks=[2, 0, 3, 1]),
        ArraySource(run_range(plan, 0, runs, threads=2, chunk=777).values, 2),
    ]
    out = {repr(summarize_run(src, runs, layout)[2]) for src in sources}
    assert len(out) == 1


def test_central_case_in_json_and_typed_summary():
    r = roisim.simulate(scenario(), runs=2000, seed=2)
    central = r.figures.central_case
    assert isinstance(central, CentralCase)
    # the issue's keys: the metrics' own, in their order
    assert list(r.summary["central_case"]) == list(r.summary["metrics"])
    again = RunSummary.from_dict(json.loads(r.figures.to_json()))
    assert again == r.figures
    assert isinstance(again.central_case, CentralCase)
    assert all(isinstance(line, LineFigures) for line in again.lines)
    full = roisim.simulate(scenario(), runs=2000, seed=2, line_years=True).figures
    assert RunSummary.from_dict(json.loads(full.to_json())) == full
    varied = roisim.simulate(scenario(), runs=2000, seed=2, hold={"x": 90.0}).figures
    assert varied.central_case is None and varied.to_dict()["central_case"] is None
    assert RunSummary.from_dict(varied.to_dict()) == varied


def test_central_case_npv_from_hand_computed_flows():
    """All inputs constant but one symmetric draw: the central case is the flows at its median."""
    text = """
[scenario]
name = "central"
horizon_years = 3
discount_rate = 0.1
[inputs]
x = { dist = "normal", mean = 60, sd = 5 }
[[benefits]]
name = "saving"
amount = "x"
years = "1.."
[[costs]]
name = "build"
amount = 100
years = "0"
"""
    c = roisim.simulate(roisim.load_scenario(text), runs=1000, seed=1).figures.central_case
    assert c.npv == pytest.approx(-100 + 60 * (1 / 1.1 + 1 / 1.1**2 + 1 / 1.1**3), rel=1e-12)
    assert c.roi == pytest.approx((180 - 100) / 100, rel=1e-12)


@pytest.fixture(scope="module")
def executor():
    pytest.importorskip("dask.distributed")
    from roisim.engine.distributed import dask_executor

    ex = dask_executor("local:2", blocks_per_task=1)
    try:
        yield ex
    finally:
        ex.close()


def test_dask_lines_equal_local(executor):
    kw = dict(runs=150_000, seed=21, line_years=True)
    local = roisim.simulate(scenario(), summary_only=True, **kw).summary
    dask = roisim.simulate(scenario(), executor=executor, **kw).summary
    assert json.dumps(dask, sort_keys=True) == json.dumps(local, sort_keys=True)
    assert dask["lines"][0]["p95_by_year"] is not None


def test_dask_mean_by_year_without_line_years_equals_local(executor):
    kw = dict(runs=150_000, seed=21)
    local = roisim.simulate(scenario(), summary_only=True, **kw).summary
    memory = roisim.simulate(scenario(), summary_only=False, **kw).summary
    dask = roisim.simulate(scenario(), executor=executor, **kw).summary
    assert json.dumps(dask, sort_keys=True) == json.dumps(local, sort_keys=True)
    assert dask == memory
    assert dask["lines"][0]["mean_by_year"] is not None and dask["lines"][0]["p5_by_year"] is None


def test_an_unknown_line_rows_level_is_refused():
    with pytest.raises(ValueError, match="line_rows must be one of"):
        build_plan(scenario(), 1).with_line_rows("all")


def test_summarize_plan_is_what_simulate_reports_and_knows_a_variant():
    from roisim.analysis.simulate import summarize_plan

    for variant in ({}, {"delay": {"benefits": 1}}):
        plan = build_plan(scenario(), 7, **variant)
        assert plan.varied == bool(variant)
        mem, arrays = summarize_plan(plan, 20_000, 7, keep_inputs=False)
        streamed, none = summarize_plan(plan, 20_000, 7, summary_only=True)
        assert none is None and arrays.values.shape[1] == 20_000
        direct = roisim.simulate(scenario(), runs=20_000, seed=7, **variant)
        assert mem.summary == streamed.summary == direct.summary
        assert (mem.figures.central_case is None) == bool(variant)
