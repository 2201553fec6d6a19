"""``roisim compare``: compare options on common random numbers."""

from __future__ import annotations

import click


@click.command()
def compare():
    """compare options on common random numbers (not built yet)."""
    raise click.ClickException("roisim compare is not built yet")
