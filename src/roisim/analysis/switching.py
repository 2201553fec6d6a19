"""The Green Book switching value of an input: the factor by which every draw of the input must
be multiplied for the mean NPV to reach 0 (the point where the fund / do-not-fund decision
switches).

``f(c)``, the mean NPV with the input's draws multiplied by c, is computed on the base case's
draws for every other input (common random numbers), so it is a smooth, deterministic function
of c and a root finder can work on it directly.  The search, in the bracket [0.01, 100]:

1. a first guess from the base runs, c₀ = 1 − m / (b·x̄), with m the mean NPV, x̄ the input's
   mean and b the least-squares slope of NPV on the input (exact when NPV is linear in it);
2. secant steps from (1, m) and (c₀, f(c₀)), then from the two latest points (at most five):
   the first is exact when f is linear, and they converge fast when f is smooth;
3. if none of these changes the sign of f, the two ends of the bracket;
4. ``scipy.optimize.brentq`` on the tightest sign change found, stopped as soon as |f| is below
   ``ftol`` (the caller passes a small fraction of the Monte Carlo standard error of the mean
   NPV, so the factor is found far more precisely than the simulation knows it).

A factor at which the scenario becomes invalid (a growth factor 1 + g ≤ 0, a negative cost) is
not a candidate: the search steps back towards 1 (halving the distance in log scale, a few
times) and says so in the reason when no root is found.  When no factor tried in the bracket
moves the mean NPV across 0 the factor is None with a ``reason``.  The search assumes f is
monotone between the points it tries (it is for every input that enters the cash flows
monotonically); a function that crosses 0 twice between two tried points can hide its roots.

>>> out = switching(lambda c: 100.0 - 40.0 * c, 60.0, guess=1.5)   # root at 2.5
>>> round(out["factor"], 9), round(out["percent_change"], 6), out["reason"]
(2.5, 150.0, None)
>>> switching(lambda c: 60.0 + 0.0 * c, 60.0)["reason"]
'mean NPV does not depend on this input'
"""

from __future__ import annotations

import math
from collections.abc import Callable

from roisim.errors import ScenarioError

BRACKET = (0.01, 100.0)
#: steps back towards 1 (halving in log scale) from a factor that makes the scenario invalid
SHRINK_STEPS = 3
#: secant steps from the first guess before the bracket's ends are tried
SECANT_STEPS = 5
XTOL = RTOL = 1e-7


class _Search:
    """f with a memory of every factor tried (f is deterministic on common random numbers)."""

    def __init__(self, f: Callable[[float], float], base: float, ftol: float):
        self.f, self.base, self.ftol = f, base, ftol
        self.tried: dict[float, float] = {1.0: base}
        self.invalid: dict[float, str] = {}

    def at(self, c: float) -> float | None:
        """f(c), or None when the scenario is invalid at c."""
        if c in self.tried:
            return self.tried[c]
        if c in self.invalid:
            return None
        try:
            value = float(self.f(c))
        except ScenarioError as err:  # the field and what is wrong, without the file
            what = err.message.split("; check")[0]
            self.invalid[c] = f"{err.path}: {what}" if err.path else what
            return None
        self.tried[c] = value
        return value

    def side(self, value: float) -> int:
        """0 for a root (|value| ≤ ftol), 1 on the base's side of 0, -1 across it."""
        if abs(value) <= self.ftol:
            return 0
        return 1 if (value > 0) == (self.base > 0) else -1

    def crosses(self, value: float | None) -> bool:
        """Whether ``value`` is 0 (within ftol) or on the other side of 0 from the base."""
        return value is not None and self.side(value) < 1

    def bracket(self) -> tuple[float, float] | None:
        """The sign change among the factors tried that lies nearest to 1, if any."""
        points = sorted(self.tried.items())
        pairs = [
            (a, b)
            for (a, fa), (b, fb) in zip(points, points[1:])
            if self.side(fa) * self.side(fb) < 1
        ]
        if not pairs:
            return None
        return min(pairs, key=lambda ab: min(abs(math.log(ab[0])), abs(math.log(ab[1]))))

    def end(self, end: float) -> None:
        """Try a bracket end; if the scenario is invalid there, step back towards 1."""
        good, bad = 1.0, end
        if self.at(end) is not None:
            return
        for _ in range(SHRINK_STEPS):
            mid = math.sqrt(good * bad)
            if self.at(mid) is None:
                bad = mid
            else:
                good = mid


