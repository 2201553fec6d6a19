"""The ``stress`` chart: mean NPV (with its 95% interval) and P(NPV > 0) of the base case and of
each ``[[stress]]`` case, side by side.  It reads a ``roisim.analysis.stress.StressResult``.
"""

from __future__ import annotations

import textwrap

from roisim.report.charts import style
from roisim.report.numbers import count, money, percent

LABEL_WIDTH = 30
BASE_LABEL = "Base case"


def stress(result, ax=None, *, standalone=None, prob_ax=None):
    """Two panels of horizontal bars, the base case on top in blue and each stress case below
    it: the mean NPV with its 95% interval, and P(NPV > 0).

    On your own ``ax`` the P(NPV > 0) panel is drawn only into ``prob_ax``.  Returns the mean
    NPV Axes (the other is ``ax.figure.axes[1]`` on a new figure)."""
    base = result.base
    cases = [(BASE_LABEL, base)] + [(c.name, c.figures) for c in result.cases]
    own = ax is None
    if own:
        _, axes = style.new_figure(1, 2, size=(10.0, max(3.4, 1.9 + 0.55 * len(cases))),
                                   standalone=standalone, sharey=True)
        ax, prob_ax = axes[0, 0], axes[0, 1]
    colours = [style.BLUE] + [style.ORANGE] * (len(cases) - 1)
    labels = [textwrap.fill(name, LABEL_WIDTH) for name, _ in cases]
    cur = base.currency
    for k, ((_, s), colour) in enumerate(zip(cases, colours)):
        npv = s.metrics.npv
        low, high = npv.ci95.mean
        err = None if low is None else [[npv.mean - low], [high - npv.mean]]
        bar = ax.barh([k], [npv.mean], 0.6, color=colour, alpha=0.8, xerr=err, capsize=3)
        bar[0].set_gid(f"mean-{k}")
        _value(ax, npv.mean if low is None else (high if npv.mean >= 0 else low), k,
               money(npv.mean, cur))
        if prob_ax is not None:
            bar = prob_ax.barh([k], [npv.prob_positive], 0.6, color=colour, alpha=0.8)
            bar[0].set_gid(f"prob-{k}")
            _value(prob_ax, npv.prob_positive, k, percent(npv.prob_positive, 1))
    ax.set_yticks(range(len(cases)), labels, fontsize=8.5)
    ax.invert_yaxis()
    ax.axvline(0.0, color=style.GREY, linewidth=0.9)
    style.tidy(ax)
    style.money_axis(ax.xaxis, cur)
    ax.set_xlabel(f"Mean NPV ({cur}), 95% interval")
    _pad(ax)
    if prob_ax is not None:
        style.tidy(prob_ax)
        style.share_axis(prob_ax.xaxis, 0)
        prob_ax.set_xlim(0, 1.15)
        prob_ax.set_xlabel("P(NPV > 0)")
        prob_ax.set_title("P(NPV > 0)", fontsize=10, loc="left", color=style.GREY)
    detail = f"{count(base.runs)} runs, seed {base.seed}, every case on the same draws"
    if own:
        ax.figure.suptitle(f"{textwrap.fill(base.scenario.name, style.TITLE_WIDTH)}\n"
                           f"Stress cases beside the base case ({detail})", fontsize=11)
        ax.set_title("Mean NPV", fontsize=10, loc="left", color=style.GREY)
    else:
        style.titles(ax, "Mean NPV of each stress case", base.scenario.name, detail, own)
    return ax


def _value(ax, v: float, k: int, text: str) -> None:
    """The bar's value just beyond ``v``, its end or its interval's (left of a negative bar)."""
    ax.annotate(text, (v, k), xytext=(6 if v >= 0 else -6, 0), textcoords="offset points",
                ha="left" if v >= 0 else "right", va="center", fontsize=8)


def _pad(ax) -> None:
    """Room for the value labels beyond the longest bars, on both sides of 0."""
    low, high = ax.get_xlim()
    span = high - low
    ax.set_xlim(min(low, 0.0) - (0.22 * span if low < 0 else 0.0), high + 0.22 * span)
