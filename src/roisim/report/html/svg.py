"""The report's charts as inline SVG, one per slot, drawn by ``roisim.report.charts``.

Each chart is drawn on its own figure, turned into an ``<svg>`` element (no external
reference, ids unique per chart) and let go (closed when pyplot made it), so a report with a
dozen charts holds one figure at a time.  matplotlib is imported only inside :func:`chart`,
never on ``roisim run``'s path.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    """One chart slot: its kind (``npv``, ``tornado``...), caption and SVG markup."""

    kind: str
    caption: str
    svg: object  # markupsafe.Markup


def chart(kind: str, source, caption: str, **options) -> Chart:
    """Draw chart ``kind`` of ``source`` (see ``roisim.report.charts.draw``) as inline SVG.

    >>> import roisim                                                    # doctest: +SKIP
    >>> s = roisim.load_scenario("scenarios/fintech.toml")              # doctest: +SKIP
    >>> r = roisim.simulate(s, runs=20_000)                             # doctest: +SKIP
    >>> chart("npv", r, "NPV").svg[:4]                                  # doctest: +SKIP
    '<svg'
    """
    from roisim.report import charts
    from roisim.report.html.templating import markup

    ax = charts.draw(kind, source, **options)
    try:
        svg = charts.to_svg(ax, prefix=f"roisim-{kind}-")  # one chart of each kind a page
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:  # a figure pyplot made (the user chose a backend): free it
            pyplot.close(ax.figure)
    return Chart(kind, caption, markup(svg))
