"""``roisim plot``: draw one chart of a scenario to a .png, .svg or .pdf file.

Parses options, runs the analysis the chart needs (a simulation, ``roisim.sensitivity``,
``roisim.stress`` or ``roisim.compare``) and hands its result to ``roisim.report.charts``.
"""

from __future__ import annotations

import os
import sys

import click

from roisim.cli.options import fail, sampling_overrides, scenario_options
from roisim.errors import ScenarioError

SIMULATION_KINDS = ("npv", "scurve", "payback", "fan", "lines")


@click.command()
@click.argument("scenario_files", nargs=-1, required=True, metavar="SCENARIO.toml [B.toml ...]")
@click.option("--kind", default="npv", show_default=True, metavar="KIND",
              help="npv, scurve, payback, fan, lines, tornado, evpi, compare or stress.")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The chart file: .png, .svg or .pdf.")
@click.option("--bars", default="swing", show_default=True, metavar="swing|given_data",
              help="tornado: the swing bars (input at P10 and P90) or the given-data bars.")
@scenario_options("Override a value in the file, e.g. inputs.analyst_rate.mean=50 (repeatable; "
                  "for compare, applied to every file).")
@click.option("--quiet", is_flag=True, help="No progress bar or status message on stderr.")
def plot(scenario_files, kind, output, bars, runs, seed, overrides, threads, sampling, quiet):
    """Draw chart KIND of SCENARIO.toml to FILE (.png, .svg or .pdf).

    npv, scurve, payback, fan and lines simulate the scenario; tornado and evpi run
    `roisim sensitivity`; stress runs its [[stress]] cases; compare takes two files or more
    (A.toml B.toml ...) and runs `roisim compare`.
    """
    from roisim.report import charts

    try:
        kind = charts.check_kind(kind, "--kind")
        charts.check_suffix(output, "--output")
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise ScenarioError(f"{output}: the folder {folder} does not exist", "--output")
        if kind == "tornado":
            from roisim.report.charts.sensitivity import BARS

            if bars not in BARS:
                raise ScenarioError(f"must be swing or given_data, got {bars!r}", "--bars")
        _check_files(kind, scenario_files)
    except ScenarioError as err:
        fail(err)
    overrides = list(overrides) + sampling_overrides(sampling)
    source = _analyse(kind, scenario_files, overrides, runs, seed, threads, quiet)
    try:
        options = {"bars": bars} if kind == "tornado" else {}
        charts.save(charts.draw(kind, source, standalone=True, **options), output)
    except ScenarioError as err:
        fail(err)
    if not quiet:
        click.echo(f"wrote the {kind} chart to {output}", err=True)


def _check_files(kind: str, files) -> None:
    if kind == "compare" and len(files) < 2:
        raise ScenarioError(f"compare needs at least two scenario files, got {len(files)}",
                            "--kind compare")
    if kind != "compare" and len(files) != 1:
        raise ScenarioError(f"the {kind} chart takes one scenario file, got {len(files)} "
                            "(only compare takes several)", "SCENARIO")


def _analyse(kind, files, overrides, runs, seed, threads, quiet):
    """Load the file(s) and run what ``kind`` draws; a user error exits 2 as one line."""
    from roisim.cli.progress import ProgressLine
    from roisim.engine.precompile import start_if_cold
    from roisim.scenario.loading import load_scenario, locate

    scenarios = []
    for file in files:
        try:
            scenarios.append(load_scenario(file, overrides))
        except ScenarioError as err:
            fail(locate(err, file))
    if kind == "stress" and not scenarios[0].stress:
        fail(ScenarioError("the stress chart needs [[stress]] cases, and this scenario has "
                           "none", "stress").located(files[0]))
    bar = ProgressLine() if (not quiet and sys.stderr.isatty()) else None
    start_if_cold()  # first run after install: compile shared kernels on the other core
    try:
        return _run(kind, scenarios, runs, seed, threads, bar)
    except ScenarioError as err:
        fail(locate(err, err.file or files[0]))
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    finally:
        if bar:
            bar.close()


def _run(kind, scenarios, runs, seed, threads, bar):
    if kind in SIMULATION_KINDS:
        from roisim.analysis.simulate import simulate

        # the charts draw the runs: keep them in memory
        return simulate(scenarios[0], runs=runs, seed=seed, threads=threads,
                        summary_only=False, progress=bar)
    if kind in ("tornado", "evpi"):
        from roisim.analysis.sensitivity import sensitivity

        return sensitivity(scenarios[0], runs=runs, seed=seed, threads=threads, progress=bar)
    if kind == "stress":
        from roisim.analysis.stress import stress

        return stress(scenarios[0], runs, seed, threads=threads, summary_only=False)
    from roisim.analysis.compare import compare

    comparison = compare(scenarios, runs=runs, seed=seed, threads=threads, summary_only=False,
                         progress=bar)
    for warning in comparison.warnings:
        click.echo(f"warning: {warning}", err=True)
    return comparison
