"""``roisim sensitivity``: what drives the case."""

from __future__ import annotations

import click


@click.command()
def sensitivity():
    """what drives the case (not built yet)."""
    raise click.ClickException("roisim sensitivity is not built yet")
