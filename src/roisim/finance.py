"""Investment metrics on given cash flows, numpy-financial style.

Each function accepts one flow (1-D, years 0..H) or many (2-D, one row per run) and uses the
same compiled kernels as the simulation, so what you check here is what a run computes.
"""

from __future__ import annotations

import numpy as np

from roisim.kernels.metrics import (
    discount_factors as _discount_factors,
)
from roisim.kernels.metrics import (
    irr_rows as _irr_rows,
)
from roisim.kernels.metrics import (
    npv_factor_rows as _npv_factor_rows,
)
from roisim.kernels.metrics import (
    npv_rows as _npv_rows,
)
from roisim.kernels.metrics import (
    payback_factor_rows as _payback_factor_rows,
)
from roisim.kernels.metrics import (
    payback_rows as _payback_rows,
)
from roisim.kernels.metrics import (
    schedule_factors as _schedule_factors,
)

_TIMINGS = {"end-of-year": 0, "mid-year": 1}


def _rows(flows) -> tuple[np.ndarray, bool]:
    a = np.asarray(flows, dtype=float)
    if a.ndim not in (1, 2) or a.shape[-1] < 1:
        raise ValueError("flows must be a 1-D array (years 0..H) or a 2-D array (runs × years)")
    return np.ascontiguousarray(np.atleast_2d(a)), a.ndim == 1


def _mid(timing: str) -> int:
    if timing not in _TIMINGS:
        raise ValueError(f"timing must be 'end-of-year' or 'mid-year', got {timing!r}")
    return _TIMINGS[timing]


def _rate(rate) -> float:
    """The discount rate as a float; a rate at or below −100% (or NaN) is a ValueError."""
    r = float(rate)
    if not r > -1.0:
        raise ValueError(
            f"rate must be greater than -1 (-100%), got {rate!r}: "
            "the discount factor (1+r)^-t is undefined there"
        )
    return r


def _schedule(rate):
    """None for a single rate; else (rates, first years) of a schedule given as
    ``[(0, r0), (year1, r1), ...]`` (first year 0, years increasing, each rate > −1)."""
    if np.ndim(rate) == 0:
        return None
    pairs = [tuple(p) for p in rate]
    if not pairs or any(len(p) != 2 for p in pairs):
        raise ValueError("a schedule is a non-empty list of (first year, rate) pairs")
    years = [int(y) for y, _ in pairs]
    if years[0] != 0 or any(b <= a for a, b in zip(years, years[1:])):
        raise ValueError(f"a schedule's years must start at 0 and increase, got {years}")
    rates = np.array([_rate(r) for _, r in pairs], float)
    return rates, np.array(years, float)


def discount_factors(rate, horizon: int, timing: str = "end-of-year") -> np.ndarray:
    """The discount factors d_0..d_H of a simulation run: ``rate`` is one rate or a schedule
    ``[(0, r0), (31, r1), ...]`` (each rate in force from its year on).

    End-of-year d_t = Π_{s=1..t} 1/(1+r_s); mid-year d_t = Π_{s<t} 1/(1+r_s)·(1+r_t)^−½
    (d_0 = 1).  With one rate these are (1+r)^−t and (1+r)^−(t−½).

    >>> [round(float(v), 6) for v in discount_factors([(0, 0.1), (2, 0.2)], 3)]
    [1.0, 0.909091, 0.757576, 0.631313]
    """
    d = np.empty(int(horizon) + 1)
    schedule = _schedule(rate)
    if schedule is None:
        _discount_factors(_rate(rate), _mid(timing), d)
    else:
        _schedule_factors(schedule[0], schedule[1], _mid(timing), d)
    return d


def _ret(out, one):
    return float(out[0]) if one else out


