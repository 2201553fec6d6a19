"""The output layout of a simulation, defined once: which row of the values array holds what.

The kernel writes one column per run into a ``(N_METRICS + years, runs)`` array: first one row
per metric, in the order of ``METRICS``, then the net cash flow of each year 0..H.  Everything
that reads those arrays (the engine, the summary, the dataset) takes the positions from here.

To add a metric: add its name to ``METRICS`` (in ``roisim.scenario.model``, which reserves the
names), its formula to ``METRIC_CODE`` in ``roisim.engine.codegen``, and its description to
``METRIC_ATTRS`` in ``roisim.result``.
"""

from __future__ import annotations

from roisim.scenario.model import METRICS  # the per-run metrics, in row order (defined there)

N_METRICS = len(METRICS)
#: row of each metric
ROW = {name: row for row, name in enumerate(METRICS)}
#: row of the net cash flow of year 0 (year t is in row FIRST_CASHFLOW_ROW + t)
FIRST_CASHFLOW_ROW = N_METRICS
#: problem counter 0 counts the runs with several IRRs; the plan appends the others
SEVERAL_IRRS = 0


def n_rows(years: int) -> int:
    """Rows of the values array for a scenario with ``years`` cash-flow years (H + 1)."""
    return N_METRICS + years


def cashflow_row(year: int) -> int:
    """Row of the net cash flow of ``year``."""
    return FIRST_CASHFLOW_ROW + year
