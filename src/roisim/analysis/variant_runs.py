"""Runs of a plan (or of a variant of it) reduced as they are made, block by block.

Sensitivity runs the base case once with its inputs kept (:func:`collect`) and then many
variants -- an input held at a value, an input's draws scaled -- of which only the mean of a
metric or two is needed (:func:`means`).  Both run ``roisim.engine.run.run_range`` over blocks
of :data:`CHUNK` runs, so memory stays at one block's arrays plus the vectors asked for, at any
run count.  Every draw is a function of (seed, input, run, year) only, so a block of runs has
the same draws as the same runs of one big call, and every variant of a plan has the draws of
the plan for every input it does not touch (common random numbers).
"""

from __future__ import annotations

import numpy as np

from roisim.analysis.uncertain import input_values
from roisim.engine.layout import ROW
from roisim.engine.run import run_range

#: runs per call of the engine
CHUNK = 1 << 20


def _blocks(runs: int, chunk: int):
    for start in range(0, runs, chunk):
        yield start, min(chunk, runs - start)


def means(plan, runs: int, metrics, *, threads=None, tick=None, chunk: int = CHUNK) -> list:
    """For each name in ``metrics`` (``"npv"``, ``"irr"``, ...): the mean over the runs where it
    is finite and the number of those runs, as ``[(mean, finite_runs), ...]`` (mean NaN when no
    run is finite).  ``tick(n)`` is called after each block of n runs.  A run that the engine
    rejects (a negative cost, a non-finite amount) raises ScenarioError, as in ``simulate``."""
    rows = [ROW[m] for m in metrics]
    sums = np.zeros(len(rows))
    counts = np.zeros(len(rows), dtype=np.int64)
    for start, n in _blocks(runs, chunk):
        arrays = run_range(plan, start, n, threads=threads, keep_inputs=False)
        for k, row in enumerate(rows):
            v = arrays.values[row]
            finite = np.isfinite(v)
            sums[k] += float(v[finite].sum()) if not finite.all() else float(v.sum())
            counts[k] += int(finite.sum())
        if tick:
            tick(n)
    return [(s / c if c else float("nan"), int(c)) for s, c in zip(sums, counts)]


def collect(plan, runs: int, inputs, metric: str, *, threads=None, tick=None, chunk=CHUNK):
    """The base case's per-run vectors: ``(metric, npv, values)`` where ``values[k]`` holds the
    per-run values of ``inputs[k]`` (``roisim.analysis.uncertain.input_values``)."""
    y = np.empty(runs)
    npv = y if metric == "npv" else np.empty(runs)
    values = np.empty((len(inputs), runs))
    for start, n in _blocks(runs, chunk):
        arrays = run_range(plan, start, n, threads=threads, keep_inputs=True)
        y[start : start + n] = arrays.values[ROW[metric]]
        npv[start : start + n] = arrays.values[ROW["npv"]]
        for k, inp in enumerate(inputs):
            values[k, start : start + n] = input_values(inp, arrays)
        if tick:
            tick(n)
    return y, npv, values
