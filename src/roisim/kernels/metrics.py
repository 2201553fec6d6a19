"""Per-run investment metrics on one cash-flow row, in numba.

Conventions (see docs/methodology.md):
* NPV = Σ_t CF_t·d_t, d_t = (1+r)^-t (end-of-year) or (1+r)^-(t-0.5) for t ≥ 1 (mid-year).
* IRR: the rate in (-0.99, 10] with NPV = 0 under the same timing; NaN when there is none.
  When the flows change sign more than once, every real root of the NPV polynomial is found
  (Aberth-Ehrlich iteration, :func:`poly_roots`), polished by Newton, and the smallest is returned with
  the number of distinct roots, so the caller can report how often several exist.
* Payback: k + (-C_k)/CF_{k+1}, k the last year whose cumulative flow C_k is negative;
  0 when the cumulative flow is never negative; +inf when C_H < 0.
"""
import math

import numpy as np
from numba import njit

IRR_LO = -0.99
IRR_HI = 10.0


@njit(cache=True, nogil=True, inline="always")
def npv_value(cf, r, mid):
    """NPV of one row at rate r; mid != 0 discounts years >= 1 at t - 0.5."""
    x = 1.0 / (1.0 + r)
    acc = 0.0
    for t in range(cf.shape[0] - 1, 0, -1):
        acc = (acc + cf[t]) * x
    if mid:
        return cf[0] + acc * math.sqrt(1.0 + r)
    return cf[0] + acc


@njit(cache=True, nogil=True, inline="always")
def _npv_and_slope(cf, r, mid):
    x = 1.0 / (1.0 + r)
    p = 0.0        # Horner for Σ_{t≥1} cf_t x^t (constant term 0)
    dp = 0.0       # and its derivative in x
    for t in range(cf.shape[0] - 1, -1, -1):
        dp = dp * x + p
        p = p * x + (cf[t] if t > 0 else 0.0)
    # after the loop: p = Σ cf_t x^t, dp = Σ t cf_t x^(t-1)
    dxdr = -x * x
    if mid:
        s = math.sqrt(1.0 + r)
        f = cf[0] + p * s
        df = dp * dxdr * s + p * 0.5 / s
        return f, df
    return cf[0] + p, dp * dxdr


@njit(cache=True, nogil=True, inline="always")
def _scan(cf, a, b):
    """One pass over the flows: (number of sign changes, first guess for x = 1/(1+IRR) with the
    IRR in (a, b), sign of the last non-zero flow).

    The guess is one Halley step from r = 0 (x = 1/(1+r) = 1) on p(x) = Σ CF_t x^t, which needs
    only the sums Σ CF_t, Σ t·CF_t and Σ t(t-1)·CF_t.  Should it fall outside the range, the
    money-weighted rate of :func:`_weighted_guess` is used instead.
    """
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    ft = 0.0
    nsc = 0
    last = 0          # sign of the last non-zero flow: -1, 0 (none yet) or +1
    for t in range(cf.shape[0]):
        v = cf[t]
        s0 += v
        s1 += ft * v
        s2 += ft * (ft - 1.0) * v
        ft += 1.0
        sg = (v > 0.0) - (v < 0.0)
        if sg != 0:
            nsc += (last != 0) & (sg != last)
            last = sg
    den = 2.0 * s1 * s1 - s0 * s2
    if den != 0.0:
        x = 1.0 - 2.0 * s0 * s1 / den
        # r = 1/x - 1 in (a, b)  <=>  x in (1/(1+b), 1/(1+a)); no division on this path
        if 1.0 / (1.0 + b) < x < 1.0 / (1.0 + a):
            return nsc, x, last
    return nsc, 1.0 / (1.0 + _weighted_guess(cf, a, b)), last


