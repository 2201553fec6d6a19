"""``roisim stress``: stress cases."""

from __future__ import annotations

import click


@click.command()
def stress():
    """stress cases (not built yet)."""
    raise click.ClickException("roisim stress is not built yet")


@click.command()
def breakeven():
    """the value at which a metric reaches a target (not built yet)."""
    raise click.ClickException("roisim breakeven is not built yet")
