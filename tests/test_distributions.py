"""Sampling tests: every distribution and parametrisation of the contract against scipy.stats.

Each case builds a one-input scenario as TOML text (a benefit line whose amount is the
input, horizon 1), simulates ``N`` runs with a fixed seed and compares the stored draws
``result.dataset[name]`` with the scipy.stats equivalent built *here* from the contract's
conversion formulas (never from roisim's own code):

* mean and sd within ``K`` Monte Carlo standard errors;
* the empirical CDF at a few reference quantiles within ``K`` binomial standard errors;
* a Kolmogorov-Smirnov test (continuous) or chi-square / per-value pmf test (discrete).

Seeds are fixed, so the outcome is deterministic; with a correct engine each check fails
with probability well below 1e-4 for a fresh seed.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from scipy import integrate, stats

import roisim

N = 200_000  # runs per sampling test
K = 5.0  # tolerance in Monte Carlo standard errors
KS_P_MIN = 1e-4  # minimum p-value for KS / chi-square tests
Z90 = 1.6448536  # contract: a 90% interval is mean +- 1.6448536 sd
QUANTILE_PROBS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


# --------------------------------------------------------------------------- TOML helpers
def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        assert math.isfinite(v)
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def scenario_text(
    inputs: dict[str, Any],
    *,
    amount: Any = "x",
    horizon: int = 1,
    discount_rate: Any = 0.05,
    timing: str = "end-of-year",
    cost: Any = 1.0,
) -> str:
    """A minimal scenario: one benefit line (years 1..) and a constant year-0 cost."""
    lines = [
        "[scenario]",
        'name = "distribution test"',
        'currency = "GBP"',
        f"horizon_years = {horizon}",
        f"discount_rate = {toml_value(discount_rate)}",
        f"timing = {toml_value(timing)}",
        "",
        "[simulation]",
        "runs = 1000",
        "seed = 1",
        "",
        "[inputs]",
    ]
    lines += [f"{name} = {toml_value(spec)}" for name, spec in inputs.items()]
    lines += [
        "",
        "[[benefits]]",
        'name = "benefit"',
        f"amount = {toml_value(amount)}",
        'years = "1.."',
        "",
        "[[costs]]",
        'name = "cost"',
        f"amount = {toml_value(cost)}",
        'years = "0"',
        "",
    ]
    return "\n".join(lines)


def seed_for(label: str) -> int:
    """A fixed, distinct seed per case (so the cases do not share random streams)."""
    return zlib.crc32(label.encode()) % 2_000_000_000 + 1


@functools.cache
def simulate_arrays(
    text: str, seed: int, names: tuple[str, ...], runs: int = N
) -> dict[str, np.ndarray]:
    """Run a scenario once and keep only the requested dataset variables (with their dims)."""
    result = roisim.simulate(roisim.load_scenario(text), runs=runs, seed=seed)
    ds = result.dataset
    out: dict[str, Any] = {}
    for name in names:
        if name in ds:
            out[name] = np.array(ds[name].values, dtype=float)
            out[name + ".dims"] = tuple(ds[name].dims)
    return out


# --------------------------------------------------------------------------- references
class Truncated:
    """The conditional distribution of ``base`` given lo <= X <= hi (scipy-like interface)."""

    def __init__(self, base, lo: float = -np.inf, hi: float = np.inf):
        self.base, self.lo, self.hi = base, lo, hi
        self.flo = float(base.cdf(lo))
        self.fhi = float(base.cdf(hi))
        self.mass = self.fhi - self.flo

    def cdf(self, x):
        x = np.clip(np.asarray(x, dtype=float), self.lo, self.hi)
        return np.clip((self.base.cdf(x) - self.flo) / self.mass, 0.0, 1.0)

    def ppf(self, p):
        return self.base.ppf(self.flo + np.asarray(p, dtype=float) * self.mass)

    def moments(self) -> tuple[float, float, float]:
        # finite integration limits (tails beyond 1e-13 of the mass are negligible)
        a = max(self.lo, float(self.base.ppf(1e-13)))
        b = min(self.hi, float(self.base.isf(1e-13)))
        pts = [float(self.ppf(p)) for p in (0.01, 0.1, 0.5, 0.9, 0.99)]

        def integral(g):
            val, _ = integrate.quad(
                lambda x: g(x) * self.base.pdf(x),
                a,
                b,
                points=pts,
                limit=500,
                epsabs=0,
                epsrel=1e-12,
            )
            return val / self.mass

        m = integral(lambda x: x)
        v = integral(lambda x: (x - m) ** 2)
        m4 = integral(lambda x: (x - m) ** 4)
        return float(m), float(v), float(m4 / v**2 - 3.0)


def moments(ref) -> tuple[float, float, float]:
    """(mean, variance, excess kurtosis) of a frozen scipy distribution or a Truncated."""
    if isinstance(ref, Truncated):
        return ref.moments()
    m, v, k = ref.stats(moments="mvk")
    return float(m), float(v), float(k)


def lognorm_p5_p95(p5: float, p95: float):
    mu = (math.log(p5) + math.log(p95)) / 2.0
    sigma = (math.log(p95) - math.log(p5)) / (2.0 * Z90)
    return stats.lognorm(s=sigma, scale=math.exp(mu))


def lognorm_median_p95(median: float, p95: float):
    return stats.lognorm(s=(math.log(p95) - math.log(median)) / Z90, scale=median)


def lognorm_mean_sd(mean: float, sd: float):
    s2 = math.log(1.0 + (sd / mean) ** 2)
    return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2.0))


def normal_p5_p95(p5: float, p95: float):
    return stats.norm((p5 + p95) / 2.0, (p95 - p5) / (2.0 * Z90))


def pert(lo: float, mode: float, hi: float, lam: float = 4.0):
    a = 1.0 + lam * (mode - lo) / (hi - lo)
    b = 1.0 + lam * (hi - mode) / (hi - lo)
    return stats.beta(a, b, loc=lo, scale=hi - lo)


def triangular(lo: float, mode: float, hi: float):
    return stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo)


def gamma_mean_sd(mean: float, sd: float):
    return stats.gamma((mean / sd) ** 2, scale=sd**2 / mean)


@dataclass(frozen=True)
class Case:
    id: str
    spec: Any  # the TOML value of input "x"
    ref: Any  # frozen scipy distribution or Truncated
    support: tuple[float, float] = (-np.inf, np.inf)  # closed bounds the draws must respect
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return scenario_text({"x": self.spec})

    @property
    def seed(self) -> int:
        return seed_for(self.id)

    def sample(self) -> np.ndarray:
        arrays = simulate_arrays(self.text, self.seed, ("x",))
        assert "x" in arrays, "sampled input 'x' missing from result.dataset"
        assert arrays["x.dims"] == ("run",), arrays["x.dims"]
        x = arrays["x"]
        assert x.shape == (N,)
        return x


CONTINUOUS = [
    # normal
    Case("normal-mean-sd", {"dist": "normal", "mean": 75, "sd": 10}, stats.norm(75, 10)),
    Case("normal-p5-p95", {"dist": "normal", "p5": 40, "p95": 120}, normal_p5_p95(40, 120)),
    # lognormal, all three parametrisations, and the range shorthand
    Case(
        "lognormal-p5-p95",
        {"dist": "lognormal", "p5": 400_000, "p95": 900_000},
        lognorm_p5_p95(400_000, 900_000),
        (0, np.inf),
    ),
    Case(
        "lognormal-median-p95",
        {"dist": "lognormal", "median": 50, "p95": 120},
        lognorm_median_p95(50, 120),
        (0, np.inf),
    ),
    Case(
        "lognormal-mean-sd",
        {"dist": "lognormal", "mean": 100, "sd": 30},
        lognorm_mean_sd(100, 30),
        (0, np.inf),
    ),
    Case("range-shorthand", {"range": [100, 400]}, lognorm_p5_p95(100, 400), (0, np.inf)),
    Case(
        "range-shorthand-with-unit",
        {"range": [0.5, 2.0], "unit": "FTE", "description": "d"},
        lognorm_p5_p95(0.5, 2.0),
        (0, np.inf),
    ),
    # pert (default lambda = 4, and an explicit lambda)
    Case(
        "pert-default-lambda",
        {"dist": "pert", "min": 120, "mode": 160, "max": 240},
        pert(120, 160, 240),
        (120, 240),
        {"pert": (120, 160, 240, 4.0)},
    ),
    Case(
        "pert-lambda-2",
        {"dist": "pert", "min": 10, "mode": 12, "max": 30, "lambda": 2},
        pert(10, 12, 30, 2.0),
        (10, 30),
        {"pert": (10, 12, 30, 2.0)},
    ),
    Case(
        "pert-lambda-6-fractions",
        {"dist": "pert", "min": 0.40, "mode": 0.55, "max": 0.70, "lambda": 6},
        pert(0.40, 0.55, 0.70, 6.0),
        (0.40, 0.70),
        {"pert": (0.40, 0.55, 0.70, 6.0)},
    ),
    # triangular, uniform
    Case(
        "triangular",
        {"dist": "triangular", "min": 0, "mode": 2, "max": 10},
        triangular(0, 2, 10),
        (0, 10),
    ),
    Case(
        "triangular-mode-at-max",
        {"dist": "triangular", "min": -3, "mode": 5, "max": 5},
        triangular(-3, 5, 5),
        (-3, 5),
    ),
    Case("uniform", {"dist": "uniform", "min": -5, "max": 15}, stats.uniform(-5, 20), (-5, 15)),
    # beta, default [0, 1] and rescaled
    Case("beta-default-support", {"dist": "beta", "alpha": 2, "beta": 5}, stats.beta(2, 5), (0, 1)),
    Case(
        "beta-min-max",
        {"dist": "beta", "alpha": 0.8, "beta": 1.5, "min": 100, "max": 300},
        stats.beta(0.8, 1.5, loc=100, scale=200),
        (100, 300),
    ),
    # gamma, both parametrisations
    Case(
        "gamma-shape-scale",
        {"dist": "gamma", "shape": 2.5, "scale": 4},
        stats.gamma(2.5, scale=4),
        (0, np.inf),
    ),
    Case(
        "gamma-mean-sd", {"dist": "gamma", "mean": 10, "sd": 4}, gamma_mean_sd(10, 4), (0, np.inf)
    ),
    Case(
        "gamma-small-shape",
        {"dist": "gamma", "shape": 0.5, "scale": 2},
        stats.gamma(0.5, scale=2),
        (0, np.inf),
    ),
    # truncation (conditional distribution, not clipping)
    Case(
        "normal-lower",
        {"dist": "normal", "mean": 75, "sd": 10, "lower": 60},
        stats.truncnorm((60 - 75) / 10, np.inf, loc=75, scale=10),
        (60, np.inf),
    ),
    Case(
        "normal-lower-upper",
        {"dist": "normal", "mean": 0, "sd": 1, "lower": -0.5, "upper": 1.5},
        stats.truncnorm(-0.5, 1.5),
        (-0.5, 1.5),
    ),
    Case(
        "normal-p5-p95-upper",
        {"dist": "normal", "p5": 40, "p95": 120, "upper": 100},
        Truncated(normal_p5_p95(40, 120), hi=100),
        (-np.inf, 100),
    ),
    Case(
        "normal-far-tail-lower",
        {"dist": "normal", "mean": 0, "sd": 1, "lower": 2.5},
        stats.truncnorm(2.5, np.inf),
        (2.5, np.inf),
    ),
    Case(
        "lognormal-upper",
        {"dist": "lognormal", "p5": 400_000, "p95": 900_000, "upper": 800_000},
        Truncated(lognorm_p5_p95(400_000, 900_000), hi=800_000),
        (0, 800_000),
    ),
    Case(
        "lognormal-mean-sd-lower",
        {"dist": "lognormal", "mean": 100, "sd": 30, "lower": 90},
        Truncated(lognorm_mean_sd(100, 30), lo=90),
        (90, np.inf),
    ),
    Case(
        "gamma-lower-upper",
        {"dist": "gamma", "shape": 2.5, "scale": 4, "lower": 5, "upper": 20},
        Truncated(stats.gamma(2.5, scale=4), 5, 20),
        (5, 20),
    ),
    Case(
        "pert-upper",
        {"dist": "pert", "min": 120, "mode": 160, "max": 240, "upper": 200},
        Truncated(pert(120, 160, 240), hi=200),
        (120, 200),
    ),
    Case(
        "triangular-lower",
        {"dist": "triangular", "min": 0, "mode": 2, "max": 10, "lower": 3},
        Truncated(triangular(0, 2, 10), lo=3),
        (3, 10),
    ),
    Case(
        "beta-upper",
        {"dist": "beta", "alpha": 2, "beta": 5, "upper": 0.5},
        Truncated(stats.beta(2, 5), hi=0.5),
        (0, 0.5),
    ),
    Case(
        "uniform-lower",
        {"dist": "uniform", "min": -5, "max": 15, "lower": 0},
        stats.uniform(0, 15),
        (0, 15),
    ),
]
CONT_IDS = [c.id for c in CONTINUOUS]


# --------------------------------------------------------------------------- continuous tests
@pytest.mark.parametrize("case", CONTINUOUS, ids=CONT_IDS)
def test_continuous_mean_and_sd(case: Case):
    x = case.sample()
    mu, var, kurt = moments(case.ref)
    sd = math.sqrt(var)
    n = x.size
    se_mean = sd / math.sqrt(n)
    # sd of the sample sd: sqrt((mu4 - sigma^4)/n) / (2 sigma) = sigma*sqrt((kurt+2)/n)/2
    se_sd = sd * math.sqrt((kurt + 2.0) / n) / 2.0
    assert abs(x.mean() - mu) < K * se_mean, (x.mean(), mu, se_mean)
    assert abs(x.std(ddof=1) - sd) < K * se_sd, (x.std(ddof=1), sd, se_sd)


@pytest.mark.parametrize("case", CONTINUOUS, ids=CONT_IDS)
def test_continuous_quantiles(case: Case):
    """The empirical CDF at the reference p-quantile is p within K binomial standard errors."""
    x = case.sample()
    n = x.size
    for p in QUANTILE_PROBS:
        q = float(case.ref.ppf(p))
        ecdf = np.mean(x <= q)
        se = math.sqrt(p * (1 - p) / n)
        assert abs(ecdf - p) < K * se, (p, q, ecdf)


@pytest.mark.parametrize("case", CONTINUOUS, ids=CONT_IDS)
def test_continuous_ks(case: Case):
    x = case.sample()
    res = stats.kstest(x, case.ref.cdf)
    assert res.pvalue > KS_P_MIN, (res.statistic, res.pvalue)


@pytest.mark.parametrize("case", CONTINUOUS, ids=CONT_IDS)
def test_continuous_support_and_finite(case: Case):
    x = case.sample()
    assert np.all(np.isfinite(x))
    lo, hi = case.support
    assert x.min() >= lo, x.min()
    assert x.max() <= hi, x.max()
    # truncation is a conditional distribution, not clipping: no atom at the bounds
    for bound in (lo, hi):
        if math.isfinite(bound):
            assert np.mean(x == bound) < 1e-3


@pytest.mark.parametrize(
    "case",
    [c for c in CONTINUOUS if "pert" in c.extra],
    ids=[c.id for c in CONTINUOUS if "pert" in c.extra],
)
def test_pert_mean_closed_form(case: Case):
    lo, mode, hi, lam = case.extra["pert"]
    expected = (lo + lam * mode + hi) / (lam + 2.0)
    x = case.sample()
    se = math.sqrt(float(case.ref.var()) / x.size)
    assert abs(x.mean() - expected) < K * se, (x.mean(), expected)


@pytest.mark.parametrize(
    "case_id, targets",
    [
        ("normal-p5-p95", {40: 0.05, 120: 0.95, 80: 0.5}),
        ("lognormal-p5-p95", {400_000: 0.05, 900_000: 0.95, math.sqrt(400_000 * 900_000): 0.5}),
        ("lognormal-median-p95", {50: 0.5, 120: 0.95}),
        ("range-shorthand", {100: 0.05, 400: 0.95, 200: 0.5}),
        ("range-shorthand-with-unit", {0.5: 0.05, 2.0: 0.95, 1.0: 0.5}),
    ],
)
def test_interval_parametrisations_hit_requested_percentiles(case_id, targets):
    """p5/p95 (and median) parametrisations put exactly those percentiles where asked."""
    case = next(c for c in CONTINUOUS if c.id == case_id)
    x = case.sample()
    for value, p in targets.items():
        se = math.sqrt(p * (1 - p) / x.size)
        assert abs(np.mean(x <= value) - p) < K * se, (value, p, np.mean(x <= value))


@pytest.mark.parametrize(
    "case_id, mean, sd",
    [("lognormal-mean-sd", 100.0, 30.0), ("gamma-mean-sd", 10.0, 4.0)],
)
def test_mean_sd_parametrisations_give_requested_moments(case_id, mean, sd):
    """lognormal / gamma given (mean, sd) of the variable itself: those are its moments."""
    case = next(c for c in CONTINUOUS if c.id == case_id)
    x = case.sample()
    _, _, kurt = moments(case.ref)
    n = x.size
    assert abs(x.mean() - mean) < K * sd / math.sqrt(n)
    assert abs(x.std(ddof=1) - sd) < K * sd * math.sqrt((kurt + 2.0) / n) / 2.0


# --------------------------------------------------------------------------- discrete tests
@dataclass(frozen=True)
class DCase:
    id: str
    spec: Any
    values: tuple[float, ...]  # support considered (for finite supports: all of it)
    pmf: tuple[float, ...]  # reference probabilities of ``values``
    tail: float = 0.0  # reference probability beyond max(values)
    mean: float = 0.0
    var: float = 0.0

    @property
    def text(self) -> str:
        return scenario_text({"x": self.spec})

    @property
    def seed(self) -> int:
        return seed_for(self.id)

    def sample(self) -> np.ndarray:
        arrays = simulate_arrays(self.text, self.seed, ("x",))
        assert "x" in arrays, "sampled input 'x' missing from result.dataset"
        assert arrays["x.dims"] == ("run",)
        assert arrays["x"].shape == (N,)
        return arrays["x"]


def _dcase_scipy(id_, spec, dist, kmax):
    ks = np.arange(kmax + 1)
    pmf = dist.pmf(ks)
    return DCase(
        id_,
        spec,
        tuple(float(k) for k in ks),
        tuple(float(p) for p in pmf),
        float(dist.sf(kmax)),
        float(dist.mean()),
        float(dist.var()),
    )


def _dcase_values(id_, spec, values, weights):
    w = np.asarray(weights, float) / np.sum(weights)
    v = np.asarray(values, float)
    mean = float(np.sum(w * v))
    return DCase(
        id_,
        spec,
        tuple(map(float, v)),
        tuple(map(float, w)),
        0.0,
        mean,
        float(np.sum(w * (v - mean) ** 2)),
    )


DISCRETE = [
    _dcase_scipy("poisson-4", {"dist": "poisson", "mean": 4}, stats.poisson(4), 20),
    _dcase_scipy("poisson-0.3", {"dist": "poisson", "mean": 0.3}, stats.poisson(0.3), 8),
    _dcase_scipy("poisson-250", {"dist": "poisson", "mean": 250}, stats.poisson(250), 400),
    _dcase_scipy(
        "binomial-10-0.3", {"dist": "binomial", "n": 10, "p": 0.3}, stats.binom(10, 0.3), 10
    ),
    _dcase_scipy(
        "binomial-200-0.9", {"dist": "binomial", "n": 200, "p": 0.9}, stats.binom(200, 0.9), 200
    ),
    _dcase_scipy("bernoulli-0.2", {"dist": "bernoulli", "p": 0.2}, stats.bernoulli(0.2), 1),
    _dcase_values(
        "discrete",
        {"dist": "discrete", "values": [-3, 0, 7, 12.5], "weights": [0.1, 0.4, 0.3, 0.2]},
        [-3, 0, 7, 12.5],
        [0.1, 0.4, 0.3, 0.2],
    ),
]
DISC_IDS = [c.id for c in DISCRETE]


def _merged_bins(expected: np.ndarray, observed: np.ndarray, min_expected: float = 5.0):
    """Merge adjacent bins (left to right) until each has expected count >= min_expected."""
    e_out, o_out, e_acc, o_acc = [], [], 0.0, 0.0
    for e, o in zip(expected, observed):
        e_acc += e
        o_acc += o
        if e_acc >= min_expected:
            e_out.append(e_acc)
            o_out.append(o_acc)
            e_acc = o_acc = 0.0
    if e_acc or o_acc:
        e_out[-1] += e_acc
        o_out[-1] += o_acc
    return np.array(e_out), np.array(o_out)


@pytest.mark.parametrize("case", DISCRETE, ids=DISC_IDS)
def test_discrete_support(case: DCase):
    x = case.sample()
    assert np.all(np.isfinite(x))
    values = np.array(case.values)
    if case.tail == 0.0:
        assert np.all(np.isin(x, values)), np.unique(x)[:20]
    else:  # integer counts >= 0
        assert np.all(x == np.round(x))
        assert x.min() >= 0


@pytest.mark.parametrize("case", DISCRETE, ids=DISC_IDS)
def test_discrete_chisquare(case: DCase):
    x = case.sample()
    n = x.size
    values = np.array(case.values)
    observed = np.array([np.sum(x == v) for v in values] + [np.sum(x > values.max())], float)
    expected = n * np.array(list(case.pmf) + [case.tail])
    e, o = _merged_bins(expected, observed)
    assert o.sum() == n, "draws outside the reference support"
    e = e * n / e.sum()
    res = stats.chisquare(o, e)
    assert res.pvalue > KS_P_MIN, (res.statistic, res.pvalue, len(e))


@pytest.mark.parametrize("case", DISCRETE, ids=DISC_IDS)
def test_discrete_pmf_per_value(case: DCase):
    x = case.sample()
    n = x.size
    for v, p in zip(case.values, case.pmf):
        if n * p < 50:
            continue
        freq = np.mean(x == v)
        assert abs(freq - p) < K * math.sqrt(p * (1 - p) / n), (v, freq, p)


@pytest.mark.parametrize("case", DISCRETE, ids=DISC_IDS)
def test_discrete_mean_and_sd(case: DCase):
    x = case.sample()
    n = x.size
    sd = math.sqrt(case.var)
    assert abs(x.mean() - case.mean) < K * sd / math.sqrt(n)
    # generous: se of a sample variance is <= sqrt((mu4 - sigma^4)/n); use the empirical 4th moment
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt(max(m4 - case.var**2, 1e-300) / n)
    assert abs(x.var(ddof=1) - case.var) < K * se_var, (x.var(ddof=1), case.var)


def test_constant_distribution():
    text = scenario_text({"x": {"dist": "constant", "value": 42}})
    arrays = simulate_arrays(text, seed_for("constant"), ("x", "npv", "net_cashflow"), runs=1000)
    np.testing.assert_allclose(arrays["npv"], -1.0 + 42.0 / 1.05, rtol=1e-12)
    np.testing.assert_allclose(arrays["net_cashflow"][:, 1], 42.0, rtol=0, atol=0)
    if "x" in arrays:  # constants need not be stored; if they are they must be constant
        assert np.all(arrays["x"] == 42.0)


# --------------------------------------------------------------------------- per = "year"
PER_YEAR_H = 4


def _per_year(spec: dict, label: str) -> dict[str, np.ndarray]:
    text = scenario_text({"x": {**spec, "per": "year"}}, horizon=PER_YEAR_H)
    arrays = simulate_arrays(text, seed_for(label), ("x", "net_cashflow"))
    assert "x" in arrays
    assert arrays["x.dims"] == ("run", "year"), arrays["x.dims"]
    assert arrays["x"].shape == (N, PER_YEAR_H + 1)
    return arrays


def test_per_year_normal_each_year_has_the_distribution():
    x = _per_year({"dist": "normal", "mean": 10, "sd": 3}, "per-year-normal")["x"]
    ref = stats.norm(10, 3)
    for t in range(PER_YEAR_H + 1):
        col = x[:, t]
        assert abs(col.mean() - 10) < K * 3 / math.sqrt(N), t
        assert abs(col.std(ddof=1) - 3) < K * 3 * math.sqrt(2 / N) / 2, t
        assert stats.kstest(col, ref.cdf).pvalue > KS_P_MIN, t


def test_per_year_draws_are_independent_across_years():
    x = _per_year({"dist": "normal", "mean": 10, "sd": 3}, "per-year-normal")["x"]
    corr = np.corrcoef(x, rowvar=False)
    off = corr[~np.eye(PER_YEAR_H + 1, dtype=bool)]
    # under independence each sample correlation has sd ~ 1/sqrt(N)
    assert np.max(np.abs(off)) < K / math.sqrt(N), corr
    # and the draws are not simply repeated
    assert not np.any(np.all(x[:, :1] == x[:, 1:], axis=0))


def test_per_year_draws_flow_into_each_years_cashflow():
    arrays = _per_year({"dist": "normal", "mean": 10, "sd": 3}, "per-year-normal")
    x, cf = arrays["x"], arrays["net_cashflow"]
    assert cf.shape == (N, PER_YEAR_H + 1)
    np.testing.assert_allclose(cf[:, 0], -1.0)  # only the year-0 cost
    np.testing.assert_allclose(cf[:, 1:], x[:, 1:], rtol=1e-12, atol=1e-12)


def test_per_year_poisson_each_year_and_independent():
    x = _per_year({"dist": "poisson", "mean": 4}, "per-year-poisson")["x"]
    ref = stats.poisson(4)
    kmax = 20
    for t in range(PER_YEAR_H + 1):
        col = x[:, t]
        assert np.all(col == np.round(col)) and col.min() >= 0
        observed = np.array(
            [np.sum(col == k) for k in range(kmax + 1)] + [np.sum(col > kmax)], float
        )
        expected = N * np.append(ref.pmf(np.arange(kmax + 1)), ref.sf(kmax))
        e, o = _merged_bins(expected, observed)
        assert stats.chisquare(o, e * N / e.sum()).pvalue > KS_P_MIN, t
    corr = np.corrcoef(x, rowvar=False)
    assert np.max(np.abs(corr[~np.eye(PER_YEAR_H + 1, dtype=bool)])) < K / math.sqrt(N)


def test_per_year_truncated_gamma():
    x = _per_year(
        {"dist": "gamma", "shape": 2.5, "scale": 4, "lower": 5, "upper": 20}, "per-year-gamma"
    )["x"]
    ref = Truncated(stats.gamma(2.5, scale=4), 5, 20)
    assert x.min() >= 5 and x.max() <= 20
    for t in range(PER_YEAR_H + 1):
        assert stats.kstest(x[:, t], ref.cdf).pvalue > KS_P_MIN, t


def test_per_run_input_is_drawn_once_per_run():
    """Default per = "run": one draw per run, used in every year of the line."""
    text = scenario_text({"x": {"dist": "normal", "mean": 10, "sd": 3}}, horizon=3)
    arrays = simulate_arrays(text, seed_for("per-run"), ("x", "net_cashflow"), runs=5000)
    assert arrays["x.dims"] == ("run",)
    cf = arrays["net_cashflow"]
    for t in (1, 2, 3):
        np.testing.assert_allclose(cf[:, t], arrays["x"], rtol=1e-12)


# --------------------------------------------------------------------------- other storage
def test_distribution_discount_rate_is_sampled_once_per_run():
    text = scenario_text(
        {}, amount=100.0, discount_rate={"dist": "normal", "mean": 0.08, "sd": 0.02}
    )
    arrays = simulate_arrays(text, seed_for("discount-rate"), ("discount_rate", "npv"))
    assert "discount_rate" in arrays
    assert arrays["discount_rate.dims"] == ("run",)
    r = arrays["discount_rate"]
    assert stats.kstest(r, stats.norm(0.08, 0.02).cdf).pvalue > KS_P_MIN
    assert abs(r.mean() - 0.08) < K * 0.02 / math.sqrt(N)
    # the per-run rate is the one used for that run's NPV: flows [-1, 100]
    np.testing.assert_allclose(arrays["npv"], -1.0 + 100.0 / (1.0 + r), rtol=1e-10)


def test_distribution_written_as_line_amount_is_stored_by_line_name():
    """Stored (and keyed) as "<kind>: <line name>", not by the line's position."""
    text = scenario_text(
        {},
        amount={"dist": "uniform", "min": 10, "max": 20},
        cost={"dist": "pert", "min": 1, "mode": 2, "max": 5},
    )
    arrays = simulate_arrays(
        text, seed_for("line-amounts"), ("benefits: benefit", "costs: cost", "net_cashflow")
    )
    assert "benefits: benefit" in arrays and "costs: cost" in arrays
    b, c = arrays["benefits: benefit"], arrays["costs: cost"]
    assert stats.kstest(b, stats.uniform(10, 10).cdf).pvalue > KS_P_MIN
    assert stats.kstest(c, pert(1, 2, 5).cdf).pvalue > KS_P_MIN
    cf = arrays["net_cashflow"]
    np.testing.assert_allclose(cf[:, 0], -c, rtol=1e-12)
    np.testing.assert_allclose(cf[:, 1], b, rtol=1e-12)


