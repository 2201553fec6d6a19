"""Exact summaries from mergeable block reductions, the same way for every source.

Pass 1 computes block moments and a histogram of every variable on a range taken from the
first block of runs (which every source regenerates identically).  The order statistics that
the percentiles, their intervals and the expected shortfall need are then located in their
histogram bins; pass 2 copies out just the values in those bins (or, for a bin holding more
than ``CAP`` values, histograms it again and a pass 3 copies from the sub-bin).  Every figure
is therefore exact -- the same numbers a full sort would give -- while memory stays bounded.

The variables are the rows of the engine's output (``roisim.engine.layout.Layout``): the metrics
(``METRICS``), the net cash flow of each year and, when the plan writes them, each line's
present value and each line's amount by year -- all through the same exact machinery.
``summarize_run`` returns the typed figures (``roisim.analysis.schema``) with the lines;
``summarize_figures`` the metrics and cash flows only; ``summarize`` the same as plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from roisim.analysis.candidates import Candidates, candidate_picks, limit_for
from roisim.analysis.intervals import (
    PERCENTILES,
    mean_interval,
    merge_moments,
    order_stat_ranks,
    quantile_positions,
    wilson,
)
from roisim.analysis.schema import (
    CashflowByYear,
    DefinedIntervals,
    HorizonIntervals,
    Interval,
    Intervals,
    IrrFigures,
    LineFigures,
    LinePv,
    MetricFigures,
    Metrics,
    NpvFigures,
    NpvIntervals,
    PaybackFigures,
    RatioFigures,
    finite,
)
from roisim.engine.blocks import NO_BIN, PassSpec
from roisim.engine.layout import FIRST_CASHFLOW_ROW, ROW, SEVERAL_IRRS, Layout, infer
from roisim.engine.precompile import wait as wait_for_precompile
from roisim.kernels import reduce
from roisim.kernels.reduce import M2, MEAN, N_FIN, N_NAN, N_NEGINF, N_POS, N_POSINF, VMAX, VMIN

NB_METRIC = 1 << 16  # bins of a metric's histogram, and of every sub-histogram
NB_YEAR = 1 << 12  # bins of a year's net cash flow histogram
CAP = 1 << 21  # values copied out of one bin before it is histogrammed again
NPV = ROW["npv"]
TAIL_SHARE = 0.05  # the expected shortfall is the mean NPV of the worst 5% of runs
CASHFLOW_PERCENTILES = (5, 95)  # of each year's net cash flow, and of each line's amount
LINE_PV_PERCENTILES = (5, 50, 95)
#: the percentiles wanted of each kind of row (a metric's also get their intervals' ranks)
ROW_PERCENTILES = {
    "metric": PERCENTILES,
    "cashflow": CASHFLOW_PERCENTILES,
    "line_pv": LINE_PV_PERCENTILES,
    "line_year": CASHFLOW_PERCENTILES,
}
#: bins of each kind of row's top-level histogram
ROW_BINS = {"metric": NB_METRIC, "cashflow": NB_YEAR, "line_pv": NB_METRIC, "line_year": NB_YEAR}

# The refinement loop.  Each round reads what the last pass brought and asks the next pass for
# what is still missing:
#   round 1 reads the top-level histograms of pass 1 and asks pass 2 to copy out every bin that
#           holds a wanted order statistic and at most CAP values, to histogram again (into
#           NB_METRIC sub-bins) every such bin holding more, and to sum the NPVs before the
#           expected-shortfall bin when that bin is final (not split);
#   round 2 reads pass 2's copies and sub-histograms and asks pass 3 to copy out the wanted
#           sub-bins -- a sub-bin is copied whatever its size, never split again -- and for the
#           expected-shortfall sum when its rank lies in a sub-bin;
#   round 3 reads pass 3's copies: every order statistic is then known.
# So three rounds (at most three passes over the runs in all) always suffice.
ROUNDS = 3


def _histogram_range(pilot_row: np.ndarray) -> tuple[float, float]:
    """Histogram range for one variable: its finite pilot values' range, widened by 25% a side."""
    values = pilot_row[np.isfinite(pilot_row)]
    if len(values) == 0:
        return 0.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    if not span > 0:
        span = max(abs(lo), 1.0) * 1e-6
    return lo - 0.25 * span, hi + 0.25 * span


