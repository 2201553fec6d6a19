"""The inputs table of the reports and the workbook: each input, its distribution and its spread.

One row per input, in the file's order: every ``[inputs]`` entry, then the discount rate (one row
per entry of a discount schedule in force within the horizon), then
each distribution written directly as a line's amount (named as in the dataset,
``"costs: Build"``).  P5/P50/P95 are taken from the sampled values when the result keeps its
dataset (a per-year input over every run and year), else from the distribution itself, its
truncation included (``source = "distribution"``).  Percentiles are numpy's default (linear),
as in the summary.
"""

from __future__ import annotations

import numpy as np

from roisim.analysis.uncertain import held_values
from roisim.scenario.discounting import DiscountSchedule, entry_name
from roisim.scenario.distributions import Distribution

PROBABILITIES = (0.05, 0.5, 0.95)


def input_rows(scenario, result=None) -> list[dict]:
    """One dict per input for the reports' inputs table.

    Parameters
    ----------
    scenario : roisim.Scenario
    result : roisim.Result or None
        where ``result.dataset`` exists, the percentiles are the sampled ones

    Returns
    -------
    list of dict
        keys ``name, field, distribution, unit, description, p5, p50, p95, source`` and also
        ``kind`` ("distribution", "constant" or "derived") and ``per`` ("run" or "year").
        ``distribution`` is ``{"family": ..., <parameters as written>}``, with ``lower`` and
        ``upper`` when truncated; ``{"family": "constant", "value": v}`` for a constant and
        ``{"family": "derived", "expression": text}`` for a derived input.  ``source`` is
        "sampled" or "distribution" (a derived input without a dataset has no percentiles).

    Examples
    --------
    >>> import roisim
    >>> s = roisim.load_scenario('''
    ... [scenario]
    ... name = "demo"
    ... horizon_years = 1
    ... discount_rate = 0.1
    ... [inputs]
    ... x = { dist = "uniform", min = 0, max = 10, unit = "h" }
    ... [[benefits]]
    ... name = "b"
    ... amount = "x"
    ... ''')
    >>> row = input_rows(s)[0]
    >>> row["name"], row["distribution"], row["p5"], row["p95"], row["source"]
    ('x', {'family': 'uniform', 'min': 0, 'max': 10}, 0.5, 9.5, 'distribution')
    """
    dataset = getattr(result, "dataset", None) if result is not None else None
    rows = [_input_row(name, inp, dataset) for name, inp in scenario.inputs.items()]
    rows += _rate_rows(scenario, dataset)
    for line in scenario.lines:
        if line.amount.kind == "dist":
            row = _dist_row(line.input_name, f"{line.path}.amount", line.amount.dist, dataset)
            row["description"] = row["description"] or line.description
            rows.append(row)
    return rows


def _rate_rows(scenario, dataset) -> list[dict]:
    """The discount rate's row, or one row per entry of a schedule in force within the horizon
    (``discount_rate.<first year>``, described as "in force from year ...")."""
    rate = scenario.discount_rate
    if isinstance(rate, Distribution):
        return [_dist_row("discount_rate", "scenario.discount_rate", rate, dataset)]
    if not isinstance(rate, DiscountSchedule):
        return [_constant_row("discount_rate", "scenario.discount_rate", rate, None)]
    rows = []
    entries = rate.in_force(scenario.horizon_years)
    for k, (year, r) in enumerate(entries):
        until = f" to {entries[k + 1][0] - 1}" if k + 1 < len(entries) else " on"
        about = f"discount rate in force from year {year}{until}" + (
            f" ({rate.preset})" if rate.preset else "")
        if isinstance(r, Distribution):
            row = _dist_row(entry_name(year), rate.entry_path(k), r, dataset)
            row["description"] = row["description"] or about
        else:
            row = _constant_row(entry_name(year), rate.entry_path(k), r, about)
        rows.append(row)
    return rows


def _input_row(name: str, inp, dataset) -> dict:
    field = f"inputs.{name}"
    described = getattr(inp, "description", None)
    if inp.kind == "distribution":
        row = _dist_row(name, field, inp.dist, dataset)
        row["description"] = row["description"] or described
        return row
    if inp.kind == "constant":
        return _constant_row(name, field, inp.value, described)
    p5 = p50 = p95 = None
    per = "run"
    if dataset is not None and name in dataset:
        p5, p50, p95 = _sampled(dataset[name].values)
        per = "year" if "year" in dataset[name].dims else "run"
    return _row(
        name, field, {"family": "derived", "expression": inp.text}, None, described,
        (p5, p50, p95), "sampled" if p50 is not None else "distribution", "derived", per,
    )


def _dist_row(name: str, field: str, dist: Distribution, dataset) -> dict:
    family = {"family": dist.family, **dist.given}
    if dist.lower is not None:
        family["lower"] = dist.lower
    if dist.upper is not None:
        family["upper"] = dist.upper
    if dataset is not None and name in dataset:
        values, source = _sampled(dataset[name].values), "sampled"
    else:
        values, source = tuple(held_values(dist, PROBABILITIES)), "distribution"
    return _row(name, field, family, dist.unit, dist.description, values, source,
                "distribution", dist.per)


def _constant_row(name: str, field: str, value: float, description) -> dict:
    v = float(value)
    return _row(name, field, {"family": "constant", "value": v}, None, description,
                (v, v, v), "distribution", "constant", "run")


def _row(name, field, distribution, unit, description, values, source, kind, per) -> dict:
    p5, p50, p95 = values
    return {
        "name": name,
        "field": field,
        "distribution": distribution,
        "unit": unit,
        "description": description,
        "p5": p5,
        "p50": p50,
        "p95": p95,
        "source": source,
        "kind": kind,
        "per": per,
    }


def _sampled(values) -> tuple[float, float, float]:
    """P5, P50 and P95 of the sampled values (every run, and every year of a per-year input)."""
    flat = np.asarray(values, float).ravel()
    return tuple(float(q) for q in np.quantile(flat, PROBABILITIES))
