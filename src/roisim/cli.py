"""The ``roisim`` command line: parses options, calls the library, prints.  No maths here."""
from __future__ import annotations

import sys

import click

from ._version import __version__
from .errors import ScenarioError


class RunsType(click.ParamType):
    """Accepts 200000, 200_000, 2e5 and 1e6."""
    name = "N"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).replace("_", "").replace(",", "").strip()
        try:
            v = float(text)
        except ValueError:
            self.fail(f"expected a whole number of runs such as 200000 or 1e6, got {value!r}", param, ctx)
        if not v.is_integer() or v < 1:
            self.fail(f"expected a whole number of runs >= 1, got {value!r}", param, ctx)
        return int(v)


def _fail(err: ScenarioError) -> None:
    click.echo(f"error: {err}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roisim")
def main():
    """roisim: Monte Carlo NPV, IRR and payback for a business case written in TOML."""


@main.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option("--runs", type=RunsType(), default=None, help="Number of runs (default: [simulation].runs).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Random seed (default: [simulation].seed).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a value in the file, e.g. inputs.loaded_hourly_rate.mean=80 (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write per-run results to a netCDF file.")
@click.option("--quiet", is_flag=True, help="No progress or status messages on stderr.")
def run(scenario_file, runs, seed, overrides, as_json, output, quiet):
    """Simulate SCENARIO.toml and report NPV, IRR, payback, ROI and BCR."""
    from .formatting import render_report
    from .loading import load_scenario
    from .simulation import simulate
    try:
        scenario = load_scenario(scenario_file, list(overrides))
        result = simulate(scenario, runs=runs, seed=seed)
    except ScenarioError as err:
        _fail(err.located(scenario_file))
    except KeyboardInterrupt:
        click.echo("interrupted; nothing written", err=True)
        sys.exit(130)
    if output:
        try:
            result.to_netcdf(output)
        except (OSError, ValueError) as exc:
            click.echo(f"error: {output}: cannot write the results: {exc}", err=True)
            sys.exit(2)
        if not quiet:
            click.echo(f"wrote {result.summary['runs']:,} runs to {output}", err=True)
    click.echo(result.to_json() if as_json else render_report(result.summary))


@main.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a value, as for run.")
def validate(scenario_file, overrides):
    """Check SCENARIO.toml and show what it contains, without simulating."""
    from .formatting import render_validation
    from .loading import load_scenario
    from .plan import build_plan
    from .scenario import describe
    try:
        scenario = load_scenario(scenario_file, list(overrides))
        build_plan(scenario)       # tables and samplers: catches what only shows up when planning
    except ScenarioError as err:
        _fail(err.located(scenario_file))
    click.echo(render_validation(scenario, describe(scenario)))


if __name__ == "__main__":  # pragma: no cover
    main()