def _bin_filter(lo, hi, n_bins, k, sub=None) -> np.ndarray:
    """The kernels' description of one bin: (lo, width⁻¹, bins, k) of the top-level histogram,
    then the same four for a sub-histogram of that bin (zeros when there is none)."""
    description = np.zeros(reduce.BIN_FILTER_SIZE)
    description[reduce.BIN_LO] = lo
    description[reduce.BIN_SCALE] = n_bins / (hi - lo)
    description[reduce.BIN_COUNT] = n_bins
    description[reduce.BIN_INDEX] = k
    if sub is not None:
        sub_lo, sub_hi, sub_bins, sub_k = sub
        description[reduce.SUB_LO] = sub_lo
        description[reduce.SUB_SCALE] = sub_bins / (sub_hi - sub_lo)
        description[reduce.SUB_COUNT] = sub_bins
        description[reduce.SUB_INDEX] = sub_k
    return description


class _Histogram:
    """n_bins bins on [lo, hi) plus an underflow (0) and an overflow (n_bins + 1) bin; a
    sub-histogram also knows its parent bin and how many values are ordered before it."""

    def __init__(self, lo, hi, n_bins, counts, bin_min, bin_max, parent=None, before=0):
        self.lo, self.hi, self.n_bins = lo, hi, n_bins
        self.counts, self.bin_min, self.bin_max = counts, bin_min, bin_max
        self.cumulative = np.cumsum(counts)
        self.parent = parent  # (lo, hi, n_bins, k) of the top-level bin this one splits
        self.before = before

    def locate(self, rank: int) -> tuple[int, int]:
        """(bin, values before that bin) for a 0-based rank among all non-NaN values."""
        k = int(np.searchsorted(self.cumulative, rank - self.before, side="right"))
        return k, self.before + (int(self.cumulative[k - 1]) if k > 0 else 0)

    def edges(self, k: int, moments_row) -> tuple[float, float]:
        """A finite range covering every finite value of top-level bin k (slightly widened)."""
        inverse_width = self.n_bins / (self.hi - self.lo)
        if k == 0:
            return float(moments_row[VMIN]), self.lo
        if k == self.n_bins + 1:
            return self.hi, float(max(moments_row[VMAX], self.hi))
        pad = 1e-12 * (abs(self.lo) + abs(self.hi)) + 1e-300
        return self.lo + (k - 1) / inverse_width - pad, self.lo + k / inverse_width + pad

    def bin_filter(self, k: int) -> np.ndarray:
        if self.parent is None:
            return _bin_filter(self.lo, self.hi, self.n_bins, k)
        p_lo, p_hi, p_bins, p_k = self.parent
        return _bin_filter(p_lo, p_hi, p_bins, p_k, (self.lo, self.hi, self.n_bins, k))


class _Passes:
    """Runs passes over the source's runs, numbering them for the progress callback."""

    def __init__(self, source, progress):
        self.source, self.progress, self.count = source, progress, 0

    def run(self, spec: PassSpec):
        self.count += 1
        number = self.count
        report = (lambda done: self.progress(number, done)) if self.progress else None
        return self.source.execute(spec, progress=report)


@dataclass
class _Requests:
    """What one round asks of the next pass, and where each answer will be in its result."""

    copies: dict = field(default_factory=dict)  # (var, top bin, sub-bin or -1) -> index
    splits: dict = field(default_factory=dict)  # (var, top bin) -> (index, lo, hi, before)
    collects: list = field(default_factory=list)  # PassSpec.collects: (var, bin filter)
    hists: list = field(default_factory=list)  # PassSpec.hists: (var, bin filter, lo, hi, bins)
    sums: list = field(default_factory=list)  # PassSpec.sums: (var, bin filter)

    def copy(self, key, variable, bin_filter) -> None:
        if key not in self.copies:
            self.copies[key] = len(self.collects)
            self.collects.append((variable, bin_filter))

    def split(self, key, variable, bin_filter, lo, hi, before) -> None:
        if key not in self.splits:
            hi = float(np.nextafter(hi, math.inf))
            self.splits[key] = (len(self.hists), lo, hi, before)
            self.hists.append((variable, bin_filter, lo, hi, NB_METRIC))

    def spec(self) -> PassSpec:
        return PassSpec(
            hists=tuple(self.hists), collects=tuple(self.collects), sums=tuple(self.sums)
        )

    def __bool__(self) -> bool:
        return bool(self.collects or self.hists or self.sums)


