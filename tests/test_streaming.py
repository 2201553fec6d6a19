"""Streaming (summary-only) summaries: exact, identical to in-memory, bounded memory.

Expected values come from numpy / scipy on the in-memory per-run dataset or from closed forms;
never from roisim's own summary.  The kernels' internals (the uniform stream, ndtri, the
sampling tables) are tested in test_kernels.py.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats
from shared_scenarios import MIXED

import roisim
import roisim.analysis.summary
from roisim.analysis.summary import summarize
from roisim.engine.blocks import SUMMARY_BLOCK, n_blocks
from roisim.engine.plan import build_plan
from roisim.engine.run import KernelSource
from roisim.result import Result

METRICS = ["npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr"]
PCTS = [5, 10, 25, 50, 75, 90, 95]


# No costs at all: roi and bcr are NaN in every run; flows of either sign, so IRR and payback vary.
NO_COSTS = """
[scenario]
name = "streaming: no costs"
horizon_years = 3
discount_rate = 0.05

[inputs]
gain = { dist = "normal", mean = 10, sd = 20, per = "year" }

[[benefits]]
name = "Gain"
amount = "gain"
years = "0.."
"""

# NPV takes 4 distinct values; year 0 is a constant -50.
D_WIN, D_VALUES, D_WEIGHTS, D_SCALE, D_BUILD, D_RATE, D_H = (
    0.3,
    [1, 2, 5],
    [0.5, 0.3, 0.2],
    40,
    50,
    0.1,
    3,
)
DISCRETE = f"""
[scenario]
name = "streaming: discrete outcomes"
horizon_years = {D_H}
discount_rate = {D_RATE}

[inputs]
win = {{ dist = "bernoulli", p = {D_WIN} }}
size = {{ dist = "discrete", values = {D_VALUES}, weights = {D_WEIGHTS} }}

[[benefits]]
name = "Win"
amount = "win * size * {D_SCALE}"

[[costs]]
name = "Build"
amount = {D_BUILD}
years = "0"
"""

SCENARIOS = {"mixed": MIXED, "no_costs": NO_COSTS, "discrete": DISCRETE}
SEED = 20240611


@pytest.fixture(scope="module")
def scen():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = roisim.load_scenario(SCENARIOS[name])
        return cache[name]

    return get


@pytest.fixture(scope="module")
def sim(scen):
    """sim(name, runs, summary_only) -> Result, computed once per module."""
    cache = {}

    def get(name, runs, summary_only):
        key = (name, runs, summary_only)
        if key not in cache:
            cache[key] = roisim.simulate(
                scen(name), runs=runs, seed=SEED, summary_only=summary_only
            )
        return cache[key]

    return get


def canon(obj) -> str:
    """Bit-exact text form of a summary (repr of floats round-trips; NaN allowed)."""
    return json.dumps(obj, sort_keys=True, allow_nan=True)


# ---------------------------------------------------------------- independent reference figures
def ref_quantile(x: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile; where numpy's own inf arithmetic gives NaN
    (x_lo finite, x_hi = inf, weight 0 or >= 0.5) the exact value is x_lo (weight 0) or inf."""
    with np.errstate(invalid="ignore"):
        v = float(np.quantile(x, q))
    if math.isnan(v):
        xs = np.sort(x)
        h = (len(x) - 1) * q
        lo = math.floor(h)
        v = float(xs[lo]) if h == lo else math.inf
    return v


def ci_ranks(n: int, q: float) -> tuple[int, int]:
    j = int(stats.binom.ppf(0.025, n, q))
    k = int(stats.binom.ppf(0.975, n, q)) + 1
    return min(max(1, j), n), min(max(1, k), n)


def fin(v):
    return v if math.isfinite(v) else None


