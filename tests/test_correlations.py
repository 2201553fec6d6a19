"""Correlated inputs (``[correlations]``): targets met, marginals kept, every error path.

The expected values are the targets themselves, scipy.stats (Spearman's ρ, the marginal
distributions, the Kolmogorov-Smirnov test) and the Gaussian copula's closed form
ρₛ = (6/π)·asin(r/2); never roisim's own output.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import roisim
from roisim.errors import ScenarioError

N = 100_000

HEAD = """
[scenario]
name = "correlated"
currency = "GBP"
horizon_years = 3
discount_rate = {rate}

[simulation]
runs = 100000
seed = 11

[inputs]
a = {{ dist = "normal", mean = 100, sd = 20 }}
b = {{ dist = "lognormal", mean = 50, sd = 25 }}
c = {{ dist = "pert", min = 10, mode = 20, max = 60 }}
d = {{ dist = "uniform", min = 0, max = 1 }}
y1 = {{ dist = "normal", mean = 10, sd = 3, per = "year" }}
y2 = {{ dist = "triangular", min = 0, mode = 2, max = 9, per = "year" }}
k = {{ dist = "poisson", mean = 1.5 }}
fee = 3
total = "a + b + c + d + k * fee"

[[benefits]]
name = "Benefit"
amount = "total + y1 + y2"
years = "1.."

[[costs]]
name = "Build"
amount = 150
years = "0"
"""


def scenario(correlations: str, rate: str = "0.08"):
    return roisim.load_scenario(HEAD.format(rate=rate) + "\n[correlations]\n" + correlations)


@pytest.fixture(scope="module")
def rank_run():
    s = scenario("""
method = "rank"
pairs = [["a", "b", 0.6], ["a", "c", -0.3], ["y1", "y2", 0.5], ["k", "d", 0.5]]
""")
    return roisim.simulate(s, runs=N)


def spearman(x, y) -> float:
    return float(stats.spearmanr(x, y).statistic)


def test_rank_targets_are_met_within_0_01(rank_run):
    ds = rank_run.dataset
    assert spearman(ds["a"], ds["b"]) == pytest.approx(0.6, abs=0.01)
    assert spearman(ds["a"], ds["c"]) == pytest.approx(-0.3, abs=0.01)
    # b and c are not paired: a pair left out of the table is a target of 0, as in @RISK
    assert spearman(ds["b"], ds["c"]) == pytest.approx(0.0, abs=0.01)


def test_per_year_inputs_are_correlated_within_each_year(rank_run):
    ds = rank_run.dataset
    for t in range(4):
        x, y = ds["y1"].isel(year=t), ds["y2"].isel(year=t)
        assert spearman(x, y) == pytest.approx(0.5, abs=0.01)
    # and not across years
    assert abs(spearman(ds["y1"].isel(year=1), ds["y2"].isel(year=2))) < 0.01


def test_marginals_are_kept(rank_run):
    ds = rank_run.dataset
    checks = {
        "a": stats.norm(100, 20).cdf,
        "b": stats.lognorm(s=math.sqrt(math.log(1.25)), scale=50 / math.sqrt(1.25)).cdf,
        "d": stats.uniform(0, 1).cdf,
    }
    for name, cdf in checks.items():
        assert stats.kstest(ds[name].values, cdf).pvalue > 1e-3, name
    k = ds["k"].values
    freq = np.bincount(k.astype(int), minlength=8)[:8] / k.size
    assert freq == pytest.approx(stats.poisson(1.5).pmf(np.arange(8)), abs=4e-3)


def test_the_first_input_of_a_group_keeps_its_independent_draws(rank_run):
    """L is lower-triangular with L₀₀ = 1: the first input's uniform is Φ(Φ⁻¹(u)) = u."""
    plain = roisim.simulate(roisim.load_scenario(HEAD.format(rate="0.08")), runs=2000).dataset
    np.testing.assert_allclose(rank_run.dataset["a"].values[:2000], plain["a"].values,
                               rtol=1e-12)
    np.testing.assert_allclose(rank_run.dataset["y1"].values[:2000], plain["y1"].values,
                               rtol=1e-12)
    # an input that is not correlated keeps its draws exactly
    other = roisim.simulate(scenario('pairs = [["a", "c", 0.5]]'), runs=2000).dataset
    for name in ("b", "d", "y1", "y2", "k"):
        np.testing.assert_array_equal(other[name].values, plain[name].values)