class _OrderStatistics:
    """Exact order statistics of every variable, found by refining the pass-1 histograms.

    ``value(variable, rank)`` is the 0-based ``rank``-th smallest non-NaN value of the variable.
    It also keeps what the expected shortfall needs: the bin holding the NPV of rank
    ``tail_rank`` and the sum of the NPVs ordered before that bin.
    """

    def __init__(self, moments, histograms, n_defined, tail_rank, candidates=None):
        self.moments, self.histograms = moments, histograms
        self.candidates = candidates  # what pass 1 copied out (roisim.analysis.candidates)
        self.n_defined, self.tail_rank = n_defined, tail_rank
        self.values: dict[tuple[int, int], float] = {}
        self.sub_histograms: dict[tuple[int, int], _Histogram] = {}
        self.copied: dict[tuple[int, int, int], np.ndarray] = {}  # sorted values of a bin
        self.tail_bin = None  # (copy key, bin filter, values before) of the tail rank's bin
        self.tail_sum = None  # (sum, count) of the NPVs before that bin

    def value(self, variable: int, rank: int) -> float:
        return self.values[(variable, rank)]

    def resolve(self, wanted: set[tuple[int, int]], passes: _Passes) -> None:
        """Find every wanted (variable, rank), running at most ROUNDS - 1 passes more."""
        pending = set(wanted)
        if self.candidates is not None:  # group pass 1's copies by the bins asked for first
            bins: dict[int, list[int]] = {}
            for variable, rank in pending:
                bins.setdefault(variable, []).append(self.histograms[variable].locate(rank)[0])
            self.candidates.prepare(bins)
        for _round in range(ROUNDS):  # what each round reads and asks for: see ROUNDS
            requests = _Requests()
            for variable, rank in sorted(pending):
                self._resolve_or_request(variable, rank, requests)
            if self.tail_bin is not None and self.tail_sum is None and self.candidates:
                self.tail_sum = self.candidates.sum_before(self.tail_bin)  # from pass 1's copies
            if self.tail_bin is not None and self.tail_sum is None:
                requests.sums.append((NPV, self.tail_bin[1]))
            pending = {key for key in pending if key not in self.values}
            if not requests:
                break
            self._store(passes.run(requests.spec()), requests)
        if pending:  # a bug, never the user's
            raise RuntimeError(f"could not resolve {len(pending)} order statistics")

    def _resolve_or_request(self, variable: int, rank: int, requests: _Requests) -> None:
        """Settle one order statistic from what is known, or ask the next pass for its bin."""
        row = self.moments[variable]
        if rank < int(row[N_NEGINF]):
            self.values[(variable, rank)] = -math.inf
            return
        if rank >= self.n_defined[variable] - int(row[N_POSINF]):
            self.values[(variable, rank)] = math.inf
            return
        if variable != NPV and row[VMIN] == row[VMAX]:  # every finite value is this one
            self.values[(variable, rank)] = float(row[VMIN])
            return
        top = self.histograms[variable]
        top_bin, before = top.locate(rank)
        sub = self.sub_histograms.get((variable, top_bin))
        if sub is not None:
            sub_bin, before = sub.locate(rank)
            key = (variable, top_bin, sub_bin)
            lo, hi, bin_filter = sub.bin_min[sub_bin], sub.bin_max[sub_bin], sub.bin_filter(sub_bin)
            too_big = False
        else:
            key = (variable, top_bin, -1)
            lo, hi = top.edges(top_bin, row)
            bin_filter = top.bin_filter(top_bin)
            too_big = top.counts[top_bin] > CAP
        if variable == NPV and rank == self.tail_rank and not too_big:
            self.tail_bin = (key, bin_filter, before)  # the final bin of the tail rank
        if sub is not None and lo == hi:  # a sub-bin holding one repeated value
            self.values[(variable, rank)] = float(lo)
        elif key in self.copied or (sub is None and not too_big and self._candidate(key)):
            self.values[(variable, rank)] = float(self.copied[key][rank - before])
        elif too_big:
            requests.split((variable, top_bin), variable, bin_filter, lo, hi, before)
        else:
            requests.copy(key, variable, bin_filter)

    def _candidate(self, key) -> bool:
        """Copy top-level bin ``key`` from pass 1's candidates when it was one; True if so."""
        variable, top_bin, _ = key
        found = self.candidates.values_in(variable, top_bin) if self.candidates else None
        if found is not None:
            self.copied[key] = found
        return found is not None

    def _store(self, partial, requests: _Requests) -> None:
        for key, index in requests.copies.items():
            arrays = partial.collects[index]
            self.copied[key] = np.sort(np.concatenate(arrays)) if arrays else np.empty(0)
        for key, (index, lo, hi, before) in requests.splits.items():
            variable, top_bin = key
            top = self.histograms[variable]
            self.sub_histograms[key] = _Histogram(
                lo,
                hi,
                NB_METRIC,
                *partial.hists[index],
                parent=(top.lo, top.hi, top.n_bins, top_bin),
                before=before,
            )
        if requests.sums:
            total = 0.0
            count = 0
            for block in sorted(partial.sums):
                total += float(partial.sums[block][0, 0])
                count += int(partial.sums[block][0, 1])
            self.tail_sum = (total, count)

    def expected_shortfall(self) -> float | None:
        """Mean of the tail_rank + 1 smallest NPVs: the sum before the tail bin plus the
        smallest values inside it."""
        if self.tail_sum is None or self.tail_bin is None:
            return None
        key, _, _ = self.tail_bin
        total, count = self.tail_sum
        tail_size = self.tail_rank + 1
        need = tail_size - count
        inside = self.copied.get(key)
        if inside is not None and len(inside):
            total += float(np.sum(inside[:need]))
        else:  # the bin holds one repeated value and was never copied
            total += need * self.value(NPV, self.tail_rank)
        return total / tail_size