@njit(cache=True, nogil=True)
def _weighted_guess(cf, a, b):
    """With P = Σ inflows at mean time tp and N = Σ |outflows| at mean time tn, the rate with
    N·(1+r)^-tn = P·(1+r)^-tp is r = (P/N)^(1/(tp - tn)) - 1 (here with ln z ≈ 2(z-1)/(z+1))."""
    pos = 0.0
    neg = 0.0
    tp = 0.0
    tn = 0.0
    for t in range(cf.shape[0]):
        v = cf[t]
        if v > 0.0:
            pos += v
            tp += t * v
        elif v < 0.0:
            neg -= v
            tn -= t * v
    r = 0.1
    if pos > 0.0 and neg > 0.0:
        gap = tp / pos - tn / neg
        if gap != 0.0:
            z = pos / neg
            y = 2.0 * (z - 1.0) / (z + 1.0) / gap
            r = y + 0.5 * y * y
    if not (a < r < b):
        r = 0.5 * (a + b)
    return r


@njit(cache=True, nogil=True, inline="always")
def _poly_d2(cf, x):
    """p(x) = Σ_t cf_t x^t and its first two derivatives (Horner)."""
    p = 0.0
    dp = 0.0
    ddp = 0.0
    for t in range(cf.shape[0] - 1, -1, -1):
        ddp = ddp * x + 2.0 * dp
        dp = dp * x + p
        p = p * x + cf[t]
    return p, dp, ddp


@njit(cache=True, nogil=True, inline="always")
def _solve(cf, a, b, fa, fb, mid, xguess):
    """Safeguarded Halley (end-of-year) or Newton (mid-year) between rates a and b, where NPV has
    opposite signs fa and fb, from the first guess x = 1/(1+r) = xguess.

    End-of-year NPV is the polynomial p(x) = Σ CF_t x^t in x = 1/(1+r), so Halley's iteration
    runs on p in x (no division per step) inside the sign-change bracket, bisecting whenever a
    step would leave it.  It converges cubically: after a step below 1e-5·x the error is of order (1e-5)³, so that
    step ends the search (tests check agreement with numpy-financial to 1e-12).
    """
    if mid:
        return _solve_mid(cf, a, b, fa, fb, 1.0 / xguess - 1.0)
    # in x the bracket is [1/(1+b), 1/(1+a)] and p has the sign of NPV
    if fa > 0.0:
        xpos, xneg = 1.0 / (1.0 + a), 1.0 / (1.0 + b)
    else:
        xpos, xneg = 1.0 / (1.0 + b), 1.0 / (1.0 + a)
    x = xguess
    for _ in range(200):
        p, dp, ddp = _poly_d2(cf, x)
        if p == 0.0:
            return 1.0 / x - 1.0
        if p > 0.0:
            xpos = x
        else:
            xneg = x
        den = 2.0 * dp * dp - p * ddp
        tol = 1e-5
        if den != 0.0:
            xn = x - 2.0 * p * dp / den
        else:
            xn = 0.5 * (xpos + xneg)
            tol = 0.0
        if not ((xn - xpos) * (xn - xneg) < 0.0):
            xn = 0.5 * (xpos + xneg)
            tol = 0.0
        if abs(xn - x) <= tol * x or abs(xpos - xneg) <= 1e-15 * x:
            return 1.0 / xn - 1.0
        x = xn
    return 1.0 / x - 1.0


@njit(cache=True, nogil=True)
def _solve_mid(cf, a, b, fa, fb, guess):
    """Safeguarded Newton in r for mid-year NPV (not a polynomial in 1/(1+r))."""
    if fa > 0.0:       # orient so f(lo) < 0 < f(hi)
        lo, hi = b, a
    else:
        lo, hi = a, b
    r = guess
    for _ in range(200):
        f, df = _npv_and_slope(cf, r, True)
        if f == 0.0:
            return r
        if f < 0.0:
            lo = r
        else:
            hi = r
        rn = r - f / df if df != 0.0 else 0.5 * (lo + hi)
        if not ((rn - lo) * (rn - hi) < 0.0):
            rn = 0.5 * (lo + hi)
        if abs(rn - r) <= 1e-12 * (1.0 + abs(r)):
            return rn
        r = rn
    return r


MULTI = np.inf    # what irr_one returns for flows that change sign more than once


