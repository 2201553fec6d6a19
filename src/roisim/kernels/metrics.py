"""Per-run investment metrics on one cash-flow row, in numba.

Conventions (see docs/methodology.md):
* NPV = Σ_t CF_t·d_t, d_t = (1+r)^-t (end-of-year) or (1+r)^-(t-0.5) for t ≥ 1 (mid-year).
* IRR: the rate in (-0.99, 10] with NPV = 0 under the same timing; NaN when there is none.
  When the flows change sign more than once, every real root of the NPV polynomial is found
  (Aberth-Ehrlich iteration, :func:`poly_roots`), polished by Newton, and the smallest is
  returned with the number of distinct roots, so the caller can report how often several exist.
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


EPS = 2.220446049250313e-16  # machine epsilon of float64
# A rate is accepted as the IRR when |NPV| <= ROOT_TOL_ULPS·(H+2)·ε·Σ|CF_t·d_t|: a few times the
# rounding error of evaluating the NPV there, so the rate is a root of the flows to working
# precision.
ROOT_TOL_ULPS = 8.0
MAX_SAFE_STEPS = 200  # Halley/Newton steps before the solver bisects to the end


@njit(cache=True, nogil=True, inline="always")
def root_tolerance(n):
    """Relative NPV tolerance for a row of n flows (see ROOT_TOL_ULPS)."""
    return ROOT_TOL_ULPS * (n + 1.0) * EPS


@njit(cache=True, nogil=True, inline="always")
def npv_slope_scale(cf, r, mid):
    """(NPV at r, dNPV/dr, Σ|CF_t|·d_t): the value, its slope and the scale it is measured
    against."""
    x = 1.0 / (1.0 + r)
    p = 0.0  # Horner for Σ_{t≥1} cf_t x^t (constant term 0)
    dp = 0.0  # and its derivative in x
    s = 0.0  # Σ_{t≥1} |cf_t| x^t
    for t in range(cf.shape[0] - 1, -1, -1):
        dp = dp * x + p
        c = cf[t] if t > 0 else 0.0
        p = p * x + c
        s = s * x + abs(c)
    dxdr = -x * x
    if mid:
        q = math.sqrt(1.0 + r)
        return cf[0] + p * q, dp * dxdr * q + p * 0.5 / q, abs(cf[0]) + s * q
    return cf[0] + p, dp * dxdr, abs(cf[0]) + s


@njit(cache=True, nogil=True, inline="always")
def _scan(cf, a, b):
    """One pass over the flows.

    Returns (number of sign changes, first guess for x = 1/(1+IRR) with the IRR in (a, b),
    p(1/(1+a)), p(1/(1+b))), where p(x) = Σ CF_t x^t is the end-of-year NPV in x.

    The guess is one Halley step from r = 0 (x = 1) on p, which needs only the sums Σ CF_t,
    Σ t·CF_t and Σ t(t-1)·CF_t.  Should it fall outside the range, the money-weighted rate of
    :func:`_weighted_guess` is used instead.  The two end values are summed forward with powers
    of x; only their signs are used.  Where the power at x = 1/(1+a) overflows, the sign there
    is that of the last non-zero flow, which dominates for large x.
    """
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    ft = 0.0
    nsc = 0
    last = 0  # sign of the last non-zero flow: -1, 0 (none yet) or +1
    xa = 1.0 / (1.0 + a)
    xb = 1.0 / (1.0 + b)
    wa = 1.0
    wb = 1.0
    pa = 0.0
    pb = 0.0
    for t in range(cf.shape[0]):
        v = cf[t]
        s0 += v
        s1 += ft * v
        s2 += ft * (ft - 1.0) * v
        pa += v * wa
        pb += v * wb
        wa *= xa
        wb *= xb
        ft += 1.0
        sg = (v > 0.0) - (v < 0.0)
        if sg != 0:
            nsc += (last != 0) & (sg != last)
            last = sg
    if not math.isfinite(pa):
        pa = float(last)
    den = 2.0 * s1 * s1 - s0 * s2
    if den != 0.0:
        x = 1.0 - 2.0 * s0 * s1 / den
        # r = 1/x - 1 in (a, b)  <=>  x in (1/(1+b), 1/(1+a)); no division on this path
        if xb < x < xa:
            return nsc, x, pa, pb
    return nsc, 1.0 / (1.0 + _weighted_guess(cf, a, b)), pa, pb


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
def _poly_d2_scale(cf, x):
    """p(x) = Σ_t cf_t x^t, its first two derivatives and Σ_t |cf_t| x^t (Horner)."""
    p = 0.0
    dp = 0.0
    ddp = 0.0
    s = 0.0
    for t in range(cf.shape[0] - 1, -1, -1):
        ddp = ddp * x + 2.0 * dp
        dp = dp * x + p
        p = p * x + cf[t]
        s = s * x + abs(cf[t])
    return p, dp, ddp, s


@njit(cache=True, nogil=True, inline="always")
def _solve(cf, a, b, fa, fb, mid, xguess):
    """The IRR between rates a and b, where NPV has the opposite signs fa and fb, from the first
    guess x = 1/(1+r) = xguess; end-of-year by safeguarded Halley, mid-year by safeguarded Newton.

    End-of-year NPV is the polynomial p(x) = Σ CF_t x^t in x = 1/(1+r).  The iteration keeps a
    bracket [x₊, x₋] with p(x₊) > 0 > p(x₋) at every step and
    * accepts x only when |p(x)| <= tol·Σ|CF_t|x^t (tol from :func:`root_tolerance`: a few
      rounding errors of p), or when the bracket has closed to adjacent floats;
    * otherwise takes the Halley step x ← x − 2pp′/(2p′² − pp″) when it lands strictly inside
      the bracket and the previous Halley step at least halved |p|, and bisects the bracket
      when it does not;
    * after MAX_SAFE_STEPS steps, bisects until one of the two acceptance rules holds.
    A flat point (p′ ≈ 0, p ≠ 0), where the Halley step is tiny without being near a root, is
    therefore never accepted.
    """
    if mid:
        return _solve_mid(cf, a, b, fa, fb, 1.0 / xguess - 1.0)
    # in x the bracket is [1/(1+b), 1/(1+a)] and p has the sign of NPV
    if fa > 0.0:
        xpos, xneg = 1.0 / (1.0 + a), 1.0 / (1.0 + b)
    else:
        xpos, xneg = 1.0 / (1.0 + b), 1.0 / (1.0 + a)
    tol = root_tolerance(cf.shape[0])
    x = xguess
    pprev = np.inf  # |p| before the last Halley step
    for _ in range(MAX_SAFE_STEPS):
        p, dp, ddp, s = _poly_d2_scale(cf, x)
        ap = abs(p)
        if ap <= tol * s:
            return 1.0 / x - 1.0
        if p > 0.0:
            xpos = x
        else:
            xneg = x
        xm = 0.5 * (xpos + xneg)
        if xm == xpos or xm == xneg:  # closed: no float lies between the ends
            return 1.0 / xm - 1.0
        den = 2.0 * dp * dp - p * ddp
        if ap <= 0.5 * pprev and den != 0.0:
            xn = x - 2.0 * p * dp / den
            if (xn - xpos) * (xn - xneg) < 0.0:
                pprev = ap
                x = xn
                continue
        # bisection; the step after it may be a Halley step again
        pprev = np.inf
        x = xm
    return _bisect_x(cf, xpos, xneg, tol)


@njit(cache=True, nogil=True)
def _bisect_x(cf, xpos, xneg, tol):
    """Bisection on p(x) with p(xpos) > 0 > p(xneg) until |p| <= tol·Σ|CF_t|x^t or the bracket
    has closed (at most about 1100 halvings of a float64 interval)."""
    while True:
        x = 0.5 * (xpos + xneg)
        if x == xpos or x == xneg:
            return 1.0 / x - 1.0
        p, _, _, s = _poly_d2_scale(cf, x)
        if abs(p) <= tol * s:
            return 1.0 / x - 1.0
        if p > 0.0:
            xpos = x
        else:
            xneg = x


@njit(cache=True, nogil=True)
def _solve_mid(cf, a, b, fa, fb, guess):
    """Safeguarded Newton in r for mid-year NPV (not a polynomial in 1/(1+r)), with the same
    bracket, acceptance and fallback rules as :func:`_solve`."""
    if fa > 0.0:  # orient so f(lo) < 0 < f(hi)
        lo, hi = b, a
    else:
        lo, hi = a, b
    tol = root_tolerance(cf.shape[0] + 1)  # one more rounding: the √(1+r) factor
    r = guess
    fprev = np.inf
    for it in range(MAX_SAFE_STEPS + 1100):
        f, df, s = npv_slope_scale(cf, r, True)
        af = abs(f)
        if af <= tol * s:
            return r
        if f < 0.0:
            lo = r
        else:
            hi = r
        rm = 0.5 * (lo + hi)
        if rm == lo or rm == hi:
            return rm
        if it < MAX_SAFE_STEPS and af <= 0.5 * fprev and df != 0.0:
            rn = r - f / df
            if (rn - lo) * (rn - hi) < 0.0:
                fprev = af
                r = rn
                continue
        fprev = np.inf
        r = rm
    return 0.5 * (lo + hi)


MULTI = np.inf  # what irr_one returns for flows that change sign more than once


@njit(cache=True, nogil=True)
def irr_one(cf, mid):
    """IRR of a row with at most one sign change; ``MULTI`` (+inf) when it changes sign more often.

    This is the function the generated kernels call; rows marked ``MULTI`` are finished
    afterwards by :func:`irr_rows` (the several-roots solver), so the kernel stays small.
    """
    nsc, xguess, flo, fhi = _scan(cf, IRR_LO, IRR_HI)
    if nsc == 0:
        return np.nan
    if nsc > 1:
        return MULTI
    # Descartes: exactly one root in (-1, inf); it is ours if NPV changes sign on the range
    if mid:
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


POLISH_ACCEPT = 1e-9  # a polished root is kept when |NPV| <= POLISH_ACCEPT·Σ|CF_t·d_t| there


@njit(cache=True, nogil=True)
def _polish(cf, r, mid):
    """Safeguarded Newton steps on NPV(r) from a root estimate of :func:`poly_roots`.

    A step is kept only if it stays above r = −1 and lowers |NPV| relative to its scale
    Σ|CF_t·d_t|; otherwise it is halved, up to 30 times.  Polishing stops once |NPV| is within
    :func:`root_tolerance` of the scale.  Returns (r, |NPV(r)| / scale) at the best point reached,
    so the caller accepts a root on its NPV, never on the size of the last step.
    """
    tol = root_tolerance(cf.shape[0] + mid)
    f, df, s = npv_slope_scale(cf, r, mid)
    rel = abs(f) / s if s > 0.0 else np.inf
    for _ in range(16):
        if not (rel > tol) or df == 0.0:
            break
        step = f / df
        moved = False
        for _ in range(30):
            rn = r - step
            if rn > -1.0:
                fn, dfn, sn = npv_slope_scale(cf, rn, mid)
                reln = abs(fn) / sn if sn > 0.0 else np.inf
                if reln < rel:
                    r, f, df, rel = rn, fn, dfn, reln
                    moved = True
                    break
            step *= 0.5
        if not moved:
            break
    return r, rel


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
        coef = np.zeros(deg + 1)  # highest power first
        coef[deg] = cf[0]
        for t in range(1, n):
            coef[deg - (2 * t - 1)] = cf[t]
    else:
        deg = n - 1
        coef = np.zeros(deg + 1)
        for t in range(n):
            coef[deg - t] = cf[t]
    z = poly_roots(coef)
    found = np.empty(z.shape[0])
    k = 0
    for i in range(z.shape[0]):
        w = z[i]
        if abs(w.imag) > 1e-6 * max(1.0, abs(w.real)) or w.real <= 0.0:
            continue
        x = w.real * w.real if mid else w.real
        r, rel = _polish(cf, 1.0 / x - 1.0, mid)
        # accept only a true zero of NPV, measured against the size of the discounted flows
        if not (IRR_LO < r <= IRR_HI) or not (rel <= POLISH_ACCEPT):
            continue
        dup = False
        for j in range(k):
            if abs(found[j] - r) <= 1e-6 * (1.0 + abs(r)):  # a double root gives a close pair
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


@njit(cache=True, nogil=True)
def schedule_factors(rates, starts, mid, d):
    """Fill d with the discount factors of years 0..H under a schedule: rates[k] is in force
    from year starts[k] (starts[0] = 0, increasing) until the next entry.

    End-of-year: d_0 = 1, d_t = d_{t-1}/(1+r_t).  Mid-year: d_1 = (1+r_1)^-1/2 and
    d_t = d_{t-1}·(1+r_{t-1})^-1/2·(1+r_t)^-1/2, i.e. Π_{s<t} 1/(1+r_s)·(1+r_t)^-1/2; within a
    band that is d_{t-1}/(1+r), the recursion of :func:`discount_factors`, so a schedule agrees
    with a single rate to the last bit in the years before its first change."""
    d[0] = 1.0
    k = 0
    n = rates.shape[0]
    f_prev = 1.0
    for t in range(1, d.shape[0]):
        changed = False
        while k + 1 < n and starts[k + 1] <= t:
            k += 1
            changed = True
        f = 1.0 / (1.0 + rates[k])
        if t == 1:
            d[1] = math.sqrt(f) if mid else f
        elif mid and changed:
            d[t] = d[t - 1] * (math.sqrt(f_prev) * math.sqrt(f))
        else:
            d[t] = d[t - 1] * f
        f_prev = f


@njit(cache=True, nogil=True)
def npv_factor_rows(rows, d, out):
    """Σ_t CF_t·d_t of each row, summed from year 0 as a run of the simulation sums it."""
    for i in range(rows.shape[0]):
        acc = 0.0
        for t in range(rows.shape[1]):
            acc += rows[i, t] * d[t]
        out[i] = acc


@njit(cache=True, nogil=True)
def payback_factor_rows(rows, d, out):
    """Discounted payback of each row with the discount factors d."""
    for i in range(rows.shape[0]):
        out[i] = paybacks(rows[i], d)[1]


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
            roots[i] = r == r  # 1 for a root, 0 for NaN


@njit(cache=True, nogil=True)
def payback_rows(rows, rate, mid, discounted, out):
    d = np.empty(rows.shape[1])
    discount_factors(rate, mid, d)
    for i in range(rows.shape[0]):
        pb, pbd = paybacks(rows[i], d)
        out[i] = pbd if discounted else pb
