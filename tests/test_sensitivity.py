"""``roisim.sensitivity`` and ``roisim sensitivity`` against closed forms.

A linear model of independent normal inputs, NPV = a + Σ bᵢXᵢ (horizon 1, discount rate 0, a
year-0 constant cost and one year-1 benefit line), has a closed form for every figure.  Each
figure is checked twice where it can be:

* against the population closed form, with a tolerance of 5 Monte Carlo standard errors
  worked out here from the model (never from the program's own output);
* exactly, on common random numbers: ``roisim.simulate`` with the same seed gives the very
  draws the sensitivity run used, so a swing or a switching factor must equal the closed form
  evaluated at the sample means of those draws, up to rounding.

The whole module runs in a fresh kernel cache, so it can count the kernels compiled.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import roisim
from roisim.cli.main import main
from roisim.engine import codegen
from roisim.errors import ScenarioError

N = 100_000
SEED = 20
NAMES = ["x1", "x2", "x3", "x4", "x5"]
MU = np.array([10.0, 5.0, 3.0, 1.0, 2.0])
SD = np.array([4.0, 6.0, 2.0, 1.0, 0.5])
B = np.array([3.0, -2.5, 5.0, 0.0, 1.0])  # x4 does not enter the NPV; x5 barely does
A = -20.0
M = A + B @ MU  # 14.5
S = math.sqrt(((B * SD) ** 2).sum())
ORDER = ["x2", "x1", "x3", "x5", "x4"]  # by |bᵢσᵢ|: 15, 12, 10, 0.5, 0
LINEAR = f"""
[scenario]
name = "linear"
currency = "GBP"
horizon_years = 1
discount_rate = 0

[simulation]
runs = {N}
seed = {SEED}

[inputs]
{chr(10).join(f'{n} = {{ dist = "normal", mean = {m}, sd = {s} }}'
              for n, m, s in zip(NAMES, MU, SD))}

[[benefits]]
name = "Linear"
amount = "3 * x1 - 2.5 * x2 + 5 * x3 + 0 * x4 + x5"
years = "1"

[[costs]]
name = "Build"
amount = {-A}
years = "0"
"""

# the second structure: per-year inputs, a drawn discount rate, derived inputs and constants
# (not listed), truncation, a growth that turns invalid when scaled up, payback beyond the horizon
MIXED = """
[scenario]
name = "mixed"
currency = "EUR"
horizon_years = 4
discount_rate = { dist = "uniform", min = 0.03, max = 0.12 }

[inputs]
build = { dist = "pert", min = 80, mode = 100, max = 160 }
saving = { dist = "normal", mean = 40, sd = 18, lower = 0 }
noise = { dist = "normal", mean = 0, sd = 12, per = "year" }
incidents = { dist = "poisson", mean = 1.5, per = "year" }
growth = { dist = "normal", mean = 0.05, sd = 0.04, lower = -0.05 }
fixed = { dist = "constant", value = 2 }
fee = 4
total = "saving + noise"

[[benefits]]
name = "Saving"
amount = "total"
growth = "growth"

[[costs]]
name = "Build"
amount = "build"
years = "0"