def wilson(k, n, z=stats.norm.ppf(0.975)):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def close(a, b, rel=1e-12, abs_=0.0):
    return a is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def check_against_numpy(summary: dict, ds, exact_percentiles: bool = True) -> None:
    """Every figure of ``summary`` against numpy/scipy figures from the per-run dataset."""
    n = summary["runs"]
    assert ds.sizes["run"] == n
    m = summary["metrics"]
    z = stats.norm.ppf(0.975)
    for name in METRICS:
        raw = ds[name].values
        x = raw[~np.isnan(raw)]
        s = m[name]
        if name in ("irr", "roi", "bcr"):
            assert s["prob_defined"] == len(x) / n
            assert s["ci95"]["prob_defined"] == pytest.approx(
                wilson(len(x), n), rel=1e-12, abs=1e-15
            )
        if len(x) == 0:
            assert s["mean"] is None and s["sd"] is None
            assert all(s[f"p{p}"] is None for p in PCTS)
            continue
        xs = np.sort(x)
        finite = x[np.isfinite(x)]
        if len(finite) == len(x):
            assert close(s["mean"], float(np.mean(x)), abs_=1e-12 * float(np.max(np.abs(x)))), name
            if len(x) > 1:
                sd = float(np.std(x, ddof=1))
                assert close(s["sd"], sd, abs_=1e-12 * float(np.max(np.abs(x)))), name
                half = z * sd / math.sqrt(len(x))
                assert s["ci95"]["mean"] == pytest.approx(
                    [np.mean(x) - half, np.mean(x) + half], rel=1e-12, abs=1e-9 * (1 + abs(sd))
                )
        else:
            assert s["mean"] is None and s["sd"] is None, name
        for p in PCTS:
            q = p / 100
            expected = fin(ref_quantile(x, q))
            got = s[f"p{p}"]
            if exact_percentiles:
                assert got == expected, (name, p, got, expected)
            else:
                assert (got is None) == (expected is None) and (
                    got is None or close(got, expected, 1e-12)
                )
            j, k = ci_ranks(len(x), q)
            assert s["ci95"][f"p{p}"] == [fin(float(xs[j - 1])), fin(float(xs[k - 1]))], (name, p)
    npv = ds["npv"].values
    assert m["npv"]["prob_positive"] == (npv > 0).mean()
    assert m["npv"]["ci95"]["prob_positive"] == pytest.approx(
        wilson(int((npv > 0).sum()), n), rel=1e-12, abs=1e-15
    )
    worst = np.sort(npv)[: math.ceil(0.05 * n)]
    assert close(
        m["npv"]["expected_shortfall_5"],
        float(np.mean(worst)),
        abs_=1e-12 * float(np.max(np.abs(worst))),
    )
    for name in ("payback_years", "discounted_payback_years"):
        x = ds[name].values
        ok = np.isfinite(x)
        assert m[name]["prob_within_horizon"] == ok.mean()
        if ok.any():
            assert close(m[name]["mean_within_horizon"], float(np.mean(x[ok])), abs_=1e-13)
        else:
            assert m[name]["mean_within_horizon"] is None
    cf = ds["net_cashflow"].values
    cash = summary["cashflow_by_year"]
    assert cash["year"] == list(range(cf.shape[1]))
    for t in range(cf.shape[1]):
        y = cf[:, t]
        assert close(cash["mean"][t], float(np.mean(y)), abs_=1e-12 * float(np.max(np.abs(y)) + 1))
        for p in (5, 95):
            expected = float(np.quantile(y, p / 100))
            if exact_percentiles:
                assert cash[f"p{p}"][t] == expected, (t, p)
            else:
                assert close(cash[f"p{p}"][t], expected)


