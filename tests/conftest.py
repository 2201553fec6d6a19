"""Shared fixtures for the roisim test-suite (kept deliberately small)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_toml(tmp_path: Path):
    """Return ``write(text, name="scenario.toml") -> Path``.

    The text is dedented, so tests can use indented triple-quoted strings.
    """

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
