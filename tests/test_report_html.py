"""``roisim report``: the one-file HTML report, checked in a real browser (headless chromium).

One chromium session serves the module.  The report of the fintech case (it has stress cases)
is loaded with every http(s) request blocked; the tests check that nothing but the file itself
is requested, that nothing is logged as an error, that every chart's SVG is drawn, that the
headline figures in the DOM equal ``roisim run --json`` for the same runs and seed, that print
layout keeps each chart on one A4 page, and that printing to PDF gives A4 pages.  Plain tests
check the file for external references, escaping and the CLI's error paths.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from chromium import Browser, chromium_path
from click.testing import CliRunner

import roisim
from roisim.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
FINTECH = ROOT / "scenarios" / "fintech.toml"
RUNS, SEED = 20_000, 11
SCREENSHOT = Path("/tmp/roisim-report-screenshot.png")
# the charts each section must hold
SECTION_CHARTS = {"distribution": ["npv", "scurve", "payback", "fan"], "lines": ["lines"],
                  "sensitivity": ["tornado", "evpi"], "stress": ["stress"]}
A4_MM = (210, 297)
PX_PER_MM = 96 / 25.4
PAGE_MARGINS_MM = (12 + 12, 14 + 16)  # left + right, top + bottom, as in report.css's @page

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The fintech report, written by the CLI with sensitivity and stress sections."""
    out = tmp_path_factory.mktemp("report") / "case.html"
    res = invoke("report", FINTECH, "-o", out, "--runs", RUNS, "--seed", SEED)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def summary() -> dict:
    """The oracle: what ``roisim run --json`` prints for the same runs and seed."""
    res = invoke("run", FINTECH, "--json", "--runs", RUNS, "--seed", SEED)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        pytest.skip("chromium is not installed")
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def loaded(browser, report):
    """The browser with the report loaded, and the events of that load."""
    browser.load(report.as_uri())
    return browser


# ------------------------------------------------------------------ in the browser
def _errors(b: Browser) -> list:
    console = [e for e in b.named("Runtime.consoleAPICalled") if e["type"] in ("error", "assert")]
    logged = [e["entry"] for e in b.named("Log.entryAdded") if e["entry"]["level"] == "error"]
    return console + logged + b.named("Runtime.exceptionThrown")


def _outside(b: Browser, own: str) -> list[str]:
    urls = [e["request"]["url"] for e in b.named("Network.requestWillBeSent")]
    return [u for u in urls if u != own and not u.startswith("data:")]


@needs_chromium
def test_the_page_logs_no_error_and_requests_nothing_but_itself(loaded, report):
    assert _errors(loaded) == []
    assert _outside(loaded, report.as_uri()) == []
    assert loaded.named("Network.loadingFailed") == []
    assert loaded.evaluate("document.title").startswith("Fintech: fraud model")


@needs_chromium
def test_the_checks_catch_an_error_and_a_request(browser, tmp_path, report):
    """The two checks above can fail: a page with a console error and a remote image trips both."""
    bad = tmp_path / "bad.html"
    bad.write_text('<img src="https://example.com/x.png"><script>console.error("boom")</script>')
    browser.load(bad.as_uri())
    assert len(_errors(browser)) >= 1
    assert _outside(browser, bad.as_uri()) == ["https://example.com/x.png"]
    browser.load(report.as_uri())  # leave the module's page as it was


@needs_chromium
def test_every_chart_is_an_svg_drawn_at_a_readable_size(loaded):
    found = loaded.evaluate("""
        Array.from(document.querySelectorAll('section')).map(s => [s.id,
          Array.from(s.querySelectorAll('figure[data-chart]')).map(f => {
            const svg = f.querySelector(':scope > svg');
            const r = svg && svg.getBoundingClientRect();
            return [f.dataset.chart, !!svg, svg ? svg.querySelectorAll('path').length : 0,
                    r ? r.width : 0, r ? r.height : 0]; })])""")
    charts = {section: figs for section, figs in found}
    for section, kinds in SECTION_CHARTS.items():
        assert [f[0] for f in charts[section]] == kinds, section
        for kind, has_svg, paths, width, height in charts[section]:
            assert has_svg and paths > 10, kind
            assert width > 300 and height > 150, (kind, width, height)
    assert loaded.evaluate("document.querySelectorAll('svg').length") == sum(
        map(len, SECTION_CHARTS.values()))


def _at(summary: dict, key: str):
    value = summary
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _read(text: str) -> float:
    """A printed figure read back independently of roisim: '-£107,160' -> -107160, '82.2%' ->
    0.822, '2.95 y' -> 2.95."""
    sign = -1.0 if text.lstrip().startswith(("-", "−")) else 1.0
    digits = re.sub(r"[^0-9.]", "", text)
    return sign * float(digits) / (100.0 if text.endswith("%") else 1.0)


