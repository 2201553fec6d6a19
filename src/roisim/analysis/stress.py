"""Stress cases: the base case and each ``[[stress]]`` case on common random numbers.

Each case is the base scenario with the case's ``set`` written in (validated when the file is
loaded, ``roisim.scenario.validate``), then some lines or inputs scaled and the benefit lines
delayed (``roisim.engine.variants``: numbers only, the same kernel and the same draws).  Run i of
every case uses the draws of run i of the base, so the paired difference NPV_case,i − NPV_base,i
carries only what the case changes, and its mean has the interval d̄ ± z·s_d/√n.

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
... [[stress]]
... name = "Build overruns by 30%"
... scale = { "costs[0]" = 1.3 }
... ''')
>>> result = roisim.stress(s, runs=10_000, seed=1)
>>> case = result.summary["cases"][0]
>>> round(case["difference"]["npv"]["mean"], 6), case["difference"]["npv"]["ci95"]  # −0.3 × 100
(-30.0, [-30.0, -30.0])
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

import numpy as np

from roisim.analysis.intervals import Z
from roisim.analysis.paired import difference, prob_change
from roisim.analysis.schema import RunSummary
from roisim.analysis.simulate import (
    check_runs_seed,
    memory_limit,
    result_bytes,
    simulate,
    summarize_plan,
)
from roisim.analysis.summary import summarize_figures
from roisim.engine.blocks import Partial, block_range, n_blocks, run_blocks
from roisim.engine.codegen import compile_plan
from roisim.engine.layout import N_METRICS, ROW
from roisim.engine.plan import build_plan
from roisim.engine.run import default_threads, run_range
from roisim.errors import ScenarioError, suggest
from roisim.scenario.model import Scenario, StressCase

NPV, EVENT = ROW["npv"], ROW["irr"]  # rows of the paired source: d_i and 1[y_i>0] − 1[x_i>0]


@dataclass(frozen=True)
class CaseResult:
    """One case: its run summary and its paired difference from the base."""

    name: str
    figures: RunSummary
    difference: dict  # {"npv": {mean, ci95, p5, p50, p95}, "prob_positive": {value, ci95}}

    def to_dict(self) -> dict:
        return {"name": self.name, "summary": self.figures.to_dict(),
                "difference": self.difference}


@dataclass(frozen=True)
class StressResult:
    """What :func:`stress` returns: ``base`` and ``cases`` typed, ``summary`` as plain data."""

    base: RunSummary
    cases: tuple[CaseResult, ...]
    streamed: bool = False  # True: run in streaming mode (no per-run data kept)

    @property
    def summary(self) -> dict:
        """``{"base": <run summary>, "cases": [{"name", "summary", "difference"}]}``."""
        return {"base": self.base.to_dict(), "cases": [c.to_dict() for c in self.cases]}

    def _repr_html_(self) -> str:
        """Jupyter's view (``roisim.report.notebook.stress_html``)."""
        from roisim.report.notebook import stress_html

        return stress_html(self)

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON (no NaN or Infinity): ``roisim stress --json``."""
        return json.dumps(self.summary, indent=indent, allow_nan=False)


def case_named(scenario: Scenario, name: str) -> StressCase:
    """The ``[[stress]]`` case called ``name``; a ScenarioError at ``--stress`` otherwise."""
    names = [case.name for case in scenario.stress]
    for case in scenario.stress:
        if case.name == name:
            return case
    if not names:
        raise ScenarioError("the scenario has no [[stress]] cases", "--stress")
    listed = ", ".join(repr(n) for n in names)
    raise ScenarioError(f"no stress case {name!r}{suggest(name, names)}; cases: {listed}",
                        "--stress")


def case_run(scenario: Scenario, case: StressCase | str) -> tuple[Scenario, dict]:
    """The scenario a case runs (the base with its ``set``, named after the case) and the
    variant arguments of ``simulate`` (``scale``, ``line_scale``, ``delay``): what
    ``roisim run --stress NAME`` simulates."""
    if isinstance(case, str):
        case = case_named(scenario, case)
    changed = case.scenario or scenario
    named = replace(changed, name=case_scenario_name(scenario.name, case.name), stress=())
    variant = {
        "scale": dict(case.input_scale) or None,
        "line_scale": dict(case.line_scale) or None,
        "delay": {"benefits": case.delay} if case.delay else None,
    }
    return named, variant


def case_scenario_name(base_name: str, case_name: str) -> str:
    """The scenario name a case's run summary carries."""
    return f"{base_name} [stress: {case_name}]"


