"""Charts (``roisim.report.charts`` and ``roisim plot``): each kind's file opens as what it says,
and the data drawn on its Axes equals an independent computation (numpy on the dataset) or the
summary figure it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from click.testing import CliRunner

import roisim
from roisim.cli.main import main
from roisim.errors import ScenarioError
from roisim.report import charts
from roisim.report.charts import style
from roisim.report.plot import PlotAccessor

ROOT = Path(__file__).resolve().parents[1]
FINTECH = str(ROOT / "scenarios" / "fintech.toml")
RUNS = 4000

SMALL = """
[scenario]
name = "Small case"
currency = "GBP"
horizon_years = 3
discount_rate = 0.1

[inputs]
saving = { dist = "normal", mean = 60000, sd = 15000 }
build = { dist = "pert", min = 80000, mode = 100000, max = 160000 }
upkeep = { dist = "uniform", min = 5000, max = 15000 }

[[benefits]]
name = "Saving"
amount = "saving"

[[costs]]
name = "Build"
amount = "build"
years = "0"

[[costs]]
name = "Upkeep"
amount = "upkeep"

[[stress]]
name = "Build overruns by 30%"
scale = { "costs[0]" = 1.3 }
"""
BUY = SMALL.replace('name = "Small case"', 'name = "Small case, bought"').replace(
    "min = 80000, mode = 100000, max = 160000", "min = 60000, mode = 70000, max = 90000")


@pytest.fixture(scope="module")
def result():
    return roisim.simulate(roisim.load_scenario(FINTECH), runs=RUNS, seed=11)


@pytest.fixture(scope="module")
def small():
    return roisim.load_scenario(SMALL)


@pytest.fixture(scope="module")
def sens(small):
    return roisim.sensitivity(small, runs=3000, seed=5)


@pytest.fixture(scope="module")
def comparison(small):
    return roisim.compare([small, roisim.load_scenario(BUY)], runs=3000, seed=5)


@pytest.fixture(scope="module")
def stressed(small):
    return roisim.stress(small, runs=3000, seed=5)


def _bars(ax, gid=None):
    """(left, right, bottom, top) of each rectangle with ``gid`` (all bars when None)."""
    out = [(*sorted((p.get_x(), p.get_x() + p.get_width())),
            *sorted((p.get_y(), p.get_y() + p.get_height())))
           for p in ax.patches if gid is None or p.get_gid() == gid]
    return np.array(out, dtype=float).reshape(-1, 4)


def _width(ax, gid):
    """The signed width of the bar with ``gid`` (a horizontal bar from 0: its value)."""
    return next(p.get_width() for p in ax.patches if p.get_gid() == gid)


def _line(ax, gid):
    return next(line for line in ax.get_lines() if line.get_gid() == gid)


def _vlines(ax):
    """x of every vertical line drawn across the axes (axvline), by its label."""
    return {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()
            if len(set(line.get_xdata())) == 1 and len(line.get_xdata()) == 2}


def _legend(ax):
    legend = ax.get_legend() or (ax.figure.legends[0] if ax.figure.legends else None)
    return [t.get_text() for t in legend.get_texts()]


# ============================================================================ files
@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_each_file_type_opens_as_what_it_says(result, tmp_path, suffix):
    path = tmp_path / f"npv{suffix}"
    charts.save(charts.draw("npv", result), path)
    data = path.read_bytes()
    assert len(data) > 10_000
    if suffix == ".png":
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 400 and image.shape[1] > 800
        assert image[..., :3].std() > 0.05          # not a blank page
    elif suffix == ".svg":
        assert ET.fromstring(data).tag.endswith("svg")
    else:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("kind", ["npv", "scurve", "payback", "fan", "lines"])
def test_every_result_kind_writes_a_png(result, tmp_path, kind):
    path = tmp_path / f"{kind}.png"
    charts.save(charts.draw(kind, result), path)
    assert path.stat().st_size > 10_000
    assert matplotlib.image.imread(path).ndim == 3


def test_other_kinds_write_files(sens, comparison, stressed, tmp_path):
    for kind, source in (("tornado", sens), ("evpi", sens), ("compare", comparison),
                         ("stress", stressed)):
        path = tmp_path / f"{kind}.svg"
        charts.save(charts.draw(kind, source), path)
        assert ET.parse(path).getroot().tag.endswith("svg"), kind


def test_a_bad_suffix_is_a_one_line_error(result, tmp_path):
    with pytest.raises(ScenarioError, match=r"must end in \.png, \.svg or \.pdf, got '\.gif'"):
        charts.save(charts.draw("npv", result), tmp_path / "x.gif")
    with pytest.raises(ScenarioError, match="got no suffix"):
        charts.save(charts.draw("npv", result), tmp_path / "x")


# ============================================================================ npv, scurve, payback
def test_npv_bars_are_the_histogram_of_the_dataset(result):
    ax = charts.draw("npv", result)
    npv = result.dataset["npv"].values
    bars = _bars(ax)
    bars = bars[np.argsort(bars[:, 0])]
    edges = np.append(bars[:, 0], bars[-1, 1])
    assert edges[0] <= npv.min() and npv.max() <= edges[-1]      # every run is in a bar
    counts, _ = np.histogram(npv, bins=edges)
    assert np.allclose(bars[:, 3] * npv.size, counts, atol=1e-9)
    assert 30 <= len(bars) <= 240


def test_npv_shaded_share_is_one_minus_prob_positive(result):
    ax = charts.draw("npv", result)
    npv = result.dataset["npv"].values
    loss, gain = _bars(ax, "loss"), _bars(ax, "gain")
    assert (loss[:, 1] <= 0).all() and (gain[:, 0] >= 0).all()
    assert loss[:, 3].sum() == pytest.approx(np.mean(npv <= 0), abs=1e-12)
    assert loss[:, 3].sum() == pytest.approx(1 - result.figures.metrics.npv.prob_positive,
                                             abs=1e-12)
    label = f"P(NPV < 0) = {round(100 * np.mean(npv <= 0))}%"
    assert label in _legend(ax)


def test_npv_marks_mean_percentiles_and_central_case(result):
    ax = charts.draw("npv", result)
    npv = result.dataset["npv"].values
    marks = list(_vlines(ax).items())
    xs = [x for _, x in marks]
    assert any(abs(x - npv.mean()) < 1e-6 * abs(npv.mean()) for x in xs)
    for p in (5, 50, 95):       # the summary's percentiles, near numpy's
        assert min(abs(x - np.percentile(npv, p)) for x in xs) < 0.02 * npv.std()
    central = result.figures.central_case.npv
    assert any(label.startswith("Central case") and x == pytest.approx(central)
               for label, x in marks)


def test_scurve_passes_through_zero_at_one_minus_prob_positive(result):
    ax = charts.draw("scurve", result)
    x, f = _line(ax, "ecdf").get_data()
    npv = np.sort(result.dataset["npv"].values)
    assert f[x == 0.0][0] == pytest.approx(1 - result.figures.metrics.npv.prob_positive,
                                           abs=1e-12)
    assert (np.diff(f) >= 0).all() and f[-1] == 1.0
    k = len(x) // 3     # any point: F(x) = #{npv <= x} / n
    assert f[k] == np.searchsorted(npv, x[k], side="right") / npv.size
    assert "P(NPV > 0) = " in " ".join(t.get_text() for t in ax.texts)


def test_payback_bars_and_the_not_within_bar(result):
    ax = charts.draw("payback", result)
    pay = result.dataset["payback_years"].values
    horizon = result.figures.horizon_years
    bars = _bars(ax, "paid")
    paid = pay[np.isfinite(pay)]
    counts, _ = np.histogram(paid, bins=np.linspace(0, horizon, 4 * horizon + 1))
    assert np.allclose(bars[:, 3] * pay.size, counts)
    late = _bars(ax, "not_within")
    assert late[0, 3] == pytest.approx(np.mean(~np.isfinite(pay)), abs=1e-12)
    assert late[0, 3] == pytest.approx(1 - result.figures.metrics.payback_years
                                       .prob_within_horizon, abs=1e-12)
    assert late[0, 0] > horizon                                     # a bar of its own
    assert f"> {horizon} y" in [t.get_text() for t in ax.get_xticklabels()]


# ============================================================================ fan and lines
def test_fan_band_edges_are_numpy_percentiles_of_the_cash_flows(result):
    ax = charts.draw("fan", result)
    cf = result.dataset["net_cashflow"].values
    for panel, flows in ((ax, cf), (ax.figure.axes[1], np.cumsum(cf, axis=1))):
        for low, high in ((5, 95), (25, 75)):
            bars = _bars(panel, f"p{low}-p{high}")
            assert np.allclose(bars[:, 2], np.percentile(flows, low, axis=0), rtol=1e-12)
            assert np.allclose(bars[:, 3], np.percentile(flows, high, axis=0), rtol=1e-12)
        assert np.allclose(_line(panel, "centre").get_ydata(), np.median(flows, axis=0))
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Year 0", "Year 1"]


def test_fan_after_a_summary_only_run_draws_the_summary(small):
    r = roisim.simulate(small, runs=3000, seed=5, summary_only=True)
    ax = charts.draw("fan", r)
    c = r.figures.cashflow_by_year
    bars = _bars(ax, "p5-p95")
    assert np.allclose(bars[:, 2], c.p5) and np.allclose(bars[:, 3], c.p95)
    assert len(ax.figure.axes) == 1
    with pytest.raises(ScenarioError, match="needs the per-run results"):
        charts.draw("npv", r)
    with pytest.raises(ScenarioError, match="needs the per-run results"):
        charts.draw("payback", r)
    x, f = _line(charts.draw("scurve", r), "ecdf").get_data()    # the summary's percentiles
    assert f[list(x).index(0.0)] == pytest.approx(1 - r.figures.metrics.npv.prob_positive)


def test_lines_bars_equal_the_summary_and_the_line_pvs(result):
    ax = charts.draw("lines", result)
    pv = result.dataset["line_pv"]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    for k, line in enumerate(x for x in result.figures.lines if x.kind == "benefit"):
        assert labels[k].startswith(line.name)
    rows = sorted(result.figures.lines, key=lambda line: line.kind != "benefit")
    for k, line in enumerate(rows):
        left, right, _, _ = _bars(ax, f"line-{k}")[0]
        sign = 1 if line.kind == "benefit" else -1
        assert sorted((left, right)) == pytest.approx(sorted((sign * line.pv.p5,
                                                               sign * line.pv.p95)))
        values = pv.sel(line=line.name).values
        assert _line(ax, f"mean-{k}").get_xdata()[0] == pytest.approx(sign * values.mean(),
                                                                       rel=1e-9)
        assert sign * left == pytest.approx(np.percentile(values, 5 if sign > 0 else 95),
                                            rel=0.02)


# ============================================================================ sensitivity
def test_tornado_swing_bar_ends_equal_the_summary(sens):
    ax = charts.draw("tornado", sens)
    s = sens.summary
    base = s["base"]["mean"]
    for row in s["inputs"]:
        for end in ("p10", "p90"):
            left, right, _, _ = _bars(ax, f"{row['name']}|{end}")[0]
            assert left == pytest.approx(min(base, row["swing"][end]))
            assert right == pytest.approx(max(base, row["swing"][end]))
    widths = [abs(r["swing"]["p90"] - r["swing"]["p10"]) for r in s["inputs"]]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names[0] == s["inputs"][int(np.argmax(widths))]["name"]     # widest on top
    assert ax.get_ylim()[0] > ax.get_ylim()[1]                          # top to bottom


def test_tornado_given_data_bar_ends_equal_the_summary(sens):
    ax = charts.draw("tornado", sens, bars="given_data")
    for row in sens.summary["inputs"]:
        left, right, _, _ = _bars(ax, f"{row['name']}|given_data")[0]
        assert (left, right) == pytest.approx((row["given_data"]["low"],
                                               row["given_data"]["high"]))
    with pytest.raises(ScenarioError, match="did you mean 'swing'"):
        charts.draw("tornado", sens, bars="swng")


def test_evpi_bars_and_the_total(sens):
    ax = charts.draw("evpi", sens)
    s = sens.summary
    for row in s["inputs"]:
        left, right, _, _ = _bars(ax, f"{row['name']}|evppi")[0]
        assert (left, right) == pytest.approx((0.0, row["evppi"]))
    assert _line(ax, "evpi").get_xdata()[0] == pytest.approx(s["evpi"]["value"])
    assert all(row["evppi"] <= s["evpi"]["value"] + 1e-9 for row in s["inputs"])


# ============================================================================ compare, stress
def test_compare_draws_each_npv_histogram_and_the_paired_difference(comparison):
    ax = charts.draw("compare", comparison)
    npv = [r.dataset["npv"].values for r in comparison.results]
    for k, values in enumerate(npv):
        step = next(p for p in ax.patches if p.get_gid() == f"option-{k}")
        heights, edges = step.get_data().values, step.get_data().edges
        counts, _ = np.histogram(values, bins=edges)
        assert np.allclose(heights * values.size, counts)
    step = next(p for p in ax.figure.axes[1].patches if p.get_gid() == "difference-1")
    heights, edges = step.get_data().values, step.get_data().edges
    counts, _ = np.histogram(npv[1] - npv[0], bins=edges)
    assert np.allclose(heights * npv[0].size, counts)
    assert heights.sum() == pytest.approx(1.0)                       # every run is drawn
    better = np.mean(npv[1] > npv[0])
    assert f"P(B better than A) = {100 * better:.1f}%" in " ".join(_legend(ax.figure.axes[1]))


def test_compare_after_streaming_says_what_it_needs(small):
    c = roisim.compare([small, roisim.load_scenario(BUY)], runs=2000, seed=5, summary_only=True)
    with pytest.raises(ScenarioError, match="needs the per-run NPVs"):
        charts.draw("compare", c)


def test_stress_bars_equal_each_case(stressed, small):
    ax = charts.draw("stress", stressed)
    prob_ax = ax.figure.axes[1]
    cases = [stressed.base] + [c.figures for c in stressed.cases]
    for k, s in enumerate(cases):
        assert _width(ax, f"mean-{k}") == pytest.approx(s.metrics.npv.mean)
        assert _width(prob_ax, f"prob-{k}") == pytest.approx(s.metrics.npv.prob_positive)
    # independent: the case is the base with the build cost x1.3, on the same draws
    base = roisim.simulate(small, runs=3000, seed=5).dataset
    build = base["costs: Build"].values if "costs: Build" in base else base["build"].values
    assert _width(ax, "mean-1") == pytest.approx(base["npv"].values.mean()
                                                      - 0.3 * build.mean(), rel=1e-9)


# ============================================================================ labels
def test_money_ticks_read_like_120k(result):
    ax = charts.draw("npv", result)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"-?£\d+(\.\d+)?[kM]?", t) for t in labels), labels
    assert "£0" in labels and len(set(labels)) == len(labels) == len(ax.get_xticks())


def test_short_money_and_the_axis_formatter():
    assert style.short_money(120_000, "GBP") == "£120k"
    assert style.short_money(-1_500_000, "GBP") == "-£1.50M"
    assert style.short_money(2.5e9, "USD") == "$2.50bn"
    assert style.short_money(950, "EUR") == "€950"
    assert style.short_money(1234, "CHF") == "CHF 1.23k"
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    style.money_axis(ax.xaxis, "GBP")
    fmt = ax.xaxis.get_major_formatter()
    for locs, want in (([0, 250_000, 500_000], ["£0", "£250k", "£500k"]),
                       ([-250_000, 0, 1_250_000], ["-£0.25M", "£0", "£1.25M"]),
                       ([0, 2_000_000, 4_000_000], ["£0", "£2M", "£4M"])):
        assert fmt.format_ticks(locs) == want


def test_titles_come_from_the_scenario(result, sens):
    ax = charts.draw("npv", result)
    assert ax.figure.get_suptitle().replace("\n", " ") == result.figures.scenario.name
    assert "4,000 runs, seed 11" in ax.get_title()
    from matplotlib.figure import Figure

    mine = Figure().subplots()
    assert charts.draw("tornado", sens, ax=mine) is mine
    assert mine.get_title().startswith("Small case: What drives NPV")


# ============================================================================ API and SVG
def test_unknown_kind_and_wrong_source(result, sens):
    with pytest.raises(ScenarioError, match="did you mean 'scurve'"):
        charts.draw("s-curve", result)
    with pytest.raises(TypeError, match="draws a Sensitivity"):
        charts.draw("tornado", result)
    with pytest.raises(TypeError, match="draws a roisim.Result"):
        charts.draw("npv", sens)


def test_plot_accessor_draws_each_kind_on_a_given_axes(result):
    from matplotlib.figure import Figure

    plot = PlotAccessor(result)
    for kind in ("npv", "scurve", "payback", "fan", "lines"):
        ax = Figure().subplots()
        assert getattr(plot, kind)(ax=ax) is ax
        assert ax.patches or ax.get_lines()
    assert plot("npv").figure.get_suptitle()


def test_to_svg_is_inline_with_ids_unique_per_call(result):
    ax = charts.draw("npv", result)
    one, two = charts.to_svg(ax), charts.to_svg(ax)
    ids = []
    for svg in (one, two):
        assert svg.startswith("<svg") and svg.endswith("</svg>") and "<?xml" not in svg
        assert "<metadata" not in svg and "http://purl" not in svg
        root = ET.fromstring(svg)
        own = {e.get("id") for e in root.iter() if e.get("id")}
        refs = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"',
                                                                           svg))
        assert refs <= own                                   # every reference resolves
        assert not re.search(r'href="(?!#)', svg)            # nothing outside the element
        ids.append(own)
    assert ids[0] and not ids[0] & ids[1]
    assert "P(NPV &lt; 0)" in one or "P(NPV < 0)" in one    # text stays text


def _python(code: str, env=None) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_agg_outside_pyplot_unless_a_backend_was_chosen():
    code = ("import sys, roisim\nfrom roisim.report import charts\n"
            "r = roisim.simulate(roisim.load_scenario('scenarios/fintech.toml'), runs=500)\n"
            "ax = charts.draw('npv', r)\n"
            "import matplotlib\n"
            "print(type(ax.figure.canvas).__name__, 'matplotlib.pyplot' in sys.modules,"
            " matplotlib.get_backend())\n")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == ["FigureCanvasAgg", "False"]
    chosen = code.replace("ax = charts", "import matplotlib.pyplot as plt\nax = charts") \
        .replace("print(", "print(plt.gcf() is ax.figure, ")
    assert _python(chosen, {"MPLBACKEND": "svg"}).split()[0] == "True"   # the user's pyplot


def test_roisim_run_never_imports_matplotlib_or_the_other_report_libraries():
    # nor the other report-only libraries: a warm `roisim run` must not pay for the pack
    code = ("import sys\nfrom roisim.cli.main import main\n"
            "try:\n    main(['run', 'scenarios/fintech.toml', '--runs', '2000', '--quiet'],"
            " standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = ('matplotlib', 'jinja2', 'xlsxwriter', 'openpyxl', 'statsmodels',"
            " 'scipy.stats')\n"
            "print(sorted({h for h in heavy for m in sys.modules"
            " if m == h or m.startswith(h + '.')}) or 'NONE')")
    assert _python(code) == "NONE"


# ============================================================================ the command
def _plot(*args):
    return CliRunner().invoke(main, ["plot", *args])


@pytest.mark.parametrize("kind,suffix", [("npv", "png"), ("scurve", "svg"), ("payback", "pdf"),
                                         ("fan", "png"), ("lines", "png")])
def test_cli_result_kinds(tmp_path, kind, suffix):
    out = tmp_path / f"c.{suffix}"
    run = _plot(FINTECH, "--kind", kind, "-o", str(out), "--runs", "2e3", "--seed", "3",
                "--threads", "1", "--set", "scenario.discount_rate=0.1")
    assert run.exit_code == 0, run.output
    data = out.read_bytes()
    assert len(data) > 10_000
    assert data[:4] == {"png": b"\x89PNG", "svg": b"<?xm", "pdf": b"%PDF"}[suffix]


def test_cli_analysis_kinds(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    buy = tmp_path / "buy.toml"
    buy.write_text(BUY)
    for kind, files, extra in (("tornado", [path], ["--bars", "given_data"]),
                               ("evpi", [path], []), ("stress", [path], []),
                               ("compare", [path, buy], [])):
        out = tmp_path / f"{kind}.png"
        run = _plot(*map(str, files), "--kind", kind, "-o", str(out), "--runs", "2000", *extra)
        assert run.exit_code == 0, (kind, run.output)
        assert matplotlib.image.imread(out).shape[0] > 300, kind


@pytest.mark.parametrize("args,message", [
    (["--kind", "npvv", "-o", "x.png"], "--kind: unknown chart kind 'npvv'; choose one of "
                                        "npv, scurve, payback, fan, lines, tornado, evpi, "
                                        "compare, stress; did you mean 'npv'?"),
    (["-o", "x.gif"], "--output: x.gif: a chart file must end in .png, .svg or .pdf, got "
                      "'.gif'"),
    (["--kind", "tornado", "--bars", "long", "-o", "x.png"], "--bars: must be swing or "
                                                             "given_data, got 'long'"),
    (["--kind", "compare", "-o", "x.png"], "compare needs at least two scenario files, got 1"),
    (["-o", "no/such/dir/x.png"], "does not exist"),
    (["--set", "inputs.nope.mean=1", "-o", "x.png"], "unknown input 'nope'"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, args, message):
    run = CliRunner().invoke(main, ["plot", FINTECH, *args])
    assert run.exit_code == 2
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_cli_stress_without_stress_cases_and_two_files_for_one_kind(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(SMALL.split("[[stress]]")[0])
    run = _plot(str(path), "--kind", "stress", "-o", str(tmp_path / "s.png"))
    assert run.exit_code == 2
    assert run.output.strip() == (f"error: {path}: stress: the stress chart needs [[stress]] "
                                  "cases, and this scenario has none")
    run = _plot(str(path), str(path), "--kind", "npv", "-o", str(tmp_path / "s.png"))
    assert run.exit_code == 2 and len(run.output.strip().splitlines()) == 1
    assert "takes one scenario file, got 2" in run.output
