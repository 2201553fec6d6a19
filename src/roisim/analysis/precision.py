"""The precision stop rule: rounds of doubling runs until one figure's interval is narrow enough.

``simulate`` calls :func:`run_rounds` when the scenario has ``[simulation] precision`` (or when
it is given a rule).  Round 1 runs the scenario's ``runs``; every later round runs twice as many
(the last one capped at ``max_runs``), until the half-width of the metric's interval at the
rule's confidence is at most the tolerance.

Each round re-simulates runs 0..N-1 from scratch through the same code as a plain run of N
runs, so the result *is* a plain run of the final N runs with the same seed: bit-identical,
whatever the threads, in memory or streaming, and whatever the sampling method (a Latin
hypercube of N runs, for example, is not the first N runs of a larger one).  Re-running
costs less than the final round once more (N/2 + N/4 + ... < N).

The half-width at a confidence c (``z = Φ⁻¹((1 + c)/2)``), by the summary's own interval forms
(``roisim.analysis.intervals``):

* a mean: z·s/√n over the n runs where the metric is defined;
* a share: half the width of the Wilson interval at z;
* a percentile: half the width of the distribution-free interval [x_(j), x_(k)], with j and k
  from the (1 − c)/2 and (1 + c)/2 points of Binomial(n, q) (at 95% the summary's own ends;
  otherwise the exact order statistics of the runs, found by extra passes when streaming);
* with ``sampling = "sobol"``: half the width of the summary's interval (from the spread of
  the replicates), scaled by the ratio of Student's t quantiles when c is not 95%.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from roisim.analysis.intervals import order_stat_ranks, wilson
from roisim.analysis.schema import PrecisionFigures, PrecisionRound, RunSummary
from roisim.engine.layout import ROW
from roisim.scenario.model import DEFAULT_REPLICATES
from roisim.scenario.precision import OPTION, PATH, Precision, check_rule, precision_option

SUMMARY_CONFIDENCE = 0.95  # the level of the summary's own intervals


def precision_rule(scenario, precision, runs: int) -> Precision | None:
    """The rule a ``simulate`` call follows, checked against its first round of ``runs``.

    ``precision`` is None (the scenario's own rule, if any), False (none), a
    :class:`~roisim.scenario.precision.Precision`, or the ``--precision`` text
    ``"npv.mean=2000"`` / ``"npv.p5=1%"`` (keeping the scenario's confidence and max_runs)."""
    if precision is False:
        return None
    path = PATH
    if precision is None:
        rule = scenario.precision
    elif isinstance(precision, str):
        rule, path = precision_option(precision, scenario.precision), OPTION
    elif isinstance(precision, Precision):
        rule = precision
    else:
        raise TypeError("precision must be None, False, a Precision or text such as "
                        f"'npv.mean=2000', got {precision!r}")
    if rule is not None:
        check_rule(rule, runs, getattr(scenario, "sampling", "random"), path=path)
    return rule


def round_sizes(first: int, max_runs: int, doubling_only: bool = False) -> list[int]:
    """The runs of each possible round: ``first``, then doubling, the last capped at
    ``max_runs`` (with ``doubling_only``, the last doubling at most ``max_runs`` instead).

    >>> round_sizes(100_000, 1_000_000), round_sizes(100, 700, doubling_only=True)
    ([100000, 200000, 400000, 800000, 1000000], [100, 200, 400])
    """
    sizes = [first]
    while sizes[-1] < max_runs and (not doubling_only or 2 * sizes[-1] <= max_runs):
        sizes.append(min(2 * sizes[-1], max_runs))
    return sizes


def z_value(confidence: float) -> float:
    """Φ⁻¹((1 + c)/2): 1.959964 at 95%."""
    from statistics import NormalDist  # here: statistics imports decimal and fractions

    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def fetcher(arrays, make_source, runs: int, layout):
    """``fetch(row, ranks) -> values``: exact order statistics (0-based ranks among the non-NaN
    values) of one output row, from the in-memory ``arrays`` or, when streaming (``arrays`` is
    None), from extra passes over ``make_source()``."""
    def fetch(row: int, ranks: list[int]) -> list[float]:
        if arrays is not None:
            values = arrays.values[row]
            values = values[~np.isnan(values)]
            return [float(v) for v in np.partition(values, ranks)[ranks]]
        from roisim.analysis.summary import order_statistics

        found = order_statistics(make_source(), runs, [(row, r) for r in ranks], layout)
        return [found[(row, r)] for r in ranks]

    return fetch


def run_rounds(rule: Precision, first: int, simulate_round, sampling: str = "random",
               replicates: int | None = None):
    """Run rounds until ``rule`` is met or ``max_runs`` is reached; the last round's Result, its
    summary's ``precision`` filled in.  A round in which the figure (or, for a relative rule,
    the estimate) is not defined ends the rounds unmet: a payback mean or percentile that is
    undefined because some runs never pay back stays so with more runs.
    ``simulate_round(n)`` returns ``(Result, fetch)`` for a plain run of ``n`` runs (``fetch``
    as :func:`fetcher` makes)."""
    rounds = []
    for n in round_sizes(first, rule.max_runs, doubling_only=sampling == "sobol"):
        result, fetch = simulate_round(n)
        half, tolerance = measure(rule, result.figures, fetch, sampling, replicates)
        rounds.append(PrecisionRound(runs=n, half_width=half))
        met = half is not None and tolerance is not None and half <= tolerance
        if met or half is None or tolerance is None:
            break  # met, or the figure is not defined in these runs: more would not help
    figures = PrecisionFigures(
        metric=rule.metric, tolerance=tolerance, half_width=half, runs=n, met=met,
        relative=rule.relative, confidence=rule.confidence, max_runs=rule.max_runs,
        rounds=tuple(rounds))
    return result.with_summary(replace(result.figures, precision=figures))


def measure(rule: Precision, summary: RunSummary, fetch, sampling: str = "random",
            replicates: int | None = None) -> tuple[float | None, float | None]:
    """(half-width of the metric's interval at the rule's confidence, the absolute tolerance it
    is held to); either is None when it does not exist (a figure that is not defined)."""
    metric, figure = rule.figure
    figures = getattr(summary.metrics, metric)
    estimate = getattr(figures, figure)
    sampling = getattr(summary, "sampling", sampling)  # as the runs were sampled
    replicates = getattr(summary, "replicates", None) or replicates
    if sampling == "sobol":
        half = _replicate_half_width(rule, figures, replicates or DEFAULT_REPLICATES)
    elif rule.kind == "mean":
        half = _mean_half_width(figures, summary.runs, rule.confidence)
    elif rule.kind == "share":
        half = _share_half_width(estimate, summary.runs, rule.confidence)
    else:
        half = _percentile_half_width(rule, figures, summary.runs, fetch)
    if rule.tolerance is not None:
        return half, rule.tolerance
    return half, None if estimate is None else rule.relative * abs(estimate)


def _defined(figures, runs: int) -> int:
    """The runs where the metric is defined (all runs for NPV and the paybacks)."""
    share = getattr(figures, "prob_defined", None)
    return runs if share is None else round(share * runs)


def _mean_half_width(figures, runs: int, confidence: float) -> float | None:
    """z·s/√n, as ``intervals.mean_interval`` at 95%."""
    n = _defined(figures, runs)
    if figures.mean is None or figures.sd is None or n == 0:
        return None
    return z_value(confidence) * figures.sd / math.sqrt(n)


def _share_half_width(share: float | None, runs: int, confidence: float) -> float:
    """Half the width of the Wilson interval of ``share`` of ``runs`` at ``confidence``."""
    low, high = wilson(round(share * runs), runs, z_value(confidence))
    return (high - low) / 2.0


def _percentile_half_width(rule: Precision, figures, runs: int, fetch) -> float | None:
    """Half the width of the distribution-free interval [x_(j), x_(k)] of the percentile."""
    metric, figure = rule.figure
    n = _defined(figures, runs)
    if n == 0:
        return None
    if rule.confidence == SUMMARY_CONFIDENCE:  # the summary's own interval, at these ranks
        low, high = figures.ci95.percentile(int(figure[1:]))
    else:
        j, k = order_stat_ranks(n, int(figure[1:]) / 100, rule.confidence)
        low, high = fetch(ROW[metric], [j - 1, k - 1])
    return _half(low, high)


def _replicate_half_width(rule: Precision, figures, replicates: int) -> float | None:
    """Sobol: the half-width t·s/√R of the summary's interval (the figure ± t_{R-1}·s/√R from
    the replicates' spread, ``roisim.analysis.replicates``), rescaled from 95% to the rule's
    confidence by the ratio of Student's t quantiles with R - 1 degrees of freedom.  The wider
    side, so that a share's interval clipped to [0, 1] still gives t·s/√R."""
    figure = rule.figure[1]
    point = getattr(figures, figure)
    low, high = getattr(figures.ci95, figure)
    if _half(low, high) is None or point is None:
        return None
    half = max(point - low, high - point)
    if rule.confidence == SUMMARY_CONFIDENCE:
        return half
    from scipy.special import stdtrit

    df = max(1, replicates - 1)
    return half * float(stdtrit(df, 0.5 + rule.confidence / 2) / stdtrit(df, 0.975))


def _half(low, high) -> float | None:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    return (high - low) / 2.0