def summarize_run(
    source, runs: int, layout: Layout | None = None, multiple_irr: int | None = None, progress=None
) -> tuple[Metrics, CashflowByYear, tuple[LineFigures, ...]]:
    """The metrics, the net cash flow by year and the lines of the runs of ``source``, exactly.

    Parameters
    ----------
    source : a summary source (``ArraySource``, ``KernelSource``, ``DaskSource``)
    runs : int
    layout : roisim.engine.layout.Layout, optional
        what the source's rows hold (``Layout.of(plan)``); default: metrics and net cash flows
        only, as many years as the source has rows after the metrics (then no lines)
    multiple_irr : the number of runs with several IRRs when the caller counted them already
        (in-memory runs); otherwise pass 1 counts them
    progress : optional ``progress(pass_number, done)``, called as passes advance

    Each line's PV percentiles and (with the line-year rows) its by-year P5 and P95 are order
    statistics and its means block-ordered like the metrics', so every source gives the same
    bits.  A line's ``mean_by_year`` is its amounts' sum over the runs divided by ``runs``: the
    sum of the per-block sums, in block order, that the kernel adds up run by run (or, from a
    source without them, that the line-year rows add up to in the same order: the same bits);
    None only when the source has neither.  ``p5_by_year`` and ``p95_by_year`` are None without
    the line-year rows (``Plan.line_rows != "years"``).

    >>> import numpy as np
    >>> from roisim.engine.blocks import ArraySource
    >>> values = np.tile(np.arange(1.0, 101.0), (8, 1))   # 6 metric rows and 2 years
    >>> metrics, cashflow, lines = summarize_run(ArraySource(values), 100)
    >>> metrics.npv.p50, cashflow.p95, lines
    (50.5, (95.05, 95.05), ())
    """
    passes = _Passes(source, progress)
    pilot = source.pilot()  # first: a cold start compiles the scenario's kernel here
    layout = layout if layout is not None else infer(pilot.shape[0])
    histograms, first, candidates = _first_pass(source, pilot, layout, passes)
    moments = merge_moments(first.moments)
    if multiple_irr is None:
        multiple_irr = int(first.flags[SEVERAL_IRRS]) if first.flags is not None else 0
    n_defined = [runs - int(row[N_NAN]) for row in moments]
    tail_rank = max(1, math.ceil(TAIL_SHARE * runs)) - 1
    stats = _OrderStatistics(moments, histograms, n_defined, tail_rank, candidates)
    stats.resolve(_wanted_ranks(n_defined, tail_rank, layout), passes)
    metrics = _metrics(stats, runs, multiple_irr)
    means = _line_means(first.line_sums, runs, layout)
    return metrics, _cashflow_by_year(stats, layout), _lines(stats, layout, means)


