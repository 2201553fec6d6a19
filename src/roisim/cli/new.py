"""``roisim new``: write a commented starter scenario (parses options, calls the library)."""

from __future__ import annotations

import click

from roisim.cli.options import fail
from roisim.errors import ScenarioError


@click.command()
@click.argument("path", metavar="CASE.toml")
def new(path):
    """Write a commented starter scenario to CASE.toml (never overwrites a file).

    One input of each common kind, two benefit lines, a build cost, a run cost and a stress
    case, each field with a comment; `roisim run CASE.toml` accepts it as it is."""
    from roisim.scenario.loading import load_scenario
    from roisim.scenario.starter import write_starter

    try:
        target = write_starter(path)
    except ScenarioError as err:
        fail(err)
    scenario = load_scenario(target)
    click.echo(
        f"wrote {target}: a starter scenario with {len(scenario.inputs)} inputs, "
        f"{len(scenario.benefits)} benefits, {len(scenario.costs)} costs and "
        f"{len(scenario.stress)} stress case{'s' if len(scenario.stress) != 1 else ''}; "
        f"replace its numbers with yours, then: roisim run {target}"
    )
