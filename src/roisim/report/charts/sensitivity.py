"""Charts of ``roisim sensitivity``: the ``tornado`` (swing or given-data bars) and ``evpi``
(EVPPI of each input beside the EVPI of the whole decision).

Both read ``Sensitivity.summary`` as it is (the figures are computed by
``roisim.analysis.sensitivity``); the charts only sort and draw them.
"""

from __future__ import annotations

from roisim.errors import ScenarioError, suggest
from roisim.report.charts import style
from roisim.report.numbers import count, money

BARS = ("swing", "given_data")
#: at most this many inputs, those with the widest bars (or largest EVPPI)
TOP = 15
METRIC_NAMES = {"npv": "NPV", "irr": "IRR", "payback_years": "payback",
                "discounted_payback_years": "discounted payback", "roi": "ROI", "bcr": "BCR"}


def _ends(row: dict, bars: str):
    if bars == "swing":
        return row["swing"]["p10"], row["swing"]["p90"]
    return row["given_data"]["low"], row["given_data"]["high"]


def _figure(ax, rows: int, standalone):
    if ax is not None:
        return ax, False
    _, axes = style.new_figure(size=(8.0, max(3.6, 1.9 + 0.4 * rows)), standalone=standalone)
    return axes[0, 0], True


def _note(summary: dict, shown: int) -> str:
    total = len(summary["inputs"])
    top = f"top {shown} of {total} inputs, " if shown < total else ""
    return f"{top}{count(summary['runs'])} runs, seed {summary['seed']}"


def tornado(sensitivity, ax=None, *, standalone=None, bars: str = "swing", top: int = TOP):
    """Tornado of the uncertain inputs, widest bar on top, about the mean of the metric.

    ``bars="swing"``: from the mean with the input held at its P10 to the mean with it at its
    P90 (red: the P10 end, green: the P90 end).  ``bars="given_data"``: from the lowest to the
    highest mean over the input's deciles, each decile's mean a dot."""
    if bars not in BARS:
        raise ScenarioError(f"bars must be one of {', '.join(BARS)}, got {bars!r}"
                            + suggest(str(bars), BARS), "bars")
    s = sensitivity.summary
    rows = [r for r in s["inputs"] if None not in _ends(r, bars)]
    rows = sorted(rows, key=lambda r: -abs(_ends(r, bars)[1] - _ends(r, bars)[0]))[:top]
    ax, own = _figure(ax, len(rows), standalone)
    base = s["base"]["mean"]
    for k, row in enumerate(rows):
        low, high = _ends(row, bars)
        if bars == "swing":
            for end, colour, label in ((low, style.ORANGE, "Mean with the input at its P10"),
                                       (high, style.BLUE, "Mean with the input at its P90")):
                bar = ax.barh([k], [end - base], 0.6, left=[base], color=colour, alpha=0.75,
                              label=label if k == 0 else None)
                bar[0].set_gid(f"{row['name']}|{'p10' if end is low else 'p90'}")
        else:
            bar = ax.barh([k], [high - low], 0.6, left=[low], color=style.LIGHT_BLUE,
                          edgecolor=style.BLUE, label="Lowest to highest decile mean"
                          if k == 0 else None)
            bar[0].set_gid(f"{row['name']}|given_data")
            means = [v for v in row["given_data"]["bins"] if v is not None]
            ax.plot(means, [k] * len(means), "o", color=style.BLUE, markersize=3,
                    label="Mean in each decile of the input" if k == 0 else None)
    _tornado_axes(ax, s, rows, base, bars, own)
    style.legend_below(ax, ncols=3 if bars == "swing" else 2, figure=own)
    return ax


def _tornado_axes(ax, s: dict, rows: list, base: float, bars: str, own: bool) -> None:
    metric = METRIC_NAMES.get(s["metric"], s["metric"])
    shown = money(base, s["currency"]) if s["metric"] == "npv" else f"{base:.3g}"
    ax.axvline(base, color="black", linewidth=1.2, label=f"Mean {metric} {shown}")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8.5)
    ax.invert_yaxis()
    ax.use_sticky_edges = False  # a margin beyond the widest bars
    ax.autoscale_view()
    style.tidy(ax)
    style.metric_axis(ax.xaxis, s["metric"], s["currency"])
    what = ("each input held at its P10 and at its P90" if bars == "swing"
            else "mean over each decile of the input")
    ax.set_xlabel(f"Mean {metric}" + (f" ({s['currency']})" if s["metric"] == "npv" else ""))
    style.titles(ax, f"What drives {metric}: {what}", s["scenario"]["name"],
                 _note(s, len(rows)), own)


def evpi(sensitivity, ax=None, *, standalone=None, top: int = TOP):
    """EVPPI of each input (what knowing it exactly before deciding is worth), largest on top,
    each bar labelled, and the EVPI of the whole decision marked with its 95% interval."""
    s = sensitivity.summary
    cur = s["currency"]
    rows = sorted((r for r in s["inputs"] if r["evppi"] is not None),
                  key=lambda r: -r["evppi"])[:top]
    ax, own = _figure(ax, len(rows), standalone)
    for k, row in enumerate(rows):
        bar = ax.barh([k], [row["evppi"]], 0.6, color=style.LIGHT_BLUE, edgecolor=style.BLUE,
                      label="EVPPI of the input" if k == 0 else None)
        bar[0].set_gid(f"{row['name']}|evppi")
        ax.annotate(money(row["evppi"], cur), (row["evppi"], k), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    whole, (low, high) = s["evpi"]["value"], s["evpi"]["ci95"]
    if low is not None and high is not None:
        ax.axvspan(low, high, color=style.LIGHT_RED, alpha=0.35, label="EVPI 95% interval")
    ax.axvline(whole, color=style.RED, linewidth=1.6, gid="evpi",
               label=f"EVPI (all uncertainty removed) {money(whole, cur)}")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, max(high or whole, whole) * 1.12)
    style.tidy(ax)
    style.money_axis(ax.xaxis, cur)
    ax.set_xlabel(f"Expected value of perfect information ({cur})")
    style.titles(ax, "What finding out more is worth: EVPPI per input and EVPI",
                 s["scenario"]["name"], _note(s, len(rows)), own)
    style.legend_below(ax, ncols=2, figure=own)
    return ax
