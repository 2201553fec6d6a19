"""The summary's ``correlations``: the targets, the matrix used and the realised rank
correlations of the runs.

``realised[i][j]`` is Spearman's ρ between inputs i and j over the runs (for two per-year
inputs, over every (run, year) pair: they are correlated within each year).  When every
sampled input was kept in memory it is over all the runs; otherwise (streaming, Dask,
``keep_inputs=False`` as in ``roisim run``) the first ``REALISED_RUNS`` runs are generated
again with their inputs, the very same draws, so the check costs the same whatever the run
count.  ``realised_runs`` says how many runs it is over.
"""
from __future__ import annotations

import numpy as np

from roisim.analysis.correlation import average_ranks, rank_correlation
from roisim.analysis.schema import CorrelationFigures
from roisim.engine.run import run_range

#: the runs the realised matrix is over when the inputs were not kept (its sampling error is
#: about (1 − ρ²)/√n ≈ 0.003)
REALISED_RUNS = 2**17


def correlation_figures(plan, runs: int, arrays=None, threads=None) -> CorrelationFigures | None:
    """The ``correlations`` figures of ``plan``'s scenario (``runs`` runs), None when it has
    none; ``arrays`` is the runs in memory (a ``RunArrays``), when they were kept."""
    spec = plan.scenario.correlations
    if spec is None:
        return None
    if not _has_inputs(arrays):
        arrays = run_range(plan, 0, min(runs, REALISED_RUNS), threads=threads)
    n = arrays.values.shape[1]
    realised = _realised(plan, arrays, spec.inputs) if n > 1 else None
    return CorrelationFigures(**spec.summary(), realised=realised, realised_runs=n)


def _has_inputs(arrays) -> bool:
    """Whether ``arrays`` holds every run's sampled inputs (``keep_inputs=True``)."""
    if arrays is None:
        return False
    columns = arrays.values.shape[1]
    return arrays.inputs.shape[1] == arrays.year_inputs.shape[1] == columns


def _values(plan, arrays, name: str) -> np.ndarray:
    node = next(n for n in plan.nodes if n.name == name)
    if node.level == "year":
        return np.ascontiguousarray(arrays.year_inputs[node.store]).ravel()
    return arrays.inputs[node.store]


def _realised(plan, arrays, names) -> tuple:
    ranks = {}
    levels = {n.name: n.level for n in plan.nodes}
    out = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            if levels[a] != levels[b]:
                out[i, j] = out[j, i] = np.nan
                continue
            for n in (a, b):
                if n not in ranks:
                    ranks[n] = average_ranks(_values(plan, arrays, n))
            out[i, j] = out[j, i] = rank_correlation(ranks[a], ranks[b])
    return tuple(tuple(float(v) if np.isfinite(v) else None for v in row) for row in out)
