"""Compact HTML views for Jupyter: what ``_repr_html_`` of a result, a sensitivity analysis,
a stress result and a comparison returns.

Each view is a short table (and, for a result, a small inline SVG histogram of NPV, a few KB:
no script, no image file, nothing fetched), rendered from ``templates/notebook.html.j2`` with
autoescaping on.  Every figure comes from the object's summary and prints through
``roisim.report.numbers``; the histogram's counts come from ``roisim.analysis.chart_data``.

>>> import roisim                                                        # doctest: +SKIP
>>> s = roisim.load_scenario("scenarios/fintech.toml")                  # doctest: +SKIP
>>> result = roisim.simulate(s, runs=20_000)                             # doctest: +SKIP
>>> result_html(result)[:30]                                             # doctest: +SKIP
'<div class="roisim-view" style'
"""

from __future__ import annotations

from typing import NamedTuple

from roisim.report.html import headline as head
from roisim.report.html import sections
from roisim.report.html.templating import markup, render
from roisim.report.numbers import count, interval, money, percent

HISTOGRAM_SIZE = (320, 72)  # width, height of the histogram in CSS pixels
HISTOGRAM_BINS = 40
LOSS, GAIN = "#d9776f", "#7fa9d6"
TOP_INPUTS = 8  # rows of the sensitivity view


def _view(title, rows, *, subtitle="", columns=(), svg=None, note="") -> str:
    caption = getattr(svg, "caption", "")
    return render("notebook.html.j2", title=title, subtitle=subtitle, columns=list(columns),
                  rows=rows, svg=svg and svg.svg, svg_caption=caption, note=note)


def result_html(result) -> str:
    """The headline of a ``roisim.Result`` as a small table, with a histogram of NPV when the
    result keeps its runs.

    Rows: mean NPV and its 95% interval, P(NPV > 0), P5 / P50 / P95 NPV, median payback,
    P(payback within the horizon) and, when the summary has one, the central case's NPV.
    """
    f = result.figures
    h = head.headline(f)
    rows = [["Mean NPV", h["mean"]], ["95% interval of the mean",
             f"{h['mean_low'].text} to {h['mean_high'].text}"],
            ["P(NPV > 0)", h["prob_positive"]], ["P5 NPV", h["p5"]], ["P50 NPV", h["p50"]],
            ["P95 NPV", h["p95"]], ["Median payback", h["payback"]],
            [f"P(payback ≤ {f.horizon_years} y)", h["pays_back"]]]
    if "central" in h:
        rows.append(["Central case NPV (inputs at medians)", h["central"]])
    dataset = result.dataset
    svg = None if dataset is None else histogram_svg(dataset["npv"].values, f.currency)
    return _view(f.scenario.name, rows, svg=svg,
                 subtitle=f"{count(f.runs)} runs · seed {f.seed} · {f.currency}")


class Histogram(NamedTuple):
    """A small inline SVG histogram and the caption printed under it."""

    svg: object  # markupsafe.Markup
    caption: str


def histogram_svg(npv, currency: str) -> Histogram | None:
    """A small SVG histogram of the per-run NPV: bars below 0 in red, a line at 0 (None when
    no run has a finite NPV)."""
    from roisim.analysis.chart_data import histogram

    hist = histogram(npv, target=HISTOGRAM_BINS)
    width, height = HISTOGRAM_SIZE
    top = int(hist.counts.max()) if hist.counts.size else 0
    if top == 0:
        return None
    low, high = float(hist.edges[0]), float(hist.edges[-1])
    x = lambda v: round((v - low) / (high - low) * width, 1)
    bars = [{"x": x(a), "w": max(round(x(b) - x(a) - 0.4, 1), 0.3),
             "h": round(c / top * (height - 2), 1), "y": round(height - c / top * (height - 2), 1),
             "fill": LOSS if b <= 0 else GAIN}
            for a, b, c in zip(hist.edges[:-1], hist.edges[1:], hist.counts.tolist()) if c]
    zero = x(0.0) if low < 0 < high else None
    label = (f"NPV from {money(low, currency, compact=True)} to "
             f"{money(high, currency, compact=True)}; red: runs that lose money")
    return Histogram(markup(render("histogram.svg.j2", bars=bars, width=width, height=height,
                                   zero=zero, label=label)), label)


def sensitivity_html(s) -> str:
    """A ``Sensitivity`` as a compact table: EVPI, then the inputs that matter most."""
    summary = s.summary
    table = sections.sensitivity_table(summary)
    rows = [[r["name"], r["spearman"], r["share"], r["evppi"], r["switching"]]
            for r in table["rows"][:TOP_INPUTS]]
    more = len(table["rows"]) - TOP_INPUTS
    note = table["conclusion"] + (f" ({more} more inputs not shown.)" if more > 0 else "")
    return _view(f"Sensitivity of {summary['metric']}: {summary['scenario']['name']}", rows,
                 subtitle=f"{count(summary['runs'])} runs · EVPI {table['evpi'].text} "
                          f"{table['evpi_interval']}",
                 columns=("input", "rank corr", "share of variance", "EVPPI", "switching"),
                 note=note)


def stress_html(s) -> str:
    """A ``StressResult`` as a compact table: each case and its change from the base."""
    rows = [[r["name"], r["mean"], r["prob_positive"], r["p5"], r["payback"],
             r["npv_change"][0] if r["npv_change"] else "",
             r["prob_change"][0] if r["prob_change"] else ""] for r in sections.stress_rows(s)]
    return _view(f"Stress cases: {s.base.scenario.name}", rows,
                 subtitle=f"{count(s.base.runs)} runs · seed {s.base.seed} · the same draws "
                          "in every case",
                 columns=("case", "mean NPV", "P(NPV > 0)", "P5 NPV", "median payback",
                          "Δ mean NPV", "Δ P(NPV > 0)"))


def comparison_html(c) -> str:
    """A ``Comparison`` as a compact table: each option's headline and its paired difference
    from the first option."""
    f = c.figures
    currency = f.options[0].summary.currency
    cash = lambda v: money(v, currency)
    diffs = {d.option: d for d in f.differences}
    rows = []
    for k, option in enumerate(f.options):
        npv = option.summary.metrics.npv
        d = diffs.get(k)
        rows.append([option.name, cash(npv.mean), percent(npv.prob_positive),
                     percent(f.prob_best[k]),
                     "" if d is None else f"{cash(d.npv.mean)} {interval(d.npv.ci95, cash)}",
                     "" if d is None else percent(d.prob_better.value)])
    return _view("Comparison of " + ", ".join(o.name for o in f.options), rows,
                 subtitle=f"{count(f.options[0].summary.runs)} runs each, on shared draws",
                 columns=("option", "mean NPV", "P(NPV > 0)", "P(best)",
                          "mean NPV − first (95%)", "P(better than first)"),
                 note=" ".join(f.warnings))