[[costs]]
name = "Incidents"
amount = "incidents * fee * fixed"
years = "1.."
"""


def normal_loss(m, s):
    """E[max(Y, 0)] − max(E[Y], 0) for Y ~ N(m, s²)."""
    return s * stats.norm.pdf(m / s) + m * stats.norm.cdf(m / s) - max(m, 0.0)


@pytest.fixture(scope="module", autouse=True)
def fresh_cache(tmp_path_factory):
    """Every test of this module runs with a fresh kernel cache and kernel table."""
    cache = tmp_path_factory.mktemp("kernels")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROISIM_CACHE_DIR", str(cache))
        mp.setattr(codegen, "_LOADED", {})
        yield cache


def kernels(cache) -> int:
    return len(list(cache.glob("roisim_kernel_*.py")))


@pytest.fixture(scope="module")
def linear(fresh_cache):
    """The sensitivity run, the draws it used (from simulate, same seed) and kernel counts."""
    scenario = roisim.load_scenario(LINEAR)
    counts = [(kernels(fresh_cache), len(codegen._LOADED))]
    draws = roisim.simulate(scenario).dataset
    counts.append((kernels(fresh_cache), len(codegen._LOADED)))
    out = roisim.sensitivity(scenario)
    counts.append((kernels(fresh_cache), len(codegen._LOADED)))
    rows = {row["name"]: row for row in out.summary["inputs"]}
    return {"out": out, "s": out.summary, "rows": rows, "draws": draws, "kernels": counts}


@pytest.fixture(scope="module")
def streamed(linear):
    """The same sensitivity run in streaming mode (pilot and one pass, no per-run vector), with
    a pilot of 2^14 runs (the default, 2^17, would hold every one of these 10^5 runs)."""
    from roisim.analysis import streamed_figures

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(streamed_figures, "PILOT", 1 << 14)
        out = roisim.sensitivity(roisim.load_scenario(LINEAR), summary_only=True)
    rows = {row["name"]: row for row in out.summary["inputs"]}
    return {"out": out, "s": out.summary, "rows": rows, "draws": linear["draws"]}


@pytest.fixture(scope="module")
def mixed(fresh_cache):
    scenario = roisim.load_scenario(MIXED)
    counts = [(kernels(fresh_cache), len(codegen._LOADED))]
    roisim.simulate(scenario, runs=1000)
    counts.append((kernels(fresh_cache), len(codegen._LOADED)))
    outs = {m: roisim.sensitivity(scenario, m, runs=40_000, seed=3).summary
            for m in ("npv", "payback_years", "irr")}
    counts.append((kernels(fresh_cache), len(codegen._LOADED)))
    return {"scenario": scenario, "outs": outs, "kernels": counts}


def sample(linear, name):
    """Sample mean and sd of one input's draws, and the sample mean NPV, of the same runs."""
    x = linear["draws"][name].values
    return x.mean(), x.std(), linear["draws"]["npv"].values.mean()


