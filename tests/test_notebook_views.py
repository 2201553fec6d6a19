"""The notebook views (``_repr_html_``): small, self-contained, escaped, and equal to the summary.

The figures are read back from the HTML with the standard library's parser and compared with the
summary; the histogram's bars are compared with numpy's own count of the runs below zero.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import roisim
from roisim.report.notebook import comparison_html, result_html, sensitivity_html, stress_html

ROOT = Path(__file__).resolve().parent.parent
RUNS, SEED = 4000, 3
MAX_BYTES = 12_000
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//|url\(|@import|<script""",
                      re.IGNORECASE)


class Cells(HTMLParser):
    """Collects data-key/data-value pairs, rect elements and all text."""

    def __init__(self):
        super().__init__()
        self.keyed, self.rects, self.text = {}, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-key" in a:
            self.keyed[a["data-key"]] = json.loads(a["data-value"])
        if tag == "rect":
            self.rects.append(a)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def fintech():
    return roisim.load_scenario(ROOT / "scenarios" / "fintech.toml")


@pytest.fixture(scope="module")
def result(fintech):
    return roisim.simulate(fintech, runs=RUNS, seed=SEED)


def _at(summary, key):
    value = summary
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _small_and_self_contained(html: str):
    assert len(html.encode()) < MAX_BYTES
    assert EXTERNAL.search(html) is None


def test_result_view_holds_the_headline_and_a_small_histogram(result):
    html = result_html(result)
    _small_and_self_contained(html)
    cells = parse(html)
    assert {"metrics.npv.mean", "metrics.npv.prob_positive", "metrics.npv.p5",
            "metrics.npv.p95", "metrics.payback_years.p50"} <= set(cells.keyed)
    for key, value in cells.keyed.items():
        assert value == _at(result.summary, key), key
    assert html.count("<svg") == 1
    npv = result.dataset["npv"].values
    heights = [float(r["height"]) for r in cells.rects]
    red = [float(r["height"]) for r in cells.rects if r["fill"] == "#d9776f"]
    assert len(heights) > 10 and red
    assert max(heights) == pytest.approx(72 - 2, abs=0.05)  # the tallest bar fills the height
    # equal-width bins with an edge at 0: the red bars' share of the bar area is the share of
    # runs that lose money, counted here by numpy (heights are rounded to 0.1 px)
    assert sum(red) / sum(heights) == pytest.approx(float((npv < 0).mean()), abs=0.01)


def test_result_view_without_runs_has_no_histogram(fintech):
    streamed = roisim.simulate(fintech, runs=RUNS, seed=SEED, summary_only=True)
    html = result_html(streamed)
    assert "<svg" not in html
    assert parse(html).keyed["metrics.npv.mean"] == streamed.summary["metrics"]["npv"]["mean"]


def test_result_view_escapes_the_scenario_name(write_toml):
    path = write_toml("""
        [scenario]
        name = "<script>alert(1)</script>"
        horizon_years = 2
        discount_rate = 0.1
        [inputs]
        x = { dist = "uniform", min = 0, max = 10 }
        [[benefits]]
        name = "b"
        amount = "x"
        """)
    html = result_html(roisim.simulate(roisim.load_scenario(path), runs=500, seed=1))
    assert "<script" not in html and "&lt;script&gt;" in html


def test_sensitivity_view_lists_the_top_inputs(fintech):
    s = roisim.sensitivity(fintech, runs=RUNS, seed=SEED)
    html = sensitivity_html(s)
    _small_and_self_contained(html)
    text = "".join(parse(html).text)
    first = s.summary["inputs"][0]
    assert first["name"] in text and f"{first['spearman']:+.2f}" in text
    assert f"£{round(s.summary['evpi']['value']):,}" in text


def test_stress_view_has_every_case(fintech):
    s = roisim.stress(fintech, RUNS, SEED)
    html = stress_html(s)
    _small_and_self_contained(html)
    text = "".join(parse(html).text)
    for case in s.cases:
        mean = case.figures.metrics.npv.mean
        assert case.name in text and f"£{abs(round(mean)):,}" in text


def test_comparison_view_has_every_option(fintech):
    c = roisim.compare([fintech, roisim.load_scenario(ROOT / "scenarios" / "fintech-buy.toml")],
                       runs=RUNS, seed=SEED)
    html = comparison_html(c)
    _small_and_self_contained(html)
    text = "".join(parse(html).text)
    for option, best in zip(c.figures.options, c.figures.prob_best):
        assert option.name in text and f"{100 * best:.1f}%" in text
    d = c.figures.differences[0].npv.mean
    assert f"£{abs(round(d)):,}" in text
