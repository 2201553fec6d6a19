"""Inverse CDFs evaluated in numba: the only way roisim turns uniforms into draws.

Each sampler takes a uniform ``u`` in (0, 1) (made by the plan's uniform source,
``roisim.engine.sampling``), the parameter array ``params`` and the index ``first`` of its
parameters there (tabled families also read ``tables``).  ``params[first]`` and
``params[first + 1]`` always hold ``F(lower)`` and ``F(upper) - F(lower)`` so truncation is
``u' = F(lower) + u·(F(upper) - F(lower))`` for every continuous family (the conditional
distribution, not clipping).
"""

import math

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _ndtri_central(q):
    """AS241 for |p - 0.5| <= 0.425: a rational function of r = 0.180625 - q², q = p - 0.5."""
    r = 0.180625 - q * q
    num = (
        (
            (
                (
                    (
                        (2509.0809287301226727 * r + 33430.575583588128105) * r
                        + 67265.770927008700853
                    )
                    * r
                    + 45921.953931549871457
                )
                * r
                + 13731.693765509461125
            )
            * r
            + 1971.5909503065514427
        )
        * r
        + 133.14166789178437745
    ) * r + 3.387132872796366608
    den = (
        (
            (
                (
                    ((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061)
                    * r
                    + 21213.794301586595867
                )
                * r
                + 5394.1960214247511077
            )
            * r
            + 687.1870074920579083
        )
        * r
        + 42.313330701600911252
    ) * r + 1.0
    return q * num / den


@njit(cache=True, nogil=True, inline="always")
def _ndtri_tail(r):
    """AS241 for r = sqrt(-log(min(p, 1 - p))) <= 5: |z| as a rational function of r - 1.6."""
    r -= 1.6
    num = (
        (
            (
                (
                    (
                        (7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                        + 0.24178072517745061177
                    )
                    * r
                    + 1.27045825245236838258
                )
                * r
                + 3.64784832476320460504
            )
            * r
            + 5.7694972214606914055
        )
        * r
        + 4.6303378461565452959
    ) * r + 1.42343711074968357734
    den = (
        (
            (
                (
                    (
                        (1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                        + 0.0151986665636164571966
                    )
                    * r
                    + 0.14810397642748007459
                )
                * r
                + 0.68976733498510000455
            )
            * r
            + 1.6763848301838038494
        )
        * r
        + 2.05319162663775882187
    ) * r + 1.0
    return num / den


@njit(cache=True, nogil=True, inline="always")
def _ndtri_far_tail(r):
    """AS241 for r > 5 (min(p, 1 - p) below about 1.4e-11): |z| as a function of r - 5."""
    r -= 5.0
    num = (
        (
            (
                (
                    (
                        (2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                        + 0.0012426609473880784386
                    )
                    * r
                    + 0.026532189526576123093
                )
                * r
                + 0.29656057182850489123
            )
            * r
            + 1.7848265399172913358
        )
        * r
        + 5.4637849111641143699
    ) * r + 6.6579046435011037772
    den = (
        (
            (
                (
                    (
                        (2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                        + 1.8463183175100546818e-5
                    )
                    * r
                    + 7.868691311456132591e-4
                )
                * r
                + 0.0148753612908506148525
            )
            * r
            + 0.13692988092273580531
        )
        * r
        + 0.59983220655588793769
    ) * r + 1.0
    return num / den


@njit(cache=True, nogil=True)
def ndtri(p):
    """Standard normal quantile, Wichura's AS241 (PPND16), relative error about 1e-16."""
    q = p - 0.5
    if abs(q) <= 0.425:
        return _ndtri_central(q)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    x = _ndtri_tail(r) if r <= 5.0 else _ndtri_far_tail(r)
    return -x if q < 0.0 else x


@njit(cache=True, nogil=True, inline="always")
def s_uniform(u, params, first):
    """params[first + 2] = min, params[first + 3] = max."""
    v = params[first] + u * params[first + 1]
    return params[first + 2] + v * (params[first + 3] - params[first + 2])


@njit(cache=True, nogil=True, inline="always")
def s_normal(u, params, first):
    """params[first + 2] = mean, params[first + 3] = sd."""
    return params[first + 2] + params[first + 3] * ndtri(params[first] + u * params[first + 1])


@njit(cache=True, nogil=True, inline="always")
def s_lognormal(u, params, first):
    """params[first + 2] = mu, params[first + 3] = sigma (of log X)."""
    return math.exp(
        params[first + 2] + params[first + 3] * ndtri(params[first] + u * params[first + 1])
    )


@njit(cache=True, nogil=True, inline="always")
def s_triangular(u, params, first):
    """params[first + 2] = min, params[first + 3] = mode, params[first + 4] = max."""
    v = params[first] + u * params[first + 1]
    a = params[first + 2]
    c = params[first + 3]
    b = params[first + 4]
    fc = (c - a) / (b - a)
    if v < fc:
        return a + math.sqrt(v * (b - a) * (c - a))
    return b - math.sqrt((1.0 - v) * (b - a) * (b - c))


@njit(cache=True, nogil=True, inline="always")
def s_table(u, params, first, tables):
    """Cubic Hermite interpolation of the quantile function in normal-score space.

    params[first + 2] = offset o of the table in ``tables`` (T below); T[o] = z0, T[o+1] = 1/h,
    T[o+2] = K, T[o+3 : o+3+K] = x(z_k), T[o+3+K : o+3+2K] = h·dx/dz at z_k, z_k = z0 + k·h.
    """
    o = int(params[first + 2])
    z = ndtri(params[first] + u * params[first + 1])
    k = int(tables[o + 2])
    s = (z - tables[o]) * tables[o + 1]
    if s < 0.0:
        s = 0.0
    if s > k - 1.000001:
        s = k - 1.000001
    j = int(s)
    t = s - j
    x0 = tables[o + 3 + j]
    x1 = tables[o + 4 + j]
    m0 = tables[o + 3 + k + j]
    m1 = tables[o + 4 + k + j]
    t2 = t * t
    t3 = t2 * t
    return (
        (2.0 * t3 - 3.0 * t2 + 1.0) * x0
        + (t3 - 2.0 * t2 + t) * m0
        + (3.0 * t2 - 2.0 * t3) * x1
        + (t3 - t2) * m1
    )


@njit(cache=True, nogil=True, inline="always")
def s_discrete(u, params, first, tables):
    """Inversion of a finite discrete distribution with a guide table (exact).

    x = the smallest support value v_i with F(v_i) >= u, tested as S(v_i) <= 1 - u for u > 0.5
    (1 - u is exact there, and the survival function S keeps the far tail's precision).
    params[first + 2] = offset o in ``tables`` (T below); T[o] = n, T[o+1] = G;
    T[o+2 : o+2+n] = CDF (last = 1), T[o+2+n : o+2+2n] = values, T[o+2+2n : o+2+2n+G] = guide
    indices, then n survival values.
    """
    o = int(params[first + 2])
    n = int(tables[o])
    g = int(tables[o + 1])
    c = o + 2
    i = int(tables[c + 2 * n + int(u * g)])
    if u <= 0.5:
        while tables[c + i] < u:
            i += 1
    else:
        q = 1.0 - u
        s = c + 2 * n + g
        while tables[s + i] > q:
            i += 1
    return tables[c + n + i]
