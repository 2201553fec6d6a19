"""The kernels' internals: the counter-based uniform stream, ndtri and the sampling tables.

Expected values come from an independent re-implementation (the SplitMix64 uniform, written
out in Python integers from docs/methodology.md section 6) or from scipy (``special.ndtri``,
the frozen distributions' ``ppf``, ``isf``, ``cdf`` and ``sf``); never from roisim itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from roisim.engine.tables import discrete_table, quantile_table
from roisim.kernels import inverse, rng

# ---------------------------------------------------------------- the kernel's uniform stream
MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
M1, M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def py_mix64(z):
    z = ((z ^ (z >> 30)) * M1) & MASK
    z = ((z ^ (z >> 27)) * M2) & MASK
    return z ^ (z >> 31)


def py_unmix64(y):
    """Inverse of SplitMix64's output function."""

    def unxorshift(v, s):
        x = v
        for _ in range(64 // s + 1):
            x = v ^ (x >> s)
        return x

    y = unxorshift(y, 31)
    y = (y * pow(M2, -1, 1 << 64)) & MASK
    y = unxorshift(y, 27)
    y = (y * pow(M1, -1, 1 << 64)) & MASK
    return unxorshift(y, 30)


def key_for(mixed_output, run=0, year=0):
    z = py_unmix64(mixed_output)
    assert py_mix64(z) == mixed_output
    return (z - (run * 128 + year + 1) * GAMMA) & MASK


def test_uniform01_matches_documented_formula_and_is_inside_unit_interval():
    g = np.random.default_rng(7)
    keys = [int(k) for k in g.integers(0, 2**63, size=40, dtype=np.int64)] + [0, MASK, 2**63]
    vals = []
    for key in keys:
        for run in (0, 1, 65_535, 65_536, 10**9):
            for year in (0, 1, 100):
                u = rng.uniform01(np.uint64(key), run, year)
                z = (key + (run * 128 + year + 1) * GAMMA) & MASK
                assert u == ((py_mix64(z) >> 12) + 0.5) * 2.0**-52
                vals.append(u)
    vals = np.array(vals)
    assert np.all((vals > 0) & (vals < 1))


def test_uniform01_extremes():
    top = rng.uniform01(np.uint64(key_for(MASK, run=3, year=2)), 3, 2)  # top 52 bits all ones
    assert top < 1.0 and top == 1.0 - 2.0**-53
    bottom = rng.uniform01(np.uint64(key_for(0, run=5, year=0)), 5, 0)  # all zeros
    assert bottom > 0.0 and bottom == 2.0**-53
    # the largest output with the low 12 bits set is still below 1
    assert rng.uniform01(np.uint64(key_for(MASK ^ 0x800)), 0, 0) == 1.0 - 2.0**-53


def test_ndtri_against_scipy():
    p = np.concatenate(
        [
            [
                2.0**-53,
                2.0**-52,
                1e-15,
                1e-10,
                np.exp(-25.0),
                1e-5,
                0.02425,
                0.075,
                0.0750000001,
                0.3,
                0.5,
                0.5 + 1e-12,
                0.7,
                0.925,
                1 - 1e-5,
                1 - 1e-10,
                1 - 2.0**-52,
                1 - 2.0**-53,
            ],
            np.logspace(-16, np.log10(0.5), 300),
            1 - np.logspace(-16, np.log10(0.5), 300),
            np.linspace(0.001, 0.999, 999),
        ]
    )
    for v in p:
        got = inverse.ndtri(float(v))
        ref = float(special.ndtri(v))
        assert abs(got - ref) <= 1e-14 * abs(ref), (v, got, ref)
    assert inverse.ndtri(0.5) == 0.0


def u_grid(n=10_000):
    tails = np.array(
        [2.0**-53, 2.0**-52, 1e-16, 1e-15, 1e-13, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3]
    )
    special_u = np.concatenate([tails, [0.5], 1 - tails])
    body = special.ndtr(np.linspace(-8.2, 8.2, 6000))
    g = np.random.default_rng(11)
    u = np.concatenate([special_u, body, g.random(n - 6000 - len(special_u))])
    u = np.clip(u, 2.0**-53, 1 - 2.0**-53)
    assert len(u) == n
    return u


def pert(lo, mode, hi, lam=4.0):
    a = 1 + lam * (mode - lo) / (hi - lo)
    b = 1 + lam * (hi - mode) / (hi - lo)
    return stats.beta(a, b, loc=lo, scale=hi - lo)


@pytest.mark.parametrize(
    "label, frozen",
    [
        ("pert(120,160,240)", pert(120, 160, 240)),
        ("beta(0.5,0.5)", stats.beta(0.5, 0.5)),
        ("beta(5,2)", stats.beta(5, 2)),
        ("gamma(0.3)", stats.gamma(0.3)),
        ("gamma(20)", stats.gamma(20)),
    ],
)
def test_hermite_quantile_table_against_scipy(label, frozen):
    table = quantile_table(frozen)
    off = 7
    T = np.concatenate([np.full(off, np.nan), table])  # the table need not start at 0
    P = np.array([0.0, 1.0, float(off)])
    tol = 1e-9 * frozen.std()
    worst = 0.0
    for u in u_grid():
        # exact quantile of the double u: the lower tail by ppf, the upper by isf(1 - u)
        # (1 - u is exact)
        ref = frozen.ppf(u) if u < 0.5 else frozen.isf(1.0 - u)
        got = inverse.s_table(float(u), P, 0, T)
        worst = max(worst, abs(got - ref))
    assert worst <= tol, (label, worst, tol)


DISCRETE_CASES = [
    ("poisson", {"mean": 3.5}, stats.poisson(3.5)),
    ("poisson", {"mean": 1e5}, stats.poisson(1e5)),
    ("binomial", {"n": 40, "p": 0.3}, stats.binom(40, 0.3)),
]
DISCRETE_IDS = ["poisson(3.5)", "poisson(1e5)", "binomial(40,0.3)"]
P_DISCRETE = np.array([0.0, 1.0, 0.0])


def support(frozen):
    return np.arange(0, int(frozen.mean() + 40 * frozen.std() + 60))


@pytest.mark.parametrize("family, params, frozen", DISCRETE_CASES, ids=DISCRETE_IDS)
def test_guide_table_discrete_sampler_against_scipy(family, params, frozen):
    """scipy's ppf on 10,000 u from 2**-53 up to 1 - 1e-12 (above that, see the tail test)."""
    T = discrete_table(frozen, family, params)
    u = u_grid()
    u = u[u <= 1 - 1e-12]
    assert len(u) > 9_000 and u.min() == 2.0**-53
    got = np.array([inverse.s_discrete(float(v), P_DISCRETE, 0, T) for v in u])
    # the exact quantile of the double u: by the CDF below 1/2, by the survival function above
    # (1 - u is exact there; scipy's ppf and isf lose the last digits of the far upper tail, e.g.
    # poisson(1e5) at 1 - u = 1.0957e-12 where sf(102228) = 1.09571e-12 > 1 - u)
    ks = support(frozen)
    sf = frozen.sf(ks)
    upper = ks[np.searchsorted(-sf, -(1.0 - u), side="left")]
    expected = np.where(u <= 0.5, frozen.ppf(u), upper)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("family, params, frozen", DISCRETE_CASES, ids=DISCRETE_IDS)
def test_guide_table_discrete_sampler_on_cdf_boundaries(family, params, frozen):
    """u exactly on a CDF value F(k), and one ulp either side: the answer is the smallest support
    value with F(k) >= u (u <= 1/2) or S(k) <= 1 - u (u > 1/2) -- the documented definition."""
    T = discrete_table(frozen, family, params)
    ks = support(frozen)
    cdf = frozen.cdf(ks)
    sf = frozen.sf(ks)
    for c in cdf[(cdf > 1e-12) & (cdf < 1 - 1e-9)]:
        for v in (c, np.nextafter(c, 0.0), np.nextafter(c, 1.0)):
            # below 1/2 the smallest k with F(k) >= u; above, the smallest k with S(k) <= 1 - u
            expected = ks[np.argmax(cdf >= v)] if v <= 0.5 else ks[np.argmax(sf <= 1.0 - v)]
            assert inverse.s_discrete(float(v), P_DISCRETE, 0, T) == expected, v


@pytest.mark.parametrize("family, params, frozen", DISCRETE_CASES, ids=DISCRETE_IDS)
def test_guide_table_discrete_sampler_extreme_upper_tail(family, params, frozen):
    """The generator's top 200 uniforms, u = 1 - (2j - 1)·2**-53 (1 - u exact).  The exact
    quantile there is the smallest k with sf(k) <= 1 - u; a CDF stored in double cannot resolve
    it (F rounds to 1 - 2**-53 or 1 once sf(k) < ~1e-16)."""
    T = discrete_table(frozen, family, params)
    ks = support(frozen)
    sf = frozen.sf(ks)
    bad = []
    for j in range(1, 201):
        v = 1.0 - (2 * j - 1) * 2.0**-53
        expected = ks[np.argmax(sf <= 1.0 - v)]
        got = inverse.s_discrete(v, P_DISCRETE, 0, T)
        if got != expected:
            bad.append((f"1-{(2 * j - 1)}*2**-53", got, int(expected)))
    assert not bad, bad[:5]
