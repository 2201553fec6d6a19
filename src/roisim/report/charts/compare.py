"""The ``compare`` chart: the NPV distributions of the options overlaid on shared bins, and below
them the distribution of each paired difference NPV(option) − NPV(first option), run by run on
common random numbers.

It reads a ``roisim.analysis.compare.Comparison``: ``npv`` (the per-run NPVs, kept by an
in-memory comparison) and ``figures`` (means, P(better)).  The counts come from
``roisim.analysis.chart_data``.
"""

from __future__ import annotations

import textwrap

import numpy as np

from roisim.analysis.chart_data import common_histogram, differences
from roisim.errors import ScenarioError
from roisim.report.charts import style
from roisim.report.charts.distribution import view
from roisim.report.numbers import count, money, percent

NAME_WIDTH = 80


def letter(k: int) -> str:
    """How the chart names option ``k`` (0-based): A, B, C, ..."""
    return chr(ord("A") + k) if k < 26 else f"option {k + 1}"


def _label(name: str) -> str:
    return textwrap.shorten(name, NAME_WIDTH, placeholder="…")


def compare(comparison, ax=None, *, standalone=None, difference_ax=None):
    """Overlaid NPV histograms (shares of runs, shared bins) with each option's mean, and the
    histogram of each difference from the first option with P(better) in its label.

    On your own ``ax`` the difference panel is drawn only into ``difference_ax``.  Returns the
    NPV Axes (the difference one is ``ax.figure.axes[1]`` on a new figure)."""
    if comparison.npv is None:
        raise ScenarioError("the compare chart needs the per-run NPVs, which a streaming "
                            "(summary-only) comparison does not keep; compare without "
                            "summary_only", "kind")
    f = comparison.figures
    own = ax is None
    if own:
        _, axes = style.new_figure(2, 1, size=style.TALL, standalone=standalone)
        ax, difference_ax = axes[0, 0], axes[1, 0]
    first = f.options[0].summary
    cur = first.currency
    npv = [np.asarray(v, dtype=float) for v in comparison.npv]
    shared = common_histogram(npv)
    edges = shared.edges
    for k, (option, values) in enumerate(zip(f.options, npv)):
        colour = style.OPTION_COLOURS[k % len(style.OPTION_COLOURS)]
        counts, _ = np.histogram(values, bins=edges)
        ax.stairs(counts / values.size, edges, fill=True, alpha=0.3, color=colour,
                  gid=f"option-{k}")
        ax.stairs(counts / values.size, edges, color=colour, linewidth=1.2,
                  label=f"{letter(k)}: {_label(option.name)}, mean "
                        f"{money(option.summary.metrics.npv.mean, cur)}")
        ax.axvline(option.summary.metrics.npv.mean, color=colour, linestyle="--", linewidth=1.2)
    ax.axvline(0.0, color=style.GREY, linewidth=0.9)
    view(ax, shared)
    _axes(ax, cur, "NPV")
    ax.set_title("NPV of each option (dashed: its mean)", fontsize=10, loc="left",
                 color=style.GREY)
    style.legend_below(ax, ncols=1)
    if difference_ax is not None:
        _differences(difference_ax, f, npv, cur)
    if own:
        ax.figure.suptitle(f"Comparing {len(f.options)} options\n{count(first.runs)} runs "
                           f"each, seed {first.seed}, on common random numbers", fontsize=11)
    return ax


def _differences(ax, f, npv: list, cur: str) -> None:
    gaps = differences(npv)
    shared = common_histogram(gaps)
    edges = shared.edges
    for k, (gap, diff) in enumerate(zip(gaps, f.differences), start=1):
        colour = style.OPTION_COLOURS[k % len(style.OPTION_COLOURS)]
        counts, _ = np.histogram(gap, bins=edges)
        ax.stairs(counts / gap.size, edges, fill=True, alpha=0.45, color=colour,
                  gid=f"difference-{k}",
                  label=f"{letter(k)} − A: mean {money(diff.npv.mean, cur)}, "
                        f"P({letter(k)} better than A) = {percent(diff.prob_better.value, 1)}")
        ax.axvline(diff.npv.mean, color=colour, linestyle="--", linewidth=1.2)
    ax.axvline(0.0, color="black", linewidth=1.0)
    view(ax, shared)
    _axes(ax, cur, "NPV difference from A")
    ax.set_title("Paired NPV difference from A, run by run (right of 0: better than A)",
                 fontsize=10, loc="left", color=style.GREY)
    style.legend_below(ax, ncols=1)


def _axes(ax, cur: str, what: str) -> None:
    style.tidy(ax)
    style.money_axis(ax.xaxis, cur)
    style.share_axis(ax.yaxis, 1)
    ax.set_xlabel(f"{what} ({cur})")
    ax.set_ylabel("Share of runs")
