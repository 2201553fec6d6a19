"""Exact summaries from mergeable block reductions, the same way for every source.

Pass 1 computes block moments and a histogram of every variable on a range taken from the
first block of runs (which every source regenerates identically).  The order statistics that
the percentiles, their intervals and the expected shortfall need are then located in their
histogram bins; pass 2 copies out just the values in those bins (or, for a bin holding more
than ``CAP`` values, histograms it again and a pass 3 copies from the sub-bin).  Every figure
is therefore exact -- the same numbers a full sort would give -- while memory stays bounded.
"""

from __future__ import annotations

import math

import numpy as np

from roisim.analysis.intervals import (
    PERCENTILES,
    mean_interval,
    merge_moments,
    order_stat_ranks,
    quantile_positions,
    wilson,
)
from roisim.engine.blocks import NO_BIN, PassSpec
from roisim.engine.plan import METRICS
from roisim.engine.precompile import wait as wait_for_precompile
from roisim.kernels import reduce as kr

NB_METRIC = 1 << 16
NB_YEAR = 1 << 12
CAP = 1 << 21  # values copied out of one bin before it is histogrammed again
N_METRICS = len(METRICS)
ES_Q = 0.05


def _edges(x: np.ndarray) -> tuple[float, float]:
    f = x[np.isfinite(x)]
    if len(f) == 0:
        return 0.0, 1.0
    lo, hi = float(f.min()), float(f.max())
    span = hi - lo
    if not span > 0:
        span = max(abs(lo), 1.0) * 1e-6
    return lo - 0.25 * span, hi + 0.25 * span


def _bin_spec(lo, hi, nb, k, sub=None) -> np.ndarray:
    f = np.zeros(8)
    f[0], f[1], f[2], f[3] = lo, nb / (hi - lo), nb, k
    if sub is not None:
        slo, shi, snb, sk = sub
        f[4], f[5], f[6], f[7] = slo, snb / (shi - slo), snb, sk
    return f


class _Hist:
    """A histogram frame: nb bins on [lo, hi), inside parent bin ``parent`` (None = top)."""

    def __init__(self, lo, hi, nb, counts, bmin, bmax, parent=None, before=0):
        self.lo, self.hi, self.nb = lo, hi, nb
        self.counts, self.bmin, self.bmax = counts, bmin, bmax
        self.cum = np.cumsum(counts)
        self.parent = parent  # (lo, hi, nb, k) of the top frame when this is a sub-histogram
        self.before = before  # values ordered before this frame

    def locate(self, rank: int) -> tuple[int, int]:
        """(bin, values before that bin) for a 0-based rank among all non-NaN values."""
        r = rank - self.before
        k = int(np.searchsorted(self.cum, r, side="right"))
        return k, self.before + (int(self.cum[k - 1]) if k > 0 else 0)

    def edges(self, k: int, mom) -> tuple[float, float]:
        """A finite range covering every finite value of top-level bin k (slightly widened)."""
        w = self.nb / (self.hi - self.lo)
        if k == 0:
            return float(mom[kr.VMIN]), self.lo
        if k == self.nb + 1:
            return self.hi, float(max(mom[kr.VMAX], self.hi))
        pad = 1e-12 * (abs(self.lo) + abs(self.hi)) + 1e-300
        return self.lo + (k - 1) / w - pad, self.lo + k / w + pad

    def spec(self, k: int) -> np.ndarray:
        if self.parent is None:
            return _bin_spec(self.lo, self.hi, self.nb, k)
        plo, phi, pnb, pk = self.parent
        return _bin_spec(plo, phi, pnb, pk, (self.lo, self.hi, self.nb, k))


