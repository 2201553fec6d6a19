"""The one-at-a-time (swing) tornado: the metric's mean with one input held at its P10, then at
its P90, while every other input is drawn as usual.

The P10 and P90 are quantiles of the input's own distribution, truncation included
(:func:`roisim.analysis.uncertain.held_values`); a per-year input is held at that value in
every year.  Both variants run on the base case's draws for every other input (common random
numbers), so each mean differs from the base mean by the held input's effect alone: the other
inputs' draws are the same in every run.  Holding one input while the others are drawn from
their own distributions is what "one at a time" means: when inputs are correlated (a later
issue) the others are still drawn as if the held input told nothing about them, while the
given-data bins (``roisim.analysis.given_data``) follow the correlations.

>>> swing(lambda v: 100.0 + 3.0 * v, [2.0, 8.0])          # any mean-with-input-held function
{'p10': 106.0, 'p90': 124.0, 'at': [2.0, 8.0]}
"""

from __future__ import annotations

from collections.abc import Callable

from roisim.analysis.variant_runs import means
from roisim.errors import ScenarioError

PROBABILITIES = (0.1, 0.9)


def swing(mean_with: Callable[[float], float], at) -> dict:
    """``{"p10": mean_with(at[0]), "p90": mean_with(at[1]), "at": [at[0], at[1]]}``, where
    ``mean_with(v)`` is the metric's mean with the input held at v (NaN becomes None)."""
    low, high = float(at[0]), float(at[1])
    means = [mean_with(low), mean_with(high)]
    p10, p90 = (None if m is None or m != m else float(m) for m in means)
    return {"p10": p10, "p90": p90, "at": [low, high]}


def held_mean(plan, runs: int, name: str, metric: str, **run_options) -> Callable:
    """``mean_with(v)``: the mean of ``metric`` over the runs of ``plan`` with input ``name``
    held at v (runs where the metric is not finite left out); ``run_options`` go to
    :func:`roisim.analysis.variant_runs.means`."""
    def mean_with(value: float) -> float:
        try:
            return means(plan.vary(hold={name: value}), runs, [metric], **run_options)[0][0]
        except ScenarioError as err:  # the base runs were valid: say which variant was not
            raise ScenarioError(
                f"with {name} held at {value:.6g} for its swing: {err.message}",
                err.path,
                file=err.file,
            ) from None

    return mean_with
