#!/usr/bin/env python
"""Sampling benchmarks: what Latin hypercube and Sobol sampling gain, and what they cost.

    python benchmarks/sampling.py            # this section alone (about 1-2 minutes)
    python benchmarks/sampling.py --quick    # small sizes (seconds)

(a) **Accuracy at equal runs.** On a smooth scenario with a closed-form mean NPV (``SMOOTH``:
    NPV = -cost + Σ_t (a·b_t + c)·d_t, a uniform, b_t normal per year, c lognormal), the
    root-mean-square error of the mean NPV over ``seeds`` seeds, for each sampling method, and its
    ratio to plain random sampling's.
(b) **Cost per run.** Engine throughput on ``scenarios/fintech.toml``:
    ``run_range(build_plan(scenario, seed, runs=n), 0, n, threads=t)`` for random sampling
    without the file's ``[correlations]``, random with them, lhs and sobol (without them; the
    copula's cost adds to theirs the same way), best of 5 taken in turns.

``benchmarks/run.py`` calls :func:`section` as one section of the full report.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINTECH = HERE.parent / "scenarios" / "fintech.toml"
SEED = 20261201
METHODS = ("random", "lhs", "sobol")

SMOOTH = """
[scenario]
name = "smooth: closed-form mean NPV"
horizon_years = 5
discount_rate = 0.08
[simulation]
sampling = "{sampling}"
[inputs]
a = {{ dist = "uniform", min = 0.5, max = 1.5 }}
b = {{ dist = "normal", mean = 100, sd = 30, per = "year" }}
c = {{ dist = "lognormal", mean = 20, sd = 10 }}
[[benefits]]
name = "value"
amount = "a * b + c"
years = "1.."
[[costs]]
name = "build"
amount = 300
years = "0"
"""
#: E[a·b + c] = 1·100 + 20 in each year 1..5, discounted at 8%
SMOOTH_MEAN = -300 + (100 + 20) * sum(1.08**-t for t in range(1, 6))


def rmse_rows(runs: int, seeds: int) -> list[dict]:
    """RMSE of the mean NPV over ``seeds`` seeds at ``runs`` runs, per method."""
    import numpy as np

    import roisim

    out = []
    for method in METHODS:
        scenario = roisim.load_scenario(SMOOTH.format(sampling=method))
        means = np.array([
            roisim.simulate(scenario, runs=runs, seed=s, threads=1, keep_inputs=False)
            .summary["metrics"]["npv"]["mean"]
            for s in range(seeds)
        ])
        out.append({"method": method, "rmse": float(np.sqrt(np.mean((means - SMOOTH_MEAN) ** 2)))})
    for row in out:
        row["gain"] = out[0]["rmse"] / row["rmse"] if row["rmse"] > 0 else math.inf
    return out


def fintech_variants() -> dict:
    """The fintech scenario per method: random without and with its [correlations], lhs, sobol."""
    from roisim.scenario.validate import parse_scenario

    document = tomllib.loads(FINTECH.read_text())
    plain = {k: v for k, v in document.items() if k != "correlations"}

    def with_sampling(doc, method):
        doc = dict(doc)
        doc["simulation"] = {**doc.get("simulation", {}), "sampling": method}
        return parse_scenario(doc, source_file=str(FINTECH))

    return {
        "random": with_sampling(plain, "random"),
        "random + correlations": with_sampling(document, "random"),
        "lhs": with_sampling(plain, "lhs"),
        "sobol": with_sampling(plain, "sobol"),
        "sobol + correlations": with_sampling(document, "sobol"),
    }


def throughput_rows(runs: int, threads: int, repeats: int = 5) -> list[dict]:
    """Engine runs/s per method on fintech (compile excluded: warmed first).  The repetitions
    go round the methods in turn, so that a busy spell on a shared machine hits them alike."""
    from roisim.engine.plan import build_plan
    from roisim.engine.run import run_range

    plans = {}
    for label, scenario in fintech_variants().items():
        plans[label] = build_plan(scenario, SEED, runs=runs)
        run_range(plans[label], 0, min(runs, 20_000), threads=threads)  # compile / load
    best = dict.fromkeys(plans, math.inf)
    for _ in range(repeats):
        for label, plan in plans.items():
            t0 = time.perf_counter()
            run_range(plan, 0, runs, threads=threads)
            best[label] = min(best[label], time.perf_counter() - t0)
    out = [{"method": label, "rate": runs / t, "ns": 1e9 * t * threads / runs}
           for label, t in best.items()]
    for row in out:
        row["cost"] = out[0]["rate"] / row["rate"]
    return out


def section(rep, res: dict, quick: bool) -> None:
    """Add the sampling section to a benchmarks/run.py report (``rep.add``, ``rep.table``)."""
    runs, seeds = (1280, 40) if quick else (10_240, 200)
    n, threads = (100_000, 2) if quick else (1_000_000, 2)
    rep.add("## Sampling: Latin hypercube and Sobol")
    rep.add()
    rep.add(f"Accuracy at equal runs: RMSE of the mean NPV over {seeds} seeds at {runs:,} runs "
            f"on a smooth scenario with a closed-form mean ({SMOOTH_MEAN:,.4f}; "
            "`benchmarks/sampling.py`). Sobol: 10 replicates.")
    rep.add()
    rows = rmse_rows(runs, seeds)
    res["sampling_rmse"] = rows
    rep.table(["method", "RMSE of the mean NPV", "gain over random (RMSE ratio)"],
              [[r["method"], f"{r['rmse']:.4g}", f"{r['gain']:.1f}x"] for r in rows])
    rep.add(f"Cost per run: engine (`run_range`, {threads} threads) on scenarios/fintech.toml at "
            f"{n:,} runs, best of 5 (taken in turns).")
    rep.add()
    rows = throughput_rows(n, threads)
    res["sampling_throughput"] = rows
    rep.table(["method", "runs/s", "ns per run per thread", "time vs random"],
              [[r["method"], f"{r['rate'] / 1e6:.2f} M", f"{r['ns']:.0f}", f"{r['cost']:.2f}x"]
               for r in rows])


class _Print:
    def add(self, text: str = "") -> None:
        print(text, flush=True)

    def table(self, header, rows) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" for _ in header) + "|")
        for r in rows:
            self.add("| " + " | ".join(str(c) for c in r) + " |")
        self.add()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    args = ap.parse_args()
    section(_Print(), {}, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