@needs_chromium
def test_the_headline_figures_in_the_dom_equal_the_json_summary(loaded, summary):
    cells = loaded.evaluate("""Array.from(document.querySelectorAll('#headline [data-key]'))
        .map(e => [e.dataset.key, e.dataset.value, e.textContent])""")
    keys = {key for key, _, _ in cells}
    assert {"metrics.npv.mean", "metrics.npv.ci95.mean.0", "metrics.npv.ci95.mean.1",
            "metrics.npv.prob_positive", "metrics.npv.p5", "metrics.npv.p50", "metrics.npv.p95",
            "metrics.payback_years.p50", "metrics.payback_years.prob_within_horizon"} <= keys
    for key, raw, text in cells:
        value = _at(summary, key)
        assert json.loads(raw) == value, key  # the exact figure
        if value is None:
            assert text.startswith(">") or text == "n/a", key
        elif text.endswith("%"):
            assert abs(_read(text) - value) <= 0.0005 + 1e-12, (key, text)  # one decimal of %
        elif text.endswith(" y"):
            assert abs(_read(text) - value) <= 0.005 + 1e-12, (key, text)
        else:
            assert text.startswith(("£", "-£")) and abs(_read(text) - value) <= 0.5, (key, text)


@needs_chromium
def test_the_paragraph_quotes_the_headline(loaded, summary):
    text = loaded.evaluate("document.querySelector('.summary-text').textContent")
    npv = summary["metrics"]["npv"]
    assert f"£{round(npv['mean']):,}" in text
    assert f"{100 * npv['prob_positive']:.1f}%" in text
    assert f"{RUNS:,} simulated runs" in text


@needs_chromium
def test_the_lines_table_equals_the_summary_lines(loaded, summary):
    assert summary["lines"]
    cells = loaded.evaluate("""Array.from(document.querySelectorAll('#lines [data-key]'))
        .map(e => [e.dataset.key, e.dataset.value])""")
    assert len(cells) == 4 * len(summary["lines"])
    for key, raw in cells:
        assert json.loads(raw) == _at(summary, key), key


@needs_chromium
def test_the_correlation_table_shows_each_pair_of_the_summary(loaded, summary):
    """fintech.toml's [correlations]: one row per pair, its target, the value used and the
    realised rank correlation as in the JSON summary (3 decimals)."""
    corr = summary["correlations"]
    rows = loaded.evaluate("""Array.from(document.querySelectorAll('#correlations tbody tr'))
        .map(r => Array.from(r.cells).map(c => c.textContent))""")
    names = corr["inputs"]
    want = [[f"{names[i]} and {names[j]}", *(f"{corr[k][i][j]:.3f}"
                                              for k in ("target", "used", "realised"))]
            for i in range(len(names)) for j in range(i + 1, len(names)) if corr["target"][i][j]]
    assert rows == want and len(rows) == 2


@needs_chromium
def test_the_method_names_the_command_seed_and_hash(loaded, summary, report):
    method = loaded.evaluate("document.querySelector('#method').textContent")
    assert summary["scenario"]["sha256"] in method
    assert str(SEED) in method and f"{RUNS:,}" in method and roisim.__version__ in method
    command = loaded.evaluate("document.querySelector('[data-key=command]').textContent")
    assert shlex.split(command) == ["roisim", "report", str(FINTECH), "-o", str(report),
                                    "--runs", str(RUNS), "--seed", str(SEED)]


@needs_chromium
def test_the_screenshot_shows_the_page(loaded):
    png = loaded.screenshot()
    SCREENSHOT.write_bytes(png)  # look at it: /tmp/roisim-report-screenshot.png
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 1100 and height > 3000


@needs_chromium
def test_in_print_no_chart_is_split_and_each_fits_an_a4_page(loaded):
    content_w = (A4_MM[0] - PAGE_MARGINS_MM[0]) * PX_PER_MM
    content_h = (A4_MM[1] - PAGE_MARGINS_MM[1]) * PX_PER_MM
    loaded.page("Emulation.setEmulatedMedia", media="print")
    loaded.page("Emulation.setDeviceMetricsOverride", width=round(content_w), height=1000,
                deviceScaleFactor=1, mobile=False)
    try:
        figs = loaded.evaluate("""Array.from(document.querySelectorAll('figure')).map(f =>
            [getComputedStyle(f).breakInside, f.getBoundingClientRect().height,
             f.querySelector('svg').getBoundingClientRect().width])""")
    finally:
        loaded.page("Emulation.setEmulatedMedia", media="")
        loaded.page("Emulation.clearDeviceMetricsOverride")
    assert figs
    for brk, height, width in figs:
        assert brk == "avoid"
        assert 0 < height < content_h and 0 < width <= content_w + 1