# --------------------------------------------------------------------------- no recompiling
@pytest.mark.parametrize("case", ["linear", "mixed"])
def test_sensitivity_compiles_no_kernel_after_the_base_run(case, request):
    """(kernel files, kernels loaded) before the base run, after it, after sensitivity: the
    base run of a new structure compiles one kernel, and sensitivity (three times over for the
    mixed scenario, one per metric) none."""
    start, base, after = request.getfixturevalue(case)["kernels"]
    assert base == (start[0] + 1, start[1] + 1)
    assert after == base


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_spearman_is_6_over_pi_arcsin_half_rho(mode, request):
    linear = request.getfixturevalue(mode)
    for i, name in enumerate(NAMES):
        rho = B[i] * SD[i] / S
        expected = 6 / math.pi * math.asin(rho / 2)
        assert linear["rows"][name]["spearman"] == pytest.approx(expected, abs=5 / math.sqrt(N))


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_contribution_to_variance_and_the_sort_order(mode, request):
    linear = request.getfixturevalue(mode)
    s = linear["s"]
    assert [row["name"] for row in s["inputs"]] == ORDER
    ctv = [row["contribution_to_variance"] for row in s["inputs"]]
    assert all(abs(a) >= abs(b) for a, b in zip(ctv, ctv[1:]))
    assert sum(abs(c) for c in ctv) == pytest.approx(1.0)
    rhos = [row["spearman"] for row in s["inputs"]]
    for c, r in zip(ctv, rhos):
        assert c == pytest.approx(math.copysign(r * r, r) / sum(v * v for v in rhos))
    expected = (B * SD) ** 2 / S**2  # ρₛ ≈ (3/π)ρ for small ρ: shares close to bᵢ²σᵢ²/S²
    for i, name in enumerate(NAMES):
        assert abs(linear["rows"][name]["contribution_to_variance"]) == pytest.approx(
            expected[i], abs=0.02)


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_swing_closed_form_and_exact_on_common_random_numbers(mode, request):
    linear = request.getfixturevalue(mode)
    for i, name in enumerate(NAMES):
        swing = linear["rows"][name]["swing"]
        q = stats.norm.ppf([0.1, 0.9], MU[i], SD[i])
        assert swing["at"] == pytest.approx(list(q), rel=1e-12)
        xbar, _, mbar = sample(linear, name)
        # the held input's term is exact: the others keep their draws
        exact = [mbar + B[i] * (qk - xbar) for qk in q]
        assert [swing["p10"], swing["p90"]] == pytest.approx(exact, rel=1e-9, abs=1e-9)
        se = math.sqrt(S**2 - (B[i] * SD[i]) ** 2) / math.sqrt(N)
        closed = [M + B[i] * (qk - MU[i]) for qk in q]
        assert [swing["p10"], swing["p90"]] == pytest.approx(closed, abs=5 * se)


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_given_data_top_and_bottom_bin_means(mode, request):
    linear = request.getfixturevalue(mode)
    z9 = stats.norm.ppf(0.9)
    se = S / math.sqrt(N / 10)  # a bin's mean: at most S/√(n/10)
    for i, name in enumerate(NAMES):
        g = linear["rows"][name]["given_data"]
        assert len(g["bins"]) == 10
        shift = B[i] * SD[i] * stats.norm.pdf(z9) / 0.1
        assert g["bins"][-1] == pytest.approx(M + shift, abs=5 * se)
        assert g["bins"][0] == pytest.approx(M - shift, abs=5 * se)
        assert (g["low"], g["high"]) == (min(g["bins"]), max(g["bins"]))


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_evpi_closed_form_with_its_interval(mode, request):
    linear = request.getfixturevalue(mode)
    evpi = linear["s"]["evpi"]
    expected = normal_loss(M, S)
    # per-run regret max(-NPV, 0) (m > 0): its second moment in closed form, hence its SE
    second = (M**2 + S**2) * stats.norm.cdf(-M / S) - M * S * stats.norm.pdf(M / S)
    se = math.sqrt((second - expected**2) / N)
    assert evpi["value"] == pytest.approx(expected, abs=5 * se)
    low, high = evpi["ci95"]
    assert low <= evpi["value"] <= high
    assert (high - low) / 2 == pytest.approx(1.96 * se, rel=0.1)


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_evppi_closed_form_below_evpi_and_zero_without_effect(mode, request):
    linear = request.getfixturevalue(mode)
    evpi = linear["s"]["evpi"]["value"]
    for i, name in enumerate(NAMES):
        s_i = abs(B[i]) * SD[i]
        got = linear["rows"][name]["evppi"]
        assert got <= evpi
        if s_i == 0:
            assert got == pytest.approx(0.0, abs=1e-9)
            continue
        # error from the sample mean NPV and the fitted slope (delta method, summed)
        z = M / s_i
        se = (abs(stats.norm.cdf(z) - 1) * S + stats.norm.pdf(z) * S) / math.sqrt(N)
        assert got == pytest.approx(normal_loss(M, s_i), abs=5 * se + 1e-6)
    assert linear["rows"]["x4"]["evppi"] < 0.01 * evpi


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_switching_factor_closed_form_and_exact_on_common_random_numbers(mode, request):
    linear = request.getfixturevalue(mode)
    for name in ("x1", "x2", "x3"):
        i = NAMES.index(name)
        sw = linear["rows"][name]["switching"]
        xbar, _, mbar = sample(linear, name)
        # mean NPV is linear in the factor c on common random numbers: m̂ + (c − 1)·bᵢ·x̄ᵢ
        assert sw["factor"] == pytest.approx(1 - mbar / (B[i] * xbar), rel=1e-6)
        closed = 1 - M / (B[i] * MU[i])
        se = (S / abs(B[i] * MU[i]) + abs(M) * SD[i] / abs(B[i] * MU[i] ** 2)) / math.sqrt(N)
        assert sw["factor"] == pytest.approx(closed, abs=5 * se)
        assert sw["percent_change"] == pytest.approx(100 * (sw["factor"] - 1))
        assert sw["reason"] is None