def summarize_figures(
    source, runs: int, multiple_irr: int | None = None, progress=None, layout=None
) -> tuple[Metrics, CashflowByYear]:
    """The metrics and the net cash flow by year of the runs of ``source``, exactly
    (``summarize_run`` without the lines)."""
    metrics, cashflow, _ = summarize_run(source, runs, layout, multiple_irr, progress)
    return metrics, cashflow


def summarize(
    source, runs: int, multiple_irr: int | None = None, progress=None
) -> tuple[dict, dict]:
    """``summarize_figures`` as plain data: the summary's metrics and cashflow_by_year blocks."""
    metrics, cashflow = summarize_figures(source, runs, multiple_irr, progress)
    return metrics.to_dict(), cashflow.to_dict()


def order_statistics(
    source, runs: int, wanted, layout: Layout | None = None, progress=None
) -> dict[tuple[int, int], float]:
    """``{(row, rank): value}``: the 0-based ``rank``-th smallest non-NaN value of each wanted
    row of the runs of ``source``, exactly, by the same passes as ``summarize_run`` (at most
    three).  For order statistics the summary does not report, such as the ranks of an
    interval at another confidence than 95% (``roisim.analysis.precision``)."""
    passes = _Passes(source, progress)
    pilot = source.pilot()
    layout = layout if layout is not None else infer(pilot.shape[0])
    histograms, first, candidates = _first_pass(source, pilot, layout, passes)
    moments = merge_moments(first.moments)
    n_defined = [runs - int(row[N_NAN]) for row in moments]
    stats = _OrderStatistics(moments, histograms, n_defined, -1, candidates)  # no shortfall
    stats.resolve(set(wanted), passes)
    return {key: stats.value(*key) for key in wanted}


def _first_pass(source, pilot: np.ndarray, layout: Layout, passes: _Passes):
    """Pass 1: moments and a top-level histogram of every variable (on the pilot's range), the
    values of the candidate bins around the wanted percentiles (``roisim.analysis.candidates``),
    and each block's sums of the lines' amounts by year when the layout has the lines."""
    wait_for_precompile()  # a cold start may be compiling the reduction kernels elsewhere
    top = []
    for variable in range(pilot.shape[0]):
        lo, hi = _histogram_range(pilot[variable])
        top.append((variable, NO_BIN, lo, hi, ROW_BINS[layout.kind_of_row(variable)]))
    line_sums = None
    if layout.has_pv:
        years = range(layout.years) if layout.has_years else ()
        lines = range(len(layout.lines))
        line_sums = tuple(layout.line_year_row(j, t) for j in lines for t in years)
    wanted = [ROW_PERCENTILES[layout.kind_of_row(variable)] for variable, *_ in top]
    wanted[NPV] = (100 * TAIL_SHARE, *wanted[NPV])  # the tail first (candidate_picks' tail)
    picks, tail = candidate_picks(pilot, top, wanted, source.runs, limit_for(source), NPV)
    spec = PassSpec(moments=True, hists=tuple(top), line_sums=line_sums, picks=picks, tail=tail)
    first = passes.run(spec)
    histograms = [
        _Histogram(lo, hi, n_bins, *first.hists[variable]) for variable, _, lo, hi, n_bins in top
    ]
    return histograms, first, Candidates(picks, first.picked, top, tail, first.tail)