def switching(
    f: Callable[[float], float],
    base: float,
    guess: float | None = None,
    ftol: float = 0.0,
    bracket: tuple[float, float] = BRACKET,
) -> dict:
    """``{"factor", "percent_change", "reason"}`` for the root of ``f`` in ``bracket``.

    ``f(c)`` is the mean NPV with the input's draws multiplied by c (it may raise ScenarioError
    where the scenario is invalid); ``base`` is f(1), ``guess`` a first guess of the root."""
    if base == 0.0:
        return _found(1.0)
    search = _Search(f, base, ftol)
    _probe(search, guess, bracket)
    pair = search.bracket()
    if pair is None:
        towards = guess if guess is not None and math.isfinite(guess) and guess > 0 else 1.0
        for end in sorted(bracket, key=lambda e: abs(math.log(e / towards))):
            search.end(end)
            pair = search.bracket()
            if pair is not None:
                break
    if pair is None:
        return {"factor": None, "percent_change": None, "reason": _reason(search, bracket)}
    return _solve(search, pair)


def _probe(search: _Search, guess: float | None, bracket: tuple[float, float]) -> None:
    """Try the guess, clipped to the bracket, then secant steps from the two latest points
    until one crosses 0 or leaves the bracket (at most SECANT_STEPS)."""
    low, high = bracket
    if guess is None or not math.isfinite(guess):
        return
    previous, c = 1.0, min(max(guess, low), high)
    for _ in range(SECANT_STEPS + 1):
        fc = search.at(c)
        fp = search.tried[previous]
        if fc is None or search.crosses(fc) or fc == fp or c == previous:
            return
        step = c - fc * (c - previous) / (fc - fp)
        if not math.isfinite(step):
            return
        previous, c = c, min(max(step, low), high)


def _solve(search: _Search, pair: tuple[float, float]) -> dict:
    from scipy.optimize import brentq

    a, b = pair
    for c in pair:
        if abs(search.tried[c]) <= search.ftol:
            return _found(c)

    def g(c: float) -> float:
        value = search.at(c)
        if value is None:
            raise _Invalid(c)
        return 0.0 if abs(value) <= search.ftol else value

    try:
        root = brentq(g, a, b, xtol=XTOL, rtol=RTOL, maxiter=100)
    except _Invalid as err:
        reason = f"the scenario is invalid at a factor of {err.args[0]:.4g} on the way to the root"
        return {"factor": None, "percent_change": None, "reason": reason}
    return _found(root)


class _Invalid(Exception):
    pass


def _found(factor: float) -> dict:
    factor = float(factor)
    return {"factor": factor, "percent_change": 100.0 * (factor - 1.0), "reason": None}


def _reason(search: _Search, bracket: tuple[float, float]) -> str:
    """Why no factor was found: no effect, or the mean NPV stays on one side of 0."""
    if all(v == search.base for v in search.tried.values()) and len(search.tried) > 1:
        return "mean NPV does not depend on this input"
    side = "above" if search.base > 0 else "below"
    low, high = min(search.tried), max(search.tried)
    text = f"mean NPV stays {side} 0 at every factor tried from {low:.3g} to {high:.3g}"
    invalid = [c for c in search.invalid if not low <= c <= high]
    if invalid:
        first = min(invalid, key=lambda c: abs(math.log(c)))
        beyond = "above" if first > 1 else "below"
        text += (f"; factors {beyond} about {first:.3g} make the scenario invalid "
                 f"({search.invalid[first]})")
    return text
