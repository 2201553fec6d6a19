"""The ``lines`` chart: the present value of each benefit and cost line over the runs, P5–P95 as
a bar with the mean and the median marked; benefits to the right of 0, costs to the left (what
each line adds to NPV).  It reads ``result.figures.lines`` (one ``LineFigures`` per line).
"""

from __future__ import annotations

import textwrap

from roisim.errors import ScenarioError
from roisim.report.charts import style

LABEL_WIDTH = 34


def line_figures(figures) -> tuple:
    """The per-line figures of a run summary, or a ScenarioError when the summary has none."""
    lines = getattr(figures, "lines", None)
    if not lines:
        raise ScenarioError("the lines chart needs the per-line figures (summary 'lines'), "
                            "which this result does not have", "kind")
    return tuple(lines)


def lines(result, ax=None, *, standalone=None):
    """Each line's PV: a bar from P5 to P95, the mean as a diamond and the median as a tick;
    benefits (green) above the costs (red), a cost drawn as minus its PV."""
    s = result.figures
    rows = sorted(line_figures(s), key=lambda line: line.kind != "benefit")
    own = ax is None
    if own:
        _, axes = style.new_figure(size=(8.0, max(3.6, 1.6 + 0.48 * len(rows))),
                                   standalone=standalone)
        ax = axes[0, 0]
    for k, line in enumerate(rows):
        sign = 1.0 if line.kind == "benefit" else -1.0
        pv = line.pv
        low, high = sorted((sign * pv.p5, sign * pv.p95))
        colour = style.GREEN if sign > 0 else style.RED
        bar = ax.barh([k], [high - low], 0.55, left=[low], color=colour, alpha=0.35,
                      edgecolor=colour, label="P5–P95" if k == 0 else None)
        bar[0].set_gid(f"line-{k}")
        ax.plot([sign * pv.mean], [k], "D", color=colour, markersize=6,
                label="Mean" if k == 0 else None, gid=f"mean-{k}")
        ax.plot([sign * pv.p50], [k], "|", color="black", markersize=14, markeredgewidth=2,
                label="Median" if k == 0 else None)
    ax.set_yticks(range(len(rows)),
                  [textwrap.fill(f"{line.name} ({line.kind})", LABEL_WIDTH) for line in rows],
                  fontsize=8.5)
    ax.invert_yaxis()
    ax.use_sticky_edges = False  # a margin beyond the widest bars
    ax.autoscale_view()
    ax.axvline(0.0, color=style.GREY, linewidth=0.9)
    style.tidy(ax)
    style.money_axis(ax.xaxis, s.currency)
    ax.set_xlabel(f"Present value ({s.currency}); costs to the left of 0")
    style.titles(ax, "Present value of each line", s.scenario.name,
                 style.runs_note(s.runs, s.seed), own)
    style.legend_below(ax, ncols=3, figure=own)
    return ax