# --------------------------------------------------------------------------- errors
def _raises_scenario_error(inputs: dict) -> roisim.ScenarioError:
    text = scenario_text(inputs)
    with pytest.raises(roisim.ScenarioError) as info:
        roisim.simulate(roisim.load_scenario(text), runs=100, seed=1)
    return info.value


@pytest.mark.parametrize("lo", [0, -10])
def test_range_with_nonpositive_lower_end_is_an_error(lo):
    err = _raises_scenario_error({"x": {"range": [lo, 100]}})
    assert "normal" in str(err)
    assert "inputs.x" in str(err)


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "poisson", "mean": 4, "lower": 1},
        {"dist": "binomial", "n": 10, "p": 0.3, "upper": 5},
        {"dist": "bernoulli", "p": 0.3, "lower": 0},
        {"dist": "discrete", "values": [1, 2], "weights": [0.5, 0.5], "upper": 1.5},
        {"dist": "constant", "value": 3, "lower": 0},
    ],
)
def test_truncating_a_discrete_distribution_is_an_error(spec):
    err = _raises_scenario_error({"x": spec})
    assert "inputs.x" in str(err)


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "normal", "mean": 0, "sd": 1, "lower": 3.5},  # keeps 2.3e-4 of the mass
        {"dist": "normal", "mean": 0, "sd": 1, "lower": 0.0, "upper": 0.002},  # keeps 8e-4
        {"dist": "uniform", "min": 0, "max": 1, "upper": -1},  # keeps nothing
    ],
)
def test_truncation_keeping_too_little_mass_is_an_error(spec):
    err = _raises_scenario_error({"x": spec})
    assert "inputs.x" in str(err)


def test_truncation_keeping_just_enough_mass_is_accepted():
    # normal lower = 3.0 keeps 1.35e-3 of the mass (> 0.1%): allowed, and sampled correctly
    text = scenario_text({"x": {"dist": "normal", "mean": 0, "sd": 1, "lower": 3.0}})
    arrays = simulate_arrays(text, seed_for("thin-tail"), ("x",), runs=20_000)
    x = arrays["x"]
    assert x.min() >= 3.0
    assert stats.kstest(x, stats.truncnorm(3.0, np.inf).cdf).pvalue > KS_P_MIN