@pytest.mark.parametrize("mode", ["linear", "streamed"])
def test_switching_is_null_with_a_reason_when_no_factor_reaches_zero(mode, request):
    linear = request.getfixturevalue(mode)
    x4, x5 = linear["rows"]["x4"]["switching"], linear["rows"]["x5"]["switching"]
    assert x4 == {"factor": None, "percent_change": None,
                  "reason": "mean NPV does not depend on this input"}
    # x5: 1 − m/(b·μ) = −5.25, outside [0.01, 100]
    assert x5["factor"] is None and x5["percent_change"] is None
    assert x5["reason"].startswith("mean NPV stays above 0 at every factor tried from 0.01 to 100")


# --------------------------------------------------------------------------- the summary
INPUT_KEYS = ["name", "field", "per", "unit", "spearman", "contribution_to_variance",
              "given_data", "swing", "evppi", "switching"]
TOP_KEYS = ["roisim_version", "scenario", "runs", "seed", "currency", "metric", "base", "evpi",
            "settings", "inputs"]


def check_layout(s: dict) -> None:
    assert list(s) == TOP_KEYS
    assert list(s["evpi"]) == ["value", "ci95"] and len(s["evpi"]["ci95"]) == 2
    assert list(s["base"]) == ["mean", "finite_share", "npv_mean"]
    assert s["settings"]["decision_metric"] == "npv"
    for row in s["inputs"]:
        assert list(row) == INPUT_KEYS
        assert list(row["given_data"]) == ["bins", "low", "high"]
        assert list(row["swing"]) == ["p10", "p90", "at"] and len(row["swing"]["at"]) == 2
        assert list(row["switching"]) == ["factor", "percent_change", "reason"]


def test_summary_layout_and_strict_json(linear):
    s = linear["s"]
    check_layout(s)
    assert (s["runs"], s["seed"], s["metric"], s["currency"]) == (N, SEED, "npv", "GBP")
    assert s["base"]["mean"] == s["base"]["npv_mean"] and s["base"]["finite_share"] == 1.0
    assert json.loads(linear["out"].to_json(), parse_constant=pytest.fail) == s
    assert linear["rows"]["x1"]["field"] == "inputs.x1"
    assert "linear" in repr(linear["out"]) and "x2" in repr(linear["out"])


# --------------------------------------------------------------------------- streaming mode
def test_streaming_agrees_with_memory_where_exact_and_closely_elsewhere(linear, streamed):
    """Same runs: EVPI, the base figures, swing and switching are the same formulas on the same
    sums (equal to rounding); Spearman's ρ ranks against a pilot of 2^14 runs (within 0.003);
    given-data bins have the pilot's deciles as edges (each edge off by about
    √(p(1−p)/2^14) ≈ 0.25% of the runs, which moves a bin's mean by about its own SE)."""
    a, b = linear["s"], streamed["s"]
    assert (a["settings"]["streaming"], b["settings"]["streaming"]) == (False, True)
    assert b["settings"]["pilot_runs"] == 1 << 14 and a["settings"]["pilot_runs"] is None
    assert b["evpi"]["value"] == pytest.approx(a["evpi"]["value"], rel=1e-9)
    assert b["evpi"]["ci95"] == pytest.approx(a["evpi"]["ci95"], rel=1e-9)
    assert b["base"] == pytest.approx(a["base"], rel=1e-12)
    se = S / math.sqrt(N / 10)
    for name in NAMES:
        ra, rb = linear["rows"][name], streamed["rows"][name]
        assert rb["spearman"] == pytest.approx(ra["spearman"], abs=3e-3)
        assert rb["swing"] == ra["swing"]
        if ra["switching"]["factor"] is not None:
            assert rb["switching"]["factor"] == pytest.approx(ra["switching"]["factor"], rel=1e-6)
        else:
            assert rb["switching"] == ra["switching"]
        assert rb["given_data"]["bins"] == pytest.approx(ra["given_data"]["bins"], abs=2 * se)
        assert rb["evppi"] == pytest.approx(ra["evppi"], abs=0.02 * a["evpi"]["value"])