def test_ties_make_a_discrete_inputs_rank_correlation_smaller(rank_run):
    ds = rank_run.dataset
    realised = spearman(ds["k"], ds["d"])
    assert 0.35 < realised < 0.5


def test_normal_method_targets_the_normal_scores():
    s = scenario('method = "normal"\npairs = [["a", "d", 0.7]]')
    ds = roisim.simulate(s, runs=N).dataset
    za = (ds["a"].values - 100) / 20
    zd = stats.norm.ppf(ds["d"].values)
    assert float(np.corrcoef(za, zd)[0, 1]) == pytest.approx(0.7, abs=0.01)
    assert spearman(ds["a"], ds["d"]) == pytest.approx(6 / math.pi * math.asin(0.35), abs=0.01)


def test_a_matrix_and_a_drawn_discount_rate():
    s = scenario(
        'matrix = { inputs = ["a", "b", "discount_rate"], '
        "values = [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]] }",
        rate='{ dist = "uniform", min = 0.04, max = 0.12 }')
    ds = roisim.simulate(s, runs=N).dataset
    assert spearman(ds["a"], ds["b"]) == pytest.approx(0.5, abs=0.01)
    assert spearman(ds["a"], ds["discount_rate"]) == pytest.approx(0.2, abs=0.01)
    assert spearman(ds["b"], ds["discount_rate"]) == pytest.approx(0.3, abs=0.01)


def test_summary_json_and_realised_pairs(rank_run):
    c = rank_run.summary["correlations"]
    assert c["method"] == "rank" and c["repaired"] is False and c["max_change"] == 0.0
    assert c["inputs"] == ["a", "b", "c", "k", "d", "y1", "y2"]
    i = {n: k for k, n in enumerate(c["inputs"])}
    assert c["target"][i["a"]][i["b"]] == 0.6 and c["used"] == c["target"]
    assert c["target"][i["a"]][i["y1"]] == 0.0
    ds = rank_run.dataset
    assert c["realised"][i["a"]][i["b"]] == pytest.approx(spearman(ds["a"], ds["b"]), abs=1e-9)


def test_streaming_and_threads_are_bit_identical(rank_run):
    s = scenario('pairs = [["a", "b", 0.6], ["y1", "y2", 0.5]]')
    one = roisim.simulate(s, runs=50_000, threads=1)
    two = roisim.simulate(s, runs=50_000, threads=2)
    streamed = roisim.simulate(s, runs=50_000, summary_only=True)
    np.testing.assert_array_equal(one.dataset["npv"].values, two.dataset["npv"].values)
    # fewer runs than REALISED_RUNS: streaming regenerates them all, so even realised agrees
    assert streamed.summary == one.summary
    assert streamed.summary["correlations"]["realised_runs"] == 50_000


