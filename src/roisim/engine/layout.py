"""The output layout of a simulation, defined once: which row of the values array holds what.

The kernel writes one column per run into a ``(rows, runs)`` array: first one row per metric, in
the order of ``METRICS``, then the net cash flow of each year 0..H; then, when the plan asks for
them (``Plan.line_rows``, see ``LINE_ROWS``), the present value of each cash-flow line, and after
those the amount of each line in each year (line by line, years 0..H within a line).  The kernel
writes the rows its output array has room for, so one compiled kernel serves every level.
Everything that reads those arrays (the engine, the summary, the dataset) takes the positions
from here: ``Layout.of(plan)``.

To add a metric: add its name to ``METRICS`` (in ``roisim.scenario.model``, which reserves the
names), its formula to ``METRIC_CODE`` in ``roisim.engine.codegen``, and its description to
``METRIC_ATTRS`` in ``roisim.result``.
"""

from __future__ import annotations

from dataclasses import dataclass

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


#: what the rows after the net cash flows hold: nothing, each line's PV, or each line's PV and
#: its amount in every year
LINE_ROWS = ("none", "pv", "years")


@dataclass(frozen=True)
class Layout:
    """The rows of one plan's values array.

    ``lines`` are the line names and ``kinds`` their kinds ("benefit" or "cost"), in the plan's
    order (benefits first, as in the scenario); ``line_rows`` is one of ``LINE_ROWS``.

    >>> lay = Layout(years=3, lines=("Saving", "Build"), kinds=("benefit", "cost"),
    ...              line_rows="years")
    >>> lay.n_rows, lay.line_pv_row(1), lay.line_year_row(1, 2)
    (17, 10, 16)
    """

    years: int
    lines: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    line_rows: str = "none"

    @classmethod
    def of(cls, plan) -> Layout:
        """The layout of ``plan``'s values (its ``line_rows`` level)."""
        return cls(
            years=plan.years,
            lines=tuple(line.name for line in plan.lines),
            kinds=tuple("cost" if line.is_cost else "benefit" for line in plan.lines),
            line_rows=plan.line_rows,
        )

    @property
    def has_pv(self) -> bool:
        return self.line_rows in ("pv", "years")

    @property
    def has_years(self) -> bool:
        return self.line_rows == "years"

    @property
    def first_line_row(self) -> int:
        return N_METRICS + self.years

    def line_pv_row(self, j: int) -> int:
        """Row of line ``j``'s present value."""
        return self.first_line_row + j

    def line_year_row(self, j: int, year: int) -> int:
        """Row of line ``j``'s amount in ``year``."""
        return self.first_line_row + len(self.lines) + j * self.years + year

    @property
    def n_rows(self) -> int:
        n = len(self.lines)
        return (
            n_rows(self.years)
            + (n if self.has_pv else 0)
            + (n * self.years if self.has_years else 0)
        )

    def kind_of_row(self, row: int) -> str:
        """What ``row`` holds: "metric", "cashflow", "line_pv" or "line_year"."""
        if row < N_METRICS:
            return "metric"
        if row < self.first_line_row:
            return "cashflow"
        if row < self.first_line_row + len(self.lines):
            return "line_pv"
        return "line_year"


def infer(rows: int) -> Layout:
    """The layout of a values array with ``rows`` rows and no line rows (metrics and net cash
    flows only: what sources built without a plan's layout hold)."""
    return Layout(years=rows - N_METRICS)
