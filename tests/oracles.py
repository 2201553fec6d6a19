"""Independent oracles for the finance figures, written once and shared by the tests.

Nothing here imports roisim: each oracle is the textbook formula, evaluated either in plain
numpy/scipy or in 80-digit decimal arithmetic (``decimal``), so that a test comparing roisim
with an oracle compares two independent computations.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
from scipy import optimize

EPS = float(np.finfo(float).eps)
IRR_LO, IRR_HI = -0.99, 10.0  # roisim's IRR interval (−99%, 1000%]

_CTX = decimal.Context(prec=80, Emax=999_999, Emin=-999_999)


def exponents(n: int, timing: str = "end-of-year") -> np.ndarray:
    """Discount exponents of years 0..n−1: t (end-of-year) or t − 0.5 for t ≥ 1 (mid-year)."""
    t = np.arange(n, dtype=float)
    if timing == "mid-year":
        t[1:] -= 0.5
    return t


def npv(rate: float, flows, timing: str = "end-of-year") -> float:
    """NPV = Σ CF_t (1+r)^−e_t in float arithmetic."""
    flows = np.asarray(flows, dtype=float)
    return float(np.sum(flows * (1.0 + rate) ** -exponents(flows.size, timing)))


def npv_exact(rate: float, flows, timing: str = "end-of-year") -> tuple[Decimal, Decimal]:
    """(NPV, Σ|CF_t|·d_t) at the float ``rate``, both to 80 significant digits.

    The float inputs are converted exactly (``Decimal(float)`` is exact), so the only error is
    the 80-digit rounding of each operation: far below anything a float64 result can show.
    """
    c = _CTX
    one = Decimal(1)
    x = c.divide(one, c.add(one, Decimal(float(rate))))  # 1/(1+r)
    half = c.sqrt(c.add(one, Decimal(float(rate)))) if timing == "mid-year" else one
    total = Decimal(0)
    scale = Decimal(0)
    power = one
    for t, v in enumerate(np.asarray(flows, dtype=float)):
        d = power if t == 0 else c.multiply(power, half)  # mid-year: (1+r)^−(t−½)
        term = c.multiply(Decimal(float(v)), d)
        total = c.add(total, term)
        scale = c.add(scale, abs(term))
        power = c.multiply(power, x)
    return total, scale


def sign_changes(flows) -> int:
    """Number of sign changes in the flows, zeros skipped."""
    s = [v > 0 for v in np.asarray(flows, dtype=float) if v != 0]
    return sum(a != b for a, b in zip(s, s[1:]))


def root_in_range(flows, timing: str = "end-of-year") -> bool:
    """For a flow with one sign change: is its (unique) root in (−0.99, 10]?  Decided in
    80-digit arithmetic from the NPV's signs at the two ends."""
    lo, _ = npv_exact(IRR_LO, flows, timing)
    hi, _ = npv_exact(IRR_HI, flows, timing)
    return hi == 0 or (lo != 0 and (lo > 0) != (hi > 0))


def irr_brent(flows, timing: str = "end-of-year") -> float:
    """The IRR of a flow with one sign change by scipy's brentq on (−0.99, 10], or NaN."""
    f = lambda r: npv(r, flows, timing)  # noqa: E731
    a, b = IRR_LO, IRR_HI
    if f(b) == 0.0:
        return b
    if np.sign(f(a)) == np.sign(f(b)):
        return float("nan")
    return optimize.brentq(f, a, b, xtol=1e-15, rtol=4 * EPS, maxiter=500)
