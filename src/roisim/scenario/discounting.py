"""Discount schedules: a rate that changes with the year, and the Green Book's by edition.

::

    discount_rate = { schedule = [[0, 0.035], [31, 0.03], [76, 0.025]] }   # from that year on
    discount_rate = "green-book-2018"          # HM Treasury's standard schedule (Table 8)
    discount_rate = "green-book-2018-health"   # and its health schedule

Each entry ``[year, rate]`` gives the rate in force from that year on, until the next entry; the
first entry must start at year 0 or 1.  A rate is a number or a distribution (drawn once per
run).  The discount factor of year t is

    d_t = Π_{s=1..t} 1/(1 + r_s)                         (end-of-year timing)
    d_t = Π_{s=1..t-1} 1/(1 + r_s) · (1 + r_t)^(-1/2)     (mid-year timing)

with r_s the rate in force in year s and d_0 = 1, so a rate listed from year 31 first discounts
year 31's flow against year 30's.  A single rate r is the schedule [[0, r]].

>>> s = rates_by_year(GREEN_BOOK["green-book-2018"], 40)
>>> s[1], s[30], s[31], s[40]
(0.035, 0.035, 0.03, 0.03)
"""
from __future__ import annotations

from dataclasses import dataclass

from roisim.scenario.distributions import Distribution

#: HM Treasury Green Book (2018), Table 8: the declining long-term discount rate, as
#: (first year, rate) entries; editions are named because the guidance changes
GREEN_BOOK = {
    "green-book-2018": ((0, 0.035), (31, 0.03), (76, 0.025)),
    "green-book-2018-health": ((0, 0.015), (31, 0.0129), (76, 0.0107)),
}


@dataclass(frozen=True)
class DiscountSchedule:
    """Validated ``(first year, rate)`` entries, years increasing, the first at 0 or 1; a rate is
    a float or a per-run Distribution.  ``preset`` names a Green Book schedule when it is one."""

    entries: tuple[tuple[int, float | Distribution], ...]
    preset: str | None = None

    @property
    def drawn(self) -> tuple[int, ...]:
        """Positions of the entries whose rate is drawn."""
        return tuple(k for k, (_, r) in enumerate(self.entries) if isinstance(r, Distribution))


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
