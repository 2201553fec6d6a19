"""Run a compiled plan over runs: into memory, or block by block for streaming summaries.

The kernel is ``nogil``, so blocks run truly in parallel on threads.  Every draw is a pure
function of (seed, input, run, year), so the values are bit-identical whatever the number
of threads, the chunk size or the order in which blocks run.  This module never prints and
never parses options.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from roisim.engine.blocks import SUMMARY_BLOCK, Partial, PassSpec, block_range, n_blocks, run_blocks
from roisim.engine.codegen import compile_plan
from roisim.engine.layout import FIRST_CASHFLOW_ROW, N_METRICS, ROW, SEVERAL_IRRS, Layout
from roisim.engine.plan import Plan
from roisim.engine.precompile import wait as wait_for_precompile
from roisim.errors import ScenarioError
from roisim.kernels.metrics import MULTI, irr_rows


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
    values: np.ndarray  # (rows, n): the metrics, the net cash flow of each year, the line rows
    inputs: np.ndarray  # (n_run_inputs, n)
    year_inputs: np.ndarray  # (n_year_inputs, n, H+1)
    flags: np.ndarray  # (n_problems,) problem counters, labelled by Plan.problem_labels
    #: (pieces, n_lines × years): row k adds up, in run order, each line's amount in each year
    #: over the runs of piece k (runs start + k·SUMMARY_BLOCK onwards, SUMMARY_BLOCK of them)
    line_sums: np.ndarray

    @property
    def n(self) -> int:
        return self.values.shape[1]

    @property
    def metrics(self) -> np.ndarray:
        return self.values[:N_METRICS]

    @property
    def years(self) -> int:
        return self.year_inputs.shape[2]

    @property
    def cashflow(self) -> np.ndarray:
        """(n, H+1) view of the net cash flows."""
        return self.values[FIRST_CASHFLOW_ROW : FIRST_CASHFLOW_ROW + self.years].T


def allocate(plan: Plan, n: int, keep_inputs: bool = True) -> RunArrays:
    """Output arrays for ``n`` runs of ``plan`` (inputs kept or not), with the rows of its
    layout (``Layout.of(plan)``: the line rows of ``plan.line_rows``)."""
    columns = n if keep_inputs else 1  # unkept inputs get 1-column placeholders
    return RunArrays(
        0,
        np.empty((Layout.of(plan).n_rows, n)),
        np.empty((len(plan.run_inputs), columns)),
        np.empty((len(plan.year_inputs), columns, plan.years)),
        np.zeros(plan.n_problems, dtype=np.int64),
        np.zeros((n_blocks(n), len(plan.lines) * plan.years)),
    )


def _call(
    kernel,
    plan: Plan,
    first_run: int,
    n: int,
    first_column: int,
    out: RunArrays,
    problems: np.ndarray,
    chunk: int,
    keep: bool,
    line_sums: np.ndarray,
) -> None:
    """Run the kernel on runs first_run .. first_run+n-1, writing from column ``first_column``,
    in pieces of ``chunk``; count problems into ``problems`` and add each line's amounts by year
    into ``line_sums`` (in run order, so the sums do not depend on ``chunk``).

    ``keep=False`` skips storing the sampled inputs (a streaming pass only needs the metrics)."""
    if plan.seed is None:
        raise ValueError("the plan is not bound to a seed: use build_plan or plan.with_seed")
    if plan.needs_runs and (plan.runs is None or first_run + n > plan.runs):
        raise ValueError(
            f"a {plan.sampling} plan runs only the runs it is bound to (runs {first_run:,} to "
            f"{first_run + n - 1:,} asked, bound to {plan.runs}): build_plan(..., runs=N) or "
            "plan.with_runs(N)"
        )
    for a in range(0, n, chunk):
        kernel(
            first_run + a,
            min(chunk, n - a),
            first_column + a,
            plan.params,
            plan.tables,
            plan.stream_keys,
            out.values,
            out.inputs,
            out.year_inputs,
            problems,
            1 if keep else 0,
            line_sums,
        )
    _finish_irr(plan, out.values, first_column, n, problems)


def _finish_irr(
    plan: Plan, values: np.ndarray, first_column: int, n: int, problems: np.ndarray
) -> None:
    """Solve the IRR of runs whose flows change sign more than once (marked +inf by the kernel)
    and count those with several roots in (-0.99, 10]."""
    irr = values[ROW["irr"], first_column : first_column + n]
    todo = np.flatnonzero(irr == MULTI)
    if todo.size == 0:
        return  # irr_rows is compiled on its first call only
    wait_for_precompile()  # a cold start may be compiling irr_rows elsewhere
    flows = values[FIRST_CASHFLOW_ROW : FIRST_CASHFLOW_ROW + plan.years]
    rows = np.ascontiguousarray(flows[:, first_column + todo].T)
    out = np.empty(todo.size)
    roots = np.empty(todo.size, np.int64)
    irr_rows(rows, 1 if plan.scenario.timing == "mid-year" else 0, out, roots)
    irr[todo] = out
    problems[SEVERAL_IRRS] += int((roots > 1).sum())


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

    def work(problems, a):
        m = min(SUMMARY_BLOCK, n - a)
        sums = out.line_sums[a // SUMMARY_BLOCK]
        _call(kernel, plan, start + a, m, a, out, problems, chunk, keep_inputs, sums)

    states = run_blocks(
        pieces,
        threads,
        lambda: np.zeros(plan.n_problems, np.int64),
        work,
        progress=(lambda k: progress(min(n, k * SUMMARY_BLOCK))) if progress else None,
    )
    out.flags = np.sum(states, axis=0)
    check_problems(plan, out.flags, n)
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
        self._kept: dict[int, RunArrays] = {}  # blocks made by ``pilot``, reused by every pass

    def _buffers(self):
        return allocate(self.plan, SUMMARY_BLOCK, keep_inputs=False)

    def _generate(self, b: int) -> RunArrays:
        """Block b's runs in a buffer of their own (its problems counted in its flags)."""
        buf = self._buffers()
        s, n = block_range(b, self.runs)
        _call(self.kernel, self.plan, s, n, 0, buf, buf.flags, self.chunk, False, buf.line_sums[0])
        return buf

    def pilot(self) -> np.ndarray:
        """Block 0's values.  With two threads or more, block 1 is made meanwhile on another
        thread (the pilot would leave it idle); every pass then reduces both blocks without
        generating them again."""
        if not self._kept:
            ahead = 1 if self.threads > 1 and 1 in self.blocks and n_blocks(self.runs) > 1 else 0
            pool = ThreadPoolExecutor(max_workers=1) if ahead else None
            try:
                second = pool.submit(self._generate, 1) if pool else None
                first = self._generate(0)
                check_problems(self.plan, first.flags, block_range(0, self.runs)[1])
                if second is not None:
                    self._kept[1] = second.result()
                self._kept[0] = first
            finally:
                if pool is not None:
                    pool.shutdown(wait=False)
        return self._kept[0].values[:, : block_range(0, self.runs)[1]]

    def execute(self, spec: PassSpec, progress=None) -> Partial:
        def make():
            return (self._buffers(), Partial.empty(spec))

        def work(state, b):
            buf, part = state
            s, n = block_range(b, self.runs)
            kept = self._kept.get(b)
            if kept is not None:  # made by pilot: the same values, sums and problem counts
                buf.flags += kept.flags
                part.reduce_block(b, kept.values[:, :n], kept.line_sums[0])
                return
            sums = buf.line_sums[0]
            sums[:] = 0.0
            _call(self.kernel, self.plan, s, n, 0, buf, buf.flags, self.chunk, False, sums)
            part.reduce_block(b, buf.values[:, :n], sums)

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
            check_problems(self.plan, out.flags, self.runs)  # a problem in any block: an error
        return out


def check_problems(plan: Plan, counts: np.ndarray, n: int) -> None:
    """Turn problem counters into a ScenarioError naming the field (never silent NaNs).  The
    several-IRRs counter is a count the summary reports, not a problem."""
    for k in range(len(counts)):
        if counts[k] and k != SEVERAL_IRRS:
            path, problem, level = plan.problem_labels[k]
            where = f"{n:,} runs" if level == "run" else f"{n * plan.years:,} run-years"
            raise ScenarioError(
                f"{problem} in {int(counts[k]):,} of {where}; check the expression and "
                "the ranges of the inputs it uses",
                path,
                file=plan.scenario.source_file,
            )