def test_stress_cases_and_compared_options_keep_common_random_numbers():
    """A stress case and a compared option that change only the build cost see the same
    correlated draws, run by run, so their NPV differs from the base by exactly the change in
    the discounted build cost (closed form: 40 more at year 0, undiscounted)."""
    pairs = 'pairs = [["a", "b", 0.6], ["y1", "y2", 0.5]]'
    base = scenario(pairs)
    dearer = roisim.load_scenario(HEAD.format(rate="0.08").replace("amount = 150", "amount = 190")
                                  + "\n[correlations]\n" + pairs)
    runs = 20_000
    out = roisim.compare([base, dearer], runs=runs, seed=5, keep_inputs=True)
    a, b = (r.dataset for r in out.results)
    for name in ("a", "b", "y1", "y2"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_allclose(a["npv"].values - b["npv"].values, 40.0, rtol=0, atol=1e-9)
    assert spearman(a["a"], a["b"]) == pytest.approx(0.6, abs=0.03)
    stressed = roisim.stress(roisim.load_scenario(
        HEAD.format(rate="0.08") + '\n[[stress]]\nname = "dearer build"\n'
        'scale = { "costs[0]" = 1.2 }\n\n[correlations]\n' + pairs), runs=runs, seed=5)
    diff = stressed.cases[0].difference["npv"]  # 150 × 0.2 more at year 0, in every run
    for key in ("mean", "p5", "p95"):
        assert diff[key] == pytest.approx(-30.0, abs=1e-6), key


def test_a_repaired_matrix_reports_target_used_and_change():
    s = scenario('repair = "nearest"\nmatrix = { inputs = ["a", "b", "c"], '
                 "values = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]] }")
    c = s.correlations.summary()
    used = np.array(c["used"])
    assert c["repaired"] is True
    assert np.linalg.eigvalsh(2 * np.sin(np.pi * used / 6)).min() > -1e-9
    assert c["max_change"] == pytest.approx(np.abs(used - np.array(c["target"])).max())
    ds = roisim.simulate(s, runs=N).dataset
    assert spearman(ds["a"], ds["b"]) == pytest.approx(used[0, 1], abs=0.01)


def test_given_data_reflects_the_correlation_and_swing_does_not():
    """d enters the NPV with a weight of one per year (its swing from P10 to P90 moves the mean
    NPV by about 0.8 × 2.6 ≈ 2), but it is correlated with b, which moves the NPV a lot: the
    given-data bins of d see b move with it (about ±180), the one-at-a-time swing does not."""
    s = scenario('pairs = [["d", "b", 0.8]]')
    out = roisim.sensitivity(s, runs=40_000, seed=3).summary
    rows = {r["name"]: r for r in out["inputs"]}
    # d enters the NPV with a coefficient of 1 per year (tiny); through b it moves a lot
    assert rows["d"]["given_data"]["high"] - rows["d"]["given_data"]["low"] > 50
    assert abs(rows["d"]["swing"]["p90"] - rows["d"]["swing"]["p10"]) < 5


ERRORS = [
    ('pairs = [["a", "bb", 0.5]]', "correlations.pairs[0][1]", "did you mean 'b'"),
    ('pairs = [["a", "total", 0.5]]', "correlations.pairs[0][1]",
     "(a derived input moves with the inputs it is made of)"),
    ('pairs = [["a", "fee", 0.5]]', "correlations.pairs[0][1]", "(a constant takes no draws)"),
    ('pairs = [["a", "discount_rate", 0.5]]', "correlations.pairs[0][1]", "is not drawn"),
    ('pairs = [["a", "y1", 0.5]]', "correlations.pairs[0]", "once per year"),
    ('pairs = [["a", "b", 0.5], ["b", "a", 0.1]]', "correlations.pairs[1]", "already given"),
    ('pairs = [["a", "a", 0.5]]', "correlations.pairs[0]", "with itself"),
    ('pairs = [["a", "b", 1.2]]', "correlations.pairs[0][2]", "[-1, 1]"),
    ('pairs = [["a", "b"]]', "correlations.pairs[0]", "must be"),
    ('pairs = [["a", "discount_rate", 0.5]]', "correlations.pairs[0][1]", "constant"),
    ('method = "spearman"', "correlations.method", "'rank'"),
    ('repiar = "nearest"', "correlations.repiar", "did you mean 'repair'"),
    ('matrix = { inputs = ["a", "b"], values = [[1, 0.2], [0.3, 1]] }',
     "correlations.matrix.values[0][1]", "a ~ b: the matrix must be symmetric"),
    ('matrix = { inputs = ["a", "b"], values = [[0.9, 0.2], [0.2, 1]] }',
     "correlations.matrix.values[0][0]", "a ~ a: a diagonal entry must be 1"),
    ('matrix = { inputs = ["b", "a"], values = [[1, 1.5], [1.5, 1]] }',
     "correlations.matrix.values[0][1]", "b ~ a: must be in [-1, 1]"),
    ('matrix = { inputs = ["a", "b"], values = [[1, "x"], ["x", 1]] }',
     "correlations.matrix.values[0][1]", "a ~ b: must be a correlation"),
    ('matrix = { inputs = ["a", "b"], values = [[1, 0.2]] }',
     "correlations.matrix.values", "2 × 2"),
    ('matrix = { inputs = ["a", "b", "c"], values = [[1, 0.9, 0.9], [0.9, 1, -0.9], '
     "[0.9, -0.9, 1]] }", "correlations", "smallest eigenvalue"),
]


@pytest.mark.parametrize("body, path, words", ERRORS)
def test_errors_name_their_field(body, path, words):
    with pytest.raises(ScenarioError) as err:
        scenario(body)
    assert err.value.path == path
    assert words in str(err.value)


def test_cli_error_is_one_line_with_the_file_line(tmp_path):
    from click.testing import CliRunner

    from roisim.cli.main import main

    f = tmp_path / "bad.toml"
    f.write_text(HEAD.format(rate="0.08") + '\n[correlations]\npairs = [["a", "bb", 0.5]]\n')
    res = CliRunner().invoke(main, ["run", str(f), "--runs", "100"])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.strip().splitlines() if ln]
    assert len(lines) == 1
    assert "bad.toml:" in lines[0] and "correlations.pairs[0][1]" in lines[0]
    assert "positive semi-definite" not in lines[0]


