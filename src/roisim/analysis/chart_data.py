"""Chart data: the counts, curves and percentiles that the charts draw (``roisim.report.charts``).

The charts only draw; every number they show that the run summary lacks is computed here, from
the per-run arrays of a ``Result.dataset`` or a ``Comparison``:

- ``histogram``: counts of runs in bins of one "nice" width (1, 2, 2.5 or 5 × 10^k) whose edges
  include ``anchor`` (0 for NPV), so the bars left of 0 hold exactly the runs with NPV < 0;
- ``ecdf``: the empirical cumulative distribution F(x) = #{x_i ≤ x} / n at chosen points;
- ``payback_histogram``: payback years in bins over [0, H], and the share that does not pay back;
- ``by_year``: percentiles of the net cash flow (or of its running total) in each year;
- ``differences``: per-run NPV(option) − NPV(first option) of a comparison.

Runs whose value is not finite (no IRR, no payback) are left out of ``histogram`` and ``ecdf``
and counted by ``payback_histogram`` as "not within the horizon".
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

#: the bars a histogram aims at over its central range
TARGET_BINS = 60
#: the share of runs in each tail that a histogram's view may leave out (``Histogram.outside``)
TAIL = 0.001
#: at most this many bins over the full range before the tails are left out
MAX_BINS = 240


class Histogram(NamedTuple):
    """Counts of runs per bin: ``counts[k]`` runs in [edges[k], edges[k+1]) (the last bin also
    holds its right edge), out of ``n`` finite runs.  ``view`` is the range to show, the bin
    edges around P0.1 and P99.9, and ``outside`` the finite runs beyond it (in the tails)."""

    counts: np.ndarray
    edges: np.ndarray
    n: int
    view: tuple[float, float]
    outside: int

    @property
    def shares(self) -> np.ndarray:
        """counts / n: each bar as a share of the finite runs."""
        return self.counts / self.n if self.n else self.counts.astype(float)


def nice_step(span: float, target: int = TARGET_BINS) -> float:
    """The bin width 1, 2, 2.5 or 5 × 10^k nearest above ``span / target``.

    >>> nice_step(600_000, 60), nice_step(1.0, 60), nice_step(1.4, 60)
    (10000.0, 0.02, 0.025)
    """
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * power >= raw * (1 - 1e-12):
            return float(round(m * power, 12))
    return 10.0 * power  # pragma: no cover - the loop always returns


def histogram(values, target: int = TARGET_BINS, anchor: float = 0.0) -> Histogram:
    """Counts of the finite ``values`` in bins of width w = ``nice_step`` of the P0.1–P99.9
    range, with edges at anchor + k·w.

    The bins cover every finite value, unless that would take more than ``MAX_BINS`` bins (a
    long tail): then they cover the P0.1–P99.9 range only.  ``view`` is that range widened to
    bin edges, and ``outside`` counts the values beyond it.

    Examples
    --------
    >>> h = histogram([-1.5, -0.2, 0.3, 0.4, 2.0], target=4)
    >>> h.edges[0] <= -1.5 and 0.0 in h.edges, int(h.counts.sum()), h.n
    (True, 5, 5)
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Histogram(np.zeros(0, dtype=np.int64), np.array([anchor, anchor + 1.0]), 0,
                         (anchor, anchor + 1.0), 0)
    lo, hi = np.quantile(x, [TAIL, 1 - TAIL])
    width = nice_step(float(hi - lo), target)
    view = (math.floor((lo - anchor) / width), max(math.ceil((hi - anchor) / width),
                                                    math.floor((lo - anchor) / width) + 1))
    first, last = math.floor((x.min() - anchor) / width), math.ceil((x.max() - anchor) / width)
    if last - first > MAX_BINS:
        first, last = view
    last = max(last, first + 1)
    edges = anchor + width * np.arange(first, last + 1, dtype=float)
    inside = (x >= edges[0]) & (x <= edges[-1])
    counts, _ = np.histogram(x[inside], bins=edges)
    shown = (anchor + width * view[0], anchor + width * view[1])
    outside = int(((x < shown[0]) | (x > shown[1])).sum())
    return Histogram(counts, edges, n, shown, outside)


