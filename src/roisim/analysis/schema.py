"""The run summary, typed: the one definition that the JSON and every report read.

``summarize`` builds this tree; ``RunSummary.to_dict()`` gives exactly what ``roisim run --json``
prints and ``Result.summary`` holds (same keys, same order, same values), and
``RunSummary.from_dict`` reads that back.  The text report (and later the HTML report and the
workbook) read attributes, never string keys.

::

    RunSummary
      roisim_version, scenario: ScenarioInfo (name, file, sha256),
      runs, seed, currency, horizon_years, timing,
      discount_rate: DiscountRateInfo (kind, text, preset, schedule),
      metrics: Metrics
        npv: NpvFigures              + prob_positive, expected_shortfall_5
        irr: IrrFigures              + prob_defined, prob_multiple
        payback_years,
        discounted_payback_years: PaybackFigures   + prob_within_horizon, mean_within_horizon
        roi, bcr: RatioFigures       + prob_defined
      cashflow_by_year: CashflowByYear (year, mean, p5, p95: one entry per year 0..H)
      lines: tuple of LineFigures (name, kind "benefit" | "cost", pv: LinePv (mean, p5, p50,
             p95), mean_by_year: per year 0..H, always; p5_by_year, p95_by_year: per year
             0..H, or None when the line-year rows were not computed)
      central_case: CentralCase (npv, irr, payback_years, discounted_payback_years, roi, bcr),
             or None for a variant run (held, scaled or delayed inputs or lines)
      correlations: CorrelationFigures (method, inputs, target, used, repaired, max_change,
                    realised) or None when the scenario has no [correlations]
      precision: PrecisionFigures (metric, tolerance, half_width, runs, met, relative,
                 confidence, max_runs, rounds) or None when the run had no precision rule
      sampling ("random" | "lhs" | "sobol"), replicates (Sobol's R, else None),
      intervals (how every ci95 was obtained, in words), warnings (tuple of strings)

Every metric's figures start with ``mean, sd, p5, p10, p25, p50, p75, p90, p95`` and
``ci95``; its ``ci95`` holds a 95% Monte Carlo interval ``[low, high]`` (an ``Interval``) for
the mean, for each percentile and for the metric's probability (``prob_positive``,
``prob_defined`` or ``prob_within_horizon``; IRR's ``prob_multiple`` has none).  A figure that
does not exist or is not finite (a mean over runs that do not all pay back, a percentile
beyond the horizon) is ``None``: ``null`` in JSON.  The formulas are in docs/methodology.md,
section 9.
"""

from __future__ import annotations

import functools
import json
import math
import types
import typing
from dataclasses import dataclass, fields
from typing import NamedTuple

#: the percentiles every metric reports, in the order of its fields
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


def finite(value) -> float | None:
    """``value`` as a Python float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class Interval(NamedTuple):
    """A 95% interval; ``[low, high]`` in JSON.  An end that does not exist is None."""

    low: float | None
    high: float | None

    @classmethod
    def of(cls, pair) -> Interval:
        low, high = pair
        return cls(finite(low), finite(high))


class Record:
    """Base of every node of the summary: ``to_dict`` and ``from_dict`` follow the fields."""

    def to_dict(self) -> dict:
        """Plain data in field order (Intervals and tuples become lists), ready for JSON."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict):
        """The inverse of ``to_dict``: a mapping with exactly this node's keys."""
        names = [f.name for f in fields(cls)]
        if set(data) != set(names):
            missing = sorted(set(names) - set(data))
            unknown = sorted(set(data) - set(names))
            raise ValueError(f"{cls.__name__}: missing keys {missing}, unknown keys {unknown}")
        hints = _hints(cls)
        return cls(**{name: _typed(hints[name], data[name]) for name in names})

    @classmethod
    def extend(cls, base: Record, **more):
        """This node from ``base``, a node of a parent class, and the fields in ``more`` (which
        may also replace some of base's): ``NpvFigures.extend(figures, prob_positive=...)``."""
        inherited = {f.name: getattr(base, f.name) for f in fields(base)}
        return cls(**{**inherited, **more})


