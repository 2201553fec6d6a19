"""``roisim stress`` (stress cases) and ``roisim breakeven`` (switching values)."""

from __future__ import annotations

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


def _common(command):
    """--runs, --seed, --json, --summary-only, --threads and --sampling, shared by both
    commands."""
    options = [
        runs_option(),
        seed_option(),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        summary_only_option(),
        threads_option(),
        sampling_option(),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Add a one-off case: the file with these values (repeatable; all make one case).",
)
@_common
def stress(scenario_file, overrides, runs, seed, as_json, summary_only, threads, sampling):
    """Run the base case and every [[stress]] case of SCENARIO.toml on the same draws.

    Prints each case's mean NPV, P(NPV > 0), P5 and P50 NPV, median payback and P(payback
    within the horizon), and its paired difference from the base in mean NPV and in P(NPV > 0)
    with 95% intervals.  --set PATH=VALUE adds a one-off case.
    """
    from roisim.analysis.stress import stress as run_stress
    from roisim.report.stress import render_stress
    from roisim.scenario.loading import load_scenario, locate

    try:
        chosen = sampling_overrides(sampling)
        scenario = load_scenario(scenario_file, chosen)
        extra = None
        if overrides:
            label = "--set " + ", ".join(overrides)
            extra = {label: load_scenario(scenario_file, chosen + list(overrides))}
        result = run_stress(scenario, runs, seed, extra, threads=threads,
                            summary_only=True if summary_only else None)
        warn_sampling(scenario, runs)
    except ScenarioError as err:
        fail(locate(err, scenario_file))
    except KeyboardInterrupt:
        _interrupted()
    click.echo(result.to_json() if as_json else render_stress(result))


@click.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.argument("path", metavar="PATH")
@click.option(
    "--metric",
    default="npv.mean",
    show_default=True,
    help="A figure of the run summary: npv.mean, npv.p50, npv.prob_positive, irr.p50, ...",
)
@click.option("--target", type=float, default=0.0, show_default=True,
              help="The value the metric must reach, e.g. 0 or 0.5 for a probability.")
@click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a value, as for run."
)
@_common
def breakeven(scenario_file, path, metric, target, overrides, runs, seed, as_json, summary_only,
              threads, sampling):
    """The value of the number at PATH at which a metric reaches a target.

    PATH names a number of SCENARIO.toml as --set does, e.g. costs[0].amount.mode or
    scenario.discount_rate.  Every trial re-runs the scenario with one new value at PATH on the
    same draws; the bracket is searched outward from the file's value.
    """
    from roisim.analysis.breakeven import breakeven as find_breakeven
    from roisim.report.stress import render_breakeven
    from roisim.scenario.loading import load_scenario, locate

    try:
        scenario = load_scenario(scenario_file, sampling_overrides(sampling) + list(overrides))
        result = find_breakeven(scenario, path, metric, target, runs, seed, threads=threads,
                                summary_only=summary_only)
        warn_sampling(scenario, runs)
    except ScenarioError as err:
        fail(locate(err, scenario_file))
    except KeyboardInterrupt:
        _interrupted()
    click.echo(result.to_json() if as_json else render_breakeven(result))


def _interrupted() -> None:
    import sys

    click.echo("interrupted: nothing was written", err=True)
    sys.exit(130)
