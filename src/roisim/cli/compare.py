"""``roisim compare``: compare options on common random numbers."""

from __future__ import annotations

import sys

import click

from roisim.cli.options import (
    fail,
    runs_option,
    sampling_option,
    sampling_overrides,
    seed_option,
    summary_only_option,
    threads_option,
    warn_sampling,
)
from roisim.errors import ScenarioError


@click.command()
@click.argument("scenario_files", nargs=-1, metavar="A.toml B.toml [C.toml ...]")
@runs_option("Runs of every option, e.g. 200000 or 1e6 (default: the first file's runs).")
@seed_option("Random seed of every option (default: the first file's [simulation].seed).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as one JSON object.")
@summary_only_option()
@threads_option()
@sampling_option()
@click.option("--quiet", is_flag=True, help="No progress bar on stderr (warnings are still shown).")
def compare(scenario_files, runs, seed, as_json, summary_only, threads, sampling, quiet):
    """Compare options A.toml, B.toml, ... on common random numbers.

    Every option runs the same runs with the same seed, so inputs with the same name take the
    same draws and NPV(option) - NPV(first) is measured run by run.  Prints each option's
    headline figures, the distribution of that difference with P(better than the first), and
    P(each option is best).  Options must share a currency; different horizons or discount
    rates are compared with a warning on stderr.
    """
    from roisim.cli.progress import ProgressLine
    from roisim.report.compare import render_comparison

    if len(scenario_files) < 2:
        fail(ScenarioError(
            f"compare needs at least two scenario files, got {len(scenario_files)}",
            "",
        ))
    bar = ProgressLine() if (not quiet and sys.stderr.isatty()) else None
    try:
        comparison = _compare(scenario_files, runs, seed, summary_only, threads, bar, sampling)
    finally:
        if bar:
            bar.close()
    for warning in comparison.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(comparison.to_json() if as_json else render_comparison(comparison.figures))


def _compare(scenario_files, runs, seed, summary_only, threads, bar, sampling=None):
    """Load every file and compare them; a user error exits 2 as one line."""
    from roisim.analysis.compare import compare as compare_options
    from roisim.engine.precompile import start_if_cold
    from roisim.scenario.loading import load_scenario, locate

    scenarios = []
    for file in scenario_files:
        try:
            scenarios.append(load_scenario(file, sampling_overrides(sampling)))
        except ScenarioError as err:
            fail(locate(err, file))
    start_if_cold()  # first run after install: compile shared kernels on the other core
    try:
        out = compare_options(
            scenarios,
            runs=runs,
            seed=seed,
            threads=threads,
            summary_only=True if summary_only else None,
            progress=bar,
        )
        warn_sampling(scenarios[0], runs)  # every option runs the first one's runs
        return out
    except ScenarioError as err:
        if bar:
            bar.close()
        fail(locate(err, err.file) if err.file else err)
