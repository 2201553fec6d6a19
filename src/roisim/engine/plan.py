"""Scenario -> Plan: the layout of one compiled kernel and the arrays it reads.

A plan separates *structure* from *numbers*.  The structure (which inputs exist, their
families, how often they are drawn, the expression trees with every literal replaced by a
slot in ``params``) becomes generated numba source (``roisim.engine.codegen``); the numbers
travel in arrays: ``params`` (distribution parameters, literals, constants, line multipliers and
each random input's hold flag, held value and scale), ``tables`` (sampling tables) and
``stream_keys`` (one 64-bit key per random input, made from the seed and the input's name).
Changing a number in a scenario, holding or scaling an input (``roisim.engine.variants``) or
changing the seed therefore reuses the compiled kernel.

The plan writes the kernel's expression code itself, in the kernel's own names:
``params[i]``, ``value_<k>`` (the k-th value computed per run or year, see ``value_name``) and
``year`` (the year as a float).

Plans are cached without a seed (``build_plan``): a cached plan holds each random input's name
hash, and binding it to a seed computes the stream keys (two integer mixes per input).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from roisim.engine import sampling as uniforms
from roisim.engine.copula import source_for
from roisim.engine.keys import name_hash, stream_keys
from roisim.engine.layout import (
    LINE_ROWS,
    METRICS,  # noqa: F401  (re-exported: older imports use it)
)
from roisim.engine.variants import HELD, HOLD, SCALE, vary
from roisim.errors import ScenarioError
from roisim.scenario import diskcache
from roisim.scenario.discounting import DiscountSchedule, entry_name
from roisim.scenario.distributions import Distribution
from roisim.scenario.expressions import names_in, uses_year
from roisim.scenario.model import Line, Scenario

#: closed-form inverse CDFs (kernels/inverse.py) and the canonical parameters they read
CLOSED_FORM = {
    "uniform": ("s_uniform", ("min", "max")),
    "normal": ("s_normal", ("mean", "sd")),
    "lognormal": ("s_lognormal", ("mu", "sigma")),
    "triangular": ("s_triangular", ("min", "mode", "max")),
}
TABLED = ("pert", "beta", "gamma")
#: the code a cached plan depends on (its layout follows the code that builds and reads it)
PLAN_CODE = ("scenario", "engine", "kernels", "errors.py")


def value_name(k: int) -> str:
    """The kernel variable of the k-th value computed per run or year."""
    return f"value_{k}"


@dataclass(frozen=True)
class Sampler:
    """How a random input is drawn: ``function(u, params, first_param[, tables])``."""

    function: str  # an inverse CDF in roisim.kernels.inverse
    first_param: int  # its parameters start at params[first_param]
    uses_tables: bool
    stream: int  # index in stream_keys (and in Plan.streams)
    controls: int  # params[controls + HOLD], [controls + HELD], [controls + SCALE]


@dataclass
class Node:
    """One value computed per run (level "run") or per run and year (level "year")."""

    name: str
    level: str
    kind: str  # "random" or "derived"
    path: str = ""
    store: int = -1  # row in out_run_inputs / out_year_inputs
    code: str = ""  # derived: the expression's code
    problem: int = -1  # derived: the counter of non-finite values
    sampler: Sampler | None = None  # random: how it is drawn


@dataclass
class LineCode:
    path: str
    kind: str  # "benefits" or "costs"
    name: str
    multipliers: int  # params[multipliers + t] = active(t) * ramp(t) (times any line scale)
    amount: str
    growth: str | None
    first_year_slot: int  # params[first_year_slot] = the first active year
    last_year_slot: int
    problem: int  # first of three problem counters: not finite, negative cost, growth <= -100%

    @property
    def is_cost(self) -> bool:
        return self.kind == "costs"


@dataclass(frozen=True)
class Handle:
    """Where the numbers of one named input live, for holding and scaling it."""

    name: str
    kind: str  # "random" (params[slot:slot+3] = hold, held, scale) or "constant" (params[slot])
    path: str
    slot: int


@dataclass
class Plan:
    scenario: Scenario
    params: np.ndarray
    tables: np.ndarray
    name_hashes: np.ndarray  # uint64, one per random input in stream order (seed-free)
    nodes: list[Node]
    lines: list[LineCode]
    rate_code: str  # the discount rate's code; "" for a schedule
    n_problems: int
    problem_labels: list[tuple[str, str, str]]  # (field path, problem, 'run' or 'year')
    streams: list[str] = field(default_factory=list)  # random inputs' names, in stream order
    handles: dict[str, Handle] = field(default_factory=dict)
    run_inputs: list[str] = field(default_factory=list)
    year_inputs: list[str] = field(default_factory=list)
    input_meta: dict = field(default_factory=dict)
    sampling: str = uniforms.DEFAULT  # the uniform source (roisim.engine.sampling)
    sampling_numbers: int = -1  # where the source's own numbers start in params
    #: the total number of runs the plan is bound to (``with_runs``; None: not bound).  A
    #: Latin hypercube needs it (``needs_runs``): its strata are fractions of the total runs.
    runs: int | None = None
    needs_runs: bool = False
    #: the dimensions of a low-discrepancy sequence shared with other plans
    #: (``sampling.shared_dimensions``; empty: this plan's own layout)
    dimensions: tuple = ()
    seed: int | None = None  # None: not bound to a seed (as cached)
    stream_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    #: the line rows of the values array (``roisim.engine.layout.LINE_ROWS``): "none", each
    #: line's PV ("pv"), or its PV and its amount by year ("years")
    line_rows: str = "none"
    #: True for a variant (``vary``: a held, scaled or delayed input or line)
    varied: bool = False
    #: a discount schedule: the code of each entry's rate (in force within the horizon), and
    #: where their first years start in params (-1: a single rate, ``rate_code``)
    schedule_codes: tuple[str, ...] = ()
    schedule_starts: int = -1

    @property
    def years(self) -> int:
        return self.scenario.horizon_years + 1

    def with_seed(self, seed: int) -> Plan:
        """The same plan (sharing its arrays) with the stream keys of ``seed`` (and, for a
        uniform source whose numbers depend on the seed, such as Sobol's scrambles, a copy of
        ``params`` holding them)."""
        plan = replace(self, seed=seed, stream_keys=stream_keys(seed, self.name_hashes))
        return plan._bind_numbers("needs_seed")

    def with_runs(self, runs: int) -> Plan:
        """The same plan bound to ``runs`` runs in all: the Latin hypercube's N.  Every analysis
        that runs a plan binds it to the total runs first (``build_plan(..., runs=N)``), so that
        variants and the base case share their strata (common random numbers)."""
        return replace(self, runs=int(runs))._bind_numbers("needs_runs")

    def with_replicate(self, replicate: int) -> Plan:
        """A Sobol plan whose run i is point i of replicate ``replicate`` alone (instead of point
        i // R of replicate i % R): the runs of one replicate, for its own summary."""
        if self.sampling != "sobol":
            raise ValueError("only a sobol plan has replicates")
        params = self.params.copy()
        params[self.sampling_numbers + 1] = float(replicate)
        return replace(self, params=params)

    def uniform_streams(self) -> list:
        """The random inputs as the uniform source sees them (``sampling.make_streams``)."""
        levels = {node.name: node.level for node in self.nodes}
        return uniforms.make_streams(self.streams, levels, self.years, self.dimensions)

    def _bind_numbers(self, need: str) -> Plan:
        source = source_for(self.scenario, self.sampling)
        if not getattr(source, need):
            return self
        values = source.bound_numbers(self.uniform_streams(), self.runs, self.seed)
        params = self.params.copy()
        params[self.sampling_numbers : self.sampling_numbers + len(values)] = values
        return replace(self, params=params)

    def with_line_rows(self, level: str) -> Plan:
        """The same plan, its values array holding the line rows of ``level``
        (``roisim.engine.layout.LINE_ROWS``); the kernel is the same."""
        if level not in LINE_ROWS:
            raise ValueError(f"line_rows must be one of {LINE_ROWS}, got {level!r}")
        return replace(self, line_rows=level)

    def vary(self, **changes) -> Plan:
        """A variant with a copy of ``params``: see :func:`roisim.engine.variants.vary`."""
        return vary(self, **changes)


class _Builder:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.params: list[float] = []
        self.tables: list[np.ndarray] = []
        self.tables_length = 0
        self.streams: list[str] = []
        self.env: dict[str, tuple[str, str]] = {}  # name -> (code, level)
        self.nodes: list[Node] = []
        # (field path, problem, level) per counter; counter SEVERAL_IRRS comes first
        self.problems: list[tuple[str, str, str]] = [("", "several IRRs", "run")]
        self.handles: dict[str, Handle] = {}
        self.run_inputs: list[str] = []
        self.year_inputs: list[str] = []
        self.meta: dict = {}

    def slot(self, value: float) -> int:
        self.params.append(float(value))
        return len(self.params) - 1

    def param(self, value: float) -> str:
        """The kernel code of a new number in params."""
        return f"params[{self.slot(value)}]"

    def problem(self, path: str, problem: str, level: str = "year") -> int:
        self.problems.append((path, problem, level))
        return len(self.problems) - 1

    def constant(self, name: str, value: float, path: str) -> str:
        slot = self.slot(value)
        self.handles[name] = Handle(name, "constant", path, slot)
        return f"params[{slot}]"

    # ---------------------------------------------------------------- random inputs
    def sampler(self, dist: Distribution, path: str, stream: int, controls: int) -> Sampler:
        from roisim.engine.tables import quantile_table  # scipy: only when a plan is built

        if dist.discrete:
            return self._discrete_sampler(dist, path, stream, controls)
        frozen = dist.scipy()
        flo = float(frozen.cdf(dist.lower)) if dist.lower is not None else 0.0
        fhi = float(frozen.cdf(dist.upper)) if dist.upper is not None else 1.0
        first = self.slot(flo)
        self.slot(fhi - flo)
        if dist.family in CLOSED_FORM:
            function, names = CLOSED_FORM[dist.family]
            for name in names:
                self.slot(dist.params[name])
            return Sampler(function, first, False, stream, controls)
        if dist.family in TABLED:
            self.slot(self._table(quantile_table(frozen)))
            return Sampler("s_table", first, True, stream, controls)
        raise AssertionError(f"no sampler for {dist.family}")

    def _discrete_sampler(self, dist: Distribution, path: str, stream: int, controls: int):
        from roisim.engine.tables import discrete_table  # scipy: only when a plan is built

        try:
            table = discrete_table(dist.scipy(), dist.family, dist.params)
        except ValueError:
            raise ScenarioError(
                "this distribution has too many possible values to tabulate", path
            ) from None
        first = self.slot(0.0)
        self.slot(1.0)
        self.slot(self._table(table))
        return Sampler("s_discrete", first, True, stream, controls)

    def _table(self, arr: np.ndarray) -> int:
        offset = self.tables_length
        self.tables.append(np.asarray(arr, float))
        self.tables_length += len(arr)
        return offset

    def add_random(self, name: str, dist: Distribution, path: str) -> str:
        """Lay out a random input (its controls, then its sampler's parameters); its variable."""
        controls = len(self.params)
        numbers = {HOLD: 0.0, HELD: 0.0, SCALE: 1.0}  # not held, scale 1
        self.params += [numbers[offset] for offset in range(len(numbers))]
        sampler = self.sampler(dist, path, len(self.streams), controls)
        self.streams.append(name)
        self.handles[name] = Handle(name, "random", path, controls)
        level = "year" if dist.per == "year" else "run"
        node = Node(name, level, "random", path, sampler=sampler)
        return self._add_node(node, dist)

    def add_derived(self, name: str, tree: tuple, path: str) -> str:
        code, level = self.expr(tree)
        node = Node(name, level, "derived", path, code=code)
        node.problem = self.problem(path, "is not a finite number", level)
        return self._add_node(node, None)

    def _add_node(self, node: Node, dist: Distribution | None) -> str:
        var = value_name(len(self.nodes))
        target = self.year_inputs if node.level == "year" else self.run_inputs
        node.store = len(target)
        target.append(node.name)
        written = self.scenario.inputs.get(node.name)  # a derived input's own unit and text
        self.meta[node.name] = {
            "unit": dist.unit if dist else getattr(written, "unit", None),
            "description": dist.description if dist else getattr(written, "description", None),
            "path": node.path,
        }
        self.nodes.append(node)
        self.env[node.name] = (var, node.level)
        return var

    # ---------------------------------------------------------------- expressions
    def expr(self, tree: tuple) -> tuple[str, str]:
        """Return (code, level) for an expression tree."""
        level = "year" if uses_year(tree) else "run"
        for name in names_in(tree):
            if self.env[name][1] == "year":
                level = "year"
        return self._code(tree), level

    def _code(self, tree: tuple) -> str:
        kind = tree[0]
        if kind == "num":
            return self.param(tree[1])
        if kind == "name":
            return self.env[tree[1]][0]
        if kind == "year":
            return "year"
        if kind == "neg":
            return f"(-{self._code(tree[1])})"
        if kind == "bin":
            a, b = self._code(tree[2]), self._code(tree[3])
            if tree[1] == "**" and tree[3][0] == "num" and tree[3][1] == 2.0:
                return f"({a} * {a})"
            return f"({a} {tree[1]} {b})"
        if kind == "cmp":
            return f"(1.0 if {self._code(tree[2])} {tree[1]} {self._code(tree[3])} else 0.0)"
        return self._call(tree[1], [self._code(a) for a in tree[2]])

    @staticmethod
    def _call(fn: str, args: list[str]) -> str:
        if fn in ("min", "max"):
            out = args[0]
            for a in args[1:]:
                out = f"{fn}({out}, {a})"
            return out
        if fn == "abs":
            return f"abs({args[0]})"
        if fn in ("exp", "log", "sqrt"):
            return f"math.{fn}({args[0]})"
        if fn == "clip":
            return f"min(max({args[0]}, {args[1]}), {args[2]})"
        if fn == "where":
            return f"({args[1]} if {args[0]} != 0.0 else {args[2]})"
        raise AssertionError(fn)

    # ---------------------------------------------------------------- lines
    def line(self, ln: Line) -> LineCode:
        if ln.amount.kind == "number":
            amount = self.param(ln.amount.value)
        elif ln.amount.kind == "expr":
            amount = self.expr(ln.amount.expr)[0]
        else:
            amount = self.add_random(ln.input_name, ln.amount.dist, f"{ln.path}.amount")
            self.meta[ln.input_name]["line"] = ln.name
            self.meta[ln.input_name]["description"] = ln.amount.dist.description or ln.description
        growth = None
        if ln.growth is not None:
            growth = (
                self.param(ln.growth.value)
                if ln.growth.kind == "number"
                else self.expr(ln.growth.expr)[0]
            )
        multipliers = np.zeros(self.scenario.horizon_years + 1)
        for k, t in enumerate(ln.years):
            multipliers[t] = ln.ramp[k] if k < len(ln.ramp) else 1.0
        base = len(self.params)
        for v in multipliers:
            self.slot(v)
        first_year = self.slot(ln.years[0])
        last_year = self.slot(ln.years[-1])
        problem = self.problem(f"{ln.path}.amount", "is not a finite number")
        self.problem(f"{ln.path}.amount", "is negative (costs must be >= 0)")
        self.problem(f"{ln.path}.growth", "makes the growth factor 1 + growth <= 0")
        return LineCode(
            ln.path, ln.kind, ln.name, base, amount, growth, first_year, last_year, problem
        )


def build_plan(
    scenario: Scenario,
    seed: int | None = None,
    *,
    sampling: str | None = None,
    runs: int | None = None,
    dimensions: tuple = (),
    hold: dict | None = None,
    scale: dict | None = None,
    line_scale: dict | None = None,
    delay: dict | None = None,
) -> Plan:
    """Lay out the kernel for ``scenario`` under ``seed`` (default: the scenario's); raise
    ScenarioError for what only shows up here.

    ``sampling`` names the uniform source (``roisim.engine.sampling``; default: the one of the
    scenario's ``sampling``).  ``runs`` binds the plan to that many runs in all
    (``Plan.with_runs``; a Latin hypercube plan cannot run before).  ``dimensions`` shares a
    Sobol sequence's layout with other plans (``sampling.shared_dimensions``).  ``hold``, ``scale``,
    ``line_scale`` and ``delay`` are passed to :func:`roisim.engine.variants.vary`: they change
    the plan's numbers, never its kernel.

    Plans are cached on disk (``roisim.scenario.diskcache``) without their seed, keyed by the
    scenario, the sampling and the source of the code that builds and reads them
    (``PLAN_CODE``): plans for two seeds share one entry.
    """
    seed = scenario.seed if seed is None else seed
    fingerprint = diskcache.source_fingerprint(*PLAN_CODE)
    if sampling is None:
        sampling = uniforms.SCENARIO_SOURCES[scenario.sampling]
    ckey = diskcache.key(fingerprint, "plan", repr(scenario), sampling, repr(dimensions))
    plan = diskcache.get("plan", ckey)
    if plan is None:
        plan = _build_plan(scenario, sampling, dimensions)
        diskcache.put("plan", ckey, plan)
    plan = replace(plan, scenario=scenario).with_seed(seed)
    if runs is not None:
        plan = plan.with_runs(runs)
    changes = {"hold": hold, "scale": scale, "line_scale": line_scale, "delay": delay}
    if any(v is not None for v in changes.values()):
        plan = vary(plan, **changes)
    return plan


def _discount_rate(b: _Builder, scenario: Scenario) -> tuple[str, tuple[str, ...], int]:
    """(rate code, schedule entry codes, slot of the entries' first years) of the rate.

    A single rate is the input ``discount_rate``; each entry of a schedule in force within the
    horizon is the input ``discount_rate.<first year>`` (``roisim.scenario.discounting``), drawn
    or constant, so its draws are keyed on its own name."""
    rate = scenario.discount_rate
    if isinstance(rate, Distribution):
        return b.add_random("discount_rate", rate, "scenario.discount_rate"), (), -1
    if not isinstance(rate, DiscountSchedule):
        return b.constant("discount_rate", rate, "scenario.discount_rate"), (), -1
    codes = []
    entries = rate.in_force(scenario.horizon_years)
    for k, (year, r) in enumerate(entries):
        name, path = entry_name(year), rate.entry_path(k)
        if isinstance(r, Distribution):
            codes.append(b.add_random(name, r, path))
        else:
            codes.append(b.constant(name, r, path))
    starts = len(b.params)
    for year, _ in entries:
        b.slot(year)
    return "", tuple(codes), starts


def _build_plan(scenario: Scenario, sampling_name: str, dimensions: tuple = ()) -> Plan:
    source = source_for(scenario, sampling_name)
    b = _Builder(scenario)
    for name, inp in scenario.inputs.items():
        if inp.kind == "constant":
            b.env[name] = (b.constant(name, inp.value, f"inputs.{name}"), "run")
        elif inp.kind == "distribution":
            b.add_random(name, inp.dist, f"inputs.{name}")
    for name in scenario.order:
        b.add_derived(name, scenario.inputs[name].expr, f"inputs.{name}")
    rate_code, schedule_codes, schedule_starts = _discount_rate(b, scenario)
    lines = [b.line(ln) for ln in scenario.lines]
    levels = {node.name: node.level for node in b.nodes}
    streams = uniforms.make_streams(b.streams, levels, scenario.horizon_years + 1, dimensions)
    numbers = source.numbers(streams)
    first_number = len(b.params) if numbers else -1
    for v in numbers:
        b.slot(v)
    return Plan(
        scenario=scenario,
        params=np.asarray(b.params, float),
        tables=np.concatenate(b.tables) if b.tables else np.zeros(1),
        name_hashes=np.array([name_hash(n) for n in b.streams], dtype=np.uint64),
        nodes=b.nodes,
        lines=lines,
        rate_code=rate_code,
        schedule_codes=schedule_codes,
        schedule_starts=schedule_starts,
        n_problems=len(b.problems),
        problem_labels=b.problems,
        streams=b.streams,
        handles=b.handles,
        run_inputs=b.run_inputs,
        year_inputs=b.year_inputs,
        input_meta=b.meta,
        sampling=sampling_name,
        sampling_numbers=first_number,
        needs_runs=source.needs_runs,
        dimensions=dimensions,
    )