def summarize(
    source, runs: int, multiple_irr: int | None = None, progress=None
) -> tuple[dict, dict]:
    """Return (metrics block, cashflow_by_year block) of the summary for ``source``."""
    wait_for_precompile()  # a cold start may be compiling the reduction kernels elsewhere
    pilot = source.pilot()
    V = pilot.shape[0]
    top = []
    for v in range(V):
        lo, hi = _edges(pilot[v])
        top.append((v, NO_BIN, lo, hi, NB_METRIC if v < N_METRICS else NB_YEAR))
    pass_no = [0]

    def run(spec):
        pass_no[0] += 1
        cb = (lambda done: progress(pass_no[0], done)) if progress else None
        return source.execute(spec, progress=cb)

    first = run(PassSpec(moments=True, hists=tuple(top)))
    mom = merge_moments(first.moments)
    if multiple_irr is None:
        multiple_irr = int(first.flags[0]) if first.flags is not None else 0
    frames = {v: _Hist(top[v][2], top[v][3], top[v][4], *first.hists[v]) for v in range(V)}

    # the order statistics every variable needs
    wanted: dict[int, set[int]] = {}
    n_def = {}
    for v in range(V):
        n = runs - int(mom[v, kr.N_NAN])
        n_def[v] = n
        ranks = set()
        if n > 0:
            for p in PERCENTILES if v < N_METRICS else (5, 95):
                q = p / 100
                lo, hi, _ = quantile_positions(n, q)
                ranks |= {lo, hi}
                if v < N_METRICS:
                    j, k = order_stat_ranks(n, q)
                    ranks |= {j - 1, k - 1}
        wanted[v] = ranks
    m_es = max(1, math.ceil(ES_Q * runs))
    wanted[0].add(m_es - 1)

    values: dict[tuple[int, int], float] = {}
    es_bin = None  # (spec, before) of the bin holding the ES rank
    es_sum = None
    pending = {(v, r) for v in range(V) for r in wanted[v]}
    sub_frames: dict[tuple[int, int], _Hist] = {}
    collected: dict[tuple[int, int, int], np.ndarray] = {}
    for _round in range(4):
        collects, hists, sums, where = [], [], [], {}
        for v, r in sorted(pending):
            nninf = int(mom[v, kr.N_NEGINF])
            npinf = int(mom[v, kr.N_POSINF])
            if r < nninf:
                values[(v, r)] = -math.inf
                continue
            if r >= n_def[v] - npinf:
                values[(v, r)] = math.inf
                continue
            fr = frames[v]
            k, before = fr.locate(r)
            sub_key = (v, k)
            if sub_key in sub_frames:
                sf = sub_frames[sub_key]
                sk, before = sf.locate(r)
                key = (v, k, sk)
                lo_v, hi_v, spec = sf.bmin[sk], sf.bmax[sk], sf.spec(sk)
                big = False
            else:
                key = (v, k, -1)
                lo_v, hi_v = fr.edges(k, mom[v])
                spec = fr.spec(k)
                big = fr.counts[k] > CAP
            if v == 0 and r == m_es - 1 and not big:
                es_bin = (key, spec, before)  # the final bin of the ES rank
            if sub_key in sub_frames and lo_v == hi_v:  # a sub-bin holding one repeated value
                values[(v, r)] = float(lo_v)
                continue
            if key in collected:
                values[(v, r)] = float(collected[key][r - before])
                continue
            if big:
                if sub_key not in where:
                    slo, shi = lo_v, float(np.nextafter(hi_v, math.inf))
                    where[sub_key] = ("hist", len(hists), (slo, shi, before))
                    hists.append((v, spec, slo, shi, NB_METRIC))
            elif key not in where:
                where[key] = ("collect", len(collects), None)
                collects.append((v, spec))
        if es_bin is not None and es_sum is None:
            sums.append((0, es_bin[1]))
        pending = {(v, r) for (v, r) in pending if (v, r) not in values}
        if not (collects or hists or sums):
            break
        part = run(PassSpec(hists=tuple(hists), collects=tuple(collects), sums=tuple(sums)))
        for key, (kind, idx, extra) in where.items():
            if kind == "collect":
                arrs = part.collects[idx]
                collected[key] = np.sort(np.concatenate(arrs)) if arrs else np.empty(0)
            else:
                v, k = key
                slo, shi, before = extra
                fr = frames[v]
                sub_frames[key] = _Hist(
                    slo,
                    shi,
                    NB_METRIC,
                    *part.hists[idx],
                    parent=(fr.lo, fr.hi, fr.nb, k),
                    before=before,
                )
        if sums:
            total = 0.0
            count = 0
            for b in sorted(part.sums):
                total += float(part.sums[b][0, 0])
                count += int(part.sums[b][0, 1])
            es_sum = (total, count)
    if pending:
        raise RuntimeError(
            f"could not resolve {len(pending)} order statistics"
        )  # a bug, never the user's

    # expected shortfall: values before the ES bin, plus the smallest ones inside it
    es = None
    if es_sum is not None and es_bin is not None:
        key, spec, before = es_bin
        total, count = es_sum
        need = m_es - count
        inside = collected.get(key)
        if inside is not None and len(inside):
            total += float(np.sum(inside[:need]))
        else:
            total += need * values[(0, m_es - 1)]
        es = total / m_es

    def stat(v, r):
        return values[(v, r)]

    metrics = {}
    for v, name in enumerate(METRICS):
        metrics[name] = _describe(v, mom[v], n_def[v], runs, stat)
    npv = metrics["npv"]
    npv["prob_positive"] = mom[0, kr.N_POS] / runs
    npv["ci95"]["prob_positive"] = wilson(int(mom[0, kr.N_POS]), runs)
    npv["expected_shortfall_5"] = es
    for name in ("irr", "roi", "bcr"):
        v = METRICS.index(name)
        metrics[name]["prob_defined"] = n_def[v] / runs
        metrics[name]["ci95"]["prob_defined"] = wilson(n_def[v], runs)
    metrics["irr"]["prob_multiple"] = multiple_irr / runs
    for name in ("payback_years", "discounted_payback_years"):
        v = METRICS.index(name)
        k = int(mom[v, kr.N_FIN])
        metrics[name]["prob_within_horizon"] = k / runs
        metrics[name]["ci95"]["prob_within_horizon"] = wilson(k, runs)
        metrics[name]["mean_within_horizon"] = float(mom[v, kr.MEAN]) if k else None

    years = list(range(V - N_METRICS))
    cash = {"year": years, "mean": [], "p5": [], "p95": []}
    for t in years:
        v = N_METRICS + t
        cash["mean"].append(float(mom[v, kr.MEAN]))
        for p in (5, 95):
            cash[f"p{p}"].append(_quantile(v, n_def[v], p / 100, stat))
    return metrics, cash