def _plain(value):
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple):  # an Interval or a per-year column
        return [_plain(v) for v in value]
    return value


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _typed(hint, value):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):  # X | None: None, or the value as an X
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(value)
    if hint is Interval:
        return Interval(*value)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(item, type) and issubclass(item, Record):
            return tuple(item.from_dict(v) for v in value)
        return tuple(value)
    return value


@dataclass(frozen=True)
class ScenarioInfo(Record):
    name: str
    file: str | None  # None for a scenario loaded from text
    sha256: str | None


@dataclass(frozen=True)
class DiscountRateInfo(Record):
    """The discount rate the runs used (``roisim.analysis.simulate.discount_rate_info``).

    ``kind`` is "constant", "distribution" (drawn once per run) or "schedule"; ``text`` the
    rate in words; ``preset`` a Green Book schedule's name (else None); ``schedule`` a
    schedule's entries in force within the horizon as ``[first year, rate]``, a drawn rate as
    its distribution's text (None for a single rate)."""

    kind: str
    text: str
    preset: str | None = None
    schedule: tuple | None = None


@dataclass(frozen=True)
class Intervals(Record):
    """``ci95`` of a metric: the intervals of its mean and of each of its percentiles."""

    mean: Interval
    p5: Interval
    p10: Interval
    p25: Interval
    p50: Interval
    p75: Interval
    p90: Interval
    p95: Interval

    def percentile(self, p: int) -> Interval:
        return getattr(self, f"p{p}")


@dataclass(frozen=True)
class NpvIntervals(Intervals):
    prob_positive: Interval  # Wilson


@dataclass(frozen=True)
class DefinedIntervals(Intervals):
    prob_defined: Interval  # Wilson


@dataclass(frozen=True)
class HorizonIntervals(Intervals):
    prob_within_horizon: Interval  # Wilson


@dataclass(frozen=True)
class MetricFigures(Record):
    """Mean, sd and percentiles of one metric (over the runs where it is defined), with ``ci95``."""

    mean: float | None
    sd: float | None
    p5: float | None
    p10: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    p95: float | None
    ci95: Intervals

    def percentile(self, p: int) -> float | None:
        return getattr(self, f"p{p}")


@dataclass(frozen=True)
class NpvFigures(MetricFigures):
    ci95: NpvIntervals
    prob_positive: float  # P(NPV > 0), strictly
    expected_shortfall_5: float | None  # mean NPV of the worst ceil(5% of runs) runs


@dataclass(frozen=True)
class IrrFigures(MetricFigures):
    ci95: DefinedIntervals
    prob_defined: float  # share of runs with an IRR
    prob_multiple: float  # share of runs with several IRRs (the smallest is reported)


@dataclass(frozen=True)
class PaybackFigures(MetricFigures):
    """Percentiles over all runs; ``mean`` and ``sd`` are None when a run does not pay back."""

    ci95: HorizonIntervals
    prob_within_horizon: float
    mean_within_horizon: float | None  # mean over the runs that pay back


@dataclass(frozen=True)
class RatioFigures(MetricFigures):
    """ROI or BCR: over the runs where costs are not zero."""

    ci95: DefinedIntervals
    prob_defined: float


@dataclass(frozen=True)
class Metrics(Record):
    """One entry per metric, in the engine's order (``roisim.engine.plan.METRICS``)."""

    npv: NpvFigures
    irr: IrrFigures
    payback_years: PaybackFigures
    discounted_payback_years: PaybackFigures
    roi: RatioFigures
    bcr: RatioFigures


@dataclass(frozen=True)
class CashflowByYear(Record):
    """Net cash flow (benefits - costs) of each year 0..H: mean, P5 and P95 over all runs."""

    year: tuple[int, ...]
    mean: tuple[float | None, ...]
    p5: tuple[float | None, ...]
    p95: tuple[float | None, ...]

    def rows(self):
        """(year, mean, p5, p95) for each year."""
        return zip(self.year, self.mean, self.p5, self.p95)


