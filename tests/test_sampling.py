"""[simulation] sampling = "random" | "lhs" | "sobol": stratification, scipy agreement, intervals.

Expected values come from closed forms, numpy and scipy (``scipy.stats``, ``scipy.stats.qmc``),
never from roisim's own output.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import roisim
from roisim import ScenarioError
from roisim.engine import qmc
from roisim.engine.blocks import SUMMARY_BLOCK
from roisim.engine.plan import build_plan
from roisim.engine.run import run_range
from roisim.kernels.lhs import bit_length, permute

UNIFORMS = """
[scenario]
name = "sampling: uniforms"
horizon_years = {h}
discount_rate = 0.0

[simulation]
sampling = "{sampling}"
{extra}

[inputs]
x = {{ dist = "uniform", min = 0, max = 1 }}
y = {{ dist = "uniform", min = 0, max = 1, per = "year" }}
w = {{ dist = "normal", mean = 5, sd = 2 }}

[[benefits]]
name = "b"
amount = "x + y + 0 * w"
years = "1.."

[[costs]]
name = "c"
amount = 1
years = "0"
"""


def uniforms(sampling: str, h: int = 2, extra: str = "") -> roisim.Scenario:
    return roisim.load_scenario(UNIFORMS.format(sampling=sampling, h=h, extra=extra))


def is_permutation(strata: np.ndarray, n: int) -> bool:
    return np.array_equal(np.sort(strata), np.arange(n))


# ---------------------------------------------------------------- the keyed bijection
@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 1000, 1023, 1024, 1025, 65_537])
def test_the_feistel_permutation_is_a_bijection_of_0_to_n(n):
    bits = bit_length(n)
    for key in (np.uint64(1), np.uint64(0xDEADBEEF12345678)):
        image = np.array([permute(np.uint64(i), key, n, bits) for i in range(n)], dtype=np.int64)
        assert is_permutation(image, n)
    if n > 100:  # a shuffle, not the identity or a shift
        assert abs(stats.spearmanr(np.arange(n), image).statistic) < 0.1


# ---------------------------------------------------------------- Latin hypercube
@pytest.mark.parametrize("runs", [1000, 3 * SUMMARY_BLOCK + 17])
def test_lhs_each_stratum_holds_exactly_one_run(runs):
    r = roisim.simulate(uniforms("lhs"), runs=runs, seed=11, threads=3)
    ds = r.dataset
    assert is_permutation(np.floor(ds["x"].values * runs).astype(np.int64), runs)
    y = ds["y"].values  # (runs, years): a Latin hypercube within each year
    for t in range(y.shape[1]):
        assert is_permutation(np.floor(y[:, t] * runs).astype(np.int64), runs)
    # the strata of two inputs, and of one input in two years, are not paired up
    sx = np.floor(ds["x"].values * runs)
    assert abs(stats.spearmanr(sx, np.floor(y[:, 1] * runs)).statistic) < 0.1
    assert abs(stats.spearmanr(y[:, 0], y[:, 1]).statistic) < 0.1
    assert r.summary["sampling"] == "lhs"
    assert "Owen 1997" in r.summary["intervals"] and r.summary["replicates"] is None


def test_lhs_marginals_are_exact():
    runs = 4099  # a prime: no power of two
    ds = roisim.simulate(uniforms("lhs"), runs=runs, seed=5, threads=2).dataset
    # one value per stratum: the empirical CDF is within 1/N of the true one everywhere
    w = stats.kstest(ds["w"].values, stats.norm(5, 2).cdf)
    assert w.statistic <= 1 / runs + 1e-9
    x = stats.kstest(ds["x"].values, stats.uniform().cdf)
    assert x.statistic <= 1 / runs + 1e-12
    plain = roisim.simulate(uniforms("random"), runs=runs, seed=5, threads=2).dataset
    assert stats.kstest(plain["w"].values, stats.norm(5, 2).cdf).statistic > 2 / runs


def test_lhs_common_random_numbers_in_stress_and_compare():
    base = uniforms("lhs")
    dearer = roisim.load_scenario(UNIFORMS.format(sampling="lhs", h=2, extra="").replace(
        "amount = 1\n", "amount = 1.5\n"))
    c = roisim.compare([base, dearer], runs=2000, seed=3)
    diff = c.npv[1] - c.npv[0]
    assert np.allclose(diff, -0.5, atol=1e-12)  # same strata and jitter run by run
    held = roisim.simulate(base, runs=2000, seed=3, hold={"w": 5.0}).dataset
    plain = roisim.simulate(base, runs=2000, seed=3).dataset
    assert np.array_equal(held["x"].values, plain["x"].values)


def test_lhs_plans_run_only_the_runs_they_are_bound_to():
    s = uniforms("lhs")
    with pytest.raises(ValueError, match="bound to None"):
        run_range(build_plan(s, 1), 0, 10)
    plan = build_plan(s, 1, runs=100)
    run_range(plan, 90, 10)
    with pytest.raises(ValueError, match="bound to 100"):
        run_range(plan, 95, 10)


# ---------------------------------------------------------------- Sobol
def sobol_points(d: int, replicate: int, seed: int, n: int, skip: int = 0) -> np.ndarray:
    """scipy's own points: integers in 0 .. 2^30 - 1."""
    gen = qmc.generator(d, replicate, seed)
    if skip:
        gen.fast_forward(skip)
    return gen.random(n) * 2.0**qmc.BITS


