"""What every roisim command shares: the runs option type and the one-line error exit."""

from __future__ import annotations

import sys

import click

from roisim.errors import ScenarioError


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
            self.fail(
                f"expected a whole number of runs such as 200000 or 1e6, got {value!r}", param, ctx
            )
        if not v.is_integer() or v < 1:
            self.fail(f"expected a whole number of runs >= 1, got {value!r}", param, ctx)
        return int(v)


def fail(err: ScenarioError) -> None:
    """Print a user error as one line and exit 2."""
    click.echo(f"error: {err}", err=True)
    sys.exit(2)
