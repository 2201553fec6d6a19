"""Charts of one metric's distribution over the runs: ``npv`` (histogram), ``scurve``
(cumulative distribution) and ``payback`` (payback years with a "not within H y" bar).

Each reads a ``roisim.Result``: its summary (``result.figures``) for the marked figures and its
dataset for the runs; the counts and curves come from ``roisim.analysis.chart_data``.
"""

from __future__ import annotations

import numpy as np

from roisim.analysis.chart_data import ecdf, histogram, payback_histogram
from roisim.errors import ScenarioError
from roisim.report.charts import style
from roisim.report.numbers import money, percent, whole_years, years

PAYBACKS = ("payback_years", "discounted_payback_years")


def share_text(p: float) -> str:
    """A share for a label: '18%', or with one decimal near 0% and 100% ('0.4%', '99.6%')."""
    return percent(p, 0 if 0.01 <= p <= 0.99 else 1)


def per_run(result, kind: str):
    """The result's dataset, or a ScenarioError saying that ``kind`` needs the per-run data."""
    data = result.dataset
    if data is None:
        raise ScenarioError(
            f"the {kind} chart needs the per-run results, which a summary-only run does not "
            "keep; simulate without summary_only", "kind")
    return data


def _axes(ax, standalone, size=style.SIZE):
    if ax is not None:
        return ax, False
    _, axes = style.new_figure(size=size, standalone=standalone)
    return axes[0, 0], True


def view(ax, h) -> None:
    """Show the histogram's central range (P0.1 to P99.9) and say how many runs lie beyond."""
    if h.outside:
        ax.set_xlim(*h.view)
        ax.text(1.0, 1.0, f"{percent(h.outside / h.n, 2)} of runs beyond the axis",
                transform=ax.transAxes, ha="right", va="top", fontsize=7.5, color=style.GREY)


def central(figures):
    """The central case of a run summary (inputs at their medians), or None before it exists."""
    return getattr(figures, "central_case", None)


def npv(result, ax=None, *, standalone=None, bins: int | None = None):
    """Histogram of NPV over the runs, the runs below 0 shaded in red and labelled
    "P(NPV < 0) = 18%" (that is 1 − P(NPV > 0)), with the mean, P5, P50, P95 and the central
    case marked.  Bar heights are shares of the runs."""
    s = result.figures
    h = histogram(per_run(result, "npv")["npv"].values, **({"target": bins} if bins else {}))
    ax, own = _axes(ax, standalone)
    left, width, shares = h.edges[:-1], np.diff(h.edges), h.shares
    loss = h.edges[1:] <= 0
    below = 1.0 - s.metrics.npv.prob_positive
    for mask, colour, gid, label in (
        (~loss, style.LIGHT_BLUE, "gain", None),
        (loss, style.LIGHT_RED, "loss", f"P(NPV < 0) = {share_text(below)}"),
    ):
        bars = ax.bar(left[mask], shares[mask], width[mask], align="edge", color=colour,
                      edgecolor="white", linewidth=0.3, label=label if mask.any() else None)
        for bar in bars:
            bar.set_gid(gid)
    _mark_npv(ax, s)
    view(ax, h)
    style.tidy(ax)
    style.money_axis(ax.xaxis, s.currency)
    style.share_axis(ax.yaxis, 1)
    ax.set_xlabel(f"NPV ({s.currency})")
    ax.set_ylabel("Share of runs")
    style.titles(ax, "Distribution of NPV", s.scenario.name, style.runs_note(s.runs, s.seed), own)
    style.legend_below(ax, ncols=3, figure=own)
    return ax


def _mark_npv(ax, s) -> None:
    m, cur = s.metrics.npv, s.currency
    marks = [(m.mean, "-", style.BLUE, f"Mean {money(m.mean, cur)}"),
             (m.p50, ":", "black", f"Median (P50) {money(m.p50, cur)}"),
             (m.p5, "--", style.GREY, f"P5 {money(m.p5, cur)} / P95 {money(m.p95, cur)}"),
             (m.p95, "--", style.GREY, None)]
    case = central(s)
    if case is not None and case.npv is not None:
        marks.append((case.npv, "-.", style.ORANGE,
                      f"Central case (inputs at medians) {money(case.npv, cur)}"))
    for value, line, colour, label in marks:
        if value is not None:
            ax.axvline(value, linestyle=line, color=colour, linewidth=1.4, label=label)


