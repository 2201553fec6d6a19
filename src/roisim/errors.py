"""User-facing errors: one line naming the file, the line, the field path and a suggestion."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScenarioError(Exception):
    """A problem with a scenario or an option, caused by the user's input.

    Attributes
    ----------
    path : str     field path such as ``inputs.loaded_hourly_rate.sd`` ('' when none applies)
    message : str  what is wrong, without the location
    file : str | None   the scenario file, when the scenario came from a file
    line : int | None   1-based line in that file, when it is known
    """

    def __init__(
        self, message: str, path: str = "", *, file: str | None = None, line: int | None = None
    ):
        self.message = message
        self.path = path
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def located(self, file: str | None = None, line: int | None = None) -> ScenarioError:
        """Return the same error with the file and line filled in where still unknown."""
        return ScenarioError(
            self.message,
            self.path,
            file=self.file or file,
            line=self.line if self.line is not None else line,
        )

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest choice, or '' when nothing is close."""
    choices = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f"; did you mean '{close[0]}'?" if close else ""
