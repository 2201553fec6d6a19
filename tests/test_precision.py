"""The precision stop rule (issue 11 section 3): rounds of doubling runs until the interval of one
figure at the rule's confidence is at most the tolerance, or max_runs is reached.

The half-widths are recomputed here from the per-run arrays of a plain run, with scipy's normal
and binomial quantiles and the textbook Wilson formula, never read from roisim's output.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import binom, norm
from scipy.stats import t as t_dist

import roisim
from roisim import ScenarioError
from roisim.analysis import schema
from roisim.analysis.precision import round_sizes
from roisim.cli.main import main
from roisim.scenario.precision import Precision, metric_names

SEED = 11


def scenario_text(precision: str = "", runs: int = 500, mean: float = 50, extra: str = "") -> str:
    """NPV = -100 + saving·(1/1.1 + 1/1.1² + 1/1.1³), saving ~ normal(mean, 10)."""
    rule = f"precision = {precision}\n" if precision else ""
    return f"""\
[scenario]
name = "precision test"
horizon_years = 3
discount_rate = 0.1

[simulation]
runs = {runs}
seed = {SEED}
{rule}{extra}
[inputs]
saving = {{ dist = "normal", mean = {mean}, sd = 10 }}

[[benefits]]
name = "saving"
amount = "saving"

