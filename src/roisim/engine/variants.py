"""Variants of a plan: hold an input at a value, scale its draws, scale or delay lines.

Every change here rewrites numbers in a copy of the plan's ``params``, never its structure, so a
variant runs on the kernel the plan already compiled, with the same stream keys: the inputs it
does not touch get exactly the same draws (common random numbers).  This is what one-at-a-time
sensitivity, switching values and stress cases are built from.

Each random input has three numbers in ``params`` (laid out by ``roisim.engine.plan``): a hold
flag, a held value and a scale, and the kernel computes ``held if hold != 0 else scale * draw``.
A held input skips its draw; the other inputs' draws do not depend on it.  A constant input (and
a fixed discount rate) is one number, which holding replaces and scaling multiplies.

Names accepted for an input: its name (``hours``), ``inputs.hours``, ``discount_rate`` or
``scenario.discount_rate`` (under a discount schedule: every entry at once; one entry is
``discount_rate.31``), and for a distribution written directly as a line's amount its
name (``"costs: Build"``) or ``costs[0].amount``.  Lines are named ``costs[0]``, by their input
name (``"costs: Build"``), or all lines of a kind at once (``benefits``, ``costs``).

This module sees a plan only through its attributes (it imports nothing from the plan module, which
imports it).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from roisim.errors import ScenarioError, suggest
from roisim.scenario.discounting import ENTRY_PREFIX as SCHEDULE_ENTRY
from roisim.scenario.model import line_input_name

#: offsets of a random input's numbers from its handle's slot in params
HOLD, HELD, SCALE = 0, 1, 2


def vary(plan, *, hold=None, scale=None, line_scale=None, delay=None):
    """A variant of ``plan`` with a copy of its params, changed on top of the plan's own numbers.

    Parameters
    ----------
    hold : {input: value}
        Hold each named input at ``value`` in every run (and year) while the others are drawn.
    scale : {input: factor}
        Multiply every draw of each named input (or a constant) by ``factor``.
    line_scale : {line: factor}
        Multiply the amounts of a line (``costs[0]``), or of every line of a kind (``costs``),
        by ``factor`` in every year.  Factors for a line and its kind multiply.
    delay : {line: years}
        Start the named lines ``years`` (a whole number >= 0) later: every active year, the ramp
        and the growth move with them; years pushed past the horizon are dropped.  The lines named
        must keep at least one active year.

    Unknown names raise ScenarioError, with a suggestion, at ``"<argument>.<name>"``.  The
    variant's ``varied`` is True when anything was changed (its summary has no central case).
    """
    params = np.array(plan.params, dtype=float, copy=True)
    for key, value in _items(hold, "hold"):
        value = _finite(value, f"hold.{key}")
        for handle in _handles(plan, key, "hold"):
            if handle.kind == "random":
                params[handle.slot + HOLD] = 1.0
                params[handle.slot + HELD] = value
            else:
                params[handle.slot] = value
    for key, factor in _items(scale, "scale"):
        factor = _finite(factor, f"scale.{key}")
        for handle in _handles(plan, key, "scale"):
            offset = SCALE if handle.kind == "random" else 0
            params[handle.slot + offset] *= factor
    for key, factor in _items(line_scale, "line_scale"):
        factor = _finite(factor, f"line_scale.{key}")
        for line in _lines(plan, key, "line_scale"):
            params[line.multipliers : line.multipliers + plan.years] *= factor
    for key, years in _items(delay, "delay"):
        _delay(plan, params, key, years)
    changed = any(_items(m, "") for m in (hold, scale, line_scale, delay))
    return replace(plan, params=params, varied=plan.varied or changed)


def _items(mapping, argument: str) -> list:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise ScenarioError(f"must be a mapping of names to numbers, got {mapping!r}", argument)
    for key in mapping:
        if not isinstance(key, str):
            raise ScenarioError(f"names must be strings, got {key!r}", argument)
    return list(mapping.items())


def _finite(value, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ScenarioError(f"must be a number, got {value!r}", path)
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"must be finite, got {value!r}", path)
    return value


def _handles(plan, key: str, argument: str) -> list:
    """The handles ``key`` names: one input's, or, for ``discount_rate`` under a discount
    schedule, every entry's (``discount_rate.0``, ``discount_rate.31``, ...): holding the rate
    holds every entry at the value (a flat rate), scaling it scales every entry."""
    if _input_name(plan, key) == "discount_rate" and "discount_rate" not in plan.handles:
        entries = [h for n, h in plan.handles.items() if n.startswith(SCHEDULE_ENTRY)]
        if entries:
            return entries
    return [_handle(plan, key, argument)]


def _handle(plan, key: str, argument: str):
    """The handle of the input ``key`` names (see the module docstring for the forms)."""
    name = _input_name(plan, key)
    if name in plan.handles:
        return plan.handles[name]
    derived = {node.name for node in plan.nodes if node.kind == "derived"}
    if name in derived:
        raise ScenarioError(
            f"'{name}' is derived from other inputs; {argument} the inputs it is made from",
            f"{argument}.{key}",
        )
    spellings = [*plan.handles, *(f"inputs.{n}" for n in plan.handles), "scenario.discount_rate"]
    raise ScenarioError(
        f"unknown input '{key}'{suggest(key, spellings)}; inputs that can be "
        f"{'held' if argument == 'hold' else 'scaled'}: {', '.join(plan.handles)}",
        f"{argument}.{key}",
    )


def _input_name(plan, key: str) -> str:
    if key.startswith("inputs."):
        return key[len("inputs.") :]
    if key == "scenario.discount_rate":
        return "discount_rate"
    match = re.fullmatch(r"(benefits|costs)\[(\d+)\]\.amount", key)
    if match:
        for line in plan.lines:
            if line.path == key[: -len(".amount")]:
                return line_input_name(line.kind, line.name)
    return key


def _lines(plan, key: str, argument: str) -> list:
    """The lines ``key`` names: ``costs[0]``, ``"costs: Build"``, or ``benefits`` / ``costs``."""
    if key in ("benefits", "costs"):
        return [line for line in plan.lines if line.kind == key]
    names = {}
    for line in plan.lines:
        names[line.path] = line
        names[line_input_name(line.kind, line.name)] = line
    if key in names:
        return [names[key]]
    raise ScenarioError(
        f"unknown line '{key}'{suggest(key, names)}; name a line as "
        f"{', '.join(list(names)[:4])}, ... or all lines of a kind as benefits or costs",
        f"{argument}.{key}",
    )


def _delay(plan, params: np.ndarray, key: str, years) -> None:
    path = f"delay.{key}"
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 0:
        raise ScenarioError(f"must be a whole number of years >= 0, got {years!r}", path)
    years = int(years)
    horizon = plan.years - 1
    lines = _lines(plan, key, "delay")
    for line in lines:
        block = slice(line.multipliers, line.multipliers + plan.years)
        shifted = np.zeros(plan.years)
        if years < plan.years:
            shifted[years:] = params[block][: plan.years - years]
        params[block] = shifted
        params[line.first_year_slot] += years
        params[line.last_year_slot] += years
    if lines and all(params[line.first_year_slot] > horizon for line in lines):
        raise ScenarioError(
            f"a delay of {years} years pushes every year of {key} past the horizon "
            f"(year {horizon})",
            path,
        )
