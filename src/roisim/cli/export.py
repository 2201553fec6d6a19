"""``roisim export``: the ROI workbook (.xlsx).  Parses options, calls the library, reports."""

from __future__ import annotations

import sys

import click

from roisim.cli.options import command_line, fail, sampling_overrides, scenario_options
from roisim.errors import ScenarioError


def _runs_sheet(text) -> int:
    """``--runs-sheet``: 10000, 10_000 or 1e4 (0 for no runs); a ScenarioError otherwise."""
    from roisim.report.workbook import check_runs_sheet

    cleaned = str(text).replace("_", "").replace(",", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ScenarioError(f"expected a whole number of runs, got {text!r}",
                            "--runs-sheet") from None
    if not value.is_integer():
        raise ScenarioError(f"expected a whole number of runs, got {text!r}", "--runs-sheet")
    return check_runs_sheet(int(value))


def _command(scenario_file, output, runs, seed, overrides, runs_sheet, no_sensitivity) -> str:
    """The command line that writes the same workbook again (runs and seed made explicit)."""
    flags = (["--runs-sheet", str(runs_sheet)] if runs_sheet != 10_000 else []) + (
        ["--no-sensitivity"] if no_sensitivity else [])
    return command_line(["roisim", "export", scenario_file, "-o", output], runs, seed,
                        overrides, flags)


@click.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option("-o", "--output", required=True, metavar="FILE.xlsx",
              help="The workbook to write (.xlsx).")
@scenario_options()
@click.option("--runs-sheet", "runs_sheet", default="10000", show_default=True, metavar="N",
              help="How many runs the Runs sheet lists (0 for none).")
@click.option("--no-sensitivity", is_flag=True,
              help="Leave out the Sensitivity sheet (it needs a run per input).")
def export(scenario_file, output, runs, seed, overrides, threads, sampling, runs_sheet,
           no_sensitivity):
    """Write the ROI workbook of SCENARIO.toml: Summary, Inputs, Cash flows, Sensitivity,
    Stress (when the file has [[stress]] cases), Runs and Model, the central case as live
    Excel formulas (change an input cell and it recomputes)."""
    from roisim.report.workbook import check_path, write_workbook
    from roisim.scenario.loading import load_scenario, locate

    overrides = tuple(overrides) + tuple(sampling_overrides(sampling))
    try:
        target = check_path(output)
        n_sheet = _runs_sheet(runs_sheet)
    except ScenarioError as err:
        fail(err)
    try:
        scenario = load_scenario(scenario_file, list(overrides))
        command = _command(scenario_file, output, runs or scenario.runs,
                           scenario.seed if seed is None else seed, overrides, n_sheet,
                           no_sensitivity)
        write_workbook(target, scenario, runs=runs, seed=seed, runs_sheet=n_sheet,
                       command=command, sensitivity=not no_sensitivity, threads=threads)
    except ScenarioError as err:
        fail(locate(err, scenario_file))
    except OSError as err:
        fail(ScenarioError(f"cannot write the workbook: {err.strerror or err}", "--output"))
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    click.echo(f"wrote {target}")
