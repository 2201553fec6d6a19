"""roisim.finance on deterministic flows: closed forms, numpy_financial and the independent
oracles of tests/oracles.py."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from oracles import discounted_payback, irr_brent, npv, npv_roots, npv_scale, payback

from roisim import finance

TIMINGS = ("end-of-year", "mid-year")


def arr(flows) -> np.ndarray:
    return np.asarray(flows, dtype=float)


def f(x) -> float:
    """A scalar result (float, numpy scalar or 0-d array) as a Python float."""
    a = np.asarray(x)
    assert a.shape in ((), (1,)), a.shape
    return float(a.reshape(()))


# --------------------------------------------------------------------------- NPV
NPV_FLOWS = [
    [-100.0, 30, 40, 50, 20],
    [-1000.0, 0, 0, 1500],
    [250.0, -80, -80, -80],
    [-5e6, 1.2e6, 1.3e6, 1.4e6, 1.5e6, 1.6e6, 1.7e6],
    [42.0],
    [0.0, 0.0, 0.0],
]
RATES = [-0.5, 0.0, 0.035, 0.08, 0.25, 3.0]


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("flows", NPV_FLOWS)
def test_npv_end_of_year_matches_numpy_financial(rate, flows):
    expected = npf.npv(rate, flows)
    got = f(finance.npv(rate, arr(flows)))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-9)
    # default timing is end-of-year
    assert f(finance.npv(rate, arr(flows), timing="end-of-year")) == pytest.approx(
        got, rel=1e-14, abs=1e-12
    )


def test_npv_end_of_year_hand_computed():
    # -100 + 60/1.1 + 60/1.21
    assert f(finance.npv(0.1, arr([-100, 60, 60]))) == pytest.approx(
        -100 + 60 / 1.1 + 60 / 1.21, rel=1e-13
    )


def test_npv_mid_year_hand_computed():
    # years >= 1 at t - 0.5; year 0 undiscounted
    expected = -100 + 60 / 1.1**0.5 + 60 / 1.1**1.5
    assert f(finance.npv(0.1, arr([-100, 60, 60]), timing="mid-year")) == pytest.approx(
        expected, rel=1e-13
    )


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("flows", NPV_FLOWS)
def test_npv_mid_year_is_sqrt_factor_on_years_after_zero(rate, flows):
    flows = arr(flows)
    eoy_after_0 = npf.npv(rate, flows) - flows[0]
    expected = flows[0] + math.sqrt(1.0 + rate) * eoy_after_0
    got = f(finance.npv(rate, flows, timing="mid-year"))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("timing", TIMINGS)
def test_npv_at_zero_rate_is_the_sum(timing):
    flows = arr([-300, 100, -20, 250, 7])
    assert f(finance.npv(0.0, flows, timing=timing)) == pytest.approx(flows.sum(), rel=1e-14)


# --------------------------------------------------------------------------- IRR
IRR_ONE_SIGN_CHANGE = [
    [-100.0, 110],  # 10%
    [-100.0, 50],  # -50%
    [-100.0, 30, 40, 50, 20],
    [-1000.0, 0, 0, 1500],
    [-50.0, -50, 30, 40, 60],
    [-5e6, 1.2e6, 1.3e6, 1.4e6, 1.5e6, 1.6e6, 1.7e6],
    [-100.0, 0, 0, 0, 1],  # (1+r)^4 = 0.01 -> r = -0.6838
    [-1.0, 10.9],  # 9.9, just inside (-0.99, 10]
    [100.0, -120],  # borrowing: sign change + to -, root 20%
]


@pytest.mark.parametrize("flows", IRR_ONE_SIGN_CHANGE)
def test_irr_one_sign_change_matches_numpy_financial(flows):
    expected = npf.irr(flows)
    got = f(finance.irr(arr(flows)))
    assert got == pytest.approx(expected, abs=1e-8)
    assert abs(npv(got, flows)) <= 1e-8 * npv_scale(got, flows)


@pytest.mark.parametrize(
    "flows, expected",
    [
        ([-100.0, 110], 0.10),
        ([-100.0, 50], -0.50),
        ([-100.0, 0, 0, 0, 1], 0.01**0.25 - 1),
        ([-1000.0, 0, 1210], 0.10),
        ([100.0, -120], 0.20),
    ],
)
def test_irr_closed_form(flows, expected):
    assert f(finance.irr(arr(flows))) == pytest.approx(expected, abs=1e-9)


def test_irr_mid_year_closed_form():
    # -100 + 121 (1+r)^-0.5 = 0  ->  1 + r = 1.21^2
    got = f(finance.irr(arr([-100, 121]), timing="mid-year"))
    assert got == pytest.approx(1.21**2 - 1, abs=1e-9)


@pytest.mark.parametrize(
    "flows", [[-100.0, 30, 40, 50, 20], [-1000.0, 0, 0, 1500], [-50.0, -50, 30, 40, 60]]
)
def test_irr_mid_year_is_root_of_mid_year_npv(flows):
    expected = irr_brent(flows, "mid-year")
    got = f(finance.irr(arr(flows), timing="mid-year"))
    assert got == pytest.approx(expected, abs=1e-8)
    # and it differs from the end-of-year IRR (the year-0 flow is not scaled by sqrt(1+r))
    assert abs(got - npf.irr(flows)) > 1e-4


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize(
    "flows",
    [
        [100.0, 50, 20],  # all positive
        [-10.0, -20, -5],  # all negative
        [0.0, 10, 0, 5],  # non-negative with zeros
        [-10.0, 0, -3],
    ],
)
def test_irr_without_sign_change_is_nan(flows, timing):
    assert math.isnan(f(finance.irr(arr(flows), timing=timing)))


def _flows_from_roots(rates, lead=-100.0):
    """End-of-year flows whose NPV roots are exactly ``rates``: sum CF_t y^(H-t) with y = 1+r."""
    return lead * np.poly(1.0 + np.asarray(rates, float))


@pytest.mark.parametrize(
    "flows, expected",
    [
        ([-100.0, 230, -132], 0.10),  # roots 10% and 20%
        ([-100.0, 180, -65], -0.50),  # roots -50% and 30%
        (list(_flows_from_roots([0.05, 0.25, 0.60])), 0.05),  # three roots
        (list(_flows_from_roots([0.60, -0.30, 1.50])), -0.30),  # three roots, smallest negative
        (
            list(_flows_from_roots([-0.995, 0.20])),
            0.20,
        ),  # smaller root below -0.99: not in the interval
        (list(_flows_from_roots([0.15, 14.0])), 0.15),  # larger root above 10: ignored anyway
    ],
)
def test_irr_several_roots_reports_the_smallest_in_interval(flows, expected):
    flows = arr(flows)
    # the oracle really has these roots
    assert abs(npv(expected, flows)) < 1e-9 * np.abs(flows).sum()
    assert f(finance.irr(flows)) == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize(
    "roots",
    [
        [0.10, 0.115],  # two roots 1.5 points apart
        [0.05, 0.06, 0.40],  # the two smallest roots 1 point apart
        [0.30, 0.32],
        [2.00, 2.05],
    ],
)
def test_irr_several_roots_close_together_reports_the_smallest(roots):
    """The smallest-root rule holds however close the roots are (numpy_financial finds them)."""
    flows = _flows_from_roots(roots)
    assert f(finance.irr(flows)) == pytest.approx(min(roots), abs=1e-8)


@pytest.mark.parametrize(
    "flows",
    [
        [-100.0, 230, -132],
        [-100.0, 180, -65],
        [-100.0, 351, -406.7, 155.82],
        [-100.0, 480, -687, 280],
        [50.0, -120, 80],  # no end-of-year root, two mid-year roots
        [-10.0, 25, -15.6],
    ],
)
def test_irr_mid_year_several_roots_reports_the_smallest(flows):
    roots = npv_roots(flows, "mid-year")
    assert len(roots) >= 2  # the oracle sees several roots
    assert f(finance.irr(arr(flows), timing="mid-year")) == pytest.approx(min(roots), abs=1e-8)


def test_irr_flows_from_roots_hand_checked():
    np.testing.assert_allclose(_flows_from_roots([0.1, 0.2]), [-100, 230, -132])


@pytest.mark.parametrize(
    "flows",
    [
        [-1.0, 12.0],  # root 11 > 10
        [-1.0, 0.005],  # root -0.995 < -0.99
        [-1.0, 0.0, 0.00004],  # (1+r)^2 = 4e-5 -> r = -0.9937
        list(_flows_from_roots([-0.995, 12.0])),  # two roots, both outside
    ],
)
def test_irr_root_outside_interval_is_nan(flows):
    assert math.isnan(f(finance.irr(arr(flows))))


def test_irr_upper_end_just_inside():
    # root 9.99 is inside (-0.99, 10]
    assert f(finance.irr(arr([-1.0, 10.99]))) == pytest.approx(9.99, abs=1e-8)


# --------------------------------------------------------------------------- payback
@pytest.mark.parametrize(
    "flows, expected",
    [
        ([-100.0, 50, 50], 2.0),  # exactly on a year boundary
        ([-100.0, 100], 1.0),
        ([-100.0, 60, 60], 1 + 40 / 60),  # interpolated within year 2
        ([-100.0, 30, 40, 50, 20], 2 + 30 / 50),  # cumulative -100, -70, -30, 20, 40
        ([-100.0, 10, 10], math.inf),  # never pays back
        ([-100.0], math.inf),
        (
            [-100.0, 150, -100, 100],
            2 + 50 / 100,
        ),  # cumulative -100, 50, -50, 50: last negative year 2
        (
            [-100.0, 150, -60, 10],
            3.0,
        ),  # cumulative -100, 50, -10, 0: ends exactly at 0 -> 2 + 10/10
        ([-100.0, 150, -60, 5], math.inf),  # cumulative -100, 50, -10, -5: ends negative
        ([0.0, 10, 20], 0.0),  # no investment
        ([5.0, 0, 0], 0.0),
        ([0.0, 0, 0], 0.0),
        ([10.0, -5, 3], 0.0),  # cumulative 10, 5, 8: never negative
        ([50.0, -100, 20, 40], 2 + 30 / 40),  # cumulative 50, -50, -30, 10
        ([0.0, -10, 20], 1 + 10 / 20),
    ],
)
def test_payback(flows, expected):
    got = f(finance.payback(arr(flows)))
    if math.isinf(expected):
        assert got == math.inf
    else:
        assert got == pytest.approx(expected, abs=1e-12)


def test_discounted_payback_hand_computed():
    # discounted: -100, 54.5454.., 49.5867.., 45.078..; cumulative -100, -45.45.., 4.13..
    expected = 1 + (100 - 60 / 1.1) / (60 / 1.21)
    assert f(finance.discounted_payback(0.1, arr([-100, 60, 60, 60]))) == pytest.approx(
        expected, abs=1e-12
    )


def test_discounted_payback_mid_year_hand_computed():
    d1, d2 = 60 / 1.1**0.5, 60 / 1.1**1.5
    expected = 1 + (100 - d1) / d2
    got = f(finance.discounted_payback(0.1, arr([-100, 60, 60, 60]), timing="mid-year"))
    assert got == pytest.approx(expected, abs=1e-12)


def test_discounted_payback_can_be_infinite_when_payback_is_not():
    flows = arr(
        [-100, 50, 55]
    )  # undiscounted: pays back at 1 + 50/55; discounted at 10%: 45.45 + 45.45 < 100
    assert f(finance.payback(flows)) == pytest.approx(1 + 50 / 55, abs=1e-12)
    assert f(finance.discounted_payback(0.1, flows)) == math.inf


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("rate", [0.0, 0.05, 0.12, -0.2])
@pytest.mark.parametrize(
    "flows",
    [
        [-100.0, 60, 60, 60],
        [-100.0, 150, -100, 100, 5],
        [-100.0, 30, 40, 50, 20],
        [10.0, 5, 5],
        [-1000.0, 0, 0, 1500],
        [-100.0, 10, 10],
    ],
)
def test_discounted_payback_closed_form(flows, rate, timing):
    expected = discounted_payback(rate, flows, timing)
    got = f(finance.discounted_payback(rate, arr(flows), timing=timing))
    if math.isinf(expected):
        assert got == math.inf
    else:
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("flows", [[-100.0, 60, 60], [-100.0, 150, -100, 100], [-100.0, 10, 10]])
def test_discounted_payback_at_zero_rate_equals_payback(flows):
    for timing in TIMINGS:
        a = f(finance.discounted_payback(0.0, arr(flows), timing=timing))
        b = f(finance.payback(arr(flows)))
        assert a == b or a == pytest.approx(b, abs=1e-12)


# --------------------------------------------------------------------------- 2-D input
ROWS = arr(
    [
        [-100, 50, 50, 0],
        [-100, 60, 60, 0],
        [-100, 150, -100, 100],
        [-100, 10, 10, 10],  # never pays back (IRR -42%)
        [100, 50, 20, 10],  # no sign change: IRR NaN, payback 0
        [-100, 230, -132, 0],  # two roots
        [-1, 12, 0, 0],  # root outside
        [-1000, 300, 400, 500],
    ]
)


def _assert_same(a, b):
    np.testing.assert_allclose(
        np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=1e-12, equal_nan=True
    )


@pytest.mark.parametrize("timing", TIMINGS)
def test_2d_rows_equal_1d_answers(timing):
    rate = 0.08
    npv2 = np.asarray(finance.npv(rate, ROWS, timing=timing))
    irr2 = np.asarray(finance.irr(ROWS, timing=timing))
    pb2 = np.asarray(finance.payback(ROWS))
    dpb2 = np.asarray(finance.discounted_payback(rate, ROWS, timing=timing))
    for a in (npv2, irr2, pb2, dpb2):
        assert a.shape == (ROWS.shape[0],), a.shape
    for i, row in enumerate(ROWS):
        row = np.ascontiguousarray(row)
        _assert_same(npv2[i], f(finance.npv(rate, row, timing=timing)))
        _assert_same(irr2[i], f(finance.irr(row, timing=timing)))
        _assert_same(pb2[i], f(finance.payback(row)))
        _assert_same(dpb2[i], f(finance.discounted_payback(rate, row, timing=timing)))


def test_2d_against_oracles():
    rate = 0.08
    _assert_same(np.asarray(finance.npv(rate, ROWS)), [npf.npv(rate, r) for r in ROWS])
    irr = np.asarray(finance.irr(ROWS))
    expected_irr = [
        npf.irr(ROWS[0]),
        npf.irr(ROWS[1]),
        np.nan,
        npf.irr(ROWS[3]),
        np.nan,
        0.10,
        np.nan,
        npf.irr(ROWS[7]),
    ]
    # row 2 ([-100, 150, -100, 100]) has a single real root; check it by its NPV instead
    np.testing.assert_allclose(
        np.delete(irr, 2), np.delete(expected_irr, 2), atol=1e-8, equal_nan=True
    )
    assert abs(npv(irr[2], ROWS[2])) < 1e-8 * np.abs(ROWS[2]).sum()
    pb = np.asarray(finance.payback(ROWS))
    _assert_same(
        pb,
        [
            2.0,
            1 + 40 / 60,
            2.5,
            math.inf,
            0.0,
            payback(ROWS[5]),
            0 + 1 / 12,
            2 + 300 / 500,
        ],
    )


# ------------------------------------------------------------------------ rates at or below -100%
@pytest.mark.parametrize("rate", [-1.0, -1.5, -100.0, float("nan")])
@pytest.mark.parametrize("timing", TIMINGS)
def test_rate_at_or_below_minus_one_is_a_value_error(rate, timing):
    """(1+r)^-t is undefined at r = -1: a clear ValueError, never ZeroDivisionError or a number."""
    for call in (
        lambda: finance.npv(rate, [-100, 60, 60], timing=timing),
        lambda: finance.discounted_payback(rate, [-100, 60, 60], timing=timing),
    ):
        with pytest.raises(ValueError, match=r"rate must be greater than -1 \(-100%\)"):
            call()


def test_rate_just_above_minus_one_is_allowed():
    r = -0.999
    assert f(finance.npv(r, arr([-1, 1]))) == pytest.approx(-1 + 1 / (1 + r), rel=1e-12)


# --------------------------------------------------------------------------- Wilson interval ends
@pytest.mark.parametrize("n", [1, 7, 100, 200_000, 10**9])
def test_wilson_interval_is_exact_at_zero_and_n_successes(n):
    """Closed forms: k = 0 gives [0, z²/(n+z²)] and k = n gives [n/(n+z²), 1], with the ends
    0 and 1 exactly (not a rounding residue such as 2.2e-19)."""
    from scipy import stats as sps

    from roisim.analysis.intervals import wilson

    z = sps.norm.ppf(0.975)
    lo, hi = wilson(0, n)
    assert lo == 0.0 and hi == pytest.approx(z * z / (n + z * z), rel=1e-12)
    lo, hi = wilson(n, n)
    assert hi == 1.0 and lo == pytest.approx(n / (n + z * z), rel=1e-12)
