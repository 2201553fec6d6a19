"""The scenario as plain data: frozen dataclasses and the format's limits (no numpy, no numba).

``roisim.scenario.validate.parse_scenario`` builds these from a parsed TOML document.
"""

from __future__ import annotations

from dataclasses import dataclass

from roisim.scenario.distributions import Distribution

DEFAULT_RUNS = 100_000
DEFAULT_SEED = 1
MAX_HORIZON = 100
MAX_RUNS = 10**12
TIMINGS = ("end-of-year", "mid-year")
TOP_KEYS = ("scenario", "simulation", "inputs", "benefits", "costs")
SCENARIO_KEYS = ("name", "description", "currency", "horizon_years", "discount_rate", "timing")
SIMULATION_KEYS = ("runs", "seed")
LINE_KEYS = ("name", "amount", "years", "ramp", "growth", "description")


@dataclass(frozen=True)
class Input:
    """A named input: ``kind`` is "constant", "distribution" or "derived"."""

    name: str
    kind: str
    value: float | None = None
    dist: Distribution | None = None
    expr: tuple | None = None
    text: str | None = None

    @property
    def unit(self):
        return self.dist.unit if self.dist else None


@dataclass(frozen=True)
class Amount:
    """A line's yearly amount: a number, an expression tree, or a distribution."""

    kind: str  # "number" | "expr" | "dist"
    value: float | None = None
    expr: tuple | None = None
    text: str | None = None
    dist: Distribution | None = None


@dataclass(frozen=True)
class Line:
    kind: str  # "benefits" or "costs"
    index: int
    name: str
    amount: Amount
    years: tuple[int, ...]
    ramp: tuple[float, ...] = ()
    growth: Amount | None = None  # number or expression
    description: str | None = None

    @property
    def path(self) -> str:
        return f"{self.kind}[{self.index}]"

    @property
    def anonymous_name(self) -> str:
        """Name under which a distribution written directly as the amount is stored."""
        return f"{self.kind}_{self.index}_amount"


@dataclass(frozen=True)
class Scenario:
    name: str
    currency: str
    horizon_years: int
    discount_rate: float | Distribution
    timing: str
    runs: int
    seed: int
    inputs: dict[str, Input]
    order: tuple[str, ...]  # derived inputs in dependency order
    benefits: tuple[Line, ...]
    costs: tuple[Line, ...]
    description: str | None = None
    source_file: str | None = None
    source_sha256: str | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.benefits + self.costs
