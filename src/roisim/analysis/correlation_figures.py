"""The summary's ``correlations``: the targets, the matrix used and the realised rank
correlations of the runs.

``realised[i][j]`` is Spearman's ρ between inputs i and j over the runs (for two per-year
inputs, over every (run, year) pair: they are correlated within each year); it is computed
only when the inputs were kept in memory (None when streaming or with ``keep_inputs=False``).
"""
from __future__ import annotations

import numpy as np

from roisim.analysis.correlation import average_ranks, rank_correlation
from roisim.analysis.schema import CorrelationFigures


def correlation_figures(plan, arrays=None) -> CorrelationFigures | None:
    """The ``correlations`` figures of ``plan``'s scenario, None when it has none; ``arrays``
    (a ``RunArrays`` with its inputs) adds the realised matrix."""
    spec = plan.scenario.correlations
    if spec is None:
        return None
    info = spec.summary()
    realised = None
    columns = arrays.values.shape[1] if arrays is not None else 0
    if columns > 1 and arrays.inputs.shape[1] == arrays.year_inputs.shape[1] == columns:
        realised = _realised(plan, arrays, spec.inputs)
    return CorrelationFigures(**info, realised=realised)


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