def test_without_kept_inputs_realised_is_over_the_first_runs(monkeypatch):
    """``roisim run`` keeps no inputs: the realised matrix is then Spearman's ρ over the first
    REALISED_RUNS runs, the same draws as a run that keeps them (scipy on those runs)."""
    from roisim.analysis import correlation_figures as cf

    monkeypatch.setattr(cf, "REALISED_RUNS", 4_000)
    s = scenario('pairs = [["a", "b", 0.6], ["y1", "y2", 0.5]]')
    c = roisim.simulate(s, runs=20_000, keep_inputs=False).summary["correlations"]
    ds = roisim.simulate(s, runs=4_000).dataset
    i = {n: k for k, n in enumerate(c["inputs"])}
    assert c["realised_runs"] == 4_000
    assert c["realised"][i["a"]][i["b"]] == pytest.approx(spearman(ds["a"], ds["b"]), abs=1e-12)
    y1, y2 = ds["y1"].values.ravel(), ds["y2"].values.ravel()
    assert c["realised"][i["y1"]][i["y2"]] == pytest.approx(spearman(y1, y2), abs=1e-12)


def test_a_pair_the_repair_correlates_is_shown_although_its_target_is_0():
    """Targets a~b 1, a~c 1, b~c 0 cannot all hold: the nearest valid matrix correlates b and c,
    and the text report lists that pair with its target 0 and the value used."""
    from roisim.report.text import render_report

    s = scenario('repair = "nearest"\npairs = [["a", "b", 1.0], ["a", "c", 1.0], ["b", "c", 0.0]]')
    figures = roisim.simulate(s, runs=2_000).figures
    corr = figures.correlations
    i = {n: k for k, n in enumerate(corr.inputs)}
    assert corr.target[i["b"]][i["c"]] == 0 and corr.used[i["b"]][i["c"]] > 0.05
    [row] = [ln for ln in render_report(figures).splitlines() if ln.strip().startswith("b ~ c")]
    assert f"{corr.used[i['b']][i['c']]:.3f}" in row and "0.000" in row
