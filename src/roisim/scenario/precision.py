"""The precision stop rule: ``[simulation] precision``, and ``--precision`` on the command line.

::

    [simulation]
    runs = 100_000                                            # the first round
    precision = { metric = "npv.mean", tolerance = 2_000 }    # absolute, in the metric's unit
    # or { metric = "npv.p5", relative = 0.01 }; confidence = 0.95, max_runs = 100_000_000

The runs go in rounds (``runs``, then doubling) until the half-width of the metric's interval
at ``confidence`` is at most the tolerance (or ``relative`` × |estimate|), or ``max_runs`` is
reached; ``roisim.analysis.precision`` runs them.  The metric is any figure of the run summary
that has an interval: a metric's mean or percentile, or its share (``npv.prob_positive``,
``irr.prob_defined``, ``payback_years.prob_within_horizon``, ...).

>>> rule = precision_option("npv.p5=1%")
>>> rule.metric, rule.tolerance, rule.relative, rule.kind
('npv.p5', None, 0.01, 'percentile')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from roisim.errors import ScenarioError, suggest
from roisim.scenario.fields import check_keys, whole
from roisim.scenario.model import MAX_RUNS, METRICS

KEYS = ("metric", "tolerance", "relative", "confidence", "max_runs")
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MAX_RUNS = 100_000_000
#: the percentiles every metric reports (as roisim.analysis.schema.PERCENTILES)
PERCENTILE_FIGURES = ("p5", "p10", "p25", "p50", "p75", "p90", "p95")
#: each metric's share of runs with a Wilson interval (its ci95 entry after the percentiles)
SHARES = {
    "npv": "prob_positive",
    "irr": "prob_defined",
    "payback_years": "prob_within_horizon",
    "discounted_payback_years": "prob_within_horizon",
    "roi": "prob_defined",
    "bcr": "prob_defined",
}
#: sampling methods that fix the number of runs in advance (a precision rule cannot double them)
FIXED_N_SAMPLING = ("lhs",)
PATH = "simulation.precision"
OPTION = "--precision"
OPTION_FORM = "METRIC=TOLERANCE, such as npv.mean=2000 or npv.p5=1%"


def metric_names() -> tuple[str, ...]:
    """Every figure that may be the rule's metric: ``npv.mean``, ``npv.p5``, ...,
    ``npv.prob_positive``, ``irr.mean``, ..."""
    return tuple(f"{m}.{f}" for m in METRICS for f in ("mean", *PERCENTILE_FIGURES, SHARES[m]))


@dataclass(frozen=True)
class Precision:
    """A validated precision rule (plain data).  Exactly one of ``tolerance`` (absolute, in the
    metric's unit) and ``relative`` (a fraction of the estimate's magnitude) is set."""

    metric: str
    tolerance: float | None = None
    relative: float | None = None
    confidence: float = DEFAULT_CONFIDENCE
    max_runs: int = DEFAULT_MAX_RUNS

    @property
    def figure(self) -> tuple[str, str]:
        """(metric, figure): ``("npv", "p5")``."""
        metric, figure = self.metric.split(".")
        return metric, figure

    @property
    def kind(self) -> str:
        """"mean", "percentile" or "share": which interval the figure has."""
        figure = self.figure[1]
        return "mean" if figure == "mean" else "percentile" if figure[0] == "p" and figure[
            1:].isdigit() else "share"


def parse_precision(raw, runs: int, sampling: str = "random") -> Precision:
    """Validate the ``precision`` table of ``[simulation]`` (``runs`` is the first round)."""
    if not isinstance(raw, dict):
        raise ScenarioError(
            'must be a table such as { metric = "npv.mean", tolerance = 2_000 }', PATH)
    check_keys(raw, KEYS, PATH)
    if "metric" not in raw:
        raise ScenarioError('is required (the figure to pin down, such as "npv.mean")',
                            f"{PATH}.metric")
    metric = _metric(raw["metric"], f"{PATH}.metric")
    given = [k for k in ("tolerance", "relative") if k in raw]
    if len(given) != 1:
        what = "both" if given else "neither"
        raise ScenarioError(
            f"needs exactly one of tolerance (absolute, in the metric's unit) and relative "
            f"(a fraction of the estimate, 0.01 for 1%); {what} given", PATH)
    tolerance = relative = None
    if "tolerance" in raw:
        tolerance = _tolerance(raw["tolerance"], metric, f"{PATH}.tolerance")
    else:
        relative = _relative(raw["relative"], f"{PATH}.relative")
    confidence = _confidence(raw.get("confidence", DEFAULT_CONFIDENCE), f"{PATH}.confidence")
    max_runs = _max_runs(raw.get("max_runs", DEFAULT_MAX_RUNS), f"{PATH}.max_runs")
    rule = Precision(metric, tolerance, relative, confidence, max_runs)
    check_rule(rule, runs, sampling, "max_runs" in raw)
    return rule


def check_rule(rule: Precision, runs: int, sampling: str = "random",
               max_runs_given: bool = True, path: str = PATH) -> None:
    """What a rule needs of the run it stops: a first round no larger than ``max_runs``, and a
    sampling method whose runs can be doubled.  ``path`` is where the rule was given
    (``simulation.precision`` or ``--precision``)."""
    if sampling in FIXED_N_SAMPLING:
        raise ScenarioError(
            f'cannot be combined with sampling = "{sampling}": a Latin hypercube stratifies a '
            "number of runs fixed in advance, and its first N runs are not a Latin hypercube, so "
            'rounds of doubling runs are not possible; use sampling = "random" or "sobol", or a '
            "fixed number of runs without precision", path)
    if rule.max_runs < runs:
        default = "" if max_runs_given else " (the default)"
        raise ScenarioError(
            f"max_runs is {rule.max_runs:,}{default}, fewer than the first round's {runs:,} "
            "runs; raise max_runs or lower runs", f"{PATH}.max_runs" if path == PATH else path)


def precision_option(text: str, base: Precision | None = None) -> Precision:
    """``--precision METRIC=TOLERANCE`` (``npv.mean=2000``, ``npv.p5=1%``); the confidence and
    max_runs are ``base``'s (the file's rule) when there is one, else the defaults."""
    if not isinstance(text, str) or text.count("=") != 1:
        raise ScenarioError(f"expected {OPTION_FORM}; got {text!r}", OPTION)
    name, value = (part.strip() for part in text.split("="))
    metric = _metric(name, OPTION)
    tolerance = relative = None
    number = value[:-1] if value.endswith("%") else value
    try:
        parsed = float(number.replace("_", "").replace(",", ""))
    except ValueError:
        raise ScenarioError(f"expected {OPTION_FORM}; {value!r} is not a number", OPTION) from None
    if value.endswith("%"):
        relative = _relative(parsed / 100.0, OPTION)
    else:
        tolerance = _tolerance(parsed, metric, OPTION)
    base = base or Precision(metric, tolerance)
    return replace(base, metric=metric, tolerance=tolerance, relative=relative)


def _metric(value, path: str) -> str:
    names = metric_names()
    if not isinstance(value, str):
        raise ScenarioError(f'must be a figure name such as "npv.mean", got {value!r}', path)
    if value in names:
        return value
    if value.endswith((".sd", ".expected_shortfall_5", ".prob_multiple", ".mean_within_horizon")):
        why = "has no Monte Carlo interval in the summary"
    else:
        why = "is not a figure of the run summary"
    raise ScenarioError(
        f"unknown metric {value!r}: it {why}{suggest(value, names)}; choose a mean, a "
        "percentile (p5 ... p95) or a share with an interval, such as npv.mean, npv.p5, "
        "npv.prob_positive, irr.p50", path)


def _positive(v, path: str, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ScenarioError(f"must be {what}, got {v!r}", path)
    if not v > 0:
        raise ScenarioError(f"must be > 0 ({what}), got {v:g}", path)
    return float(v)


def _tolerance(v, metric: str, path: str) -> float:
    tolerance = _positive(v, path, "a positive tolerance in the metric's unit")
    if metric.split(".")[1].startswith("prob_") and tolerance >= 1:
        raise ScenarioError(
            f"{metric} is a probability, so its tolerance is a fraction such as 0.002 "
            f"(0.2 percentage points); got {tolerance:g}", path)
    return tolerance


def _relative(v, path: str) -> float:
    relative = _positive(v, path, "a fraction of the estimate, such as 0.01 for 1%")
    if relative >= 1:
        raise ScenarioError(
            f"must be a fraction of the estimate below 1, such as 0.01 for 1%; got {relative:g}",
            path)
    return relative


def _confidence(v, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
        raise ScenarioError(f"must be a level strictly between 0 and 1, such as 0.95; got {v!r}",
                            path)
    return float(v)


def _max_runs(v, path: str) -> int:
    return whole(v, path, 1, MAX_RUNS)