@needs_chromium
def test_printing_gives_a4_pages(loaded):
    pdf = loaded.pdf()
    assert pdf.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page\b", pdf)
    assert len(pages) >= 4
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5
                         for w, h in boxes)


# ------------------------------------------------------------------ the file itself
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//"""
                      r"""|url\(\s*["']?\s*(?:[a-z]+:)?//|@import""", re.IGNORECASE)


def test_the_file_references_nothing_outside_itself(report):
    html = report.read_text(encoding="utf-8")
    assert EXTERNAL.search(html) is None
    assert "<script" not in html.lower()
    assert html.count("<svg") == sum(map(len, SECTION_CHARTS.values()))


def test_the_external_reference_check_can_fail():
    for bad in ('<img src="https://x.org/a.png">', "<link href='//cdn.x/a.css'>",
                "a { background: url( http://x/y.png) }", "@import 'x.css';"):
        assert EXTERNAL.search(bad), bad


SCRIPT_NAME = '<script>alert("x")</script> & "Co"'


def test_the_scenario_name_is_escaped(write_toml, tmp_path):
    path = write_toml(f"""
        [scenario]
        name = '{SCRIPT_NAME}'
        description = "<b>bold?</b>"
        horizon_years = 3
        discount_rate = 0.1
        [simulation]
        runs = 2000
        seed = 5
        [inputs]
        x = {{ dist = "uniform", min = 50, max = 150, description = "<i>x</i>" }}
        [[benefits]]
        name = "<img src=x onerror=alert(1)>"
        amount = "x"
        years = "1.."
        [[costs]]
        name = "build"
        amount = 200
        years = "0"
        """)
    out = tmp_path / "escaped.html"
    res = invoke("report", path, "-o", out, "--no-sensitivity")
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;" in html
    assert 'id="sensitivity"' not in html


# ------------------------------------------------------------------ the command line
def _one_line_error(res, *words):
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    for word in words:
        assert word in lines[0]


def test_a_report_name_that_is_not_html_is_one_line_exit_2(tmp_path):
    res = invoke("report", FINTECH, "-o", tmp_path / "case.pdf")
    _one_line_error(res, ".html", "case.pdf")
    assert not (tmp_path / "case.pdf").exists()


def test_a_missing_scenario_is_one_line_exit_2(tmp_path):
    res = invoke("report", tmp_path / "nope.toml", "-o", tmp_path / "case.html")
    _one_line_error(res, "nope.toml", "not found")
    assert not (tmp_path / "case.html").exists()


def test_a_missing_folder_is_one_line_exit_2(tmp_path):
    res = invoke("report", FINTECH, "-o", tmp_path / "no" / "case.html")
    _one_line_error(res, "does not exist")


def test_a_bad_override_is_one_line_exit_2(tmp_path):
    res = invoke("report", FINTECH, "-o", tmp_path / "case.html", "--set",
                 "inputs.analyst_rate.sd=-5")
    _one_line_error(res, "inputs.analyst_rate.sd")


def test_the_printed_command_regenerates_the_same_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "s.toml"
    scenario.write_text(FINTECH.read_text(encoding="utf-8"), encoding="utf-8")
    first = invoke("report", "s.toml", "-o", "a.html", "--runs", 3000, "--seed", 4,
                   "--set", "scenario.discount_rate=0.09", "--no-sensitivity")
    assert first.exit_code == 0, first.output
    html = Path("a.html").read_text(encoding="utf-8")
    command = re.search(r'data-key="command">([^<]*)<', html).group(1)
    words = shlex.split(command.replace("&#39;", "'").replace("&#34;", '"'))
    assert words[:2] == ["roisim", "report"] and "scenario.discount_rate=0.09" in words
    Path("a.html").rename("first.html")
    again = invoke(*words[1:])
    assert again.exit_code == 0, again.output
    # the same bytes: the charts' ids are fixed per chart slot
    assert Path("a.html").read_bytes() == Path("first.html").read_bytes()


def test_the_method_section_states_the_precision_rule():
    """A run under a stop rule says in the method section what the rule found: the metric, the
    half-width of its interval, the runs and the tolerance."""
    from roisim.report.html.document import render_report_html

    s = roisim.load_scenario(FINTECH, ['simulation.precision={ metric = "npv.mean", '
                                       "tolerance = 3000 }", "simulation.runs=20000"])
    html = render_report_html(s, sensitivity=False)
    rule = roisim.simulate(s).figures.precision
    row = re.search(r"<dt>Precision rule</dt><dd>([^<]*)</dd>", html).group(1)
    assert row.startswith("npv.mean known to ±£") and f"{rule.runs:,} runs" in row
    assert ("within the tolerance ±£3,000" in row) == rule.met
