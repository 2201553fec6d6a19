"""``write_workbook``: the ROI workbook a finance team expects (``roisim export``).

Sheets: Summary, Inputs, Cash flows, Sensitivity (unless turned off), Stress (when the scenario
has ``[[stress]]`` cases), Runs (the first N runs) and Model (the central case as live
formulas, ``roisim.report.workbook.model_sheet``).  Numbers are written as numbers with number
formats, never as text; the figures come from ``roisim.simulate``, ``roisim.sensitivity``,
``roisim.stress`` and ``roisim.analysis``, and this package only lays them out.
"""

from __future__ import annotations

import pathlib

from roisim.errors import ScenarioError
from roisim.files import check_output, replacing

#: the default number of runs written to the Runs sheet
RUNS_SHEET = 10_000
#: Excel's row limit, less the header rows
MAX_RUNS_SHEET = 1_048_576 - 10


def check_path(path) -> pathlib.Path:
    """``path`` as a Path if it names a ``.xlsx`` file that can be written, else a
    ScenarioError at ``--output``."""
    return check_output(path, (".xlsx",), "the workbook is an Excel file")


def check_runs_sheet(n) -> int:
    """The number of runs for the Runs sheet: a whole number from 0 to Excel's row limit."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_RUNS_SHEET:
        raise ScenarioError(
            f"must be a whole number from 0 to {MAX_RUNS_SHEET:,} (Excel's rows), got {n!r}",
            "--runs-sheet",
        )
    return n


def write_workbook(
    path,
    scenario,
    *,
    runs=None,
    seed=None,
    runs_sheet: int = RUNS_SHEET,
    command: str | None = None,
    sensitivity: bool = True,
    threads: int | None = None,
) -> pathlib.Path:
    """Simulate ``scenario`` and write the ROI workbook to ``path`` (a ``.xlsx`` file).

    Parameters
    ----------
    path : str or PathLike, ending in ``.xlsx``
    scenario : roisim.Scenario
    runs, seed : as for ``roisim.simulate`` (default: the scenario's)
    runs_sheet : how many runs the Runs sheet lists (default 10,000; 0 for none)
    command : the command line that regenerates the workbook, shown on the Summary sheet
    sensitivity : include the Sensitivity sheet (``roisim.sensitivity``: more runs)
    threads : worker threads

    Returns
    -------
    pathlib.Path
        the file written (atomically: a failed export leaves no partial file)

    Examples
    --------
    >>> import roisim
    >>> from roisim.report.workbook import write_workbook
    >>> s = roisim.load_scenario("scenarios/fintech.toml")                  # doctest: +SKIP
    >>> write_workbook("fintech.xlsx", s, runs=100_000, runs_sheet=1_000)   # doctest: +SKIP
    PosixPath('fintech.xlsx')
    """
    import roisim
    from roisim.analysis.central import central_case, central_flows

    target = check_path(path)
    runs_sheet = check_runs_sheet(runs_sheet)
    # line_years: the Cash flows sheet lists each line's P5 and P95 by year
    result = roisim.simulate(scenario, runs=runs, seed=seed, threads=threads, line_years=True)
    extra = {
        "central": central_case(scenario),
        "flows": central_flows(scenario),
        "sensitivity": roisim.sensitivity(scenario, runs=runs, seed=seed, threads=threads)
        if sensitivity else None,
        "stress": roisim.stress(scenario, runs=runs, seed=seed, threads=threads)
        if scenario.stress else None,
    }
    with replacing(target, ".xlsx.partial") as tmp:
        _write(tmp, scenario, result, extra, runs_sheet, command)
    return target


def _write(path, scenario, result, extra, runs_sheet: int, command) -> None:
    import xlsxwriter

    from roisim.report.workbook import sheets
    from roisim.report.workbook.model_sheet import ModelSheet
    from roisim.report.workbook.styles import formats

    wb = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False})
    f = formats(wb, scenario.currency)
    sheets.summary(wb, f, scenario, result, extra["central"], command)
    sheets.inputs(wb, f, scenario, result)
    sheets.cash_flows(wb, f, scenario, result, extra["flows"])
    if extra["sensitivity"] is not None:
        sheets.sensitivity(wb, f, extra["sensitivity"].summary)
    if extra["stress"] is not None:
        sheets.stress(wb, f, extra["stress"])
    sheets.runs(wb, f, scenario, result, runs_sheet)
    ModelSheet(wb, f, scenario, extra["flows"], extra["central"]).write()
    wb.set_properties({"title": scenario.name, "subject": "ROI business case",
                       "comments": "Written by roisim"})
    wb.close()