[[costs]]
name = "build"
amount = 100
years = "0"
"""


def load(precision: str = "", **kw):
    return roisim.load_scenario(scenario_text(precision, **kw))


def npv_runs(scenario, n: int) -> np.ndarray:
    """The NPVs of a plain run of n runs (no stop rule)."""
    plain = roisim.simulate(scenario, runs=n, seed=SEED, threads=1, precision=False)
    return plain.dataset["npv"].values


def mean_half_width(x: np.ndarray, confidence: float = 0.95) -> float:
    return float(norm.ppf(0.5 + confidence / 2) * np.std(x, ddof=1) / math.sqrt(len(x)))


def wilson_half_width(k: int, n: int, confidence: float = 0.95) -> float:
    z = norm.ppf(0.5 + confidence / 2)
    return float(z * math.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n))


def percentile_half_width(x: np.ndarray, q: float, confidence: float = 0.95) -> float:
    """Half of [x_(j), x_(k)], j = binom.ppf((1-c)/2) and k = binom.ppf((1+c)/2) + 1 (1-based)."""
    n, s = len(x), np.sort(x)
    alpha = (1 - confidence) / 2
    j = max(1, int(binom.ppf(alpha, n, q)))
    k = min(n, int(binom.ppf(1 - alpha, n, q)) + 1)
    return float(s[k - 1] - s[j - 1]) / 2


def expected_rounds(half_widths: dict[int, float], tolerance) -> list[int]:
    """The rounds the rule should run: up to the first whose half-width is within tolerance."""
    out = []
    for n, half in half_widths.items():
        out.append(n)
        if half <= (tolerance(n) if callable(tolerance) else tolerance):
            break
    return out


def same_summary(a: dict, b: dict) -> None:
    """Equal summaries apart from the precision block (bit for bit: == on floats)."""
    assert {**a, "precision": None} == {**b, "precision": None}


# --------------------------------------------------------------------------- rounds
def test_round_sizes_double_and_cap():
    assert round_sizes(1000, 10_000) == [1000, 2000, 4000, 8000, 10_000]
    assert round_sizes(1000, 1000) == [1000]
    assert round_sizes(1000, 8000, doubling_only=True) == [1000, 2000, 4000, 8000]
    assert round_sizes(1000, 7999, doubling_only=True) == [1000, 2000, 4000]


def test_mean_rounds_double_and_stop_at_the_first_round_within_tolerance():
    base = load()
    x = npv_runs(base, 8000)  # run i is the same in every round: a prefix is that round's runs
    halves = {n: mean_half_width(x[:n]) for n in (500, 1000, 2000, 4000, 8000)}
    tolerance = (halves[2000] + halves[4000]) / 2  # met at 4000 runs, not before
    scenario = load(f'{{ metric = "npv.mean", tolerance = {tolerance!r} }}')
    result = roisim.simulate(scenario, threads=1)
    got = result.figures.precision
    assert [r.runs for r in got.rounds] == expected_rounds(halves, tolerance) == [
        500, 1000, 2000, 4000]
    for r in got.rounds:
        assert r.half_width == pytest.approx(halves[r.runs], rel=1e-9)
    assert got.met and got.runs == result.figures.runs == 4000
    assert got.half_width == pytest.approx(halves[4000], rel=1e-9) and got.half_width <= tolerance
    assert got.tolerance == tolerance and got.relative is None and got.confidence == 0.95
    assert result.dataset.sizes["run"] == 4000


def test_mean_at_another_confidence():
    base = load()
    x = npv_runs(base, 4000)
    halves = {n: mean_half_width(x[:n], 0.99) for n in (500, 1000, 2000, 4000)}
    tolerance = (halves[1000] + halves[2000]) / 2
    rule = Precision("npv.mean", tolerance=tolerance, confidence=0.99)
    got = roisim.simulate(base, threads=1, precision=rule).figures.precision
    assert got.runs == 2000 and got.met and got.confidence == 0.99
    assert got.half_width == pytest.approx(halves[2000], rel=1e-9)


def test_the_result_is_a_plain_run_of_the_final_runs(write_toml):
    """In memory and streaming, on 1 and 2 threads: the same summary and runs, bit for bit."""
    scenario = load('{ metric = "npv.mean", tolerance = 0.6 }')
    first = roisim.simulate(scenario, threads=1)
    n = first.figures.runs
    assert n > 500 and first.figures.precision.met
    plain = roisim.simulate(scenario, runs=n, seed=SEED, threads=2, precision=False)
    same_summary(first.summary, plain.summary)
    assert plain.summary["precision"] is None
    np.testing.assert_array_equal(first.dataset["npv"].values, plain.dataset["npv"].values)
    np.testing.assert_array_equal(first.dataset["saving"].values, plain.dataset["saving"].values)
    streamed = roisim.simulate(scenario, threads=2, summary_only=True)
    assert streamed.dataset is None
    assert streamed.summary == first.summary  # the precision block too: the same rounds
    plain_streamed = roisim.simulate(scenario, runs=n, threads=1, summary_only=True,
                                     precision=False)
    same_summary(streamed.summary, plain_streamed.summary)


# --------------------------------------------------------------------------- metrics
def test_prob_positive_uses_the_wilson_half_width():
    base = load(mean=40)  # P(NPV > 0) near one half
    x = npv_runs(base, 8000)
    halves = {n: wilson_half_width(int(np.sum(x[:n] > 0)), n) for n in (500, 1000, 2000, 4000)}
    tolerance = (halves[1000] + halves[2000]) / 2
    got = roisim.simulate(base, threads=1, precision=f"npv.prob_positive={tolerance!r}")
    rule = got.figures.precision
    assert rule.metric == "npv.prob_positive" and rule.runs == 2000 and rule.met
    assert rule.half_width == pytest.approx(halves[2000], rel=1e-9)
    assert 0.3 < got.figures.metrics.npv.prob_positive < 0.7


def test_p5_relative_tolerance():
    base = load(mean=40)
    x = npv_runs(base, 16_000)
    sizes = (500, 1000, 2000, 4000, 8000, 16_000)
    halves = {n: percentile_half_width(x[:n], 0.05) for n in sizes}
    p5 = {n: float(np.percentile(x[:n], 5)) for n in sizes}
    # a relative tolerance between the half-widths at 2000 and 4000 runs (as |P5| there)
    relative = (halves[2000] / abs(p5[2000]) + halves[4000] / abs(p5[4000])) / 2
    expected = expected_rounds(halves, lambda n: relative * abs(p5[n]))
    scenario = load(f'{{ metric = "npv.p5", relative = {relative!r} }}', mean=40)
    result = roisim.simulate(scenario, threads=1)
    got = result.figures.precision
    assert [r.runs for r in got.rounds] == expected
    assert got.relative == relative and got.met
    assert got.tolerance == pytest.approx(relative * abs(result.figures.metrics.npv.p5), rel=1e-12)
    assert got.half_width == pytest.approx(halves[got.runs], rel=1e-12)
    summary = result.summary["precision"]
    assert summary["relative"] == relative and summary["tolerance"] == got.tolerance


@pytest.mark.parametrize("summary_only", [False, True])
def test_a_percentile_at_another_confidence(summary_only):
    """At 90% the ranks differ from the summary's 95% interval: in memory from the runs, when
    streaming from extra passes; both give the same rounds."""
    base = load(mean=40)
    x = npv_runs(base, 8000)
    halves = {n: percentile_half_width(x[:n], 0.10, 0.90) for n in (500, 1000, 2000, 4000)}
    assert halves[500] != pytest.approx(percentile_half_width(x[:500], 0.10, 0.95))
    tolerance = (halves[1000] + halves[2000]) / 2
    rule = Precision("npv.p10", tolerance=tolerance, confidence=0.9)
    got = roisim.simulate(base, threads=2, precision=rule, summary_only=summary_only)
    assert [r.runs for r in got.figures.precision.rounds] == [500, 1000, 2000]
    assert got.figures.precision.half_width == pytest.approx(halves[2000], rel=1e-12)


def test_not_met_by_max_runs_stops_there():
    scenario = load('{ metric = "npv.mean", tolerance = 1e-6, max_runs = 3000 }')
    result = roisim.simulate(scenario, threads=1)
    got = result.figures.precision
    assert [r.runs for r in got.rounds] == [500, 1000, 2000, 3000]
    assert not got.met and got.runs == 3000 == result.figures.runs and got.max_runs == 3000
    x = result.dataset["npv"].values
    assert got.half_width == pytest.approx(mean_half_width(x), rel=1e-9)
    assert got.half_width > got.tolerance


def test_every_figure_with_an_interval_can_be_the_metric():
    """The rule's metric names are exactly the summary's ci95 entries."""
    expected = []
    for metric in dataclasses.fields(schema.Metrics):
        ci = {f.name: f.type for f in dataclasses.fields(getattr(schema, metric.type))}["ci95"]
        expected += [f"{metric.name}.{f.name}" for f in dataclasses.fields(getattr(schema, ci))]
    assert sorted(metric_names()) == sorted(expected)


@pytest.mark.parametrize("metric", ["irr.p50", "payback_years.prob_within_horizon",
                                    "bcr.mean", "roi.prob_defined"])
def test_other_metrics_run(metric):
    result = roisim.simulate(load(), threads=1, precision=f"{metric}=5%")
    got = result.figures.precision
    assert got.metric == metric and got.runs == result.figures.runs
    assert got.half_width is not None and (got.half_width <= got.tolerance) == got.met


# --------------------------------------------------------------------------- command line
@pytest.fixture
def runner():
    return CliRunner()


def test_cli_precision_option(runner, write_toml):
    path = write_toml(scenario_text())
    res = runner.invoke(main, ["run", str(path), "--precision", "npv.mean=0.6", "--json",
                               "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rule = out["precision"]
    assert list(rule)[:5] == ["metric", "tolerance", "half_width", "runs", "met"]
    assert rule["metric"] == "npv.mean" and rule["tolerance"] == 0.6 and rule["met"]
    assert out["runs"] == rule["runs"] and rule["half_width"] <= 0.6
    library = roisim.simulate(roisim.load_scenario(path), precision="npv.mean=0.6")
    assert library.summary == out


def test_cli_warns_and_exits_0_when_not_met(runner, write_toml):
    path = write_toml(scenario_text('{ metric = "npv.p5", relative = 0.0001, max_runs = 2000 }'))
    res = runner.invoke(main, ["run", str(path), "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0
    warning = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "precision not met" in warning[0] and "2,000" in warning[0]
    assert "npv.p5" in warning[0]
    report = [line for line in res.stdout.splitlines() if line.startswith("Precision:")]
    assert len(report) == 1 and "NOT within" in report[0]
    met = runner.invoke(main, ["run", str(path), "--quiet", "--precision", "npv.mean=50%"])
    assert met.exit_code == 0 and "warning" not in met.stderr
    assert "Precision:" in met.stdout and "NOT within" not in met.stdout


@pytest.mark.parametrize("text", ["npv.mean", "npv.mean=", "npv.mean=abc", "=2000",
                                  "npv.mean=2000=3", "npv.mean=-5", "npv.mean=0", "npv.p5=150%",
                                  "npv.mena=2000"])
def test_cli_bad_precision_is_one_line(runner, write_toml, text):
    path = write_toml(scenario_text())
    res = runner.invoke(main, ["run", str(path), "--precision", text, "--quiet"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--precision" in lines[0]


def test_cli_unknown_metric_suggests(runner, write_toml):
    res = runner.invoke(main, ["run", str(write_toml(scenario_text())), "--precision",
                               "npv.prob_positve=0.01"])
    assert res.exit_code == 2 and "did you mean 'npv.prob_positive'" in res.stderr


# --------------------------------------------------------------------------- errors
def expect_error(text_or_path, path: str, *fragments) -> ScenarioError:
    """Loading fails with one line at ``path`` (with the file and line when from a file)."""
    with pytest.raises(ScenarioError) as info:
        roisim.load_scenario(text_or_path)
    err = info.value
    message = str(err)
    assert err.path == path, message
    assert "\n" not in message and path in message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    if isinstance(text_or_path, Path):
        assert Path(err.file).name == text_or_path.name
        line = text_or_path.read_text().splitlines()[err.line - 1]
        assert line.startswith("precision"), line
    return err


@pytest.mark.parametrize("rule, path, fragments", [
    ('{ metric = "npv.mean", tolerence = 5 }', "simulation.precision.tolerence",
     ["unknown key", "did you mean 'tolerance'"]),
    ('{ metric = "npv.mena", tolerance = 5 }', "simulation.precision.metric",
     ["unknown metric", "did you mean 'npv.mean'"]),
    ('{ metric = "npv.sd", tolerance = 5 }', "simulation.precision.metric",
     ["no Monte Carlo interval"]),
    ('{ metric = 3, tolerance = 5 }', "simulation.precision.metric", ["npv.mean"]),
    ('{ tolerance = 5 }', "simulation.precision.metric", ["is required"]),
    ('{ metric = "npv.mean", tolerance = 5, relative = 0.01 }', "simulation.precision",
     ["exactly one of tolerance", "both"]),
    ('{ metric = "npv.mean" }', "simulation.precision", ["exactly one of tolerance", "neither"]),
    ('{ metric = "npv.mean", tolerance = 0 }', "simulation.precision.tolerance", ["> 0"]),
    ('{ metric = "npv.mean", tolerance = -2_000 }', "simulation.precision.tolerance", ["> 0"]),
    ('{ metric = "npv.mean", tolerance = "5" }', "simulation.precision.tolerance", ["'5'"]),
    ('{ metric = "npv.p5", relative = 0 }', "simulation.precision.relative", ["> 0"]),
    ('{ metric = "npv.p5", relative = 1 }', "simulation.precision.relative", ["0.01 for 1%"]),
    ('{ metric = "npv.prob_positive", tolerance = 2 }', "simulation.precision.tolerance",
     ["probability", "0.002"]),
    ('{ metric = "npv.mean", tolerance = 5, confidence = 0 }', "simulation.precision.confidence",
     ["between 0 and 1"]),
    ('{ metric = "npv.mean", tolerance = 5, confidence = 1 }', "simulation.precision.confidence",
     ["between 0 and 1"]),
    ('{ metric = "npv.mean", tolerance = 5, confidence = 95 }',
     "simulation.precision.confidence", ["between 0 and 1"]),
    ('{ metric = "npv.mean", tolerance = 5, max_runs = 400 }', "simulation.precision.max_runs",
     ["400", "500"]),
    ('{ metric = "npv.mean", tolerance = 5, max_runs = 2500.5 }', "simulation.precision.max_runs",
     ["whole number"]),
    ('"npv.mean=5"', "simulation.precision", ["must be a table"]),
])
def test_bad_rule_in_the_file(write_toml, rule, path, fragments):
    expect_error(write_toml(scenario_text(rule)), path, *fragments)


def test_a_whole_max_runs_written_as_a_float_is_accepted():
    assert load('{ metric = "npv.mean", tolerance = 5, max_runs = 1.5e3 }').precision.max_runs \
        == 1500


def test_default_max_runs_below_runs_says_so():
    with pytest.raises(ScenarioError) as info:
        load('{ metric = "npv.mean", tolerance = 5 }', runs=200_000_000)
    assert info.value.path == "simulation.precision.max_runs"
    assert "(the default)" in str(info.value)


def test_runs_given_above_max_runs_is_an_error():
    scenario = load('{ metric = "npv.mean", tolerance = 5, max_runs = 1000 }')
    with pytest.raises(ScenarioError) as info:
        roisim.simulate(scenario, runs=2000)
    assert info.value.path == "simulation.precision.max_runs" and "2,000" in str(info.value)


def test_latin_hypercube_cannot_take_a_stop_rule(write_toml):
    path = write_toml(scenario_text('{ metric = "npv.mean", tolerance = 5 }',
                                    extra='sampling = "lhs"\n'))
    with pytest.raises(ScenarioError) as info:
        roisim.load_scenario(path)
    err = info.value
    assert err.path == "simulation.precision" and "lhs" in str(err) and "\n" not in str(err)
    assert "in advance" in str(err)
    lhs = roisim.load_scenario(scenario_text(extra='sampling = "lhs"\n'))
    with pytest.raises(ScenarioError) as info:
        roisim.simulate(lhs, precision="npv.mean=5")
    assert info.value.path == "--precision" and "lhs" in str(info.value)


def test_the_set_option_reaches_the_rule():
    scenario = roisim.load_scenario(scenario_text('{ metric = "npv.mean", tolerance = 5 }'),
                                    overrides=["simulation.precision.tolerance=2.5"])
    assert scenario.precision.tolerance == 2.5
    with pytest.raises(ScenarioError) as info:
        roisim.load_scenario(scenario_text('{ metric = "npv.mean", tolerance = 5 }'),
                             overrides=["simulation.precision.confidence=2"])
    assert info.value.path == "simulation.precision.confidence"


def test_stress_ignores_the_rule():
    """Analyses that compare runs keep the first round's runs for every case (and trial)."""
    text = scenario_text('{ metric = "npv.mean", tolerance = 1e-6, max_runs = 4000 }')
    scenario = roisim.load_scenario(text + '[[stress]]\nname = "dear"\nscale = { costs = 1.2 }\n')
    for summary_only in (False, True):
        stressed = roisim.stress(scenario, runs=500, seed=SEED, summary_only=summary_only)
        assert stressed.base.runs == 500 and stressed.base.precision is None
        assert stressed.cases[0].figures.runs == 500