def npv(rate: float, flows, timing: str = "end-of-year"):
    """Net present value.

    NPV = Σ_{t=0..H} CF_t / (1+r)^t  (end-of-year: year 0 is not discounted), or
    NPV = CF_0 + Σ_{t≥1} CF_t / (1+r)^(t−0.5)  (mid-year).
    Excel's ``NPV(r, CF1:CFH)`` discounts its first value, so it equals ``npv(r, flows) − CF_0``.
    A rate ≤ −1 (−100%) raises ``ValueError`` (numpy-financial returns inf or NaN there).

    ``rate`` may also be a schedule ``[(0, 0.035), (31, 0.03)]`` (see :func:`discount_factors`);
    the NPV is then Σ CF_t·d_t, summed from year 0 as a simulation run sums it.

    >>> round(npv(0.1, [-100, 60, 60]), 4)
    4.1322
    >>> round(npv([(0, 0.1), (2, 0.2)], [-100, 60, 66]), 4)    # -100 + 60/1.1 + 66/(1.1·1.2)
    4.5455
    """
    rows, one = _rows(flows)
    out = np.empty(rows.shape[0])
    if _schedule(rate) is None:
        _npv_rows(rows, _rate(rate), _mid(timing), out)
    else:
        _npv_factor_rows(rows, discount_factors(rate, rows.shape[1] - 1, timing), out)
    return _ret(out, one)


def irr(flows, timing: str = "end-of-year", return_roots: bool = False):
    """Internal rate of return: the r in (−0.99, 10] with NPV(r) = 0 (NaN when there is none).

    With one sign change the root is unique (Descartes' rule). It is found by Halley's iteration
    on p(x) = Σ CF_t x^t, x = 1/(1+r) (Newton in r for mid-year timing), kept inside a bracket
    where the NPV changes sign and replaced by bisection whenever a step leaves the bracket or
    fails to halve |NPV|; a rate is accepted only when |NPV| ≤ 8(H+2)·ε·Σ|CF_t·x^t| (a few
    rounding errors) or the bracket has closed. With several sign changes, every complex root of
    the NPV polynomial is found by the Aberth–Ehrlich iteration, the real positive ones are
    polished by safeguarded Newton steps and kept when |NPV| ≤ 1e−9·Σ|CF_t·x^t|, and the
    smallest in range is returned. ``return_roots=True`` also returns how many distinct roots
    lie in (−0.99, 10]. See docs/methodology.md, section 3, for the accuracy this gives.

    >>> round(irr([-100, 60, 60]), 6)
    0.130662
    >>> round(irr([-100, 230, -132]), 6)      # roots at 10% and 20%: the smallest is reported
    0.1
    """
    rows, one = _rows(flows)
    out = np.empty(rows.shape[0])
    roots = np.empty(rows.shape[0], dtype=np.int64)
    _irr_rows(rows, _mid(timing), out, roots)
    if return_roots:
        return (_ret(out, one), int(roots[0]) if one else roots)
    return _ret(out, one)


def payback(flows):
    """Simple payback in years: k + (−C_k)/CF_{k+1}, k the last year with cumulative flow C_k < 0.

    0 when the cumulative flow is never negative; ``inf`` when it is still negative at the horizon.

    >>> round(payback([-100, 60, 60]), 6)     # 1 + 40/60
    1.666667
    """
    rows, one = _rows(flows)
    out = np.empty(rows.shape[0])
    _payback_rows(rows, 0.0, 0, False, out)
    return _ret(out, one)


def discounted_payback(rate: float, flows, timing: str = "end-of-year"):
    """Payback on the discounted flows CF_t·d_t (d_t as in :func:`npv`).

    ``rate`` may also be a schedule, as in :func:`npv`.

    >>> round(discounted_payback(0.1, [-100, 60, 60]), 4)   # 1 + 45.4545/49.5868
    1.9167
    """
    rows, one = _rows(flows)
    out = np.empty(rows.shape[0])
    if _schedule(rate) is None:
        _payback_rows(rows, _rate(rate), _mid(timing), True, out)
    else:
        _payback_factor_rows(rows, discount_factors(rate, rows.shape[1] - 1, timing), out)
    return _ret(out, one)
