"""Summary statistics with Monte Carlo confidence intervals, from per-run arrays.

* mean: x̄ ± z·s/√n (z = 1.959964), s the sample standard deviation (ddof = 1);
* percentiles: numpy's default (linear) estimate; 95% distribution-free interval from order
  statistics [x_(j), x_(k)], j and k the 2.5% and 97.5% points of Binomial(n, q) (coverage ≥ 95%);
* probabilities: Wilson score interval;
* expected shortfall: the mean of the worst ⌈0.05·n⌉ runs.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st

Z = 1.959963984540054
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


def wilson(k: int, n: int, z: float = Z) -> list[float]:
    """Wilson score interval for a proportion k/n.

    (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)

    >>> [round(v, 4) for v in wilson(50, 100)]
    [0.4038, 0.5962]
    """
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return [max(0.0, centre - half), min(1.0, centre + half)]


def order_stat_ranks(n: int, q: float) -> tuple[int, int]:
    """1-based ranks (j, k) with P(x_(j) <= ξ_q <= x_(k)) >= 95% (clamped to 1..n)."""
    j = int(_st.binom.ppf(0.025, n, q))
    k = int(_st.binom.ppf(0.975, n, q)) + 1
    return max(1, j), min(n, k)


def _positions(n: int, q: float) -> tuple[int, int, float]:
    h = (n - 1) * q
    lo = int(math.floor(h))
    return lo, min(lo + 1, n - 1), h - lo


class SortedView:
    """Selected order statistics of a sample, found with one ``np.partition``."""

    def __init__(self, x: np.ndarray, ranks: list[int]):
        self.n = len(x)
        self.kth = sorted(set(r for r in ranks if 0 <= r < self.n))
        self.part = np.partition(x, self.kth) if self.kth else x

    def at(self, r: int) -> float:
        return float(self.part[r])


def _finite_or_none(v: float):
    return None if v is None or not math.isfinite(v) else float(v)


def describe(values: np.ndarray, *, es: bool = False) -> dict:
    """Mean, sd, percentiles and their 95% intervals for ``values`` (+inf allowed, NaN not).

    A percentile or interval end that falls on +inf (e.g. payback beyond the horizon) is None.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    out: dict = {}
    if n == 0:
        out.update({"mean": None, "sd": None, **{f"p{p}": None for p in PERCENTILES}})
        out["ci95"] = {"mean": [None, None], **{f"p{p}": [None, None] for p in PERCENTILES}}
        return out
    ranks: list[int] = []
    plan = {}
    for p in PERCENTILES:
        q = p / 100
        lo, hi, frac = _positions(n, q)
        j, k = order_stat_ranks(n, q)
        plan[p] = (lo, hi, frac, j - 1, k - 1)
        ranks += [lo, hi, j - 1, k - 1]
    m_es = max(1, math.ceil(0.05 * n))
    if es:
        ranks.append(m_es - 1)
    view = SortedView(x, ranks)
    finite = bool(np.isfinite(x).all())
    if finite:
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        half = Z * sd / math.sqrt(n)
        out["mean"], out["sd"] = mean, sd
        ci = {"mean": [mean - half, mean + half]}
    else:
        out["mean"], out["sd"] = None, None
        ci = {"mean": [None, None]}
    for p, (lo, hi, frac, j, k) in plan.items():
        a, b = view.at(lo), view.at(hi)
        if frac == 0.0 or a == b:
            est = a
        elif math.isinf(b):
            est = math.inf
        else:
            est = a + frac * (b - a)
        out[f"p{p}"] = _finite_or_none(est)
        ci[f"p{p}"] = [_finite_or_none(view.at(j)), _finite_or_none(view.at(k))]
    out["ci95"] = ci
    if es:
        out["expected_shortfall_5"] = float(view.part[:m_es].mean()) if finite else None
    return out


def probability(k: int, n: int) -> tuple[float, list[float]]:
    return (k / n if n else float("nan")), wilson(k, n)


def summarize_metrics(metrics: dict[str, np.ndarray], multiple_irr: int) -> dict:
    """The ``metrics`` block of the summary from per-run metric arrays."""
    out = {}
    npv = metrics["npv"]
    n = len(npv)
    d = describe(npv, es=True)
    p, ci = probability(int((npv > 0).sum()), n)
    d["prob_positive"] = p
    d["ci95"]["prob_positive"] = ci
    out["npv"] = d

    for name in ("irr", "roi", "bcr"):
        x = metrics[name]
        ok = ~np.isnan(x)
        d = describe(x[ok])
        p, ci = probability(int(ok.sum()), n)
        d["prob_defined"] = p
        d["ci95"]["prob_defined"] = ci
        if name == "irr":
            d["prob_multiple"] = multiple_irr / n
        out[name] = d

    for name in ("payback_years", "discounted_payback_years"):
        x = metrics[name]
        fin = np.isfinite(x)
        d = describe(x)
        k = int(fin.sum())
        p, ci = probability(k, n)
        d["prob_within_horizon"] = p
        d["ci95"]["prob_within_horizon"] = ci
        d["mean_within_horizon"] = float(x[fin].mean()) if k else None
        out[name] = d
    return out


def cashflow_by_year(cf: np.ndarray) -> dict:
    """Mean, p5 and p95 of the net cash flow in each year (cf has shape (runs, years))."""
    q = np.quantile(cf, [0.05, 0.95], axis=0)
    return {"year": list(range(cf.shape[1])), "mean": cf.mean(axis=0).tolist(),
            "p5": q[0].tolist(), "p95": q[1].tolist()}
