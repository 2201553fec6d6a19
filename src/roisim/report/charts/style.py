"""The look every chart shares: its figure (Agg unless the user chose a backend), colours, axis
formatters (money as £120k, shares as %, years as years) and titles.

matplotlib is imported inside these functions only, so importing this module costs nothing.
"""

from __future__ import annotations

import math
import os
import sys
import textwrap

from roisim.report.numbers import SYMBOLS, count

BLUE = "#33658a"
LIGHT_BLUE = "#9dc3e0"
PALE_BLUE = "#cfe3f1"
RED = "#c0392b"
LIGHT_RED = "#f1a9a0"
GREEN = "#2e8b57"
GREY = "0.35"
ORANGE = "#e67e22"
PURPLE = "#7d3c98"
#: colours of the options of a comparison, in order
OPTION_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, RED)

SIZE = (8.0, 4.8)
TALL = (8.0, 7.2)
TITLE_WIDTH = 72
SUBTITLE_WIDTH = 64
SCALES = ((1e9, "bn"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def backend_chosen() -> bool:
    """True when the user has chosen how figures are shown: pyplot is already imported, or
    ``MPLBACKEND`` or an rcParams/matplotlibrc ``backend`` is set (Jupyter sets one)."""
    if "matplotlib.pyplot" in sys.modules or os.environ.get("MPLBACKEND"):
        return True
    import matplotlib
    from matplotlib import rcsetup

    return dict.__getitem__(matplotlib.rcParams, "backend") is not rcsetup._auto_backend_sentinel


def new_figure(rows: int = 1, cols: int = 1, size=SIZE, standalone: bool | None = None, **kw):
    """A figure and its axes (a 2-d array).  ``standalone`` (default: when no backend was
    chosen) draws on a Figure with an Agg canvas outside pyplot, which never opens a window and
    is freed with the figure; otherwise pyplot makes it, so that Jupyter shows it inline."""
    if standalone is None:
        standalone = not backend_chosen()
    if standalone:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, cols, squeeze=False, **kw)
    else:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained",
                                 **kw)
    return fig, axes


def symbol(currency: str) -> str:
    """'£' for GBP, or the code and a space ('CHF ') for a currency without a symbol."""
    return SYMBOLS.get(currency) or f"{currency} "


def short_money(v: float, currency: str, scale: float | None = None, digits: int | None = None
                ) -> str:
    """Money for an axis: '£120k', '-£1.5M', '£0'.  ``scale`` (1, 1e3, 1e6, 1e9) and ``digits``
    default to those that suit |v| with three significant figures."""
    if v == 0:
        return f"{symbol(currency)}0"
    a = abs(v)
    if scale is None:
        scale = next((s for s, _ in SCALES if a >= s), 1.0)
    suffix = dict(SCALES)[scale]
    if digits is None:
        digits = max(0, 2 - int(math.floor(math.log10(a / scale)))) if a >= scale else 2
    sign = "-" if v < 0 else ""
    return f"{sign}{symbol(currency)}{a / scale:,.{digits}f}{suffix}"


def exact_digits(values, most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that print every value exactly: 0.25 needs 2.

    >>> exact_digits([0.0, 0.25, 0.5]), exact_digits([100.0, 200.0])
    (2, 0)
    """
    for digits in range(most + 1):
        if all(abs(round(v, digits) - v) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return digits
    return most


def money_axis(axis, currency: str) -> None:
    """Label ``axis`` (ax.xaxis or ax.yaxis) in money, one scale for all ticks: £0, £100k."""
    from matplotlib.ticker import Formatter

    class MoneyFormatter(Formatter):
        scale, digits = 1.0, 0

        def set_locs(self, locs):
            super().set_locs(locs)
            biggest = max((abs(v) for v in locs), default=0.0)
            self.scale = next((s for s, _ in SCALES if biggest >= s), 1.0)
            self.digits = exact_digits([v / self.scale for v in locs])

        def __call__(self, x, pos=None):
            if abs(x) < 1e-9 * max(self.scale, 1.0):
                x = 0.0
            return short_money(x, currency, self.scale, self.digits)

    axis.set_major_formatter(MoneyFormatter())


def share_axis(axis, digits: int | None = 0) -> None:
    """Label ``axis`` as percentages of 1: 0%, 25%."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=digits))


def metric_axis(axis, metric: str, currency: str) -> None:
    """Label ``axis`` in the unit of ``metric``: money (npv), % (irr, roi), years, or ×."""
    from matplotlib.ticker import FuncFormatter

    if metric == "npv":
        money_axis(axis, currency)
    elif metric in ("irr", "roi"):
        share_axis(axis, None)
    elif metric in ("payback_years", "discounted_payback_years"):
        axis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:g} y"))
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:g}x"))


def year_axis(axis, years) -> None:
    """Whole years as ticks: 'Year 0', 'Year 1', ..."""
    axis.set_ticks(list(years))
    axis.set_ticklabels([f"Year {y}" for y in years])


def runs_note(runs: int, seed: int) -> str:
    """'200,000 runs, seed 7'."""
    return f"{count(runs)} runs, seed {seed}"


def titles(ax, what: str, name: str, detail: str = "", own_figure: bool = True) -> None:
    """The scenario name above the figure and ``what`` (with ``detail``) above the axes; on an
    Axes the user gave, both go in the axes title."""
    if own_figure:
        sub = f"{textwrap.fill(what, SUBTITLE_WIDTH)}\n{detail}" if detail else what
        ax.figure.suptitle(textwrap.fill(name, TITLE_WIDTH), fontsize=12, fontweight="bold")
        ax.set_title(sub, fontsize=10, color=GREY)
    else:
        sub = f"{what} ({detail})" if detail else what
        ax.set_title(textwrap.fill(f"{name}: {sub}", TITLE_WIDTH), fontsize=10)


def legend_below(ax, ncols: int = 3, figure: bool = False) -> None:
    """The legend under the axes (``figure``: under the whole figure, centred on it), where
    it cannot cover the data."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ncols = min(ncols, len(handles))
    if figure:
        ax.figure.legend(handles, labels, loc="outside lower center", ncols=ncols,
                         frameon=False, fontsize=8.5)
    else:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncols=ncols, frameon=False, fontsize=8.5)


def tidy(ax) -> None:
    """No top and right spines; a light grid behind the data."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    ax.grid(True, color="0.9", linewidth=0.8)