@njit(cache=True, nogil=True)
def irr_one(cf, mid):
    """IRR of a row with at most one sign change; ``MULTI`` (+inf) when it changes sign more often.

    This is the function the generated kernels call; rows marked ``MULTI`` are finished
    afterwards by :func:`irr_rows` (the several-roots solver), so the kernel stays small.
    """
    nsc, xguess, _ = _scan(cf, IRR_LO, IRR_HI)
    if nsc == 0:
        return np.nan
    if nsc > 1:
        return MULTI
    # Descartes: exactly one root in (-1, inf); it is ours if NPV changes sign on the range
    flo = npv_value(cf, IRR_LO, mid)
    fhi = npv_value(cf, IRR_HI, mid)
    if fhi == 0.0:
        return IRR_HI
    if flo == 0.0 or (flo > 0.0) == (fhi > 0.0):
        return np.nan
    return _solve(cf, IRR_LO, IRR_HI, flo, fhi, mid, xguess)


@njit(cache=True, nogil=True)
def poly_roots(coef):
    """All complex roots of the polynomial with coefficients ``coef`` (highest power first),
    by the Aberth-Ehrlich simultaneous iteration.

    Leading zeros are dropped and zero roots (trailing zeros) removed first.  Start points lie on
    a circle of the Cauchy bound's radius, at irrational angle offsets; iteration stops when no
    root moves by more than 1e-15 of its size, or after 500 sweeps.  Roots are accurate to about
    1e-15 relative (about 1e-8 for a double root), enough for the Newton polish that follows.
    """
    i0 = 0
    while i0 < coef.shape[0] and coef[i0] == 0.0:
        i0 += 1
    i1 = coef.shape[0]
    while i1 > i0 and coef[i1 - 1] == 0.0:
        i1 -= 1
    a = coef[i0:i1].astype(np.complex128)
    d = a.shape[0] - 1
    if d < 1:
        return np.empty(0, np.complex128)
    lead = a[0]
    bound = 0.0
    for k in range(1, d + 1):
        v = abs(a[k] / lead)
        if v > bound:
            bound = v
    radius = 1.0 + bound
    rmin = abs(a[d]) / (abs(a[d]) + max(abs(lead), 1e-300)) if d > 0 else 1.0
    if rmin <= 0.0:
        rmin = 1e-3
    rho = math.sqrt(radius * rmin)
    z = np.empty(d, np.complex128)
    for k in range(d):
        ang = 2.0 * math.pi * k / d + 0.4
        z[k] = rho * complex(math.cos(ang), math.sin(ang))
    for _ in range(500):
        moved = 0.0
        for k in range(d):
            zk = z[k]
            p = a[0]
            dp = 0.0 + 0.0j
            for j in range(1, d + 1):
                dp = dp * zk + p
                p = p * zk + a[j]
            if p == 0.0:
                continue
            ratio = p / dp if dp != 0.0 else complex(1e-3 * (1.0 + abs(zk)), 0.0)
            s = 0.0 + 0.0j
            for j in range(d):
                if j != k:
                    diff = zk - z[j]
                    if diff != 0.0:
                        s += 1.0 / diff
            den = 1.0 - ratio * s
            w = ratio / den if den != 0.0 else ratio
            z[k] = zk - w
            rel = abs(w) / (abs(z[k]) + 1e-300)
            if rel > moved:
                moved = rel
        if moved <= 1e-15:
            break
    return z


@njit(cache=True, nogil=True)
def _polish(cf, r, mid):
    """A few Newton steps on NPV(r) from an eigenvalue estimate."""
    for _ in range(8):
        f, df = _npv_and_slope(cf, r, mid)
        if df == 0.0 or not math.isfinite(f):
            break
        step = f / df
        r -= step
        if abs(step) <= 1e-14 * (1.0 + abs(r)):
            break
    return r