def test_sobol_points_are_scipys_bit_for_bit():
    replicates, per, seed, h = 4, 64, 77, 2
    s = uniforms("sobol", h=h, extra=f"replicates = {replicates}")
    plan = build_plan(s, seed)
    streams = {st.name: st for st in plan.uniform_streams()}
    d = 1 + (h + 1) + 1  # x, y in each year, w
    ds = roisim.simulate(s, runs=replicates * per, seed=seed, threads=2).dataset
    x, y = ds["x"].values, ds["y"].values
    for r in range(replicates):
        want = sobol_points(d, r, seed, per)
        got_x = np.floor(x[r::replicates] * 2.0**qmc.BITS)
        assert np.array_equal(got_x, want[:, streams["x"].dimension])
        for t in range(h + 1):
            got_y = np.floor(y[r::replicates, t] * 2.0**qmc.BITS)
            assert np.array_equal(got_y, want[:, streams["y"].dimension + t])
    # any point anywhere: replicate 3 alone, from point 1000 on (scipy's fast_forward)
    one = build_plan(s, seed).with_replicate(3)
    arrays = run_range(one, 1000, 8)
    want = sobol_points(d, 3, seed, 8, skip=1000)
    got = np.floor(arrays.inputs[0] * 2.0**qmc.BITS)  # x is the first per-run input
    assert np.array_equal(got, want[:, streams["x"].dimension])
    assert 0.0 < x.min() and x.max() < 1.0


def test_sobol_intervals_come_from_the_replicates():
    replicates, runs = 8, 8 * 256
    s = uniforms("sobol", extra=f"replicates = {replicates}")
    r = roisim.simulate(s, runs=runs, seed=9)
    npv = r.dataset["npv"].values
    t = stats.t.ppf(0.975, replicates - 1)
    figures = r.summary["metrics"]["npv"]
    checks = {
        "mean": (npv.mean(), [npv[k::replicates].mean() for k in range(replicates)]),
        "p50": (np.percentile(npv, 50), [np.percentile(npv[k::replicates], 50)
                                          for k in range(replicates)]),
        "prob_positive": ((npv > 0).mean(), [(npv[k::replicates] > 0).mean()
                                             for k in range(replicates)]),
    }
    for name, (point, estimates) in checks.items():
        half = t * np.std(estimates, ddof=1) / math.sqrt(replicates)
        low, high = figures["ci95"][name]
        assert figures[name] == pytest.approx(point, rel=1e-12)
        assert low == pytest.approx(max(0.0, point - half) if name == "prob_positive"
                                    else point - half, rel=1e-9, abs=1e-12)
        assert high == pytest.approx(point + half, rel=1e-9, abs=1e-12)
    assert r.summary["sampling"] == "sobol" and r.summary["replicates"] == replicates
    assert r.summary["intervals"] == (
        "spread of R=8 scrambled Sobol replicates, Student t with 7 df")
    assert r.summary["warnings"] == []


