"""The ``fan`` chart: the net cash flow of each year over the runs (P5–P95 and P25–P75 bars and
the median), and, in a second panel, the cumulative cash flow (its running total, run by run).

The percentiles by year come from ``roisim.analysis.chart_data.by_year``.  After a summary-only
run only the summary's mean, P5 and P95 by year exist: the chart draws those in one panel.
"""

from __future__ import annotations

import numpy as np

from roisim.analysis.chart_data import by_year
from roisim.report.charts import style

BANDS = ((5, 95, 0.7, style.PALE_BLUE, "P5–P95"), (25, 75, 0.42, style.LIGHT_BLUE, "P25–P75"))


def _panel(ax, years, q, currency: str, centre: str = "Median") -> None:
    """Floating bars per year: each band of ``BANDS`` present in ``q`` ({percentile: values}),
    then the centre (q[50], or the mean under key "mean") as a short black line."""
    for low, high, width, colour, label in BANDS:
        if low in q and high in q:
            bars = ax.bar(years, q[high] - q[low], width, bottom=q[low], color=colour,
                          edgecolor=style.BLUE, linewidth=0.5, label=label)
            for bar in bars:
                bar.set_gid(f"p{low}-p{high}")
    mid = q.get(50, q.get("mean"))
    ax.plot(years, mid, linestyle="none", marker="_", markersize=22, markeredgewidth=2.2,
            color="black", label=centre, gid="centre")
    ax.axhline(0.0, color=style.GREY, linewidth=0.9)
    ax.use_sticky_edges = False  # a margin beyond the lowest and highest bar
    ax.autoscale_view()
    style.tidy(ax)
    style.money_axis(ax.yaxis, currency)
    style.year_axis(ax.xaxis, years)


def fan(result, ax=None, *, standalone=None, cumulative: bool = True, cumulative_ax=None):
    """Net cash flow by year: P5–P95 and P25–P75 bars with the median; below it (``cumulative``)
    the cumulative net cash flow C_t = Σ_{s ≤ t} CF_s in the same form, where the median
    crossing 0 is the median payback.

    On your own ``ax`` the cumulative panel is drawn only into ``cumulative_ax``.  Returns the
    net cash-flow Axes (the cumulative one is ``ax.figure.axes[1]`` on a new figure)."""
    s = result.figures
    years = np.arange(s.horizon_years + 1)
    data = result.dataset
    two = cumulative and data is not None and (ax is None or cumulative_ax is not None)
    own = ax is None
    if own:
        _, axes = style.new_figure(2 if two else 1, 1, size=style.TALL if two else style.SIZE,
                                   standalone=standalone, sharex=True)
        ax, cumulative_ax = axes[0, 0], (axes[1, 0] if two else None)
    if data is None:
        c = s.cashflow_by_year
        q = {5: np.array(c.p5, float), 95: np.array(c.p95, float), "mean": np.array(c.mean, float)}
        _panel(ax, years, q, s.currency, centre="Mean (summary-only run: no P25–P75)")
    else:
        flows = data["net_cashflow"].values
        _panel(ax, years, by_year(flows), s.currency)
        if two:
            _panel(cumulative_ax, years, by_year(flows, cumulative=True), s.currency)
            cumulative_ax.set_ylabel(f"Cumulative net cash flow ({s.currency})")
            cumulative_ax.set_title("Cumulative net cash flow (undiscounted)", fontsize=10,
                                    loc="left", color=style.GREY)
            style.legend_below(cumulative_ax, figure=own)
    ax.set_ylabel(f"Net cash flow ({s.currency})")
    style.titles(ax, "Net cash flow by year, benefits − costs", s.scenario.name,
                 style.runs_note(s.runs, s.seed), own)
    if not two:
        style.legend_below(ax, figure=own)
    if two and own:
        ax.tick_params(labelbottom=True)
    return ax
