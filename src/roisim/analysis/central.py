"""The central case: the one deterministic run a single-point spreadsheet would give.

Every random input (per-run and per-year, a drawn discount rate and a distribution written as a
line's amount) is set to its median, truncation included:
``x = F⁻¹(F(lower) + ½·(F(upper) − F(lower)))`` (:func:`roisim.analysis.uncertain.held_values`).
Every derived input is then evaluated from those values in dependency order, on scalars, from
its whitelisted expression tree (never ``eval``); per-year ones once for each year.  The lines
follow the engine's rules exactly (docs/methodology.md, section 1.1): active years, the ramp
over active years, growth compounded by calendar year after the first active year, and the
amount left unevaluated where the multiplier is 0.  The metrics come from ``roisim.finance``
(the simulation's own kernels) on the net cash flow.

Beside the simulated mean NPV, the central case shows the "flaw of averages": a single-point
spreadsheet is wrong on average by the gap between the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from roisim import finance
from roisim.analysis.uncertain import held_values
from roisim.errors import ScenarioError
from roisim.scenario.discounting import ENTRY_PREFIX, DiscountSchedule, entry_name
from roisim.scenario.distributions import Distribution
from roisim.scenario.expressions import names_in, uses_year
from roisim.scenario.model import Line, Scenario

#: the keys of :func:`central_case`, in the order of the summary's metrics
KEYS = ("npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr")


@dataclass(frozen=True)
class LineFlow:
    """One cash-flow line of the central case: its amount ``A_t`` in each year 0..H."""

    name: str
    kind: str  # "benefits" or "costs"
    path: str  # "benefits[0]"
    amounts: tuple[float, ...]


@dataclass(frozen=True)
class CentralFlows:
    """Every number of the central case.

    Attributes
    ----------
    inputs : dict
        every per-run input by name: constants, the median of each random input (a line's own
        distribution under its dataset name, ``"costs: Build"``) and each per-run derived input
    year_inputs : dict
        every per-year input by name: a tuple with its value in years 0..H
    medians : tuple of str
        the names of the inputs set to their median (the random ones, and ``discount_rate`` when
        it is drawn)
    rate, timing : the discount rate (its median when drawn; a schedule's first entry) and the
        scenario's timing
    lines : tuple of LineFlow
    benefits, costs, net : tuples by year: the sums of the benefit and cost lines, and
        ``net = benefits − costs``
    discount : tuple by year: the discount factors ``d_t``
    schedule : a schedule's entries in force, ``((0, r0), (31, r1), ...)``, or None
    """

    inputs: dict
    year_inputs: dict
    medians: tuple[str, ...]
    rate: float
    timing: str
    lines: tuple[LineFlow, ...]
    benefits: tuple[float, ...]
    costs: tuple[float, ...]
    net: tuple[float, ...]
    discount: tuple[float, ...]
    #: a discount schedule's ``(first year, rate)`` entries in force (medians when drawn); None
    #: for a single rate
    schedule: tuple[tuple[int, float], ...] | None = None

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(len(self.net)))

    @property
    def amounts(self) -> dict:
        """Each line's amount by ``(line path, year)``, e.g. ``amounts["costs[0]", 0]``."""
        return {(ln.path, t): a for ln in self.lines for t, a in enumerate(ln.amounts)}

    def value(self, name: str, year: int = 0) -> float:
        """The value of input ``name`` (in ``year`` when it is a per-year input);
        ``discount_rate`` is the rate."""
        if name == "discount_rate" and name not in self.inputs:
            return self.rate
        if name.startswith(ENTRY_PREFIX) and self.schedule is not None:
            return dict((entry_name(y), r) for y, r in self.schedule)[name]
        if name in self.year_inputs:
            return self.year_inputs[name][year]
        return self.inputs[name]


def median(dist: Distribution) -> float:
    """The median of ``dist`` given its truncation bounds: F⁻¹(F(lo) + ½(F(hi) − F(lo))).

    For a discrete family it is the smallest value with F(x) ≥ ½ (scipy's ``ppf(0.5)``).

    >>> from roisim.scenario.distributions import parse_distribution
    >>> median(parse_distribution({"dist": "uniform", "min": 0, "max": 10, "upper": 5}, "x"))
    2.5
    """
    return held_values(dist, (0.5,))[0]


def central_flows(scenario: Scenario) -> CentralFlows:
    """The central case's inputs, lines, net cash flow and discount factors.

    Parameters
    ----------
    scenario : roisim.Scenario

    Returns
    -------
    CentralFlows

    Raises
    ------
    ScenarioError
        when a derived input or a line's amount is not finite, a cost is negative, or a growth
        factor ``1 + g`` is ≤ 0 at the central values (the checks each run of the simulation
        makes), naming the field.

    Examples
    --------
    >>> import roisim
    >>> s = roisim.load_scenario('''
    ... [scenario]
    ... name = "demo"
    ... horizon_years = 2
    ... discount_rate = 0.1
    ... [inputs]
    ... hours = { dist = "uniform", min = 40, max = 80 }
    ... [[benefits]]
    ... name = "saving"
    ... amount = "hours * 2"
    ... ramp = [0.5]
    ... [[costs]]
    ... name = "build"
    ... amount = 100
    ... years = "0"
    ... ''')
    >>> central_flows(s).net                    # hours at its median, 60
    (-100.0, 60.0, 120.0)
    """
    horizon = scenario.horizon_years
    run_values, medians = _run_values(scenario)
    year_values = _year_values(scenario, run_values, medians, horizon)
    rate, schedule = _central_rate(scenario, medians)
    lines = []
    for line in scenario.lines:
        if line.amount.kind == "dist":
            run_values[line.input_name] = median(line.amount.dist)
            medians.append(line.input_name)
        lines.append(_line_flow(line, run_values, year_values, horizon))
    benefits = _total(lines, "benefits", horizon)
    costs = _total(lines, "costs", horizon)
    return CentralFlows(
        inputs=run_values,
        year_inputs={k: tuple(v) for k, v in year_values.items()},
        medians=tuple(medians),
        rate=float(rate),
        schedule=schedule,
        timing=scenario.timing,
        lines=tuple(lines),
        benefits=benefits,
        costs=costs,
        net=tuple(b - c for b, c in zip(benefits, costs)),
        discount=(discount_factors(float(rate), scenario.timing, horizon) if schedule is None
                  else tuple(float(v) for v in
                             finance.discount_factors(schedule, horizon, scenario.timing))),
    )


def _central_rate(scenario: Scenario, medians: list) -> tuple[float, tuple | None]:
    """(rate, schedule): a single rate (its median when drawn), or a schedule's entries in force
    within the horizon as ``(first year, rate)`` with each drawn rate at its median (named
    ``discount_rate.<year>`` in ``medians``) and ``rate`` the first entry's."""
    rate = scenario.discount_rate
    if isinstance(rate, Distribution):
        medians.append("discount_rate")
        return median(rate), None
    if not isinstance(rate, DiscountSchedule):
        return float(rate), None
    entries = []
    for year, r in rate.in_force(scenario.horizon_years):
        if isinstance(r, Distribution):
            medians.append(entry_name(year))
            r = median(r)
        entries.append((year, float(r)))
    return entries[0][1], tuple(entries)


def central_case(scenario: Scenario) -> dict:
    """NPV, IRR, both paybacks, ROI and BCR of the central case (None where not defined).

    Each metric is the simulation's (docs/methodology.md, sections 2-5), on the central flows
    ``CF_t`` with ``d_t`` from the (median) rate and the scenario's timing::

        npv = Σ CF_t·d_t                 irr: the smallest root in (−0.99, 10]
        payback: k + (−C_k)/v_{k+1}, k the last year with cumulative C_k < 0 (None: not paid back)
        roi = (B − K)/K                  bcr = PV(benefits)/PV(costs)

    Examples
    --------
    >>> import roisim
    >>> s = roisim.load_scenario('''
    ... [scenario]
    ... name = "demo"
    ... horizon_years = 2
    ... discount_rate = 0.1
    ... [[benefits]]
    ... name = "saving"
    ... amount = 60
    ... [[costs]]
    ... name = "build"
    ... amount = 100
    ... years = "0"
    ... ''')
    >>> c = central_case(s)
    >>> round(c["npv"], 4), round(c["irr"], 6), round(c["payback_years"], 4), c["roi"]
    (4.1322, 0.130662, 1.6667, 0.2)
    """
    flows = central_flows(scenario)
    return metrics(flows)


def metrics(flows: CentralFlows) -> dict:
    """The metrics of :func:`central_case` from already computed :class:`CentralFlows`."""
    net = np.asarray(flows.net, float)
    d = np.asarray(flows.discount, float)
    rate = flows.rate if flows.schedule is None else flows.schedule
    benefits, costs = np.asarray(flows.benefits), np.asarray(flows.costs)
    total_costs, pv_costs = float(costs.sum()), float((costs * d).sum())
    out = {
        "npv": finance.npv(rate, net, flows.timing),
        "irr": finance.irr(net, flows.timing),
        "payback_years": finance.payback(net),
        "discounted_payback_years": finance.discounted_payback(rate, net, flows.timing),
        "roi": (float(benefits.sum()) - total_costs) / total_costs if total_costs else None,
        "bcr": float((benefits * d).sum()) / pv_costs if pv_costs else None,
    }
    return {k: _finite(out[k]) for k in KEYS}


def discount_factors(rate: float, timing: str, horizon: int) -> tuple[float, ...]:
    """``d_0 = 1``, ``d_1 = (1+r)^−1`` (or ``(1+r)^−½`` mid-year), ``d_t = d_{t−1}·(1+r)^−1``:
    the kernel's recursion, so the factors agree with a run's to the last bit.

    >>> discount_factors(0.25, "end-of-year", 2)
    (1.0, 0.8, 0.6400000000000001)
    """
    f = 1.0 / (1.0 + rate)
    d = [1.0]
    if horizon >= 1:
        d.append(math.sqrt(f) if timing == "mid-year" else f)
    for _ in range(2, horizon + 1):
        d.append(d[-1] * f)
    return tuple(d)


def _finite(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def year_level(scenario: Scenario) -> set[str]:
    """The names of the per-year inputs: ``per = "year"`` distributions, and derived inputs
    whose expression uses ``year`` or a per-year input (the engine's rule)."""
    out = {
        name
        for name, inp in scenario.inputs.items()
        if inp.kind == "distribution" and inp.dist.per == "year"
    }
    for name in scenario.order:
        tree = scenario.inputs[name].expr
        if uses_year(tree) or names_in(tree) & out:
            out.add(name)
    return out


def _run_values(scenario: Scenario) -> tuple[dict, list]:
    """Constants, random per-run medians and per-run derived inputs (dependency order)."""
    per_year = year_level(scenario)
    values: dict[str, float] = {}
    medians: list[str] = []
    for name, inp in scenario.inputs.items():
        if inp.kind == "constant":
            values[name] = float(inp.value)
        elif inp.kind == "distribution" and name not in per_year:
            values[name] = median(inp.dist)
            medians.append(name)
    for name in scenario.order:
        if name not in per_year:
            values[name] = _checked(scenario.inputs[name].expr, values, 0, f"inputs.{name}")
    return values, medians


def _year_values(scenario: Scenario, run_values: dict, medians: list, horizon: int) -> dict:
    """Each per-year input's values in years 0..H: its median every year, or its expression
    evaluated with ``year = t``."""
    per_year = year_level(scenario)
    out: dict[str, list[float]] = {}
    for name, inp in scenario.inputs.items():
        if inp.kind == "distribution" and name in per_year:
            out[name] = [median(inp.dist)] * (horizon + 1)
            medians.append(name)
    derived = [n for n in scenario.order if n in per_year]
    for name in derived:
        out[name] = []
    for t in range(horizon + 1):
        env = dict(run_values)
        env.update({k: v[t] for k, v in out.items() if len(v) > t})
        for name in derived:
            env[name] = _checked(scenario.inputs[name].expr, env, t, f"inputs.{name}")
            out[name].append(env[name])
    return out


def _line_flow(line: Line, run_values: dict, year_values: dict, horizon: int) -> LineFlow:
    """``A_t = m_t · G_t · amount_t`` for t = 0..H (docs/methodology.md, section 1.1)."""
    multipliers = [0.0] * (horizon + 1)
    for k, t in enumerate(line.years):
        multipliers[t] = line.ramp[k] if k < len(line.ramp) else 1.0
    first, last = line.years[0], line.years[-1]
    growth, amounts = 1.0, []
    for t in range(horizon + 1):
        env = dict(run_values)
        env.update({k: v[t] for k, v in year_values.items()})
        if line.growth is not None and first < t <= last:
            factor = 1.0 + _amount(line.growth, env, t, f"{line.path}.growth", run_values, line)
            if not factor > 0.0:
                raise ScenarioError(
                    f"makes the growth factor 1 + growth <= 0 in the central case (year {t})",
                    f"{line.path}.growth",
                )
            growth *= factor
        if multipliers[t] == 0.0:
            amounts.append(0.0)
            continue
        value = multipliers[t] * growth * _amount(
            line.amount, env, t, f"{line.path}.amount", run_values, line
        )
        _check_amount(value, line, t)
        amounts.append(value)
    return LineFlow(line.name, line.kind, line.path, tuple(amounts))


def _amount(amount, env: dict, year: int, path: str, run_values: dict, line: Line) -> float:
    if amount.kind == "number":
        return float(amount.value)
    if amount.kind == "dist":
        return run_values[line.input_name]
    return evaluate(amount.expr, env, year)


def _check_amount(value: float, line: Line, year: int) -> None:
    if not math.isfinite(value):
        raise ScenarioError(
            f"is not a finite number in the central case (year {year})", f"{line.path}.amount"
        )
    if line.kind == "costs" and value < 0.0:
        raise ScenarioError(
            f"is negative (costs must be >= 0) in the central case (year {year})",
            f"{line.path}.amount",
        )


def _total(lines: list[LineFlow], kind: str, horizon: int) -> tuple[float, ...]:
    out = [0.0] * (horizon + 1)
    for ln in lines:
        if ln.kind == kind:
            for t, a in enumerate(ln.amounts):
                out[t] += a
    return tuple(out)


def _checked(tree: tuple, env: dict, year: int, path: str) -> float:
    value = evaluate(tree, env, year)
    if not math.isfinite(value):
        raise ScenarioError(f"is not a finite number in the central case ({value})", path)
    return value


_BIN = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "**": np.power,
}
_CMP = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_UNARY = {"abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt}


def evaluate(tree: tuple, env: dict, year: int = 0) -> float:
    """The value of an expression tree (``roisim.scenario.expressions``) on scalars.

    IEEE arithmetic as in the kernel: ``1/0`` is inf and ``log(-1)`` NaN (no exception);
    comparisons give 1.0 or 0.0; ``where(c, a, b)`` is ``a`` when ``c != 0`` (only the branch
    taken is evaluated); ``clip(x, lo, hi) = min(max(x, lo), hi)``.

    >>> from roisim.scenario.expressions import parse_expression
    >>> evaluate(parse_expression("where(year >= 2, clip(x, 0, 1), -x)", "e", ["x"]), {"x": 3}, 2)
    1.0
    """
    with np.errstate(all="ignore"):
        return float(_eval(tree, env, float(year)))


def _eval(tree: tuple, env: dict, year: float) -> np.float64:
    kind = tree[0]
    if kind == "num":
        return np.float64(tree[1])
    if kind == "name":
        return np.float64(env[tree[1]])
    if kind == "year":
        return np.float64(year)
    if kind == "neg":
        return -_eval(tree[1], env, year)
    if kind == "bin":
        return _BIN[tree[1]](_eval(tree[2], env, year), _eval(tree[3], env, year))
    if kind == "cmp":
        hit = _CMP[tree[1]](_eval(tree[2], env, year), _eval(tree[3], env, year))
        return np.float64(1.0 if hit else 0.0)
    return _call(tree[1], tree[2], env, year)


def _call(fn: str, args: tuple, env: dict, year: float) -> np.float64:
    if fn == "where":
        cond = _eval(args[0], env, year)
        return _eval(args[1] if cond != 0.0 else args[2], env, year)
    values = [_eval(a, env, year) for a in args]
    if fn in ("min", "max"):
        out = values[0]
        for v in values[1:]:  # Python's min/max pairwise, as the kernel does
            out = min(out, v) if fn == "min" else max(out, v)
        return np.float64(out)
    if fn == "clip":
        return np.float64(min(max(values[0], values[1]), values[2]))
    return _UNARY[fn](values[0])