def _quantile(v, n, q, stat):
    """numpy's default (linear) quantile from two order statistics, with numpy's own lerp:
    a + (b-a)·t for t < 0.5 and b - (b-a)·(1-t) otherwise, so results match to the last bit."""
    lo, hi, frac = quantile_positions(n, q)
    a, b = stat(v, lo), stat(v, hi)
    if frac == 0.0 or a == b:
        return a
    if math.isinf(a) or math.isinf(b):
        return b if frac > 0 else a
    diff = b - a
    return a + diff * frac if frac < 0.5 else b - diff * (1.0 - frac)


def _finite(x):
    return float(x) if x is not None and math.isfinite(x) else None


def _describe(v, m, n, runs, stat) -> dict:
    out: dict = {}
    if n == 0:
        out.update({"mean": None, "sd": None, **{f"p{p}": None for p in PERCENTILES}})
        out["ci95"] = {"mean": [None, None], **{f"p{p}": [None, None] for p in PERCENTILES}}
        return out
    nfin = int(m[kr.N_FIN])
    if nfin == n and n > 0:
        mean = float(m[kr.MEAN])
        sd = math.sqrt(m[kr.M2] / (n - 1)) if n > 1 else 0.0
        out["mean"], out["sd"] = mean, sd
        ci = {"mean": mean_interval(mean, sd, n)}
    else:
        out["mean"], out["sd"] = None, None
        ci = {"mean": [None, None]}
    for p in PERCENTILES:
        q = p / 100
        out[f"p{p}"] = _finite(_quantile(v, n, q, stat))
        j, k = order_stat_ranks(n, q)
        ci[f"p{p}"] = [_finite(stat(v, j - 1)), _finite(stat(v, k - 1))]
    out["ci95"] = ci
    return out