# --------------------------------------------------------------------------- Sobol
def sobol_half_width(x: np.ndarray, replicates: int, confidence: float = 0.95) -> float:
    """t_{R-1}·s/√R, s the sd of the R replicate means (run i is in replicate i % R)."""
    means = [np.mean(x[r::replicates]) for r in range(replicates)]
    return float(t_dist.ppf(0.5 + confidence / 2, replicates - 1) * np.std(means, ddof=1)
                 / math.sqrt(replicates))


SOBOL = 'sampling = "sobol"\nreplicates = 4\n'


def test_sobol_rounds_double_every_replicate():
    base = load(runs=512, extra=SOBOL)
    sizes = (512, 1024, 2048, 4096)
    plain = {n: roisim.simulate(base, runs=n, threads=1, precision=False) for n in sizes}
    halves = {n: sobol_half_width(r.dataset["npv"].values, 4) for n, r in plain.items()}
    tolerance = halves[512] * (1 - 1e-6)  # not met by the first round
    expected = expected_rounds(halves, tolerance)
    rule = f'{{ metric = "npv.mean", tolerance = {tolerance!r}, max_runs = 4096 }}'
    scenario = load(rule, runs=512, extra=SOBOL)
    result = roisim.simulate(scenario, threads=1)
    got = result.figures.precision
    assert [r.runs for r in got.rounds] == expected and len(expected) > 1
    assert got.met == (halves[got.runs] <= tolerance)
    for r in got.rounds:
        assert r.half_width == pytest.approx(halves[r.runs], rel=1e-9)
    again = roisim.simulate(scenario, runs=got.runs, threads=2, precision=False)
    same_summary(result.summary, again.summary)
    np.testing.assert_array_equal(result.dataset["npv"].values, plain[got.runs].dataset["npv"])
    assert result.summary["sampling"] == "sobol" and not result.summary["warnings"]