def ecdf(values, points: int = 512, at=(0.0,)) -> tuple[np.ndarray, np.ndarray]:
    """The empirical distribution function F(x) = #{i : x_i ≤ x} / n of the finite ``values``,
    at ``points`` evenly spaced quantiles of the values and at every point of ``at``.

    Returns (x, F(x)), x ascending.  F at a point of ``at`` is exact: at 0 it is the share of
    runs with a value ≤ 0, 1 − P(X > 0).

    Examples
    --------
    >>> x, f = ecdf([3.0, -1.0, 2.0, 5.0], points=4, at=(0.0,))
    >>> float(f[x == 0.0][0]), float(f[-1])
    (0.25, 1.0)
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    grid = np.quantile(x, np.linspace(0.0, 1.0, points))
    grid = np.unique(np.concatenate([grid, np.asarray(at, dtype=float)]))
    return grid, np.searchsorted(x, grid, side="right") / x.size


class PaybackHistogram(NamedTuple):
    """Payback years in bins over [0, H] (``counts``, ``edges``) and the runs that do not pay
    back within H years (``not_within``), out of ``n`` runs."""

    counts: np.ndarray
    edges: np.ndarray
    not_within: int
    n: int


def payback_histogram(values, horizon: int, per_year: int = 4) -> PaybackHistogram:
    """Counts of the payback years in bins of 1/``per_year`` year over [0, H]; a run that does
    not pay back within the horizon (inf or NaN) is counted in ``not_within``.

    Examples
    --------
    >>> h = payback_histogram([0.5, 1.2, float("inf"), 2.9], horizon=3, per_year=1)
    >>> h.counts.tolist(), h.not_within, h.n
    ([1, 1, 1], 1, 4)
    """
    x = np.asarray(values, dtype=float)
    paid = x[np.isfinite(x) & (x <= horizon)]
    edges = np.linspace(0.0, float(horizon), horizon * per_year + 1)
    counts, _ = np.histogram(paid, bins=edges)
    return PaybackHistogram(counts, edges, int(x.size - paid.size), int(x.size))


def by_year(cashflow, percentiles=(5, 25, 50, 75, 95), cumulative: bool = False) -> dict:
    """Percentiles over the runs of the net cash flow in each year (``cashflow`` on (run, year)),
    or with ``cumulative`` of its running total C_t = Σ_{s ≤ t} CF_s, run by run.

    Returns {p: array over the years} (numpy's linear-interpolation percentiles).

    Examples
    --------
    >>> cf = np.array([[-100.0, 60.0, 60.0], [-100.0, 40.0, 80.0]])
    >>> by_year(cf, (50,), cumulative=True)[50].tolist()
    [-100.0, -50.0, 20.0]
    """
    flows = np.asarray(cashflow, dtype=float)
    if cumulative:
        flows = np.cumsum(flows, axis=1)
    values = np.percentile(flows, list(percentiles), axis=0)
    return {p: values[k] for k, p in enumerate(percentiles)}


def differences(npv: list) -> list[np.ndarray]:
    """NPV(option) − NPV(first option), run by run, for each option after the first.

    >>> [d.tolist() for d in differences([np.array([1.0, 2.0]), np.array([3.0, 1.0])])]
    [[2.0, -1.0]]
    """
    first = np.asarray(npv[0], dtype=float)
    return [np.asarray(v, dtype=float) - first for v in npv[1:]]


def common_histogram(samples: list, target: int = TARGET_BINS, anchor: float = 0.0
                     ) -> Histogram:
    """The ``histogram`` of several samples together: its edges serve each of them (so their
    histograms overlay bar for bar) and its ``view`` shows them all.

    >>> common_histogram([np.array([0.0, 1.0]), np.array([2.0])], target=2).edges.tolist()
    [0.0, 1.0, 2.0]
    """
    return histogram(np.concatenate([np.asarray(s, dtype=float) for s in samples]), target,
                     anchor)
