"""``simulate``: Scenario -> Plan -> blocks of runs -> Result.  Orchestration only."""
from __future__ import annotations

from ._version import __version__
from .engine import run_range
from .errors import ScenarioError
from .plan import METRICS, build_plan
from .result import Result, build_dataset
from .scenario import MAX_RUNS, Scenario
from .stats import cashflow_by_year, summarize_metrics


def _check_runs_seed(scenario: Scenario, runs, seed) -> tuple[int, int]:
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    if isinstance(runs, float) and runs.is_integer():
        runs = int(runs)
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise ScenarioError(f"must be a whole number from 1 to {MAX_RUNS:,}, got {runs!r}", "runs")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ScenarioError(f"must be a whole number from 0 to 2**63-1, got {seed!r}", "seed")
    return runs, seed


def header(scenario: Scenario, runs: int, seed: int) -> dict:
    return {"roisim_version": __version__,
            "scenario": {"name": scenario.name, "file": scenario.source_file,
                         "sha256": scenario.source_sha256},
            "runs": runs, "seed": seed, "currency": scenario.currency,
            "horizon_years": scenario.horizon_years, "timing": scenario.timing}


def simulate(scenario: Scenario, runs: int | None = None, seed: int | None = None,
             threads: int | None = None) -> Result:
    """Simulate ``runs`` runs of ``scenario`` (defaults from its [simulation] table).

    The same seed gives bit-identical results whatever ``threads`` is.

    >>> import roisim
    >>> s = roisim.load_scenario('''
    ... [scenario]
    ... name = "demo"
    ... horizon_years = 3
    ... discount_rate = 0.1
    ... [inputs]
    ... saving = { dist = "normal", mean = 50, sd = 5 }
    ... [[benefits]]
    ... name = "saving"
    ... amount = "saving"
    ... [[costs]]
    ... name = "build"
    ... amount = 100
    ... years = "0"
    ... ''')
    >>> r = roisim.simulate(s, runs=10_000, seed=1)
    >>> round(r.summary["metrics"]["npv"]["mean"])   # -100 + 50 * 2.4869 = 24.3
    24
    """
    if not isinstance(scenario, Scenario):
        raise TypeError("simulate expects a Scenario from roisim.load_scenario")
    runs, seed = _check_runs_seed(scenario, runs, seed)
    plan = build_plan(scenario, seed)
    arrays = run_range(plan, 0, runs, threads=threads)
    metrics = {name: arrays.metrics[k] for k, name in enumerate(METRICS)}
    summary = header(scenario, runs, seed)
    summary["metrics"] = summarize_metrics(metrics, int(arrays.flags[0]))
    summary["cashflow_by_year"] = cashflow_by_year(arrays.cashflow)
    return Result(summary, build_dataset(plan, arrays, seed))