def test_sobol_max_runs_keeps_each_replicate_a_power_of_two():
    scenario = load('{ metric = "npv.mean", tolerance = 1e-9, max_runs = 3000 }', runs=512,
                    extra=SOBOL)
    result = roisim.simulate(scenario, threads=2, summary_only=True)
    got = result.figures.precision
    assert [r.runs for r in got.rounds] == [512, 1024, 2048] and not got.met
    assert result.figures.runs == 2048 and not result.summary["warnings"]
    plain = roisim.simulate(scenario, runs=2048, threads=1, precision=False)
    same_summary(result.summary, plain.summary)
    rule = Precision("npv.mean", tolerance=1e-9, confidence=0.8, max_runs=1024)
    at80 = roisim.simulate(scenario, threads=1, precision=rule).figures.precision
    assert at80.half_width == pytest.approx(
        sobol_half_width(plain.dataset["npv"].values[:1024], 4, 0.8), rel=1e-9)


def test_breakeven_trials_ignore_the_rule():
    scenario = load('{ metric = "npv.mean", tolerance = 1e-6, max_runs = 4000 }')
    out = roisim.breakeven(scenario, "inputs.saving.mean", metric="npv.p50", target=0, runs=500,
                           seed=SEED)
    plain = roisim.simulate(scenario, runs=500, seed=SEED, precision=False)
    assert out.runs == 500 and out.base_metric == plain.figures.metrics.npv.p50