def _one_off(base: Scenario, extra) -> list[tuple[Scenario, dict]]:
    """Extra cases: {name: Scenario} (e.g. the file loaded with --set) or StressCases."""
    if extra is None:
        return []
    out = []
    items = extra.items() if isinstance(extra, dict) else [(None, c) for c in extra]
    for name, item in items:
        if isinstance(item, StressCase):
            out.append(case_run(base, item))
            continue
        if not isinstance(item, Scenario) or not isinstance(name, str):
            raise TypeError("extra cases are {name: Scenario} or a list of StressCase")
        if item.currency != base.currency:
            raise ScenarioError(
                f"the case is in {item.currency} and the base in {base.currency}", "--set"
            )
        named = replace(item, name=case_scenario_name(base.name, name), stress=())
        out.append((named, {"scale": None, "line_scale": None, "delay": None}))
    return out


def stress(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    extra=None,
    *,
    threads: int | None = None,
    summary_only: bool | None = None,
) -> StressResult:
    """Run the base case and every ``[[stress]]`` case (then the ``extra`` ones) on the same
    draws, and the paired difference of each case from the base.

    Parameters
    ----------
    runs, seed : default from the scenario's [simulation] table; every case uses the same.
    extra : more cases: ``{name: Scenario}`` (``roisim stress --set`` passes the file loaded
        with its overrides) or a list of ``StressCase``.
    summary_only : keep no per-run data: every summary and difference is computed from blocks
        of runs regenerated by the kernel (bounded memory; see docs/methodology.md).  ``None``
        (default) streams only when one case's per-run results exceed ``ROISIM_MEMORY_LIMIT``.

    Each case's summary is exactly what ``roisim run --stress NAME --json`` prints, and the
    base's what ``roisim run --json`` prints (same runs and seed).
    """
    if not isinstance(scenario, Scenario):
        raise TypeError("stress expects a Scenario from roisim.load_scenario")
    runs, seed = check_runs_seed(scenario, runs, seed)
    cases = [case_run(scenario, case) for case in scenario.stress] + _one_off(scenario, extra)
    if not cases:
        raise ScenarioError(
            "the scenario has no [[stress]] cases; add one, or give --set PATH=VALUE for a "
            "one-off case",
            "stress",
        )
    names = [case.name for case in scenario.stress] + _extra_names(extra)
    threads = threads or default_threads()
    base_plan = build_plan(scenario, seed, runs=runs)
    if summary_only is None:
        summary_only = result_bytes(base_plan, runs, keep_inputs=False) > memory_limit()
    run = _streamed if summary_only else _in_memory
    return run(scenario, base_plan, cases, names, runs, seed, threads)


def _extra_names(extra) -> list[str]:
    if extra is None:
        return []
    if isinstance(extra, dict):
        return list(extra)
    return [case.name for case in extra]


# ------------------------------------------------------------------ in memory
def _in_memory(scenario, base_plan, cases, names, runs, seed, threads) -> StressResult:
    """Every case in memory, one at a time: keeps the base's NPVs and one case's arrays."""
    base, x = _summary_and_npv(scenario, base_plan, runs, seed, threads)
    out = []
    for name, (case_scenario, variant) in zip(names, cases):
        plan = build_plan(case_scenario, seed, runs=runs, **variant)
        figures, y = _summary_and_npv(case_scenario, plan, runs, seed, threads)
        change = {"npv": difference(x, y), "prob_positive": prob_change(x > 0.0, y > 0.0)}
        out.append(CaseResult(name, figures, change))
    return StressResult(base, tuple(out))