def _wanted_ranks(n_defined: list[int], tail_rank: int, layout: Layout) -> set[tuple[int, int]]:
    """(variable, 0-based rank) of every order statistic the summary reads."""
    wanted = {(NPV, tail_rank)}
    for variable, n in enumerate(n_defined):
        if n == 0:
            continue
        kind = layout.kind_of_row(variable)
        for p in ROW_PERCENTILES[kind]:
            q = p / 100
            lo, hi, _ = quantile_positions(n, q)
            wanted |= {(variable, lo), (variable, hi)}
            if kind == "metric":
                j, k = order_stat_ranks(n, q)
                wanted |= {(variable, j - 1), (variable, k - 1)}
    return wanted


def _quantile(stats: _OrderStatistics, variable: int, n: int, q: float) -> float:
    """numpy's default (linear) quantile from two order statistics, with numpy's own lerp:
    a + (b-a)·t for t < 0.5 and b - (b-a)·(1-t) otherwise, so results match to the last bit."""
    lo, hi, frac = quantile_positions(n, q)
    a, b = stats.value(variable, lo), stats.value(variable, hi)
    if frac == 0.0 or a == b:
        return a
    if math.isinf(a) or math.isinf(b):
        return b if frac > 0 else a
    diff = b - a
    return a + diff * frac if frac < 0.5 else b - diff * (1.0 - frac)


def _describe(stats: _OrderStatistics, variable: int) -> MetricFigures:
    """Mean, sd and percentiles of one metric with their intervals.  The mean and sd are None
    unless every defined value is finite; everything is None when no value is defined."""
    n = stats.n_defined[variable]
    nothing = Interval(None, None)
    if n == 0:
        none = [None] * len(PERCENTILES)
        return MetricFigures(None, None, *none, ci95=Intervals(nothing, *[nothing] * len(none)))
    row = stats.moments[variable]
    mean = sd = None
    mean_ci = nothing
    if int(row[N_FIN]) == n:
        mean = float(row[MEAN])
        sd = math.sqrt(row[M2] / (n - 1)) if n > 1 else 0.0
        mean_ci = Interval.of(mean_interval(mean, sd, n))
    percentiles, percentile_cis = [], []
    for p in PERCENTILES:  # the order of the percentile fields (checked by the schema tests)
        q = p / 100
        percentiles.append(finite(_quantile(stats, variable, n, q)))
        j, k = order_stat_ranks(n, q)
        percentile_cis.append(
            Interval.of((stats.value(variable, j - 1), stats.value(variable, k - 1)))
        )
    return MetricFigures(
        finite(mean), finite(sd), *percentiles, ci95=Intervals(mean_ci, *percentile_cis)
    )


def _share(count: int, runs: int) -> tuple[float, Interval]:
    """A share of all runs and its Wilson interval."""
    return count / runs, Interval.of(wilson(count, runs))


def _metrics(stats: _OrderStatistics, runs: int, multiple_irr: int) -> Metrics:
    return Metrics(
        npv=_npv(stats, runs),
        irr=_irr(stats, ROW["irr"], runs, multiple_irr),
        payback_years=_payback(stats, ROW["payback_years"], runs),
        discounted_payback_years=_payback(stats, ROW["discounted_payback_years"], runs),
        roi=_ratio(stats, ROW["roi"], runs),
        bcr=_ratio(stats, ROW["bcr"], runs),
    )


def _npv(stats: _OrderStatistics, runs: int) -> NpvFigures:
    figures = _describe(stats, NPV)
    positive = int(stats.moments[NPV, N_POS])
    return NpvFigures.extend(
        figures,
        ci95=NpvIntervals.extend(figures.ci95, prob_positive=Interval.of(wilson(positive, runs))),
        prob_positive=finite(stats.moments[NPV, N_POS] / runs),
        expected_shortfall_5=finite(stats.expected_shortfall()),
    )


