"""Discount schedules: a rate that changes with the year, and the Green Book's by edition.

::

    discount_rate = { schedule = [[0, 0.035], [31, 0.03], [76, 0.025]] }   # from that year on
    discount_rate = "green-book-2018"          # HM Treasury's standard schedule (Table 8)
    discount_rate = "green-book-2018-health"   # and its health schedule

Each entry ``[year, rate]`` gives the rate in force from that year on, until the next entry; the
first entry must start at year 0, and the years must increase.  A rate is a number or a
distribution (drawn once per run).  The discount factor of year t is

    d_t = Π_{s=1..t} 1/(1 + r_s)                         (end-of-year timing)
    d_t = Π_{s=1..t-1} 1/(1 + r_s) · (1 + r_t)^(-1/2)     (mid-year timing)

with r_s the rate in force in year s and d_0 = 1, so a rate listed from year 31 first discounts
year 31's flow against year 30's.  A single rate r is the schedule [[0, r]]: a schedule of one
entry is validated to that single rate, so it gives exactly the numbers of ``discount_rate = r``.

Each entry that is in force within the horizon is one input of the engine, named
``discount_rate.<first year>`` (``discount_rate.0``, ``discount_rate.31``): a drawn entry is
keyed on that name, so adding, removing or changing other entries leaves its draws alone.

>>> s = rates_by_year(GREEN_BOOK["green-book-2018"], 40)
>>> s[1], s[30], s[31], s[40]
(0.035, 0.035, 0.03, 0.03)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roisim.errors import ScenarioError, suggest
from roisim.scenario.distributions import Distribution

#: HM Treasury, The Green Book (2018), Table 8: the declining long-term discount rate, as
#: (first year, rate) entries on the bands 0-30, 31-75, 76-125, 126-200, 201-300 and 301+
#: years.  The health schedule is the same bands at the 1.5% rate without the wealth effect.
#: Editions are named because the guidance changes (HM Treasury began a review in 2025).
GREEN_BOOK = {
    "green-book-2018": (
        (0, 0.035), (31, 0.03), (76, 0.025), (126, 0.02), (201, 0.015), (301, 0.01),
    ),
    "green-book-2018-health": (
        (0, 0.015), (31, 0.01286), (76, 0.01071), (126, 0.00857), (201, 0.00643),
        (301, 0.00429),
    ),
}
SCHEDULE_KEYS = ("schedule",)
#: the engine's name of the entry in force from ``year``
ENTRY_PREFIX = "discount_rate."


@dataclass(frozen=True)
class DiscountSchedule:
    """Validated ``(first year, rate)`` entries, the first at year 0, years increasing; a rate is
    a float or a per-run Distribution.  ``preset`` names a Green Book schedule when it is one."""

    entries: tuple[tuple[int, float | Distribution], ...]
    preset: str | None = None

    @property
    def drawn(self) -> tuple[int, ...]:
        """Positions of the entries whose rate is drawn."""
        return tuple(k for k, (_, r) in enumerate(self.entries) if isinstance(r, Distribution))

    def in_force(self, horizon: int) -> tuple[tuple[int, float | Distribution], ...]:
        """The entries in force in some year 0..horizon (those starting later never are)."""
        return tuple(e for e in self.entries if e[0] <= horizon)

    def entry_path(self, k: int) -> str:
        """The field path of entry k's rate (the preset's own name for a preset)."""
        if self.preset is not None:
            return "scenario.discount_rate"
        return f"scenario.discount_rate.schedule[{k}][1]"

    def text(self) -> str:
        """``green-book-2018: 3.5% from year 0, 3% from year 31, ...`` (a drawn rate by family)."""
        parts = []
        for year, rate in self.entries:
            shown = f"{100 * rate:.6g}%" if isinstance(rate, float) else rate.family
            parts.append(f"{shown} from year {year}")
        head = f"{self.preset}: " if self.preset else "schedule: "
        return head + ", ".join(parts)


def entry_name(year: int) -> str:
    """``discount_rate.31``: the input name of the entry in force from ``year``."""
    return f"{ENTRY_PREFIX}{year}"


def rates_by_year(entries, horizon: int) -> list:
    """The rate in force in each year 0..horizon (year 0's is never used: d_0 = 1)."""
    return [entries[k][1] for k in entry_in_force(entries, horizon)]


def entry_in_force(entries, horizon: int) -> list[int]:
    """For each year 0..horizon, the position of the entry in force."""
    out = []
    k = 0
    for t in range(horizon + 1):
        while k + 1 < len(entries) and entries[k + 1][0] <= t:
            k += 1
        out.append(k)
    return out


# ------------------------------------------------------------------ parsing
def parse_schedule(v, path: str, parse_rate: Callable) -> float | Distribution | DiscountSchedule:
    """A ``discount_rate`` written as a preset name or a ``{ schedule = [...] }`` table.

    ``parse_rate(value, path)`` validates one rate (a number or a distribution table) exactly
    as a single ``discount_rate``.  A schedule of one entry is returned as that entry's rate."""
    if isinstance(v, str):
        return _preset(v, path)
    _check_keys(v, path)
    raw = v.get("schedule")
    where = f"{path}.schedule"
    if not isinstance(raw, list):
        raise ScenarioError(
            "must be a list of [first year, rate] entries, such as [[0, 0.035], [31, 0.03]], "
            f"got {_show(raw)}", where)
    if not raw:
        raise ScenarioError(
            "is empty; give at least one [first year, rate] entry, starting at year 0", where)
    entries, previous = [], None
    for k, item in enumerate(raw):
        year, rate = _entry(item, f"{where}[{k}]", previous, parse_rate)
        entries.append((year, rate))
        previous = year
    if len(entries) == 1:
        return entries[0][1]
    return DiscountSchedule(tuple(entries))


def _preset(name: str, path: str) -> DiscountSchedule:
    if name in GREEN_BOOK:
        return DiscountSchedule(GREEN_BOOK[name], preset=name)
    try:
        float(name)
        hint = f"; write the number without quotes: discount_rate = {name.strip()}"
    except ValueError:
        hint = suggest(name, GREEN_BOOK)
    raise ScenarioError(
        f"unknown discount schedule {name!r}{hint}; a named schedule is one of "
        f"{', '.join(GREEN_BOOK)} (expressions are not accepted here)", path)


def _check_keys(table: dict, path: str) -> None:
    for key in table:
        if key not in SCHEDULE_KEYS:
            raise ScenarioError(
                f"unknown key '{key}'{suggest(key, SCHEDULE_KEYS)}; a discount schedule has "
                "only schedule = [[first year, rate], ...]", f"{path}.{key}")


def _entry(item, path: str, previous: int | None, parse_rate: Callable):
    if not isinstance(item, list) or len(item) != 2:
        raise ScenarioError(
            f"must be a pair [first year, rate], such as [31, 0.03], got {_show(item)}", path)
    year = item[0]
    if (isinstance(year, bool) or not isinstance(year, (int, float))
            or (isinstance(year, float) and not year.is_integer())):
        raise ScenarioError(f"must be a whole number of years, got {_show(year)}", f"{path}[0]")
    year = int(year)
    if year < 0:
        raise ScenarioError(f"must be a year >= 0, got {year}", f"{path}[0]")
    if previous is None and year != 0:
        raise ScenarioError(
            f"the first entry must start at year 0 (the rate in force from now on), got "
            f"year {year}; add [0, rate] before it", f"{path}[0]")
    if previous is not None and year <= previous:
        raise ScenarioError(
            f"years must increase from entry to entry: year {year} follows year {previous}",
            f"{path}[0]")
    return year, parse_rate(item[1], f"{path}[1]")


def _show(v) -> str:
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return f"a list of {len(v)}"
    return repr(v)