# ---------------------------------------------------------------- scenarios do what they claim
def test_scenarios_cover_the_edge_cases(sim):
    ds = sim("mixed", 150_003, False).dataset
    assert 0.02 < np.isnan(ds["irr"].values).mean() < 0.5  # IRR sometimes undefined
    assert 0.1 < np.isinf(ds["payback_years"].values).mean() < 0.5  # payback sometimes never
    assert sim("mixed", 150_003, False).summary["metrics"]["irr"]["prob_multiple"] > 0
    assert ds["noise"].dims == ("run", "year") and ds["incidents"].dims == ("run", "year")
    nc = sim("no_costs", 150_003, False).dataset
    assert np.isnan(nc["roi"].values).all() and np.isnan(nc["bcr"].values).all()
    d = sim("discrete", 150_003, False).dataset
    assert len(np.unique(d["npv"].values)) == 4
    assert np.all(d["net_cashflow"].values[:, 0] == -D_BUILD)


def test_discrete_scenario_npv_values_closed_form(sim):
    annuity = sum((1 + D_RATE) ** -t for t in range(1, D_H + 1))
    expected = {-D_BUILD} | {-D_BUILD + v * D_SCALE * annuity for v in D_VALUES}
    got = set(np.unique(sim("discrete", 150_003, False).dataset["npv"].values))
    assert len(got) == 4
    for g, e in zip(sorted(got), sorted(expected)):
        assert g == pytest.approx(e, rel=1e-13)
    npv = sim("discrete", 150_003, False).summary["metrics"]["npv"]
    assert npv["prob_positive"] == pytest.approx(D_WIN, abs=0.005)


# ---------------------------------------------------------------- streaming == in memory
@pytest.mark.parametrize("name", ["mixed", "no_costs", "discrete"])
@pytest.mark.parametrize("runs", [1, 2, 7, 65_536, 65_537, 150_003])
def test_streaming_summary_equals_in_memory(sim, name, runs):
    mem = sim(name, runs, False)
    stream = sim(name, runs, True)
    assert mem.dataset is not None and stream.dataset is None
    assert stream.summary == mem.summary
    assert canon(stream.summary) == canon(mem.summary)


def test_default_mode_streams_beyond_memory_limit(scen, sim, monkeypatch):
    monkeypatch.setenv("ROISIM_MEMORY_LIMIT", "1000")
    r = roisim.simulate(scen("mixed"), runs=7, seed=SEED)
    assert r.dataset is None
    assert r.summary == sim("mixed", 7, False).summary


# ---------------------------------------------------------------- exact figures vs numpy
@pytest.mark.parametrize("name", ["mixed", "no_costs", "discrete"])
@pytest.mark.parametrize("runs", [150_003])
def test_streaming_summary_matches_numpy(sim, name, runs):
    check_against_numpy(sim(name, runs, True).summary, sim(name, runs, False).dataset)


@pytest.mark.parametrize("runs", [1, 2, 3, 7, 40])
def test_small_run_summaries_match_numpy(sim, runs):
    """Few runs: interpolation weights of every size, including >= 0.5 (numpy's _lerp
    computes x_hi - (x_hi - x_lo)(1 - w) there)."""
    check_against_numpy(sim("mixed", runs, True).summary, sim("mixed", runs, False).dataset)


@pytest.mark.parametrize("runs", [1, 2, 3, 7, 40])
def test_small_run_summaries_match_numpy_to_rounding(sim, runs):
    """The same figures to 1e-12 (separates wrong order statistics from last-bit rounding)."""
    check_against_numpy(
        sim("mixed", runs, True).summary, sim("mixed", runs, False).dataset, exact_percentiles=False
    )


def test_irr_percentiles_are_over_defined_runs(sim):
    s = sim("mixed", 150_003, True).summary["metrics"]["irr"]
    x = sim("mixed", 150_003, False).dataset["irr"].values
    d = x[~np.isnan(x)]
    assert len(d) < len(x)
    for p in PCTS:
        assert s[f"p{p}"] == float(np.quantile(d, p / 100))


