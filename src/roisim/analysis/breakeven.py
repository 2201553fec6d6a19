"""Breakeven (switching) values: the value of one number of the scenario at which a metric of
the run summary reaches a target, e.g. the build cost at which mean NPV is 0.

Every trial writes one value at the path (as ``--set`` does), validates the scenario again and
simulates it with the same seed, so every trial sees the same draws (common random numbers)
and the metric is a smooth, or piecewise smooth, function of the value.  The bracket is searched
outward from the base value in doubling steps; Brent's method then finds the crossing inside it.

>>> import roisim
>>> s = roisim.load_scenario('''
... [scenario]
... name = "demo"
... horizon_years = 3
... discount_rate = 0.1
... [inputs]
... saving = { dist = "normal", mean = 50, sd = 5 }
... [[benefits]]
... name = "saving"
... amount = "saving"
... [[costs]]
... name = "build"
... amount = 100
... years = "0"
... ''')
>>> b = roisim.breakeven(s, "costs[0].amount", runs=10_000, seed=1)
>>> exact = 50 * (1 / 1.1 + 1 / 1.1**2 + 1 / 1.1**3)   # the build cost at which E[NPV] = 0
>>> abs(b.value - exact) < 1.0                         # Monte Carlo error about 0.1
True
>>> sorted(b.summary)
['base_value', 'bracket', 'metric', 'path', 'percent_change', 'reason', 'target', 'value']
"""

from __future__ import annotations

import copy
import json
import math
import typing
from dataclasses import dataclass, fields

from roisim.analysis.schema import Metrics
from roisim.analysis.simulate import check_runs_seed, simulate
from roisim.engine.codegen import compile_plan
from roisim.engine.layout import ROW, n_rows
from roisim.engine.plan import build_plan
from roisim.engine.run import default_threads, run_range
from roisim.errors import ScenarioError, suggest
from roisim.scenario.loading import apply_override
from roisim.scenario.model import Scenario
from roisim.scenario.validate import canonical_path, parse_scenario, read_field

#: metrics read straight from the per-run NPVs (no summary needed)
FAST = ("npv.mean", "npv.prob_positive")
#: the first step out from the base value, as a share of it (0.1 when the base value is 0)
FIRST_STEP = 0.1
#: doubling steps per direction: the last is 2**13 × 10% ≈ 819 times the base value away
STEPS = 14
#: bisections on validity that find where the scenario stops being valid (parse only)
EDGE_BISECTIONS = 24
#: Brent's method stops when the bracket is this narrow relative to its ends
RELATIVE_TOLERANCE = 1e-7
#: doubles per chunk of runs for the fast metrics (bounded memory)
CHUNK_VALUES = 1 << 24
NO_CROSSING = "no_crossing"
NO_DEPENDENCE = "no_dependence"
UNDEFINED = "undefined"
_NOT_VARIED = {
    "simulation": "runs and seed are not a number of the case; choose them with --runs, --seed",
    "stress": "breakeven varies a number of the base case, not of a stress case",
    "scenario.horizon_years": "the horizon is a whole number of years; breakeven needs a "
    "number that can vary continuously",
}


def metric_names() -> list[str]:
    """Every metric breakeven can target: ``<metric>.<figure>`` for each number of the run
    summary's metrics (``npv.mean``, ``npv.p50``, ``npv.prob_positive``, ``irr.p50``, ...)."""
    hints = typing.get_type_hints(Metrics)
    return [
        f"{metric.name}.{figure.name}"
        for metric in fields(Metrics)
        for figure in fields(hints[metric.name])
        if figure.name != "ci95"
    ]


