"""The checks every table of a scenario shares: a value's description in an error, unknown keys,
numbers, strings and whole numbers, each a ScenarioError at the field's path.

``roisim.scenario.validate`` and the modules it calls for one table each
(``roisim.scenario.precision``, ...) use these, so that the same mistake reads the same
everywhere.
"""

from __future__ import annotations

import math

from roisim.errors import ScenarioError, suggest


def show(v) -> str:
    """How a wrong value is named in an error: "a table", "a list" or its repr."""
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    return repr(v)


def check_keys(table: dict, allowed, path: str) -> None:
    """An error at the first key of ``table`` not in ``allowed``, with a close match."""
    for k in table:
        if k not in allowed:
            raise ScenarioError(
                f"unknown key '{k}'{suggest(k, allowed)}; allowed: {', '.join(allowed)}",
                f"{path}.{k}" if path else k,
            )


def number(v, path: str) -> float:
    """``v`` as a finite float (not a bool)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"must be a number, got {show(v)}", path)
    v = float(v)
    if not math.isfinite(v):
        raise ScenarioError(f"must be finite, got {v!r}", path)
    return v


def string(v, path: str) -> str:
    """``v`` if it is a string."""
    if not isinstance(v, str):
        raise ScenarioError(f"must be a string, got {show(v)}", path)
    return v


def whole(v, path: str, lo: int, hi: int) -> int:
    """``v`` as an int in lo..hi (a float with no fraction is accepted)."""
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or (isinstance(v, float) and not v.is_integer())
    ):
        raise ScenarioError(f"must be a whole number from {lo:,} to {hi:,}, got {show(v)}", path)
    v = int(v)
    if not lo <= v <= hi:
        raise ScenarioError(f"must be a whole number from {lo:,} to {hi:,}, got {v:,}", path)
    return v
