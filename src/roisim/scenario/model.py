"""The scenario as plain data: frozen dataclasses and the format's limits (no numpy, no numba).

``roisim.scenario.validate.parse_scenario`` builds these from a parsed TOML document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from roisim.scenario.discounting import DiscountSchedule
from roisim.scenario.distributions import Distribution

DEFAULT_RUNS = 100_000
DEFAULT_SEED = 1
MAX_HORIZON = 100
MAX_RUNS = 10**12
TIMINGS = ("end-of-year", "mid-year")
TOP_KEYS = ("scenario", "simulation", "inputs", "benefits", "costs", "stress", "correlations")
SCENARIO_KEYS = ("name", "description", "currency", "horizon_years", "discount_rate", "timing")
SIMULATION_KEYS = ("runs", "seed", "precision", "sampling", "replicates")
#: the sampling methods of [simulation] sampling (docs/methodology.md, "Sampling")
SAMPLINGS = ("random", "lhs", "sobol")
DEFAULT_REPLICATES = 10
MAX_REPLICATES = 10_000
#: the per-run metrics, in output order: reserved as input names here, laid out as rows of the
#: engine's output in roisim.engine.layout
METRICS = ("npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr")
LINE_KEYS = ("name", "amount", "years", "ramp", "growth", "description")
STRESS_KEYS = ("name", "description", "scale", "delay", "set")


@dataclass(frozen=True)
class Input:
    """A named input: ``kind`` is "constant", "distribution" or "derived".

    ``description`` is the input's optional ``description`` text, whatever its form (for a
    distribution it is also ``dist.description``); ``unit_text`` is the ``unit`` written on a
    ``{ value = ... }`` or ``{ expr = ... }`` table (a distribution keeps its own in ``dist``).
    """

    name: str
    kind: str
    value: float | None = None
    dist: Distribution | None = None
    expr: tuple | None = None
    text: str | None = None
    description: str | None = None
    unit_text: str | None = None

    @property
    def unit(self):
        return self.dist.unit if self.dist else self.unit_text


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
    def input_name(self) -> str:
        """The name of a distribution written directly as this line's amount: the name its draws
        are keyed on and its variable in the result dataset (:func:`line_input_name`)."""
        return line_input_name(self.kind, self.name)


def line_input_name(kind: str, name: str) -> str:
    """``"<kind>: <line name>"``, e.g. ``"costs: Build and integration"``.

    Keyed on the line's name, not its position, so inserting a line above leaves its draws alone.
    The colon and space cannot occur in an input name, so it never collides with one, and a
    benefit and a cost of the same name get different streams.  The name is made safe for
    netCDF-4 files by writing ``%``, ``/``, control characters and trailing white space as
    ``%XX`` (UTF-8 bytes, as in URLs); the mapping is one-to-one.
    """
    text = "".join(_escaped(ch) if ch in "%/" or _control(ch) else ch for ch in name)
    kept = text.rstrip()
    return f"{kind}: {kept}" + "".join(_escaped(ch) for ch in text[len(kept) :])


def _control(ch: str) -> bool:
    return ord(ch) < 32 or ord(ch) == 127


def _escaped(ch: str) -> str:
    return "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))


@dataclass(frozen=True)
class Scenario:
    name: str
    currency: str
    horizon_years: int
    #: one rate (a number or a per-run distribution) or a schedule by year
    #: (roisim.scenario.discounting); a schedule of one entry is stored as its single rate
    discount_rate: float | Distribution | DiscountSchedule
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
    stress: tuple[StressCase, ...] = ()  # the [[stress]] cases, in file order
    #: the validated [correlations] table (roisim.scenario.correlations.Correlations) or None
    correlations: object = None
    #: [simulation] sampling: "random", "lhs" or "sobol" (SAMPLINGS), and the Sobol replicates
    sampling: str = "random"
    replicates: int = DEFAULT_REPLICATES
    #: the validated precision stop rule (roisim.scenario.precision.Precision) or None
    precision: object = None
    #: the TOML document this scenario was validated from (after --set), for analyses that vary
    #: one of its numbers and validate again (breakeven); treat it as read-only
    document: dict | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.benefits + self.costs


@dataclass(frozen=True)
class StressCase:
    """One ``[[stress]]`` table: the base case with some lines or inputs scaled, every benefit
    line started ``delay`` years later, and the values of ``set`` written over the file's.

    ``line_scale`` holds ``(line, factor)`` with the line as ``costs[0]`` (or ``benefits`` /
    ``costs`` for every line of a kind) and ``input_scale`` holds ``(input, factor)`` with the
    input's name (``discount_rate`` for the rate): the names ``roisim.engine.variants.vary``
    takes.  ``scale`` and ``set`` keep the keys as written, for reports.  ``scenario`` is the
    base scenario with ``set`` applied and validated (None when the case sets nothing).
    """

    name: str
    index: int
    description: str | None = None
    scale: tuple[tuple[str, float], ...] = ()
    line_scale: tuple[tuple[str, float], ...] = ()
    input_scale: tuple[tuple[str, float], ...] = ()
    delay: int = 0
    set: tuple[tuple[str, object], ...] = ()
    scenario: Scenario | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        return f"stress[{self.index}]"
