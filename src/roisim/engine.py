"""Run a compiled plan over blocks of runs on a pool of threads.

The kernel is ``nogil``, so blocks run truly in parallel on threads.  Every draw is a pure
function of (seed, input, run, year), so the arrays are bit-identical whatever the number
of threads or the block size.  This module never prints and never parses options.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .codegen import compile_plan
from .errors import ScenarioError
from .plan import METRICS, Plan

BLOCK = 65_536


def default_threads() -> int:
    """numba's thread count (``NUMBA_NUM_THREADS``), else the number of CPUs."""
    env = os.environ.get("NUMBA_NUM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


@dataclass
class RunArrays:
    """Everything a batch of runs produced: per-run metrics, cash flows and inputs."""
    start: int
    metrics: np.ndarray        # (6, n)
    cashflow: np.ndarray       # (n, H+1)
    inputs: np.ndarray         # (n_run_inputs, n)
    year_inputs: np.ndarray    # (n_year_inputs, n, H+1)
    flags: np.ndarray          # (n_flags,) counts summed over blocks

    @property
    def n(self) -> int:
        return self.metrics.shape[1]


def allocate(plan: Plan, n: int) -> RunArrays:
    h1 = plan.years
    return RunArrays(0, np.empty((len(METRICS), n)), np.empty((n, h1)),
                     np.empty((len(plan.run_inputs), n)), np.empty((len(plan.year_inputs), n, h1)),
                     np.zeros(plan.n_flags, dtype=np.int64))


def run_range(plan: Plan, start: int, n: int, *, threads: int | None = None, block: int = BLOCK,
              out: RunArrays | None = None, kernel=None) -> RunArrays:
    """Simulate runs ``start .. start+n-1`` into ``out`` (allocated when None)."""
    kernel = kernel or compile_plan(plan)
    out = out or allocate(plan, n)
    out.start = start
    threads = threads or default_threads()
    chunks = [(start + a, min(block, n - a), a) for a in range(0, n, block)]
    flags = np.zeros((len(chunks), plan.n_flags), dtype=np.int64)

    def work(k: int) -> None:
        r0, m, off = chunks[k]
        kernel(r0, m, off, plan.P, plan.T, plan.K, out.metrics, out.cashflow, out.inputs,
               out.year_inputs, flags[k])

    if threads == 1 or len(chunks) == 1:
        for k in range(len(chunks)):
            work(k)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, range(len(chunks))))
    out.flags = flags.sum(axis=0)
    check_flags(plan, out.flags, n)
    return out


def check_flags(plan: Plan, flags: np.ndarray, n: int) -> None:
    """Turn problem counters into a ScenarioError naming the field (never silent NaNs)."""
    for k in range(1, len(flags)):
        if flags[k]:
            path, problem = plan.flag_labels[k]
            raise ScenarioError(f"{problem} in {int(flags[k]):,} of {n:,} runs (counting years); "
                                "check the expression and the ranges of the inputs it uses", path,
                                file=plan.scenario.source_file)
