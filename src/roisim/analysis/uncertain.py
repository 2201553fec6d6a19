"""The uncertain inputs of a scenario, as sensitivity analysis lists them, and their values.

An uncertain input is every random input the plan draws: a random per-run input, a per-year
input (through its mean over the years of a run), the discount rate when it is drawn (each
drawn entry of a discount schedule, named ``discount_rate.<first year>``), and a
distribution written directly as a line's amount (named ``"costs: Build"``).  Derived inputs
and constants are not listed: they move only through the inputs they are made from.  A
``dist = "constant"`` input is a constant written as a distribution and is not listed either.

>>> import roisim
>>> from roisim.engine.plan import build_plan
>>> s = roisim.load_scenario('''
... [scenario]
... name = "demo"
... horizon_years = 2
... discount_rate = { dist = "uniform", min = 0.05, max = 0.1 }
... [inputs]
... hours = { dist = "normal", mean = 10, sd = 2 }
... noise = { dist = "normal", mean = 0, sd = 1, per = "year" }
... fee = 3
... saving = "hours * fee + noise"
... [[benefits]]
... name = "saving"
... amount = "saving"
... [[costs]]
... name = "Build"
... amount = { dist = "pert", min = 5, mode = 8, max = 15 }
... years = "0"
... ''')
>>> [(i.name, i.per) for i in uncertain_inputs(build_plan(s))]
[('hours', 'run'), ('noise', 'year'), ('discount_rate', 'run'), ('costs: Build', 'run')]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roisim.scenario.discounting import DiscountSchedule
from roisim.scenario.distributions import Distribution


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its name (as ``hold=`` and ``scale=`` take it), its field path,
    ``per`` ("run" or "year"), its row in the engine's input arrays and its distribution."""

    name: str
    path: str
    per: str
    store: int
    dist: Distribution
    unit: str | None = None


def distributions(scenario) -> dict[str, Distribution]:
    """Every distribution of the scenario by field path: ``inputs.x``,
    ``scenario.discount_rate`` (a schedule's drawn entries at
    ``scenario.discount_rate.schedule[k][1]``) and ``costs[0].amount``."""
    out = {
        f"inputs.{name}": inp.dist
        for name, inp in scenario.inputs.items()
        if inp.kind == "distribution"
    }
    rate = scenario.discount_rate
    if isinstance(rate, Distribution):
        out["scenario.discount_rate"] = rate
    elif isinstance(rate, DiscountSchedule):
        for k in rate.drawn:
            out[rate.entry_path(k)] = rate.entries[k][1]
    for line in scenario.lines:
        if line.amount.kind == "dist":
            out[f"{line.path}.amount"] = line.amount.dist
    return out


def uncertain_inputs(plan) -> list[UncertainInput]:
    """The uncertain inputs of ``plan``, in the plan's (the scenario's) order."""
    dists = distributions(plan.scenario)
    out = []
    for node in plan.nodes:
        if node.kind != "random" or dists[node.path].family == "constant":
            continue
        dist = dists[node.path]
        out.append(UncertainInput(node.name, node.path, node.level, node.store, dist, dist.unit))
    return out


def input_values(inp: UncertainInput, arrays) -> np.ndarray:
    """The per-run values of ``inp`` in ``arrays`` (a ``RunArrays`` run with the inputs kept):
    a per-year input's mean over the years of each run."""
    if inp.per == "year":
        return arrays.year_inputs[inp.store].mean(axis=1)
    return arrays.inputs[inp.store]


def held_values(dist: Distribution, probabilities=(0.1, 0.9)) -> list[float]:
    """The quantiles of ``dist`` at ``probabilities``, truncation included: the value x with
    P(X ≤ x | lower ≤ X ≤ upper) = p, i.e. F⁻¹(F(lower) + p·(F(upper) − F(lower))).

    >>> from roisim.scenario.distributions import parse_distribution
    >>> d = parse_distribution({"dist": "uniform", "min": 0, "max": 10, "upper": 5}, "x")
    >>> held_values(d)
    [0.5, 4.5]
    """
    frozen = dist.scipy()
    low = float(frozen.cdf(dist.lower)) if dist.lower is not None else 0.0
    high = float(frozen.cdf(dist.upper)) if dist.upper is not None else 1.0
    return [float(np.asarray(frozen.ppf(low + p * (high - low)))) for p in probabilities]