def test_payback_percentiles_beyond_horizon_are_none(sim):
    for name in ("payback_years", "discounted_payback_years"):
        s = sim("mixed", 150_003, True).summary["metrics"][name]
        x = sim("mixed", 150_003, False).dataset[name].values
        nones = [s[f"p{p}"] is None for p in PCTS]
        infs = [math.isinf(ref_quantile(x, p / 100)) for p in PCTS]
        assert nones == infs
        assert any(nones) and not all(nones)
        assert s["mean"] is None and s["sd"] is None


# ---------------------------------------------------------------- sub-histogram refinement
def _passes(scenario, runs, **kw):
    seen = []
    r = roisim.simulate(
        scenario,
        runs=runs,
        seed=SEED,
        summary_only=True,
        progress=lambda p, done, total: seen.append(p),
        **kw,
    )
    return r, max(seen)


def test_refinement_path_gives_the_same_exact_summary(scen, sim, monkeypatch):
    base, base_passes = _passes(scen("mixed"), 150_003)
    monkeypatch.setattr(roisim.analysis.summary, "CAP", 2)
    refined, refined_passes = _passes(scen("mixed"), 150_003)
    assert refined_passes > base_passes  # the sub-histogram pass really ran
    assert refined.summary == base.summary
    check_against_numpy(refined.summary, sim("mixed", 150_003, False).dataset)


@pytest.mark.parametrize("cap", [50, 3])
def test_refinement_with_discrete_values(scen, sim, monkeypatch, cap):
    monkeypatch.setattr(roisim.analysis.summary, "CAP", cap)
    r = roisim.simulate(scen("discrete"), runs=150_003, seed=SEED, summary_only=True)
    ds = sim("discrete", 150_003, False).dataset
    assert r.summary == sim("discrete", 150_003, False).summary
    check_against_numpy(r.summary, ds)
    cash = r.summary["cashflow_by_year"]
    assert (cash["mean"][0], cash["p5"][0], cash["p95"][0]) == (-D_BUILD, -D_BUILD, -D_BUILD)


def test_refinement_no_costs(scen, sim, monkeypatch):
    monkeypatch.setattr(roisim.analysis.summary, "CAP", 5)
    r = roisim.simulate(scen("no_costs"), runs=150_003, seed=SEED, summary_only=True)
    assert r.summary == sim("no_costs", 150_003, False).summary


# ---------------------------------------------------------------- bit-identical across partitioning
def test_threads_1_and_2_bit_identical(scen):
    a = roisim.simulate(scen("mixed"), runs=150_003, seed=SEED, summary_only=True, threads=1)
    b = roisim.simulate(scen("mixed"), runs=150_003, seed=SEED, summary_only=True, threads=2)
    assert canon(a.summary) == canon(b.summary)


def test_kernel_source_chunks_and_block_order(scen, sim):
    runs = 200_003
    plan = build_plan(scen("mixed"), SEED)
    nb = n_blocks(runs)
    assert nb == 4
    sources = {
        "default": KernelSource(plan, runs, threads=1),
        "chunk 1000": KernelSource(plan, runs, threads=1, chunk=1000),
        "chunk 4099, 2 threads": KernelSource(plan, runs, threads=2, chunk=4099),
        "reversed": KernelSource(plan, runs, threads=1, blocks=list(reversed(range(nb)))),
        "shuffled, 2 threads": KernelSource(plan, runs, threads=2, blocks=[2, 0, 3, 1]),
    }
    out = {k: canon(summarize(src, runs)) for k, src in sources.items()}
    assert len(set(out.values())) == 1, out.keys()
    # and the same as simulate's streaming summary
    metrics, cash = summarize(sources["default"], runs)
    cleaned = Result({"metrics": metrics, "cashflow_by_year": cash}, None).summary
    full = roisim.simulate(scen("mixed"), runs=runs, seed=SEED, summary_only=True).summary
    assert cleaned["metrics"] == full["metrics"]
    assert cleaned["cashflow_by_year"] == full["cashflow_by_year"]


