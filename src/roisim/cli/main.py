"""The ``roisim`` command line: parses options, calls the library, prints.  No maths here."""

from __future__ import annotations

import os
import sys

import click

from roisim import _quick_imports as quick_imports
from roisim._version import __version__
from roisim.cli.options import (
    OneLineErrors,
    fail,
    precision_option,
    runs_option,
    sampling_option,
    sampling_overrides,
    seed_option,
    set_option,
    summary_only_option,
    threads_option,
)
from roisim.errors import ScenarioError


def _analysis_commands() -> list:
    from roisim.cli.compare import compare
    from roisim.cli.export import export
    from roisim.cli.new import new
    from roisim.cli.plot import plot
    from roisim.cli.report import report
    from roisim.cli.sensitivity import sensitivity
    from roisim.cli.stress import breakeven, stress

    return [sensitivity, stress, breakeven, compare, plot, report, export, new]


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roisim")
def main():
    """roisim: Monte Carlo NPV, IRR and payback for a business case written in TOML."""


@main.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@runs_option()
@seed_option()
@set_option(
    "Override a value in the file, e.g. inputs.loaded_hourly_rate.mean=80 (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write per-run results to a netCDF file.",
)
@summary_only_option()
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS",
    help="Run on Dask: 'local', 'local:N' (N worker processes) "
    "or a scheduler such as tcp://host:8786.",
)
@threads_option()
@sampling_option()
@click.option("--quiet", is_flag=True, help="No progress bar or status messages on stderr.")
@click.option(
    "--stress",
    "stress_case",
    default=None,
    metavar="NAME",
    help="Run the [[stress]] case NAME as the scenario (on the same draws as the base case).",
)
@precision_option()
def run(
    scenario_file,
    runs,
    seed,
    overrides,
    as_json,
    output,
    summary_only,
    dask_address,
    threads,
    sampling,
    quiet,
    stress_case,
    precision,
):
    """Simulate SCENARIO.toml and report NPV, IRR, payback, ROI and BCR."""
    from roisim.cli.progress import ProgressLine
    from roisim.report.text import precision_warning, render_report

    bar = ProgressLine() if (not quiet and sys.stderr.isatty()) else None
    overrides = list(overrides) + sampling_overrides(sampling)
    try:
        result = _simulate(
            scenario_file, overrides, runs, seed, output, summary_only, dask_address, threads, bar,
            stress_case, precision,
        )
    finally:
        if bar:
            bar.close()
    warning = precision_warning(result.figures)
    if warning:  # not met by max_runs: the run still succeeds (exit 0)
        click.echo(warning, err=True)
    for line in result.figures.warnings:  # e.g. a Sobol replicate that is not a power of 2
        click.echo(f"warning: {line}", err=True)
    if output:
        _write_netcdf(result, output, quiet)
    click.echo(result.to_json() if as_json else render_report(result.figures))


def _simulate(
    scenario_file, overrides, runs, seed, output, summary_only, dask_address, threads, bar,
    stress_case=None, precision=None,
):
    """Load the scenario (or one of its stress cases) and simulate it as the options say; a
    user error exits 2."""
    with quick_imports():
        from roisim.analysis.simulate import simulate, streams_cheaper
        from roisim.engine.precompile import start_if_cold
        from roisim.scenario.loading import load_scenario, locate

    executor = None
    try:
        scenario = load_scenario(scenario_file, list(overrides))
        variant = {}
        if stress_case is not None:
            from roisim.analysis.stress import case_run

            scenario, variant = case_run(scenario, stress_case)
        for given, what in ((dask_address, "a --dask run"), (summary_only, "--summary-only")):
            if given and output:
                raise ScenarioError(
                    f"--output needs the per-run data, which {what} does not keep; "
                    "drop one of them",
                    "--output",
                )
        if dask_address:
            from roisim.engine.distributed import dask_executor

            executor = dask_executor(dask_address)
        # --output needs the per-run data in memory; without it nothing here reads the runs,
        # so they are streamed when that is cheaper, else simulate streams when it must
        mode = True if (summary_only or executor) else (False if output else None)
        if mode is None and streams_cheaper(scenario, precision):
            mode = True
        if executor is None:
            start_if_cold()  # first run after install: compile shared kernels on the other core
        return simulate(
            scenario,
            runs=runs,
            seed=seed,
            threads=threads,
            summary_only=mode,
            progress=bar,
            executor=executor,
            keep_inputs=bool(output),
            precision=precision,
            **variant,
        )
    except ScenarioError as err:
        if bar:
            bar.close()
        fail(locate(err, scenario_file))
    except KeyboardInterrupt:
        if bar:
            bar.close()
        _interrupted()
    finally:
        if executor is not None:
            executor.close()


def _write_netcdf(result, output, quiet) -> None:
    from roisim.report.numbers import count

    try:
        result.to_netcdf(output)
    except (OSError, ValueError) as exc:
        click.echo(f"error: {output}: cannot write the results: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        _interrupted()
    if not quiet:
        click.echo(f"wrote {count(result.figures.runs)} runs to {output}", err=True)


def _interrupted() -> None:
    click.echo("interrupted: nothing was written", err=True)
    sys.exit(130)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a value, as for run."
)
@sampling_option()
def validate(scenario_file, overrides, sampling):
    """Check SCENARIO.toml and show what it contains, without simulating."""
    from roisim.engine.plan import build_plan
    from roisim.report.text import render_validation
    from roisim.scenario.loading import load_scenario, locate
    from roisim.scenario.validate import check_sobol_runs, describe

    try:
        scenario = load_scenario(scenario_file, list(overrides) + sampling_overrides(sampling))
        build_plan(scenario)  # tables and samplers: catches what only shows up when planning
        check_sobol_runs(scenario.sampling, scenario.replicates, scenario.runs, "simulation.runs")
    except ScenarioError as err:
        fail(locate(err, scenario_file))
    click.echo(render_validation(scenario, describe(scenario)))


# the analysis commands, one module each (they import their maths only when they run)
for _command in _analysis_commands():
    main.add_command(_command)


def entry() -> None:
    """Console-script entry point: Ctrl-C at any moment (even while numba loads) exits 130.

    Once the command is done the process ends at once (``os._exit`` after flushing stdout and
    stderr): Python's normal shutdown would then spend a noticeable time tearing down numba's
    compiled code and modules, and there is nothing left to save -- every file was closed
    already."""
    try:
        main()
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        code = 130
    except SystemExit as done:  # click ends every command this way
        code = done.code
    else:
        code = 0
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(code, err=True)
        code = 1
    _exit_now(code)


def _exit_now(code: int) -> None:
    import atexit

    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # roisim's own (stopping a cold-start helper) and any others
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
