"""The benchmark models written without roisim: plain vectorised numpy and a hand-fused numba
kernel.

Both compute exactly the model in ``scenarios/fintech.toml`` and in ``benchmarks/ten_inputs.toml``
(same distributions, same lines, ramps and growth, same metric definitions as docs/methodology.md),
written by hand the way a user who does not have roisim would write them:

* ``*_numpy``: ``numpy.random.Generator`` draws into arrays of shape (n,) and (n, years), cash
  flows as (n, years) arrays, metrics with whole-array operations and IRR by a vectorised Newton
  over rows; the runs are processed in chunks of 10^6 to bound memory.
* ``*_ceiling``: one ``@njit(nogil=True)`` loop over the runs of a block that draws the inputs from
  a ``numpy.random.Generator`` (one per block of 65,536 runs,
  ``SeedSequence(seed, spawn_key=(b,))``), builds the cash flows and computes every metric, IRR
  included (Newton with a bisection fallback), writing the metrics and the net cash flows to
  memory.  Blocks run on a thread pool.

The parameters are copied from the TOML files by hand (with the same conversions roisim
documents: a lognormal's p5/p95 or median/p95 to mu/sigma, a gamma's mean/sd to shape/scale,
PERT's lambda = 4).  The random streams differ from roisim's, so the results agree only
statistically; run.py checks the NPV means against roisim's within 5 Monte Carlo standard errors.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

Z95 = 1.6448536269514722
H1 = 6  # both scenarios: horizon 5, cash flows at years 0..5
N_METRICS = 6  # npv, irr, payback, discounted payback, roi, bcr
BLOCK = 65_536  # runs per Generator in the ceiling kernel
NUMPY_CHUNK = 1_000_000
IRR_LO, IRR_HI = -0.99, 10.0


def ln_p5_p95(p5, p95):
    return (math.log(p5) + math.log(p95)) / 2.0, (math.log(p95) - math.log(p5)) / (2.0 * Z95)


def ln_median_p95(median, p95):
    return math.log(median), (math.log(p95) - math.log(median)) / Z95


def pert_ab(lo, mode, hi, lam=4.0):
    return 1.0 + lam * (mode - lo) / (hi - lo), 1.0 + lam * (hi - mode) / (hi - lo)


# -------------------------------------------------------------- model parameters (from the TOML)
# fintech.toml
FT_RATE = (0.065, 0.08, 0.11)  # pert, discount rate drawn once per run
FT_MFL = ln_p5_p95(450_000, 800_000)  # missed_fraud_losses
FT_FNR = (0.12, 0.20, 0.26)  # fn_reduction, pert
FT_VG = (0.06, 0.03, -0.05)  # volume_growth: normal mean, sd, lower
FT_RSS = (0.15, 0.25, 0.35)  # review_share_saved, pert
FT_AR = (45.0, 5.0, 30.0)  # analyst_rate: normal mean, sd, lower
FT_HPR = (80.0, 120.0, 200.0)  # hours_per_retrain, triangular
FT_INC = 3.5  # model_incidents, poisson per year
FT_DET = (0.50, 0.80)  # detection_share, uniform
FT_IC = (
    (18_000 / 12_000) ** 2,
    12_000**2 / 18_000,
)  # incident_cost gamma (shape, scale) from mean, sd
FT_FTE = (0.3, 0.5, 0.8)  # platform_fte, pert
FT_BUILD = (180_000, 240_000, 380_000)  # costs[0], pert, year 0
FT_VALID = (15_000, 25_000, 50_000)  # costs[1], triangular, year 1
FT_LIC = ln_median_p95(60_000, 85_000)  # costs[2], lognormal, years 1..5, growth 4%
FT_LIC_GROWTH = 0.04
ALERT_REVIEW_HOURS, MANUAL_RETRAINS, AUTO_RETRAINS, REVIEW_H_PER_AUTO, DS_RATE, ENGINEER_COST = (
    3_200.0,
    4.0,
    12.0,
    8.0,
    73.0,
    95_000.0,
)

# ten_inputs.toml
TI_RATE = 0.09
TI_BUILD = (200_000, 260_000, 420_000)  # pert
TI_ADOPT = (0.30, 0.60, 0.90)  # pert
TI_HOURS = ln_p5_p95(1_500, 4_000)  # lognormal
TI_RATE_H = (70.0, 8.0)  # hourly_rate, normal
TI_CLOUD = ln_p5_p95(40_000, 120_000)  # range shorthand = lognormal 90% interval
TI_INC = 3.0  # poisson per year
TI_IC = (2.0, 9_000.0)  # gamma shape, scale
TI_RUN = ln_median_p95(50_000, 75_000)  # lognormal
TI_BG = (0.05, 0.02)  # benefit_growth, normal
TI_MIG = (20_000, 40_000, 90_000)  # triangular
TI_RUN_GROWTH = 0.03
TI_INCIDENT_SHARE = 0.7


# ====================================================================== plain numpy
def _pert_np(rng, lo, mode, hi, n):
    a, b = pert_ab(lo, mode, hi)
    return lo + (hi - lo) * rng.beta(a, b, n)


def _truncnorm_np(rng, mean, sd, lower, n):
    """Normal conditioned on >= lower (redraw the few values below it)."""
    x = rng.normal(mean, sd, n)
    bad = np.flatnonzero(x < lower)
    while bad.size:
        x[bad] = rng.normal(mean, sd, bad.size)
        bad = bad[x[bad] < lower]
    return x


def irr_numpy(cf, iters=200, tol=1e-12):
    """IRR of each row of cf (n, H+1): vectorised Newton over rows (Horner over the columns),
    safeguarded by the bracket (-0.99, 10]: a step that leaves the bracket becomes a bisection.
    Each iteration works only on the rows that have not converged yet.

    NaN where NPV does not change sign on (-0.99, 10] (or, never seen, Newton does not converge)."""
    n, h1 = cf.shape

    def npv(r):
        x = 1.0 / (1.0 + r)
        f = np.zeros(n)
        for t in range(h1 - 1, -1, -1):
            f = f * x + cf[:, t]
        return f

    flo, fhi = npv(np.full(n, IRR_LO)), npv(np.full(n, IRR_HI))
    out = np.full(n, np.nan)
    idx = np.flatnonzero((flo > 0) != (fhi > 0))
    a = np.where(flo[idx] < 0, IRR_LO, IRR_HI)  # NPV(a) < 0 < NPV(b)
    b = np.where(flo[idx] < 0, IRR_HI, IRR_LO)
    c = cf[idx]
    r = np.full(idx.size, 0.1)
    for _ in range(iters):
        if idx.size == 0:
            break
        x = 1.0 / (1.0 + r)
        f = np.zeros(idx.size)
        df = np.zeros(idx.size)
        for t in range(h1 - 1, -1, -1):  # f = sum cf_t x^t, df = its derivative in x
            df = df * x + f
            f = f * x + c[:, t]
        df *= -x * x  # d/dr = d/dx * dx/dr
        neg = f < 0.0
        a = np.where(neg, r, a)
        b = np.where(neg, b, r)
        with np.errstate(divide="ignore", invalid="ignore"):
            rn = r - f / df
        outside = ~((rn - a) * (rn - b) < 0.0)
        rn[outside] = 0.5 * (a[outside] + b[outside])
        conv = (np.abs(rn - r) <= tol * (1.0 + np.abs(r))) | (f == 0.0)
        out[idx[conv]] = np.where(f[conv] == 0.0, r[conv], rn[conv])
        keep = ~conv
        idx, c, r, a, b = idx[keep], c[keep], rn[keep], a[keep], b[keep]
    return out


def payback_numpy(f):
    """k + (-C_k)/f_{k+1}, k the last year with cumulative C_k < 0; 0 if never; inf if C_H < 0."""
    n, h1 = f.shape
    c = np.cumsum(f, axis=1)
    neg = c < 0.0
    any_neg = neg.any(axis=1)
    k = h1 - 1 - np.argmax(neg[:, ::-1], axis=1)
    kk = np.minimum(k, h1 - 2)[:, None]
    ck = np.take_along_axis(c, kk, axis=1)[:, 0]
    nxt = np.take_along_axis(f, kk + 1, axis=1)[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(any_neg, kk[:, 0] + (-ck) / nxt, 0.0)
    out[any_neg & (k == h1 - 1)] = np.inf
    return out


def metrics_numpy(B, C, rate, out):
    """All per-run metrics from benefits B and costs C (n, H+1) at rate (scalar or (n,))."""
    t = np.arange(B.shape[1])
    d = (1.0 + np.asarray(rate, float).reshape(-1, 1)) ** (-t)
    cf = B - C
    dcf = cf * d
    out[0] = dcf.sum(axis=1)
    out[1] = irr_numpy(cf)
    out[2] = payback_numpy(cf)
    out[3] = payback_numpy(dcf)
    sb, sc = B.sum(axis=1), C.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[4] = (sb - sc) / sc
        out[5] = (B * d).sum(axis=1) / (C * d).sum(axis=1)


def fintech_numpy_chunk(rng, n, out):
    t = np.arange(H1)
    active = (t >= 1).astype(float)  # every line but the build runs in years 1..5
    rate = _pert_np(rng, *FT_RATE, n)
    chargebacks = rng.lognormal(*FT_MFL, n) * _pert_np(rng, *FT_FNR, n)
    growth = _truncnorm_np(rng, *FT_VG, n)
    review = ALERT_REVIEW_HOURS * _pert_np(rng, *FT_RSS, n) * _truncnorm_np(rng, *FT_AR, n)
    ds_hours = MANUAL_RETRAINS * rng.triangular(*FT_HPR, n) - AUTO_RETRAINS * REVIEW_H_PER_AUTO
    incidents = rng.poisson(FT_INC, (n, H1))
    caught_cost = rng.uniform(*FT_DET, n) * rng.gamma(*FT_IC, n)
    fte = _pert_np(rng, *FT_FTE, n)
    build = _pert_np(rng, *FT_BUILD, n)
    valid = rng.triangular(*FT_VALID, n)
    licence = rng.lognormal(*FT_LIC, n)

    ramp06 = np.array([0.0, 0.6, 1, 1, 1, 1])
    ramp05 = np.array([0.0, 0.5, 1, 1, 1, 1])
    yrs_grown = np.maximum(t - 1, 0)
    B = chargebacks[:, None] * ramp06 * (1.0 + growth[:, None]) ** yrs_grown
    B += review[:, None] * ramp05
    B += (ds_hours * DS_RATE)[:, None] * active
    B += incidents * caught_cost[:, None] * active
    C = licence[:, None] * active * (1.0 + FT_LIC_GROWTH) ** yrs_grown
    C += (fte * ENGINEER_COST)[:, None] * active
    C[:, 0] += build
    C[:, 1] += valid
    metrics_numpy(B, C, rate, out)


def ten_numpy_chunk(rng, n, out):
    t = np.arange(H1)
    active = (t >= 1).astype(float)
    build = _pert_np(rng, *TI_BUILD, n)
    adoption = _pert_np(rng, *TI_ADOPT, n)
    hours = rng.lognormal(*TI_HOURS, n)
    hourly = rng.normal(*TI_RATE_H, n)
    cloud = rng.lognormal(*TI_CLOUD, n)
    incidents = rng.poisson(TI_INC, (n, H1))
    inc_cost = rng.gamma(*TI_IC, n)
    run_cost = rng.lognormal(*TI_RUN, n)
    growth = rng.normal(*TI_BG, n)
    migration = rng.triangular(*TI_MIG, n)

    ramp05 = np.array([0.0, 0.5, 1, 1, 1, 1])
    yrs_grown = np.maximum(t - 1, 0)
    B = (hours * hourly * adoption)[:, None] * ramp05 * (1.0 + growth[:, None]) ** yrs_grown
    B += (cloud * adoption)[:, None] * active
    B += incidents * (inc_cost * TI_INCIDENT_SHARE)[:, None] * active
    C = run_cost[:, None] * active * (1.0 + TI_RUN_GROWTH) ** yrs_grown
    C[:, 0] += build
    C[:, 1] += migration
    metrics_numpy(B, C, TI_RATE, out)


def run_numpy(chunk_fn, n, seed, chunk=NUMPY_CHUNK):
    """Simulate n runs in chunks; returns the (6, n) metrics."""
    rng = np.random.default_rng(seed)
    out = np.empty((N_METRICS, n))
    for a in range(0, n, chunk):
        m = min(chunk, n - a)
        chunk_fn(rng, m, out[:, a : a + m])
    return out


# ====================================================================== hand-fused numba
@njit(nogil=True, inline="always")
def _pert(rng, lo, mode, hi):
    a = 1.0 + 4.0 * (mode - lo) / (hi - lo)
    b = 1.0 + 4.0 * (hi - mode) / (hi - lo)
    return lo + (hi - lo) * rng.beta(a, b)


@njit(nogil=True, inline="always")
def _truncnorm(rng, mean, sd, lower):
    x = rng.normal(mean, sd)
    while x < lower:
        x = rng.normal(mean, sd)
    return x


@njit(nogil=True, inline="always")
def _poisson(rng, emlam, lam):
    """Poisson by sequential inversion of one uniform (exact; a few steps for small means)."""
    u = rng.random()
    k = 0
    p = emlam
    s = p
    while u > s and k < 1000:
        k += 1
        p *= lam / k
        s += p
    return k


@njit(nogil=True)
def _npv_at(cf, r):
    x = 1.0 / (1.0 + r)
    f = 0.0
    for t in range(cf.shape[0] - 1, -1, -1):
        f = f * x + cf[t]
    return f


@njit(nogil=True)
def _irr(cf):
    """Newton from 10% with a bisection fallback inside the bracket (-0.99, 10]."""
    flo = _npv_at(cf, IRR_LO)
    fhi = _npv_at(cf, IRR_HI)
    if fhi == 0.0:
        return IRR_HI
    if (flo > 0.0) == (fhi > 0.0):
        return np.nan
    if flo < 0.0:
        a, b = IRR_LO, IRR_HI  # f(a) < 0 < f(b)
    else:
        a, b = IRR_HI, IRR_LO
    r = 0.1
    for _ in range(200):
        x = 1.0 / (1.0 + r)
        f = 0.0
        df = 0.0
        for t in range(cf.shape[0] - 1, -1, -1):
            df = df * x + f
            f = f * x + cf[t]
        df *= -x * x
        if f == 0.0:
            return r
        if f < 0.0:
            a = r
        else:
            b = r
        rn = r - f / df if df != 0.0 else 0.5 * (a + b)
        if not ((rn - a) * (rn - b) < 0.0):
            rn = 0.5 * (a + b)
        if abs(rn - r) <= 1e-12 * (1.0 + abs(r)):
            return rn
        r = rn
    return r


@njit(nogil=True)
def _payback(cf, d, discounted):
    c = 0.0
    k = -1
    ck = 0.0
    n = cf.shape[0]
    for t in range(n):
        c += cf[t] * d[t] if discounted else cf[t]
        if c < 0.0:
            k = t
            ck = c
    if k < 0:
        return 0.0
    if k == n - 1:
        return np.inf
    nxt = cf[k + 1] * d[k + 1] if discounted else cf[k + 1]
    return k + (-ck) / nxt


@njit(nogil=True)
def _finish(cf, d, sb, sc, pvb, pvc, out, o):
    npv = 0.0
    for t in range(cf.shape[0]):
        npv += cf[t] * d[t]
        out[N_METRICS + t, o] = cf[t]
    out[0, o] = npv
    out[1, o] = _irr(cf)
    out[2, o] = _payback(cf, d, False)
    out[3, o] = _payback(cf, d, True)
    out[4, o] = (sb - sc) / sc if sc != 0.0 else np.nan
    out[5, o] = pvb / pvc if pvc != 0.0 else np.nan


FT_POIS_E = math.exp(-FT_INC)


@njit(nogil=True, error_model="numpy")
def fintech_kernel(rng, n, off, out):
    cf = np.empty(H1)
    d = np.empty(H1)
    mu_m, s_m = FT_MFL
    mu_l, s_l = FT_LIC
    ic_k, ic_s = FT_IC
    for i in range(n):
        o = off + i
        rate = _pert(rng, 0.065, 0.08, 0.11)
        chargebacks = math.exp(mu_m + s_m * rng.standard_normal()) * _pert(rng, 0.12, 0.20, 0.26)
        growth = _truncnorm(rng, 0.06, 0.03, -0.05)
        review = (
            ALERT_REVIEW_HOURS * _pert(rng, 0.15, 0.25, 0.35) * _truncnorm(rng, 45.0, 5.0, 30.0)
        )
        ds = (
            MANUAL_RETRAINS * rng.triangular(80.0, 120.0, 200.0) - AUTO_RETRAINS * REVIEW_H_PER_AUTO
        ) * DS_RATE
        det = rng.uniform(0.50, 0.80)
        ic = rng.gamma(ic_k, ic_s)
        fte_cost = _pert(rng, 0.3, 0.5, 0.8) * ENGINEER_COST
        build = _pert(rng, 180_000.0, 240_000.0, 380_000.0)
        valid = rng.triangular(15_000.0, 25_000.0, 50_000.0)
        licence = math.exp(mu_l + s_l * rng.standard_normal())
        x = 1.0 / (1.0 + rate)
        sb = 0.0
        sc = build
        pvb = 0.0
        pvc = build
        g = 1.0
        gl = 1.0
        df = 1.0
        d[0] = 1.0
        _poisson(rng, FT_POIS_E, FT_INC)  # the year-0 count is drawn (as roisim does) but unused
        cf[0] = -build
        for t in range(1, H1):
            df *= x
            d[t] = df
            inc = _poisson(rng, FT_POIS_E, FT_INC)
            if t > 1:
                g *= 1.0 + growth
                gl *= 1.0 + FT_LIC_GROWTH
            b = (
                chargebacks * (0.6 if t == 1 else 1.0) * g
                + review * (0.5 if t == 1 else 1.0)
                + ds
                + inc * det * ic
            )
            c = licence * gl + fte_cost + (valid if t == 1 else 0.0)
            sb += b
            sc += c
            pvb += b * df
            pvc += c * df
            cf[t] = b - c
        _finish(cf, d, sb, sc, pvb, pvc, out, o)


TI_POIS_E = math.exp(-TI_INC)


@njit(nogil=True, error_model="numpy")
def ten_kernel(rng, n, off, out):
    cf = np.empty(H1)
    d = np.empty(H1)
    mu_h, s_h = TI_HOURS
    mu_c, s_c = TI_CLOUD
    mu_r, s_r = TI_RUN
    ic_k, ic_s = TI_IC
    x = 1.0 / (1.0 + TI_RATE)
    d[0] = 1.0
    for t in range(1, H1):
        d[t] = d[t - 1] * x
    for i in range(n):
        o = off + i
        build = _pert(rng, 200_000.0, 260_000.0, 420_000.0)
        adoption = _pert(rng, 0.30, 0.60, 0.90)
        hours = math.exp(mu_h + s_h * rng.standard_normal())
        hourly = rng.normal(70.0, 8.0)
        cloud = math.exp(mu_c + s_c * rng.standard_normal())
        inc_cost = rng.gamma(ic_k, ic_s) * TI_INCIDENT_SHARE
        run_cost = math.exp(mu_r + s_r * rng.standard_normal())
        growth = rng.normal(0.05, 0.02)
        migration = rng.triangular(20_000.0, 40_000.0, 90_000.0)
        staff = hours * hourly * adoption
        cloud_b = cloud * adoption
        sb = 0.0
        sc = build
        pvb = 0.0
        pvc = build
        g = 1.0
        gr = 1.0
        _poisson(rng, TI_POIS_E, TI_INC)  # the year-0 count is drawn (as roisim does) but unused
        cf[0] = -build
        for t in range(1, H1):
            inc = _poisson(rng, TI_POIS_E, TI_INC)
            if t > 1:
                g *= 1.0 + growth
                gr *= 1.0 + TI_RUN_GROWTH
            b = staff * (0.5 if t == 1 else 1.0) * g + cloud_b + inc * inc_cost
            c = run_cost * gr + (migration if t == 1 else 0.0)
            sb += b
            sc += c
            pvb += b * d[t]
            pvc += c * d[t]
            cf[t] = b - c
        _finish(cf, d, sb, sc, pvb, pvc, out, o)


def run_ceiling(kernel, n, seed, threads):
    """n runs of a hand-fused kernel on ``threads`` threads; returns (6 + H+1, n)."""
    out = np.empty((N_METRICS + H1, n))
    starts = list(range(0, n, BLOCK))
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                if nxt[0] >= len(starts):
                    return
                b = nxt[0]
                nxt[0] += 1
            s = starts[b]
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
            kernel(rng, min(BLOCK, n - s), s, out)

    if threads == 1:
        worker()
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for f in [pool.submit(worker) for _ in range(threads)]:
                f.result()
    return out


MODELS = {
    "fintech": {"numpy": fintech_numpy_chunk, "ceiling": fintech_kernel},
    "ten_inputs": {"numpy": ten_numpy_chunk, "ceiling": ten_kernel},
}