@dataclass(frozen=True)
class LinePv(Record):
    """A line's present value over the runs: ``PV_j = Σ_t A_jt · d_t`` (costs as positive
    amounts), its mean and numpy's linear P5, P50 and P95."""

    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class LineFigures(Record):
    """One benefit or cost line: its PV and, per year 0..H, the mean, P5 and P95 of its amount.

    ``mean_by_year`` is always there (the kernel adds each line's amounts up per block of runs,
    whatever ``line_years``: the same bits with or without it); ``p5_by_year`` and
    ``p95_by_year`` are None unless the run computed the line-year rows
    (``simulate(..., line_years=True)``).  ``mean_by_year`` is None only from a summary source
    that has neither (a bare ``ArraySource`` of values without those sums)."""

    name: str
    kind: str  # "benefit" or "cost"
    pv: LinePv
    mean_by_year: tuple[float | None, ...] | None
    p5_by_year: tuple[float | None, ...] | None
    p95_by_year: tuple[float | None, ...] | None


@dataclass(frozen=True)
class CentralCase(Record):
    """The deterministic case a single-point spreadsheet gives: every random input at its
    median (``roisim.analysis.central``); a figure that does not exist is None."""

    npv: float | None
    irr: float | None
    payback_years: float | None
    discounted_payback_years: float | None
    roi: float | None
    bcr: float | None


@dataclass(frozen=True)
class CorrelationFigures(Record):
    """The ``[correlations]`` the runs used: the targets and the matrix used (in the method's
    terms, over ``inputs``), whether it was repaired and by how much at most, and the realised
    Spearman matrix of the runs: over all of them when their inputs were kept, else over the
    first ``realised_runs`` (``roisim.analysis.correlation_figures``)."""

    method: str
    inputs: tuple[str, ...]
    target: tuple
    used: tuple
    repaired: bool
    max_change: float
    realised: tuple | None = None
    realised_runs: int | None = None  # the runs ``realised`` is over (the first ones)

    def pairs(self) -> list[tuple[int, int]]:
        """The (i, j), i < j, of every pair with a non-zero target or a non-zero value used
        (a repair can correlate a pair whose target is 0), in the order of ``inputs``."""
        k = len(self.inputs)
        return [(i, j) for i in range(k) for j in range(i + 1, k)
                if self.target[i][j] != 0 or self.used[i][j] != 0]

    def pair_values(self) -> list[tuple[str, str, float, float, float | None]]:
        """(input, input, target, used, realised) of each of :meth:`pairs`."""
        return [(self.inputs[i], self.inputs[j], self.target[i][j], self.used[i][j],
                 None if self.realised is None else self.realised[i][j])
                for i, j in self.pairs()]


@dataclass(frozen=True)
class PrecisionRound(Record):
    """One round of a precision run: its runs and the half-width of the metric's interval."""

    runs: int
    half_width: float | None


@dataclass(frozen=True)
class PrecisionFigures(Record):
    """How a ``[simulation] precision`` rule ended (``roisim.analysis.precision``).

    ``tolerance`` is the absolute tolerance the last round was held to: the one given, or
    ``relative`` × |estimate| when the rule was relative (``relative`` is None otherwise).
    ``half_width`` is half the width of the metric's interval at ``confidence`` after ``runs``
    runs (None when the interval does not exist); ``met`` says whether it is at most the
    tolerance.  ``rounds`` lists every round, the last one being this summary's."""

    metric: str
    tolerance: float | None
    half_width: float | None
    runs: int
    met: bool
    relative: float | None
    confidence: float
    max_runs: int
    rounds: tuple[PrecisionRound, ...]


@dataclass(frozen=True)
class RunSummary(Record):
    """The summary of one simulation: what ``roisim run --json`` prints."""

    roisim_version: str
    scenario: ScenarioInfo
    runs: int
    seed: int
    currency: str
    horizon_years: int
    timing: str
    discount_rate: DiscountRateInfo
    metrics: Metrics
    cashflow_by_year: CashflowByYear
    lines: tuple[LineFigures, ...] = ()
    central_case: CentralCase | None = None
    correlations: CorrelationFigures | None = None
    precision: PrecisionFigures | None = None
    #: how the runs were sampled ("random", "lhs" or "sobol"), the Sobol replicates (None
    #: otherwise), how the ci95 intervals were obtained, and warnings the CLI prints on stderr
    sampling: str = "random"
    replicates: int | None = None
    intervals: str = "iid"
    warnings: tuple[str, ...] = ()

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON (no NaN or Infinity): ``roisim run --json``."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)