def _summary_and_npv(scenario, plan, runs, seed, threads) -> tuple[RunSummary, np.ndarray]:
    """The run summary (as ``simulate`` computes it in memory) and the per-run NPVs."""
    result, arrays = summarize_plan(plan, runs, seed, threads, keep_inputs=False)
    npv = arrays.values[NPV].copy()  # the rest of the arrays is dropped here
    return result.figures, npv


# ------------------------------------------------------------------ streaming
def _streamed(scenario, base_plan, cases, names, runs, seed, threads) -> StressResult:
    """Bounded memory: each summary by ``simulate`` in streaming mode, and each difference by
    the same exact block summaries over a source that regenerates both cases' blocks."""
    base = simulate(scenario, runs, seed, threads, summary_only=True, keep_inputs=False,
                    precision=False).figures  # every case on the same runs: no stop rule
    out = []
    for name, (case_scenario, variant) in zip(names, cases):
        figures = simulate(
            case_scenario, runs, seed, threads, summary_only=True, keep_inputs=False,
            precision=False, **variant
        ).figures
        plan = build_plan(case_scenario, seed, runs=runs, **variant)
        paired = PairedSource(base_plan, plan, runs, threads)
        metrics, _ = summarize_figures(paired, runs, multiple_irr=0)
        out.append(CaseResult(name, figures, _streamed_difference(metrics, runs)))
    return StressResult(base, tuple(out), streamed=True)


def _streamed_difference(metrics, runs: int) -> dict:
    """The layout of ``paired.difference`` and ``paired.prob_change`` from the summary of the
    paired rows: the NPV row holds d_i, the IRR row the change in 1[NPV > 0]."""
    d, event = metrics.npv, metrics.irr
    low, high = d.ci95.mean if d.sd else (d.mean, d.mean)
    # the changes are -1, 0 or +1: their sum k and their count m of non-zeros are whole numbers,
    # so the value k/n is exact and the sd follows from k and m
    k = round(event.mean * runs)
    m = round(event.sd**2 * (runs - 1) + k * k / runs) if runs > 1 else abs(k)
    sd = math.sqrt(max(m - k * k / runs, 0.0) / (runs - 1)) if runs > 1 else 0.0
    value, half = k / runs, Z * sd / math.sqrt(runs)
    return {
        "npv": {"mean": d.mean, "ci95": [low, high], "p5": d.p5, "p50": d.p50, "p95": d.p95},
        "prob_positive": {"value": value, "ci95": [value - half, value + half]},
    }


class PairedSource:
    """A summary source (``roisim.engine.blocks``) whose runs are paired differences: for each
    block it regenerates the block of both plans and yields ``N_METRICS`` rows, the NPV row
    holding NPV_case − NPV_base and the IRR row 1[NPV_case > 0] − 1[NPV_base > 0] (the other
    rows 0).  Memory: one block per thread."""

    def __init__(self, base_plan, case_plan, runs: int, threads: int):
        self.plans = (base_plan, case_plan)
        self.kernels = (compile_plan(base_plan), compile_plan(case_plan))
        self.runs, self.threads = runs, threads

    def _block(self, b: int) -> np.ndarray:
        start, n = block_range(b, self.runs)
        x, y = (
            run_range(plan, start, n, threads=1, kernel=kernel, keep_inputs=False).values[NPV]
            for plan, kernel in zip(self.plans, self.kernels)
        )
        rows = np.zeros((N_METRICS, n))
        rows[NPV] = y - x
        rows[EVENT] = (y > 0.0).astype(float) - (x > 0.0).astype(float)
        return rows

    def pilot(self) -> np.ndarray:
        return self._block(0)

    def execute(self, spec, progress=None) -> Partial:
        states = run_blocks(
            range(n_blocks(self.runs)),
            self.threads,
            lambda: Partial.empty(spec),
            lambda state, b: state.reduce_block(b, self._block(b)),
        )
        out = states[0]
        for state in states[1:]:
            out.merge(state)
        return out