def test_sobol_runs_must_be_a_multiple_of_the_replicates():
    with pytest.raises(ScenarioError, match="multiple of the 10 replicates") as e:
        roisim.simulate(uniforms("sobol"), runs=1005)
    assert e.value.path == "runs" and "use 1,000 or 1,010" in e.value.message


def test_sobol_replicates_have_at_most_2_30_points():
    with pytest.raises(ScenarioError, match=r"at most 2\*\*30") as e:
        roisim.simulate(uniforms("sobol", extra="replicates = 2"), runs=2 * (2**30 + 1))
    assert e.value.path == "runs"


def test_sobol_warns_when_a_replicate_is_not_a_power_of_two():
    r = roisim.simulate(uniforms("sobol"), runs=1000, seed=1)
    [warning] = r.summary["warnings"]
    assert "100 points, not a power of 2" in warning and "1,280" in warning


def test_sobol_too_many_dimensions_is_an_error():
    lines = "\n".join(f'y{k} = {{ dist = "uniform", min = 0, max = 1, per = "year" }}'
                      for k in range(211))  # 211 inputs x 101 years > 21,201 dimensions
    text = f"""
[scenario]
name = "wide"
horizon_years = 100
discount_rate = 0.05
[simulation]
sampling = "sobol"
[inputs]
{lines}
[[benefits]]
name = "b"
amount = "y0"
"""
    with pytest.raises(ScenarioError, match="21,311, more than the 21,201") as e:
        roisim.simulate(roisim.load_scenario(text), runs=100)
    assert e.value.path == "simulation.sampling"


def test_sobol_common_random_numbers_across_compared_options():
    """B has an extra input ahead of the shared ones: the shared inputs still take the same
    dimensions (and so the same points) as in A."""
    a = uniforms("sobol")
    b_text = UNIFORMS.format(sampling="sobol", h=2, extra="").replace(
        "[inputs]\n", '[inputs]\nextra = { dist = "uniform", min = 0, max = 1 }\n').replace(
        '"x + y + 0 * w"', '"x + y + 0 * w + 0 * extra + 0.25"')
    c = roisim.compare([a, roisim.load_scenario(b_text)], runs=1280, seed=4)
    assert np.allclose(c.npv[1] - c.npv[0], 0.5, atol=1e-12)  # 0.25 in each of years 1 and 2


# ---------------------------------------------------------------- every source is bit-identical
@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_threads_blocks_and_streaming_are_bit_identical(sampling):
    runs = 131_200  # three blocks; divisible by 10 replicates
    s = uniforms(sampling)
    one = roisim.simulate(s, runs=runs, seed=8, threads=1)
    many = roisim.simulate(s, runs=runs, seed=8, threads=4)
    streamed = roisim.simulate(s, runs=runs, seed=8, threads=3, summary_only=True)
    assert one.summary == many.summary == streamed.summary
    assert np.array_equal(one.dataset["npv"].values, many.dataset["npv"].values)
    plan = build_plan(s, 8, runs=runs)
    whole = run_range(plan, 0, runs, threads=2)
    pieces = [run_range(plan, a, min(9999, runs - a), threads=1) for a in range(0, runs, 9999)]
    assert np.array_equal(whole.values, np.concatenate([p.values for p in pieces], axis=1))
    assert np.array_equal(whole.inputs, np.concatenate([p.inputs for p in pieces], axis=1))


def test_dask_gives_the_same_summary_for_lhs_and_sobol():
    pytest.importorskip("dask.distributed")
    from roisim.engine.distributed import dask_executor

    executor = dask_executor("local:2", blocks_per_task=1)
    try:
        for sampling in ("lhs", "sobol"):
            s = uniforms(sampling)
            runs = 66_560  # two blocks; divisible by 10 replicates
            local = roisim.simulate(s, runs=runs, seed=2, summary_only=True).summary
            assert roisim.simulate(s, runs=runs, seed=2, executor=executor).summary == local
    finally:
        executor.close()