def _irr(stats: _OrderStatistics, variable: int, runs: int, multiple_irr: int) -> IrrFigures:
    figures = _describe(stats, variable)
    share, interval = _share(stats.n_defined[variable], runs)
    return IrrFigures.extend(
        figures,
        ci95=DefinedIntervals.extend(figures.ci95, prob_defined=interval),
        prob_defined=share,
        prob_multiple=multiple_irr / runs,
    )


def _payback(stats: _OrderStatistics, variable: int, runs: int) -> PaybackFigures:
    """Over all runs; a run that does not pay back within the horizon counts as +inf."""
    figures = _describe(stats, variable)
    paid_back = int(stats.moments[variable, N_FIN])
    share, interval = _share(paid_back, runs)
    mean_paid_back = float(stats.moments[variable, MEAN]) if paid_back else None
    return PaybackFigures.extend(
        figures,
        ci95=HorizonIntervals.extend(figures.ci95, prob_within_horizon=interval),
        prob_within_horizon=share,
        mean_within_horizon=finite(mean_paid_back),
    )


def _ratio(stats: _OrderStatistics, variable: int, runs: int) -> RatioFigures:
    figures = _describe(stats, variable)
    share, interval = _share(stats.n_defined[variable], runs)
    return RatioFigures.extend(
        figures,
        ci95=DefinedIntervals.extend(figures.ci95, prob_defined=interval),
        prob_defined=share,
    )


def _percentiles(stats: _OrderStatistics, rows, p: int) -> tuple[float | None, ...]:
    """numpy's linear percentile ``p`` of each variable in ``rows`` (None when none defined)."""
    return tuple(
        finite(_quantile(stats, v, stats.n_defined[v], p / 100)) if stats.n_defined[v] else None
        for v in rows
    )


def _cashflow_by_year(stats: _OrderStatistics, layout: Layout) -> CashflowByYear:
    years = range(layout.years)
    rows = [FIRST_CASHFLOW_ROW + t for t in years]
    low, high = CASHFLOW_PERCENTILES
    return CashflowByYear(
        year=tuple(years),
        mean=tuple(finite(stats.moments[v, MEAN]) for v in rows),
        p5=_percentiles(stats, rows, low),
        p95=_percentiles(stats, rows, high),
    )


def _line_means(block_sums: dict, runs: int, layout: Layout) -> np.ndarray | None:
    """(lines, years): each line's mean amount in each year, from the blocks' sums added in
    block order; None when the source gave no sums."""
    if not layout.has_pv or not block_sums:
        return None
    total = np.zeros(len(layout.lines) * layout.years)
    for b in sorted(block_sums):
        total += block_sums[b]
    return (total / runs).reshape(len(layout.lines), layout.years)


def _lines(stats: _OrderStatistics, layout: Layout, means) -> tuple[LineFigures, ...]:
    """Each line's PV (mean, P5, P50, P95), its mean amount by year (``means``: see
    ``_line_means``) and, with the line-year rows, the P5 and P95 of its amount by year."""
    if not layout.has_pv:
        return ()
    out = []
    low, high = CASHFLOW_PERCENTILES
    for j, (name, kind) in enumerate(zip(layout.lines, layout.kinds)):
        row = layout.line_pv_row(j)
        p5, p50, p95 = (_percentiles(stats, [row], p)[0] for p in LINE_PV_PERCENTILES)
        pv = LinePv(mean=finite(stats.moments[row, MEAN]), p5=p5, p50=p50, p95=p95)
        mean = None if means is None else tuple(finite(float(m)) for m in means[j])
        by_year = None
        if layout.has_years:
            by_year = [layout.line_year_row(j, t) for t in range(layout.years)]
        out.append(
            LineFigures(
                name=name,
                kind=kind,
                pv=pv,
                mean_by_year=mean,
                p5_by_year=None if by_year is None else _percentiles(stats, by_year, low),
                p95_by_year=None if by_year is None else _percentiles(stats, by_year, high),
            )
        )
    return tuple(out)
