"""``roisim sensitivity``: what drives the case.  Parses options, calls the library, prints."""

from __future__ import annotations

import sys

import click

from roisim.cli.options import (
    fail,
    sampling_overrides,
    scenario_options,
    summary_only_option,
    warn_sampling,
)
from roisim.errors import ScenarioError


@click.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option(
    "--metric",
    default="npv",
    show_default=True,
    metavar="METRIC",
    help="What to rank the inputs by: npv, irr, payback_years, discounted_payback_years, roi "
    "or bcr (EVPI, EVPPI and switching values are always about NPV).",
)
@scenario_options()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@summary_only_option(
    "Keep no per-run vector: rank the runs against a pilot of 2^17 runs and reduce blocks "
    "of runs (bounded memory; docs/methodology.md gives the accuracy)."
)
def sensitivity(scenario_file, metric, runs, seed, overrides, as_json, summary_only, threads,
                sampling):
    """What drives SCENARIO.toml, and what finding out more is worth.

    For every uncertain input: rank correlation, share of variance, the given-data and swing
    tornado bars, EVPPI and the switching value; and the EVPI of the whole decision."""
    from roisim.cli.progress import ProgressLine
    from roisim.report.sensitivity import render_sensitivity

    bar = ProgressLine() if sys.stderr.isatty() else None
    overrides = list(overrides) + sampling_overrides(sampling)
    try:
        result = _sensitivity(scenario_file, metric, runs, seed, overrides, bar,
                              summary_only, threads)
    finally:
        if bar:
            bar.close()
    click.echo(result.to_json() if as_json else render_sensitivity(result.summary))


def _sensitivity(scenario_file, metric, runs, seed, overrides, bar, summary_only, threads):
    """Load the scenario and analyse it; a user error exits 2 with one line."""
    from roisim.analysis.sensitivity import check_metric, sensitivity
    from roisim.engine.precompile import start_if_cold
    from roisim.scenario.loading import load_scenario, locate

    try:
        metric = check_metric(metric, "--metric")
    except ScenarioError as err:
        fail(err)
    try:
        scenario = load_scenario(scenario_file, list(overrides))
        start_if_cold()  # first run after install: compile shared kernels on the other core
        out = sensitivity(scenario, metric, runs=runs, seed=seed, progress=bar, threads=threads,
                          summary_only=True if summary_only else None)
        warn_sampling(scenario, runs)
        return out
    except ScenarioError as err:
        if bar:
            bar.close()
        fail(locate(err, scenario_file))
    except KeyboardInterrupt:
        if bar:
            bar.close()
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