@dataclass(frozen=True)
class BreakevenResult:
    """What :func:`breakeven` returns; ``summary`` holds the JSON keys."""

    path: str
    metric: str
    target: float
    base_value: float
    value: float | None  # None: no crossing found, or the metric does not depend on the path
    percent_change: float | None  # 100·(value − base_value)/|base_value|
    bracket: tuple[float, float]  # where the crossing lies, or the range tried without one
    reason: str | None  # None, NO_CROSSING, NO_DEPENDENCE or UNDEFINED
    base_metric: float  # the metric at the base value
    runs: int
    seed: int
    trials: int  # simulations run
    scenario_name: str
    scenario_file: str | None
    currency: str

    @property
    def summary(self) -> dict:
        """``{path, metric, target, base_value, value, percent_change, bracket, reason}``:
        the issue's seven keys, then ``reason`` (null when a value was found, else
        "no_crossing", "no_dependence" or "undefined"), so the JSON says why ``value`` is null."""
        return {
            "path": self.path,
            "metric": self.metric,
            "target": self.target,
            "base_value": self.base_value,
            "value": self.value,
            "percent_change": self.percent_change,
            "bracket": list(self.bracket),
            "reason": self.reason,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON: ``roisim breakeven --json``."""
        return json.dumps(self.summary, indent=indent, allow_nan=False)


def _check_metric(metric) -> list[str]:
    names = metric_names()
    if metric in names:
        return metric.split(".")
    text = str(metric)
    hint = f"; did you mean '{text}.mean'?" if f"{text}.mean" in names else suggest(text, names)
    raise ScenarioError(
        f"unknown metric {text!r}{hint}; a metric is a figure of the run summary, such as "
        "npv.mean, npv.p50, npv.prob_positive, irr.p50 or payback_years.prob_within_horizon",
        "--metric",
    )


def _check_target(target) -> float:
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        raise ScenarioError(f"must be a number, got {target!r}", "--target")
    if not math.isfinite(float(target)):
        raise ScenarioError(f"must be finite, got {target!r}", "--target")
    return float(target)


def base_value(scenario: Scenario, path: str) -> float:
    """The number at ``path`` in the scenario's document; a clear error when it is not one."""
    if scenario.document is None:
        raise ScenarioError("this scenario has no TOML document to vary; load it with "
                            "roisim.load_scenario", path)
    canonical = canonical_path(path)
    for prefix, reason in _NOT_VARIED.items():
        if canonical == prefix or canonical.startswith((prefix + ".", prefix + "[")):
            raise ScenarioError(reason, path)
    value = read_field(scenario.document, path, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(_not_a_number(value, canonical), path)
    return float(value)


def _not_a_number(value, path: str) -> str:
    entry = f"{path}.schedule[1][1] (the rate of the second entry)"
    if isinstance(value, dict) and "schedule" in value:
        return (f"is a discount schedule; breakeven varies one number: name one entry's rate, "
                f"e.g. {entry}")
    if isinstance(value, str) and path == "scenario.discount_rate":
        return (f"is the named discount schedule {value!r}; breakeven varies one number: write "
                f"the schedule out as {{ schedule = [[0, ...], ...] }} and name one entry's "
                f"rate, e.g. {entry}")
    if isinstance(value, dict):
        keys = [k for k in value if k not in ("dist", "unit", "description", "per")]
        example = f", e.g. {path}.{keys[0]}" if keys else ""
        what = "a distribution" if "dist" in value or "range" in value else "a table"
        return f"is {what}; breakeven varies one number: name one of its parameters{example}"
    if isinstance(value, str):
        return (f"is an expression or a text ({value!r}), not a number; breakeven varies a "
                "number written in the file, e.g. a constant input or a distribution parameter")
    if isinstance(value, list):
        return f"is a list; name one of its numbers, e.g. {path}[0]"
    return f"is {value!r}, not a number"


class _Trials:
    """g(v) = metric(v) − target, one simulation per new value, remembered."""

    def __init__(self, scenario, path, figure, target, runs, seed, threads, summary_only):
        self.document = {k: v for k, v in scenario.document.items() if k != "stress"}
        self.source = (scenario.source_file, scenario.source_sha256)
        self.path, self.figure, self.target = path, figure, target
        self.runs, self.seed, self.threads = runs, seed, threads
        self.summary_only = summary_only
        self.seen: dict[float, float | None] = {}
        self.simulations = 0

    def scenario_at(self, value: float) -> Scenario | None:
        """The scenario with ``value`` at the path (None when that is not a valid scenario)."""
        document = copy.deepcopy(self.document)
        apply_override(document, self.path, float(value))
        try:
            return parse_scenario(document, source_file=self.source[0], sha256=self.source[1])
        except ScenarioError:
            return None

    def __call__(self, value: float) -> float | None:
        value = float(value)
        if value not in self.seen:
            scenario = self.scenario_at(value)
            metric = None
            if scenario is not None:
                self.simulations += 1
                metric = self._metric(scenario)
            self.seen[value] = None if metric is None else metric - self.target
        return self.seen[value]

    def _metric(self, scenario: Scenario) -> float | None:
        name = ".".join(self.figure)
        if name in FAST:  # bounded memory in any case
            plan = build_plan(scenario, self.seed, runs=self.runs)
            return _fast_metric(plan, self.runs, self.threads, name)
        result = simulate(scenario, self.runs, self.seed, self.threads,
                          summary_only=True if self.summary_only else None, keep_inputs=False,
                          precision=False)  # every trial on the same runs: no stop rule
        metric, figure = self.figure
        value = result.summary["metrics"][metric][figure]
        return None if value is None else float(value)

    def edge(self, valid: float, invalid: float) -> float:
        """The valid value nearest ``invalid`` between the two (bisection, parse only)."""
        for _ in range(EDGE_BISECTIONS):
            middle = 0.5 * (valid + invalid)
            if self.scenario_at(middle) is None:
                invalid = middle
            else:
                valid = middle
        return valid


def _fast_metric(plan, runs: int, threads: int, name: str) -> float:
    """Mean NPV or P(NPV > 0) from the per-run NPVs, in chunks (bounded memory)."""
    kernel = compile_plan(plan)
    chunk = max(1 << 16, CHUNK_VALUES // n_rows(plan.years))
    total, positive = 0.0, 0
    for start in range(0, runs, chunk):
        n = min(chunk, runs - start)
        npv = run_range(plan, start, n, threads=threads, kernel=kernel,
                        keep_inputs=False).values[ROW["npv"]]
        total += math.fsum(npv)
        positive += int((npv > 0.0).sum())
    return total / runs if name == "npv.mean" else positive / runs


def _crosses(a: float, b: float) -> bool:
    return b == 0.0 or (a < 0.0) != (b < 0.0)


def _walk(trials: _Trials, v0: float, g0: float, direction: int, step: float):
    """Walk out from v0 in doubling steps; (bracket or None, farthest value tried)."""
    prev_v, prev_g = v0, g0
    for k in range(STEPS):
        v = v0 + direction * step * 2.0**k
        g = trials(v)
        last = g is None
        if last:  # past the edge of the valid values (e.g. a negative cost): find the edge
            v = trials.edge(prev_v, v)
            g = trials(v) if v != prev_v else None
            if g is None:
                return None, prev_v
        if _crosses(prev_g, g):
            return (min(prev_v, v), max(prev_v, v)), v
        if last:
            return None, v
        prev_v, prev_g = v, g
    return None, prev_v


def _bracket(trials: _Trials, v0: float, g0: float):
    """(bracket, None) around a crossing, or (range tried, reason) when there is none."""
    step = FIRST_STEP * abs(v0) if v0 != 0.0 else FIRST_STEP
    up, down = trials(v0 + step), trials(v0 - step)
    if up == g0 and down == g0:  # flat near the base: look at the far ends first
        far = [_walk_far(trials, v0, g0, d, step) for d in (1, -1)]
        if all(g == g0 for _, g in far):
            return (far[1][0], far[0][0]), NO_DEPENDENCE
    toward = 1 if (up is not None and abs(up) < abs(g0)) or down is None else -1
    ends = {}
    for direction in (toward, -toward):
        found, ends[direction] = _walk(trials, v0, g0, direction, step)
        if found is not None:
            return found, None
    tried = (ends[-1], ends[1])
    valid = [g for g in trials.seen.values() if g is not None]
    return tried, NO_DEPENDENCE if all(g == g0 for g in valid) else NO_CROSSING


def _walk_far(trials: _Trials, v0: float, g0: float, direction: int, step: float):
    """(v, g) at the farthest step out (or at the edge of the valid values before it)."""
    v = v0 + direction * step * 2.0 ** (STEPS - 1)
    if trials.scenario_at(v) is None:
        v = trials.edge(v0, v)
    return v, trials(v)


def _root(trials: _Trials, low: float, high: float) -> float | None:
    """Brent's method inside a bracket whose ends have opposite signs (or one is a root)."""
    from scipy.optimize import brentq

    g_low, g_high = trials(low), trials(high)
    if g_low == 0.0 or g_high == 0.0:
        return low if g_low == 0.0 else high

    def g(v: float) -> float:
        value = trials(v)
        if value is None:
            raise _Undefined
        return value

    tolerance = RELATIVE_TOLERANCE * max(abs(low), abs(high), 1e-300)
    try:
        return float(brentq(g, low, high, xtol=tolerance, maxiter=200))
    except _Undefined:
        return None


class _Undefined(Exception):
    """The metric or the scenario is not defined at a value inside the bracket."""


def breakeven(
    scenario: Scenario,
    path: str,
    metric: str = "npv.mean",
    target: float = 0.0,
    runs: int | None = None,
    seed: int | None = None,
    *,
    threads: int | None = None,
    summary_only: bool = False,
) -> BreakevenResult:
    """The value at ``path`` (a number of the file, as ``--set`` names it: ``costs[0].amount``,
    ``costs[0].amount.mode``, ``inputs.x.mean``, ``scenario.discount_rate``) at which
    ``metric`` (``npv.mean``, ``npv.prob_positive``, ``npv.p50``, ``irr.p50``, ...: see
    :func:`metric_names`) equals ``target``.

    Every trial simulates ``runs`` runs (default: the scenario's) with ``seed``: the same draws.
    ``npv.mean`` and ``npv.prob_positive`` are read from the per-run NPVs, a chunk of runs at a
    time (bounded memory); other metrics from the run summary, computed as ``simulate`` does
    (streamed when ``summary_only``, or when the runs would not fit in memory).  ``value`` is
    None, with the range tried as ``bracket`` and a ``reason``, when the metric does not reach
    the target or does not depend on the path.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError("breakeven expects a Scenario from roisim.load_scenario")
    runs, seed = check_runs_seed(scenario, runs, seed)
    figure, target = _check_metric(metric), _check_target(target)
    v0 = base_value(scenario, path)
    trials = _Trials(scenario, path, figure, target, runs, seed,
                     threads or default_threads(), summary_only)
    g0 = trials(v0)
    if g0 is None:
        raise ScenarioError(f"{metric} is not defined (null in the run summary) at the base "
                            "value, so it cannot reach a target", "--metric")
    value, reason = v0, None
    bracket = (v0, v0)
    if g0 != 0.0:
        bracket, reason = _bracket(trials, v0, g0)
        value = _root(trials, *bracket) if reason is None else None
        if reason is None and value is None:
            reason = UNDEFINED
    change = 100.0 * (value - v0) / abs(v0) if value is not None and v0 != 0.0 else None
    return BreakevenResult(
        path, metric, target, v0, value, change, bracket, reason, g0 + target, runs, seed,
        trials.simulations, scenario.name, scenario.source_file, scenario.currency,
    )