# ---------------------------------------------------------------- honest intervals
COVERAGE = """
[scenario]
name = "coverage"
horizon_years = 3
discount_rate = 0.1
[simulation]
sampling = "{sampling}"
[inputs]
a = {{ dist = "uniform", min = 1, max = 3 }}
b = {{ dist = "uniform", min = 0, max = 2, per = "year" }}
[[benefits]]
name = "b"
amount = "a * b"
years = "1.."
[[costs]]
name = "c"
amount = 4
years = "0"
"""
TRUE_MEAN = -4 + 2 * sum(1.1**-t for t in (1, 2, 3))  # E[a·b] = 2·1 in each year


@pytest.mark.parametrize("sampling", ["random", "lhs", "sobol"])
def test_the_95_interval_of_the_mean_npv_covers_the_true_mean(sampling):
    s = roisim.load_scenario(COVERAGE.format(sampling=sampling))
    seeds = 300
    covered = 0
    for seed in range(seeds):
        low, high = roisim.simulate(s, runs=640, seed=seed, threads=1, keep_inputs=False
                                    ).summary["metrics"]["npv"]["ci95"]["mean"]
        covered += low <= TRUE_MEAN <= high
    assert covered / seeds >= 0.925


# ---------------------------------------------------------------- analyses with every method
@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_sensitivity_and_stress_run_with_every_method(sampling):
    s = uniforms(sampling)
    out = roisim.sensitivity(s, runs=6400, seed=1)
    names = [row["name"] for row in out.summary["inputs"]]
    assert names[0] in ("x", "y") and "w" in names  # w adds 0 to the NPV
    w = next(row for row in out.summary["inputs"] if row["name"] == "w")
    assert abs(w["spearman"]) < 0.1
    text = UNIFORMS.format(sampling=sampling, h=2, extra="") + """
[[stress]]
name = "dearer"
scale = { "costs[0]" = 2 }
"""
    result = roisim.stress(roisim.load_scenario(text), runs=6400, seed=1)
    change = result.summary["cases"][0]["difference"]["npv"]
    assert change["mean"] == pytest.approx(-1.0, abs=1e-9)
    # common random numbers: the same draws in every run, so the change is -1 in every run
    assert change["p5"] == pytest.approx(-1.0, abs=1e-9)
    assert change["p95"] == pytest.approx(-1.0, abs=1e-9)


# ---------------------------------------------------------------- errors and the CLI
@pytest.mark.parametrize(
    "extra, path, words",
    [
        ('sampling = "lsh"', "simulation.sampling", "did you mean 'lhs'?"),
        ('sampling = "Sobol"', "simulation.sampling", "did you mean 'sobol'?"),
        ("sampling = 3", "simulation.sampling", 'must be "random", "lhs" or "sobol", got 3'),
        ("replicates = 1", "simulation.replicates", "from 2 to 10,000, got 1"),
        ("replicates = 2.5", "simulation.replicates", "whole number"),
        ('replicates = "ten"', "simulation.replicates", "whole number"),
        ("replicate = 4", "simulation.replicate", "did you mean 'replicates'?"),
    ],
)
def test_errors_name_their_field(extra, path, words):
    text = UNIFORMS.format(sampling="random", h=2, extra="").replace(
        'sampling = "random"\n', extra + "\n")
    with pytest.raises(ScenarioError) as e:
        roisim.load_scenario(text)
    assert e.value.path == path and words in e.value.message