# ---------------------------------------------------------------- run-time errors in streaming mode
RARE_BAD = """
[scenario]
name = "a bad value only after the first block"
horizon_years = 2
discount_rate = 0.1

[inputs]
x = { dist = "normal", mean = 0, sd = 1 }
y = "sqrt(x + 4.0)"

[[benefits]]
name = "b"
amount = "y * 10"

[[costs]]
name = "c"
amount = 10
years = "0"
"""


def test_rare_bad_value_is_an_error_in_streaming_mode_too():
    """With seed 4, x < -4 only in runs beyond the first 65,536 (checked below from the same
    input name in a scenario that never fails), so the error is only seen by later blocks."""
    ok = RARE_BAD.replace('y = "sqrt(x + 4.0)"', "").replace('"y * 10"', '"x * 10 + 100"')
    x = roisim.simulate(roisim.load_scenario(ok), runs=300_000, seed=4).dataset["x"].values
    bad = np.nonzero(x < -4.0)[0]
    assert len(bad) > 0 and bad.min() >= SUMMARY_BLOCK
    s = roisim.load_scenario(RARE_BAD)
    with pytest.raises(roisim.ScenarioError) as mem:
        roisim.simulate(s, runs=300_000, seed=4)
    assert "inputs.y" in str(mem.value)
    with pytest.raises(roisim.ScenarioError) as stream:
        roisim.simulate(s, runs=300_000, seed=4, summary_only=True)
    assert "inputs.y" in str(stream.value)


# ---------------------------------------------------------------- memory
MEM_CHILD = textwrap.dedent('''
    import resource, sys
    import roisim
    s = roisim.load_scenario("""
    [scenario]
    name = "memory"
    horizon_years = 3
    discount_rate = 0.08
    [inputs]
    saving = { dist = "normal", mean = 50, sd = 10 }
    [[benefits]]
    name = "s"
    amount = "saving"
    [[costs]]
    name = "c"
    amount = 100
    years = "0"
    """)
    r = roisim.simulate(s, runs=int(sys.argv[1]), seed=3, summary_only=True)
    assert r.dataset is None and r.summary["runs"] == int(sys.argv[1])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''')


def test_streaming_peak_memory_does_not_grow_with_runs(tmp_path):
    """ru_maxrss is in KiB on Linux.  In memory, 1.8e6 more runs of this scenario take
    1.8e6 * 11 values * 8 bytes = 158 MB, well over the 60 MB allowed."""
    script = tmp_path / "mem_child.py"
    script.write_text(MEM_CHILD)
    peaks = []
    for runs in (200_000, 2_000_000):
        out = subprocess.run(
            [sys.executable, str(script), str(runs)], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        peaks.append(int(out.stdout.split()[-1]) * 1024)
    assert peaks[1] - peaks[0] < 60e6, peaks


@pytest.mark.parametrize("join_at", [1, 2])
def test_joining_collected_pieces_keeps_the_exact_summary(scen, sim, monkeypatch, join_at):
    # blocks.JOIN_AT joins a collect's per-block pieces (at 10^9 runs their object overhead was most
    # of the memory); with 3 blocks here, joining after every piece or every other one must change
    # nothing, with and without the sub-histogram pass
    base = roisim.simulate(scen("mixed"), runs=150_003, seed=SEED, summary_only=True)
    monkeypatch.setattr(roisim.engine.blocks, "JOIN_AT", join_at)
    joined = roisim.simulate(scen("mixed"), runs=150_003, seed=SEED, summary_only=True, threads=2)
    assert joined.summary == base.summary
    monkeypatch.setattr(roisim.analysis.summary, "CAP", 2)
    refined = roisim.simulate(scen("mixed"), runs=150_003, seed=SEED, summary_only=True)
    assert refined.summary == base.summary
    check_against_numpy(joined.summary, sim("mixed", 150_003, False).dataset)