@njit(cache=True, nogil=True)
def _irr_several(cf, mid):
    """Smallest root in (-0.99, 10] and the number of distinct roots there (all complex roots of
    the NPV polynomial by :func:`poly_roots`, keeping the real positive ones).

    End-of-year: NPV = Σ cf_t x^t with x = 1/(1+r), a polynomial of degree H in x.
    Mid-year: NPV·√x = cf_0·√x + Σ_{t≥1} cf_t x^t, a polynomial in y = √x:
    cf_0 + Σ_{t≥1} cf_t y^(2t-1) after dividing by y > 0.
    """
    n = cf.shape[0]
    if mid:
        deg = 2 * n - 3
        coef = np.zeros(deg + 1)          # highest power first
        coef[deg] = cf[0]
        for t in range(1, n):
            coef[deg - (2 * t - 1)] = cf[t]
    else:
        deg = n - 1
        coef = np.zeros(deg + 1)
        for t in range(n):
            coef[deg - t] = cf[t]
    z = poly_roots(coef)
    scale = 0.0
    for t in range(n):
        scale += abs(cf[t])
    found = np.empty(z.shape[0])
    k = 0
    for i in range(z.shape[0]):
        w = z[i]
        if abs(w.imag) > 1e-6 * max(1.0, abs(w.real)) or w.real <= 0.0:
            continue
        x = w.real * w.real if mid else w.real
        r = _polish(cf, 1.0 / x - 1.0, mid)
        if not (IRR_LO < r <= IRR_HI):
            continue
        d = 1.0 / (1.0 + r)
        # accept only a true zero of NPV, measured against the size of the discounted flows
        tol = 1e-9 * scale * max(1.0, d ** (n - 1))
        if abs(npv_value(cf, r, mid)) > tol:
            continue
        dup = False
        for j in range(k):
            if abs(found[j] - r) <= 1e-6 * (1.0 + abs(r)):      # a double root gives a close pair
                dup = True
        if not dup:
            found[k] = r
            k += 1
    if k == 0:
        return np.nan, 0
    best = found[0]
    for j in range(1, k):
        if found[j] < best:
            best = found[j]
    return best, k


@njit(cache=True, nogil=True)
def paybacks(cf, d):
    """(payback, discounted payback) of one row in one pass; the discounted one uses the flows
    cf_t·d_t with the discount factors d."""
    c = 0.0
    cd = 0.0
    k = -1
    kd = -1
    ck = 0.0
    ckd = 0.0
    n = cf.shape[0]
    for t in range(n):
        c += cf[t]
        cd += cf[t] * d[t]
        if c < 0.0:
            k = t
            ck = c
        if cd < 0.0:
            kd = t
            ckd = cd
    if k < 0:
        p = 0.0
    elif k == n - 1:
        p = np.inf
    else:
        p = k + (-ck) / cf[k + 1]
    if kd < 0:
        pd = 0.0
    elif kd == n - 1:
        pd = np.inf
    else:
        pd = kd + (-ckd) / (cf[kd + 1] * d[kd + 1])
    return p, pd


@njit(cache=True, nogil=True)
def discount_factors(r, mid, d):
    """Fill d with the discount factors of years 0..H at rate r."""
    f = 1.0 / (1.0 + r)
    d[0] = 1.0
    if d.shape[0] > 1:
        d[1] = math.sqrt(f) if mid else f
        for t in range(2, d.shape[0]):
            d[t] = d[t - 1] * f


# ---- row-wise versions for roisim.finance (kept here so numba's cache sees one file)
@njit(cache=True, nogil=True)
def npv_rows(rows, rate, mid, out):
    for i in range(rows.shape[0]):
        out[i] = npv_value(rows[i], rate, mid)


@njit(cache=True, nogil=True)
def irr_rows(rows, mid, out, roots):
    """IRR of each row into out, and the number of distinct roots in (-0.99, 10] into roots."""
    for i in range(rows.shape[0]):
        r = irr_one(rows[i], mid)
        if r == MULTI:
            out[i], roots[i] = _irr_several(rows[i], mid)
        else:
            out[i] = r
            roots[i] = r == r          # 1 for a root, 0 for NaN


@njit(cache=True, nogil=True)
def payback_rows(rows, rate, mid, discounted, out):
    d = np.empty(rows.shape[1])
    discount_factors(rate, mid, d)
    for i in range(rows.shape[0]):
        pb, pbd = paybacks(rows[i], d)
        out[i] = pbd if discounted else pb