def test_streaming_is_chosen_when_the_vectors_would_not_fit(monkeypatch):
    scenario = roisim.load_scenario(LINEAR)
    monkeypatch.setenv("ROISIM_MEMORY_LIMIT", str(8 * 7 * 20_000))  # 7 vectors of 20,000
    assert roisim.sensitivity(scenario, runs=20_000).summary["settings"]["streaming"] is False
    assert roisim.sensitivity(scenario, runs=20_001).summary["settings"]["streaming"] is True
    forced = roisim.sensitivity(scenario, runs=20_001, summary_only=False).summary
    assert forced["settings"]["streaming"] is False


def test_streaming_memory_does_not_grow_with_the_runs():
    """Peak traced memory (numpy's buffers are traced) at 4 and at 16 pilots' worth of runs,
    in blocks of 2^16 runs: equal within 25%, while the in-memory vectors would grow 4-fold."""
    import tracemalloc

    from roisim.analysis import streamed_figures
    from roisim.analysis.uncertain import uncertain_inputs
    from roisim.engine.plan import build_plan

    plan = build_plan(roisim.load_scenario(LINEAR), SEED)
    inputs = uncertain_inputs(plan)
    peaks = []
    for runs in (4 << 17, 16 << 17):
        tracemalloc.start()
        streamed_figures.streamed_figures(plan, runs, inputs, "npv", chunk=1 << 16)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.25 * peaks[0]


def test_streaming_on_the_mixed_scenario_matches_memory(mixed):
    """Per-year inputs, a drawn discount rate, payback runs that are not finite, a discrete
    input (incidents, whose tied values go whole into one given-data bin when streaming)."""
    for metric in ("npv", "payback_years"):
        a = mixed["outs"][metric]
        b = roisim.sensitivity(mixed["scenario"], metric, runs=40_000, seed=3,
                               summary_only=True).summary
        check_layout(b)
        assert b["base"] == pytest.approx(a["base"], rel=1e-12)
        assert b["evpi"]["value"] == pytest.approx(a["evpi"]["value"], rel=1e-9)
        rows = {r["name"]: r for r in a["inputs"]}
        for rb in b["inputs"]:
            ra = rows[rb["name"]]
            assert rb["spearman"] == pytest.approx(ra["spearman"], abs=0.01)
            assert rb["swing"] == ra["swing"]
            assert len(rb["given_data"]["bins"]) == 10


def test_the_uncertain_inputs_of_a_mixed_scenario(mixed):
    s = mixed["outs"]["npv"]
    check_layout(s)
    rows = {row["name"]: row for row in s["inputs"]}
    # derived (total), constants (fee) and a dist = "constant" (fixed) are not listed
    assert set(rows) == {"build", "saving", "noise", "incidents", "growth", "discount_rate"}
    assert {n for n, r in rows.items() if r["per"] == "year"} == {"noise", "incidents"}
    assert rows["discount_rate"]["field"] == "scenario.discount_rate"
    assert rows["discount_rate"]["spearman"] < 0


def test_held_values_are_quantiles_with_the_truncation(mixed):
    rows = {row["name"]: row for row in mixed["outs"]["npv"]["inputs"]}
    d = stats.norm(40, 18)
    low = d.cdf(0.0)
    assert rows["saving"]["swing"]["at"] == pytest.approx(
        [d.ppf(low + 0.1 * (1 - low)), d.ppf(low + 0.9 * (1 - low))], rel=1e-12)
    assert rows["incidents"]["swing"]["at"] == [0.0, 3.0]  # poisson(1.5): P10 0, P90 3
    assert rows["discount_rate"]["swing"]["at"] == pytest.approx([0.039, 0.111])


def test_a_factor_that_makes_the_scenario_invalid_is_named(mixed):
    sw = {r["name"]: r for r in mixed["outs"]["npv"]["inputs"]}["growth"]["switching"]
    if sw["factor"] is None:  # growth × c with c large makes 1 + growth <= 0 in some year
        assert "invalid" in sw["reason"] and "benefits[0].growth" in sw["reason"]
    else:
        assert 0.01 <= sw["factor"] <= 100