def test_an_executor_gives_the_same_rounds():
    """A source factory (as a Dask cluster is) streams every round, extra passes included."""
    from roisim.engine.run import KernelSource

    calls = []

    def executor(plan, runs):
        calls.append(runs)
        return KernelSource(plan, runs, threads=1)

    rule = Precision("npv.p25", tolerance=0.5, confidence=0.8, max_runs=4000)
    base = load(mean=40)
    local = roisim.simulate(base, threads=2, precision=rule)
    remote = roisim.simulate(base, precision=rule, executor=executor)
    assert remote.summary == local.summary and remote.dataset is None
    assert sorted(set(calls)) == [r.runs for r in remote.figures.precision.rounds]


def test_cli_sampling_lhs_with_precision_is_one_line(runner, write_toml):
    path = write_toml(scenario_text())
    res = runner.invoke(main, ["run", str(path), "--sampling", "lhs", "--precision",
                               "npv.mean=1"])
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1
    assert "--precision" in lines[0] and "lhs" in lines[0]


def test_a_figure_that_is_not_defined_ends_the_rounds_unmet(runner, write_toml):
    """saving ~ normal(30, 10) a year for 3 years against a build of 100: many runs never pay
    back, so the mean payback is not defined, and more runs would not define it."""
    rule = '{ metric = "payback_years.mean", tolerance = 0.01, max_runs = 100_000 }'
    result = roisim.simulate(load(rule, mean=30), threads=1)
    got = result.figures.precision
    assert result.figures.metrics.payback_years.prob_within_horizon < 1
    assert [r.runs for r in got.rounds] == [500] and not got.met and got.half_width is None
    out = runner.invoke(main, ["run", str(write_toml(scenario_text(rule, mean=30))), "--quiet"])
    assert out.exit_code == 0
    [line] = [ln for ln in out.stderr.splitlines() if ln.startswith("warning:")]
    assert "payback_years.mean is not defined in 500 runs" in line
