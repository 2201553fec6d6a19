"""``roisim report``: the one-file HTML report of a scenario.  Parses options, calls the library.

The work is ``roisim.report.html.write_report``; this module only reads the options, builds
the command line printed in the report (so it regenerates itself) and turns a user error into
one line on stderr with exit code 2.
"""

from __future__ import annotations

import sys

import click

from roisim.cli.options import command_line, fail, sampling_overrides, scenario_options
from roisim.errors import ScenarioError


@click.command()
@click.argument("scenario_file", metavar="SCENARIO.toml")
@click.option("-o", "--output", required=True, metavar="FILE.html",
              help="Where to write the report (an .html file).")
@scenario_options()
@click.option("--no-sensitivity", is_flag=True,
              help="Leave out the sensitivity section (the slowest part of the report).")
def report(scenario_file, output, runs, seed, overrides, threads, sampling, no_sensitivity):
    """Write one self-contained HTML file about SCENARIO.toml: the headline figures, charts,
    lines, sensitivity, stress cases, inputs and how to reproduce it.

    The file has its CSS and charts (SVG) inline and loads nothing from the network, so it can
    be emailed and opened offline; it prints on A4."""
    from roisim.report.html import write_report
    from roisim.scenario.loading import load_scenario, locate

    overrides = tuple(overrides) + tuple(sampling_overrides(sampling))
    command = regenerate_command(scenario_file, output, runs, seed, overrides, no_sensitivity)
    try:
        from roisim.report.html.document import check_path

        check_path(output)
        scenario = load_scenario(scenario_file, list(overrides))
        path = write_report(output, scenario, runs=runs, seed=seed, threads=threads,
                            sensitivity=not no_sensitivity, command=command)
    except ScenarioError as err:
        fail(locate(err, scenario_file))
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    click.echo(f"wrote {path}")


def regenerate_command(scenario_file, output, runs, seed, overrides, no_sensitivity) -> str:
    """The ``roisim report`` command line that writes this report again, paths as given.

    >>> regenerate_command("s.toml", "case.html", 20000, 7, ("inputs.x.mean=5",), True)
    'roisim report s.toml -o case.html --runs 20000 --seed 7 --set inputs.x.mean=5 --no-sensitivity'
    """
    return command_line(["roisim", "report", scenario_file, "-o", output], runs, seed,
                        overrides, ["--no-sensitivity"] if no_sensitivity else [])
