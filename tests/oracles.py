"""Independent oracles for the finance figures, written once and shared by the tests.

Nothing here imports roisim: each oracle is the textbook formula of docs/methodology.md
(sections 2-4), evaluated either in plain numpy/scipy or in 80-digit decimal arithmetic
(``decimal``), so that a test comparing roisim with an oracle compares two independent
computations.

Conventions: ``flows`` is one row ``CF_0 … CF_H`` or a 2-D array of rows; ``rate`` is a
scalar or one rate per row; ``timing`` is "end-of-year" or "mid-year".  A 1-D row gives a
Python float, several rows an array.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import numpy as np
from scipy import optimize

EPS = float(np.finfo(float).eps)
IRR_LO, IRR_HI = -0.99, 10.0  # roisim's IRR interval (−99%, 1000%]

_CTX = decimal.Context(prec=80, Emax=999_999, Emin=-999_999)


def _out(value):
    """A 0-d result as a Python float, anything else as an array."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


# --------------------------------------------------------------------------- discounting, NPV
def exponents(n: int, timing: str = "end-of-year") -> np.ndarray:
    """Discount exponents of years 0..n−1: t (end-of-year) or t − 0.5 for t ≥ 1 (mid-year)."""
    t = np.arange(n, dtype=float)
    if timing == "mid-year":
        t[1:] -= 0.5
    return t


def discount_factors(rate, n: int, timing: str = "end-of-year") -> np.ndarray:
    """d_t = (1+r)^−e_t for t = 0..n−1, in closed form: shape (n,) for a scalar ``rate``,
    (m, n) for m per-row rates."""
    return (1.0 + np.asarray(rate, dtype=float)[..., None]) ** -exponents(n, timing)


def npv(rate, flows, timing: str = "end-of-year"):
    """NPV = Σ CF_t (1+r)^−e_t in float arithmetic, for one row or for each row."""
    flows = np.asarray(flows, dtype=float)
    return _out(np.sum(flows * discount_factors(rate, flows.shape[-1], timing), axis=-1))


def npv_scale(rate, flows, timing: str = "end-of-year"):
    """Σ |CF_t|·d_t, the size of the discounted flows: the natural scale for |NPV| at ``rate``."""
    flows = np.asarray(flows, dtype=float)
    return _out(np.sum(np.abs(flows) * discount_factors(rate, flows.shape[-1], timing), axis=-1))


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


# --------------------------------------------------------------------------- payback
def _payback_row(v: np.ndarray) -> float:
    c = np.cumsum(v)
    neg = np.nonzero(c < 0)[0]
    if neg.size == 0:
        return 0.0  # never negative
    k = int(neg[-1])  # the LAST year with a negative cumulative flow
    if k == v.size - 1:
        return math.inf  # not paid back within the horizon
    return k + (-c[k]) / v[k + 1]


def payback(flows):
    """The payback rule on the flows v_t: with C_t = Σ_{s≤t} v_s and k the last year with
    C_k < 0, it is 0 when no C_t is negative, +inf when C_H < 0, else k + (−C_k)/v_{k+1}."""
    flows = np.asarray(flows, dtype=float)
    if flows.ndim == 1:
        return _payback_row(flows)
    return np.array([_payback_row(row) for row in flows.reshape(-1, flows.shape[-1])]).reshape(
        flows.shape[:-1]
    )


def discounted_payback(rate, flows, timing: str = "end-of-year"):
    """The payback rule on the discounted flows v_t = CF_t·d_t (closed-form d_t)."""
    flows = np.asarray(flows, dtype=float)
    return payback(flows * discount_factors(rate, flows.shape[-1], timing))


# --------------------------------------------------------------------------- IRR
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
    f = lambda r: npv(r, flows, timing)
    a, b = IRR_LO, IRR_HI
    if f(b) == 0.0:
        return b
    if np.sign(f(a)) == np.sign(f(b)):
        return float("nan")
    return optimize.brentq(f, a, b, xtol=1e-15, rtol=4 * EPS, maxiter=500)


def rate_grid(n: int) -> np.ndarray:
    """n rates over [−0.99, 10], evenly spaced in log(1+r), with both ends exact."""
    grid = np.expm1(np.linspace(np.log(1.0 + IRR_LO), np.log(1.0 + IRR_HI), n))
    grid[0], grid[-1] = IRR_LO, IRR_HI
    return grid


def npv_roots(flows, timing: str = "end-of-year", n: int = 400_001) -> list[float]:
    """Every sign change of the NPV of one row on a fine ``rate_grid`` over (−0.99, 10],
    refined by brentq.  Roots closer together than the grid spacing, and double roots where
    the NPV only touches zero, are not seen."""
    grid = rate_grid(n)
    flows = np.asarray(flows, dtype=float)
    values = npv(grid, np.broadcast_to(flows, (n, flows.size)), timing)
    idx = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    return [
        optimize.brentq(lambda r: npv(r, flows, timing), grid[i], grid[i + 1], xtol=1e-15)
        for i in idx
    ]


def irr_smallest(flows, timing: str = "end-of-year", n: int = 4001):
    """The smallest root of the NPV in (−0.99, 10], or NaN, for one row or for each row.

    The NPV's signs on ``rate_grid(n)`` locate the first root (a grid point where the NPV is
    exactly 0, or the first cell whose ends have opposite signs; an exact zero at −0.99 itself
    is outside the interval and does not count), and that cell is bisected down to adjacent
    floats.  Vectorised over rows.  As with ``npv_roots``, two roots in one grid cell, or a
    double root, are not seen: use it on flows whose roots are well apart."""
    flows = np.asarray(flows, dtype=float)
    rows = np.atleast_2d(flows)
    grid = rate_grid(n)
    e = exponents(rows.shape[1], timing)
    d = (1.0 + grid)[:, None] ** -e[None, :]  # (n, years): the discount factors at every rate
    values = np.zeros((rows.shape[0], n))  # NPV of every row at every grid rate, year by year
    for t in range(rows.shape[1]):  # (no matrix product: BLAS's fused multiply-adds would
        values += rows[:, t, None] * d[None, :, t]  # not round like the float NPV does)
    s = np.sign(values)
    hit = np.zeros_like(s, dtype=bool)
    hit[:, 1:] = (s[:, 1:] == 0) | (s[:, :-1] * s[:, 1:] < 0)
    found = hit.any(axis=1)
    i = np.where(found, hit.argmax(axis=1), 1)
    take = np.arange(rows.shape[0])
    exact = found & (s[take, i] == 0)
    active = found & ~exact  # rows whose root lies inside the cell (grid[i-1], grid[i])
    lo, hi = grid[i - 1], grid[i]
    f_lo = s[take, i - 1]
    npv_at = lambda r: np.sum(rows * (1.0 + r[:, None]) ** -e[None, :], axis=1)
    for _ in range(200):  # bisection: each cell is at most 0.1 wide, so ~60 halvings suffice
        mid = 0.5 * (lo + hi)
        open_ = active & (mid > lo) & (mid < hi)
        if not open_.any():
            break
        f_mid = np.sign(npv_at(mid))
        left = open_ & (f_mid * f_lo <= 0)  # the sign changes (or is 0) in [lo, mid]
        right = open_ & ~left
        hi = np.where(left, mid, hi)
        lo = np.where(right, mid, lo)
        hi = np.where(open_ & (f_mid == 0), mid, hi)
        lo = np.where(open_ & (f_mid == 0), mid, lo)
    out = np.where(exact, grid[i], 0.5 * (lo + hi))
    out = np.where(found, out, np.nan)
    return _out(out[0]) if flows.ndim == 1 else out