def scurve(result, ax=None, *, standalone=None):
    """The cumulative distribution of NPV, F(x) = P(NPV ≤ x), with the point (0, 1 − P(NPV > 0))
    marked and P(NPV > 0) read off.  After a summary-only run it joins the summary's
    percentiles (P5 ... P95) instead of the runs."""
    s = result.figures
    m = s.metrics.npv
    ax, own = _axes(ax, standalone)
    below = 1.0 - m.prob_positive
    if result.dataset is not None:
        x, f = ecdf(result.dataset["npv"].values)
        ax.plot(x, f, color=style.BLUE, linewidth=2, gid="ecdf", label="Share of runs with NPV ≤ x")
    else:
        points = [(getattr(m, f"p{p}"), p / 100) for p in (5, 10, 25, 50, 75, 90, 95)]
        points = sorted([*points, (0.0, below)])
        ax.plot(*zip(*points), "o-", color=style.BLUE, gid="ecdf",
                label="P5 ... P95 from the summary (summary-only run)")
    ax.plot([0.0], [below], "o", color=style.RED, markersize=7, zorder=5, gid="zero")
    ax.axvline(0.0, color=style.RED, linewidth=0.8, linestyle="--")
    ax.axhline(below, color=style.RED, linewidth=0.8, linestyle="--")
    text = f"P(NPV > 0) = {share_text(m.prob_positive)}\n(P(NPV ≤ 0) = {share_text(below)})"
    right = below >= 0.5  # the empty side of a rising curve: below-right or above-left
    ax.annotate(text, (0.0, below), xytext=(12, -34) if right else (-12, 16),
                textcoords="offset points", ha="left" if right else "right",
                fontsize=9, color=style.RED)
    style.tidy(ax)
    style.money_axis(ax.xaxis, s.currency)
    style.share_axis(ax.yaxis, 0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"NPV ({s.currency})")
    ax.set_ylabel("P(NPV ≤ x)")
    style.titles(ax, "Cumulative distribution of NPV (S-curve)", s.scenario.name,
                 style.runs_note(s.runs, s.seed), own)
    style.legend_below(ax, figure=own)
    return ax


def payback(result, ax=None, *, standalone=None, metric: str = "payback_years"):
    """Distribution of the payback year over the runs in quarter-year bars, and one separate
    bar for the runs that do not pay back within the horizon ("not within 5 y").
    ``metric="discounted_payback_years"`` draws the discounted payback."""
    if metric not in PAYBACKS:
        raise ScenarioError(f"metric must be one of {', '.join(PAYBACKS)}, got {metric!r}",
                            "metric")
    s = result.figures
    horizon = s.horizon_years
    h = payback_histogram(per_run(result, "payback")[metric].values, horizon)
    ax, own = _axes(ax, standalone)
    width = np.diff(h.edges)
    bars = ax.bar(h.edges[:-1], h.counts / h.n, width, align="edge", color=style.LIGHT_BLUE,
                  edgecolor="white", linewidth=0.3, label="Pays back in that quarter-year")
    for bar in bars:
        bar.set_gid("paid")
    beyond = horizon + 0.75
    missed = h.not_within / h.n
    late = ax.bar([beyond], [missed], 0.5, color=style.LIGHT_RED, edgecolor=style.RED,
                  label=f"Not within {whole_years(horizon)}: {share_text(missed)}")
    late[0].set_gid("not_within")
    figures = getattr(s.metrics, metric)
    if figures.p50 is not None:
        ax.axvline(figures.p50, color="black", linestyle=":", linewidth=1.4,
                   label=f"Median {years(figures.p50, horizon)}")
    style.tidy(ax)
    ticks = list(range(horizon + 1))
    ax.set_xticks([*ticks, beyond], [*(f"{t} y" for t in ticks), f"> {horizon} y"])
    ax.set_xlim(0, horizon + 1.1)
    style.share_axis(ax.yaxis, 1)
    ax.set_xlabel("Years to pay back" + (" (discounted)" if metric != "payback_years" else ""))
    ax.set_ylabel("Share of runs")
    what = "Discounted payback" if metric != "payback_years" else "Payback"
    style.titles(ax, f"{what}: when the cumulative cash flow turns positive", s.scenario.name,
                 style.runs_note(s.runs, s.seed), own)
    style.legend_below(ax, figure=own)
    return ax