def test_metrics_with_runs_that_are_not_finite(mixed):
    npv, payback, irr = (mixed["outs"][m] for m in ("npv", "payback_years", "irr"))
    assert 0 < payback["base"]["finite_share"] < 1  # some runs never pay back
    for s in (payback, irr):
        check_layout(s)
        assert s["metric"] in ("payback_years", "irr")
        rows = {row["name"]: row for row in s["inputs"]}
        assert rows["build"]["spearman"] * (1 if s["metric"] == "payback_years" else -1) > 0
        for row in s["inputs"]:
            assert all(b is None or math.isfinite(b) for b in row["given_data"]["bins"])
        # the decision figures are about NPV whatever the metric
        assert s["evpi"] == npv["evpi"]
        assert [r["evppi"] for r in sorted(s["inputs"], key=lambda r: r["name"])] == [
            r["evppi"] for r in sorted(npv["inputs"], key=lambda r: r["name"])]
        assert {r["name"]: r["switching"] for r in s["inputs"]} == {
            r["name"]: r["switching"] for r in npv["inputs"]}


def test_python_errors(mixed):
    with pytest.raises(ScenarioError, match="did you mean 'irr'"):
        roisim.sensitivity(mixed["scenario"], "irrr")
    with pytest.raises(ScenarioError, match="runs"):
        roisim.sensitivity(mixed["scenario"], runs=0)
    with pytest.raises(TypeError):
        roisim.sensitivity("scenario.toml")


def test_progress_counts_every_run(mixed):
    calls = []
    roisim.sensitivity(mixed["scenario"], runs=5000, seed=1,
                       progress=lambda *a: calls.append(a))
    assert calls and all(p == 1 and done <= total for p, done, total in calls)
    done = [c[1] for c in calls]
    assert done == sorted(done) and done[0] == 5000
    assert done[-1] >= 5000 * (1 + 2 * 6)  # the base run and two swings for each of 6 inputs


# --------------------------------------------------------------------------- command line
@pytest.fixture
def linear_file(write_toml):
    return write_toml(LINEAR, "linear.toml")


def cli(*args):
    return CliRunner().invoke(main, ["sensitivity", *map(str, args)], catch_exceptions=False)


def test_cli_json_is_the_summary(linear_file, linear):
    res = cli(linear_file, "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.output, parse_constant=pytest.fail)
    check_layout(s)
    same = {k: v for k, v in s.items() if k != "scenario"}
    assert same == {k: v for k, v in linear["s"].items() if k != "scenario"}
    assert s["scenario"]["file"] == str(linear_file)


def test_cli_text_report(linear_file):
    res = cli(linear_file, "--runs", "2e4", "--seed", "5")
    assert res.exit_code == 0, res.output
    text = res.output
    assert text.startswith("Sensitivity of NPV: linear")
    assert "20,000 runs | seed 5" in text
    rows = [ln for ln in text.splitlines() if ln[:3] in {"x1 ", "x2 ", "x3 ", "x4 ", "x5 "}]
    assert [r.split()[0] for r in rows] == ORDER
    assert rows[-1].split()[-2:] == ["no", "effect"]
    last = text.strip().splitlines()[-1]
    assert last.startswith("The input whose measurement is worth most is x2:")
    assert "£" in last


def test_cli_metric_and_set(linear_file):
    res = cli(linear_file, "--metric", "roi", "--runs", "20000", "--set", "inputs.x1.mean=12")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Sensitivity of ROI: linear")
    assert "EVPI, EVPPI and switching are about NPV" in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metric", "npvv"], "error: --metric: unknown metric 'npvv'; choose one of npv"),
        (["--set", "inputs.x9.mean=3"], "unknown input 'x9'"),
        (["--set", "inputs.x1.sd=-1"], "inputs.x1.sd: must be > 0"),
        (["--runs", "lots"], "expected a whole number of runs"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(linear_file, args, message):
    res = CliRunner().invoke(main, ["sensitivity", str(linear_file), *args])
    assert res.exit_code == 2
    assert message in res.output
    if not args[0] == "--runs":  # click's own usage errors say more, on their own lines
        assert len(res.output.strip().splitlines()) == 1


def test_cli_bad_files(tmp_path):
    res = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "missing.toml")])
    assert res.exit_code == 2 and res.output.strip().endswith("file not found")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 1\n")
    res = CliRunner().invoke(main, ["sensitivity", str(bad)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert f"{bad}:1: not valid TOML" in res.output
