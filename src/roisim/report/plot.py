"""``result.plot``: the charts of one simulation as methods, like pandas' and xarray's plot
accessors (``result.plot.npv()`` returns the matplotlib Axes)."""

from __future__ import annotations

from roisim.report import charts


class PlotAccessor:
    """The charts of a ``roisim.Result``: ``npv``, ``scurve``, ``payback``, ``fan``, ``lines``;
    each ``(ax=None, **options) -> matplotlib.axes.Axes`` (see ``roisim.report.charts.draw``).

    >>> plot = PlotAccessor(result)              # doctest: +SKIP
    >>> ax = plot.npv()                          # doctest: +SKIP
    >>> plot("fan", cumulative=False)            # doctest: +SKIP
    """

    def __init__(self, result):
        self._result = result

    def __call__(self, kind: str = "npv", ax=None, **options):
        """The chart ``kind`` (npv by default)."""
        return charts.draw(kind, self._result, ax, **options)

    def npv(self, ax=None, **options):
        """Histogram of NPV, P(NPV < 0) shaded, mean, P5/P50/P95 and central case marked."""
        return charts.draw("npv", self._result, ax, **options)

    def scurve(self, ax=None, **options):
        """Cumulative distribution of NPV with P(NPV > 0) read off."""
        return charts.draw("scurve", self._result, ax, **options)

    def payback(self, ax=None, **options):
        """Distribution of the payback year with a "not within H y" bar."""
        return charts.draw("payback", self._result, ax, **options)

    def fan(self, ax=None, **options):
        """Net cash flow by year (P5–P95, P25–P75, median) and its cumulative total."""
        return charts.draw("fan", self._result, ax, **options)

    def lines(self, ax=None, **options):
        """PV of each benefit and cost line, P5–P95 with mean and median."""
        return charts.draw("lines", self._result, ax, **options)

    def __repr__(self) -> str:
        return "<roisim plot accessor: npv, scurve, payback, fan, lines>"