def test_cli_sampling_option_and_error_lines(write_toml):
    path = write_toml(UNIFORMS.format(sampling="random", h=2, extra=""))
    cli = [sys.executable, "-m", "roisim.cli.main", "run", str(path), "--runs", "1000"]
    done = subprocess.run(cli + ["--sampling", "sobol", "--json"], capture_output=True,
                          text=True)
    assert done.returncode == 0
    summary = json.loads(done.stdout)
    assert summary["sampling"] == "sobol" and summary["replicates"] == 10
    assert done.stderr.strip().splitlines() == [f"warning: {summary['warnings'][0]}"]
    upper = subprocess.run(cli + ["--sampling", "LHS", "--json"], capture_output=True, text=True)
    assert upper.returncode == 0 and json.loads(upper.stdout)["sampling"] == "lhs"  # as --help
    bad = subprocess.run(cli + ["--sampling", "lsh"], capture_output=True, text=True)
    assert bad.returncode == 2 and "did you mean 'lhs'?" in bad.stderr
    odd = subprocess.run(cli[:-1] + ["1005", "--sampling", "sobol"], capture_output=True,
                         text=True)
    assert odd.returncode == 2
    assert odd.stderr.strip().startswith("error: ")
    assert len(odd.stderr.strip().splitlines()) == 1
    assert "multiple of the 10 replicates" in odd.stderr
    file_error = write_toml(UNIFORMS.format(sampling="lsh", h=2, extra=""), "bad.toml")
    bad = subprocess.run(cli[:4] + [str(file_error)], capture_output=True, text=True)
    line = bad.stderr.strip()
    assert bad.returncode == 2 and len(line.splitlines()) == 1
    assert line.startswith(f"error: {file_error}:7: simulation.sampling: ")


def test_sobol_doubling_the_runs_extends_every_replicate():
    """Run r is point r // R of replicate r % R: 2N runs begin with the N runs (what the
    precision rule's doubling rounds rely on)."""
    s = uniforms("sobol")
    small = roisim.simulate(s, runs=1280, seed=6).dataset["npv"].values
    large = roisim.simulate(s, runs=2560, seed=6).dataset["npv"].values
    assert np.array_equal(large[:1280], small)


def test_reports_say_how_the_runs_were_sampled():
    from roisim.report.html.sections import method
    from roisim.report.text import render_report

    r = roisim.simulate(uniforms("sobol"), runs=1280, seed=2)
    text = render_report(r.figures)
    assert ("sampling scrambled Sobol | intervals: spread of R=10 scrambled Sobol replicates, "
            "Student t with 9 df") in text
    rows = dict(method(r.figures, "roisim run x.toml", None))
    assert rows["Sampling"] == "sobol" and rows["Intervals"] == r.figures.intervals
    plain = render_report(roisim.simulate(uniforms("random"), runs=1000, seed=2).figures)
    assert "sampling " not in plain  # plain random runs: the report is unchanged


def test_compare_warns_when_the_options_are_sampled_differently():
    c = roisim.compare([uniforms("random"), uniforms("lhs")], runs=1000, seed=1)
    [warning] = [w for w in c.warnings if "sampling methods" in w]
    assert "random" in warning and "lhs" in warning and "common random numbers" in warning


def test_sobol_runs_from_the_file_are_checked_at_their_line(write_toml):
    """runs = 1005 in the file with 10 replicates: run and validate both give one line naming
    the file, the line of `runs` and simulation.runs, exit 2."""
    from click.testing import CliRunner

    from roisim.cli.main import main

    path = write_toml(UNIFORMS.format(sampling="sobol", h=2, extra="runs = 1005"))
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1)
                if ln.startswith("runs = 1005"))
    for command in ("run", "validate"):
        out = CliRunner().invoke(main, [command, str(path)])
        assert out.exit_code == 2, command
        [error] = out.stderr.strip().splitlines()
        assert error.startswith(f"error: {path}:{line}: simulation.runs: ") and "1,010" in error


@pytest.mark.parametrize("command", [
    ["sensitivity", "{path}"], ["stress", "{path}", "--set", "inputs.w.mean=6"],
    ["compare", "{path}", "{path}"], ["breakeven", "{path}", "inputs.w.mean"],
])
def test_every_command_prints_the_sobol_warning_on_stderr(write_toml, command):
    """10 replicates of 100 points: each analysis command prints the one warning line that
    `roisim run` prints (the summaries keep it in `warnings`)."""
    from click.testing import CliRunner

    from roisim.cli.main import main

    path = write_toml(UNIFORMS.format(sampling="sobol", h=2, extra=""))
    args = [a.format(path=path) for a in command] + ["--runs", "1000"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    warnings = [ln for ln in out.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "100 points, not a power of 2" in warnings[0]
