"""Run a compiled plan over runs: into memory, or block by block for streaming summaries.

The kernel is ``nogil``, so blocks run truly in parallel on threads.  Every draw is a pure
function of (seed, input, run, year), so the values are bit-identical whatever the number
of threads, the chunk size or the order in which blocks run.  This module never prints and
never parses options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from roisim.engine.blocks import SUMMARY_BLOCK, Partial, PassSpec, block_range, n_blocks, run_blocks
from roisim.engine.codegen import compile_plan
from roisim.engine.plan import METRICS, Plan
from roisim.engine.precompile import wait as wait_for_precompile
from roisim.errors import ScenarioError
from roisim.kernels.metrics import MULTI, irr_rows

N_METRICS = len(METRICS)


def default_threads() -> int:
    """numba's thread count (``NUMBA_NUM_THREADS``), else the number of CPUs."""
    env = os.environ.get("NUMBA_NUM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


@dataclass
class RunArrays:
    """Everything a range of runs produced."""

    start: int
    values: np.ndarray  # (6 + H+1, n): the metrics, then the net cash flow of each year
    inputs: np.ndarray  # (n_run_inputs, n)
    year_inputs: np.ndarray  # (n_year_inputs, n, H+1)
    flags: np.ndarray  # (n_flags,) problem counters

    @property
    def n(self) -> int:
        return self.values.shape[1]

    @property
    def metrics(self) -> np.ndarray:
        return self.values[:N_METRICS]

    @property
    def cashflow(self) -> np.ndarray:
        """(n, H+1) view of the net cash flows."""
        return self.values[N_METRICS:].T


def allocate(plan: Plan, n: int, keep_inputs: bool = True) -> RunArrays:
    h1 = plan.years
    m = n if keep_inputs else 1  # unkept inputs get 1-column placeholders
    return RunArrays(
        0,
        np.empty((N_METRICS + h1, n)),
        np.empty((len(plan.run_inputs), m)),
        np.empty((len(plan.year_inputs), m, h1)),
        np.zeros(plan.n_flags, dtype=np.int64),
    )


def _call(
    kernel,
    plan: Plan,
    r0: int,
    n: int,
    off: int,
    out: RunArrays,
    flags: np.ndarray,
    chunk: int,
    keep: bool = True,
) -> None:
    """Run the kernel on runs r0..r0+n-1, writing from column ``off``, in pieces of ``chunk``.

    ``keep=False`` skips storing the sampled inputs (a streaming pass only needs the metrics)."""
    for a in range(0, n, chunk):
        m = min(chunk, n - a)
        kernel(
            r0 + a,
            m,
            off + a,
            plan.P,
            plan.T,
            plan.K,
            out.values,
            out.inputs,
            out.year_inputs,
            flags,
            1 if keep else 0,
        )
    _finish_irr(plan, out.values, off, n, flags)


def _finish_irr(plan: Plan, values: np.ndarray, off: int, n: int, flags: np.ndarray) -> None:
    """Solve the IRR of runs whose flows change sign more than once (marked +inf by the kernel)
    and count in flags[0] those with several roots in (-0.99, 10]."""
    irr = values[1, off : off + n]
    todo = np.flatnonzero(irr == MULTI)
    if todo.size == 0:
        return  # irr_rows is compiled on its first call only
    wait_for_precompile()  # a cold start may be compiling irr_rows elsewhere
    rows = np.ascontiguousarray(values[N_METRICS:, off + todo].T)
    out = np.empty(todo.size)
    roots = np.empty(todo.size, np.int64)
    irr_rows(rows, 1 if plan.scenario.timing == "mid-year" else 0, out, roots)
    irr[todo] = out
    flags[0] += int((roots > 1).sum())


def run_range(
    plan: Plan,
    start: int,
    n: int,
    *,
    threads: int | None = None,
    chunk: int = SUMMARY_BLOCK,
    kernel=None,
    progress=None,
    keep_inputs: bool = True,
) -> RunArrays:
    """Simulate runs ``start .. start+n-1`` into memory: the metrics and net cash flows, and every
    sampled input unless ``keep_inputs`` is False."""
    kernel = kernel or compile_plan(plan)
    out = allocate(plan, n, keep_inputs)
    out.start = start
    threads = threads or default_threads()
    pieces = list(range(0, n, SUMMARY_BLOCK))

    def work(flags, a):
        m = min(SUMMARY_BLOCK, n - a)
        _call(kernel, plan, start + a, m, a, out, flags, chunk, keep_inputs)

    states = run_blocks(
        pieces,
        threads,
        lambda: np.zeros(plan.n_flags, np.int64),
        work,
        progress=(lambda k: progress(min(n, k * SUMMARY_BLOCK))) if progress else None,
    )
    out.flags = np.sum(states, axis=0)
    check_flags(plan, out.flags, n)
    return out


class KernelSource:
    """Regenerates blocks of runs with the kernel and reduces them on the fly.

    Memory: one block of buffers per thread, whatever the number of runs.
    """

    def __init__(
        self,
        plan: Plan,
        runs: int,
        *,
        threads: int | None = None,
        chunk: int = SUMMARY_BLOCK,
        blocks=None,
    ):
        self.plan = plan
        self.runs = runs
        self.threads = threads or default_threads()
        self.chunk = chunk
        self.kernel = compile_plan(plan)
        self.blocks = list(range(n_blocks(runs))) if blocks is None else list(blocks)
        self.all_blocks = blocks is None  # a Dask task sees only its blocks; its caller checks

    def _buffers(self):
        h1 = self.plan.years
        return RunArrays(
            0,
            np.empty((N_METRICS + h1, SUMMARY_BLOCK)),
            np.empty((len(self.plan.run_inputs), 1)),  # inputs are not kept
            np.empty((len(self.plan.year_inputs), 1, h1)),
            np.zeros(self.plan.n_flags, np.int64),
        )

    def pilot(self) -> np.ndarray:
        buf = self._buffers()
        s, n = block_range(0, self.runs)
        _call(self.kernel, self.plan, s, n, 0, buf, buf.flags, self.chunk, keep=False)
        check_flags(self.plan, buf.flags, n)
        return buf.values[:, :n]

    def execute(self, spec: PassSpec, progress=None) -> Partial:
        def make():
            return (self._buffers(), Partial.empty(spec))

        def work(state, b):
            buf, part = state
            s, n = block_range(b, self.runs)
            _call(self.kernel, self.plan, s, n, 0, buf, buf.flags, self.chunk, keep=False)
            part.reduce_block(b, buf.values[:, :n])

        states = run_blocks(
            self.blocks,
            self.threads,
            make,
            work,
            progress=(lambda k: progress(min(self.runs, k * SUMMARY_BLOCK))) if progress else None,
        )
        out = states[0][1]
        out.flags = states[0][0].flags.copy()
        for buf, part in states[1:]:
            part.flags = buf.flags
            out.merge(part)
        if self.all_blocks:
            check_flags(self.plan, out.flags, self.runs)  # a problem in any block is an error
        return out


def check_flags(plan: Plan, flags: np.ndarray, n: int) -> None:
    """Turn problem counters into a ScenarioError naming the field (never silent NaNs)."""
    for k in range(1, len(flags)):
        if flags[k]:
            path, problem, level = plan.flag_labels[k]
            where = f"{n:,} runs" if level == "run" else f"{n * plan.years:,} run-years"
            raise ScenarioError(
                f"{problem} in {int(flags[k]):,} of {where}; check the expression and "
                "the ranges of the inputs it uses",
                path,
                file=plan.scenario.source_file,
            )
