"""Scenario -> Plan: the layout of one compiled kernel and the arrays it reads.

A plan separates *structure* from *numbers*.  The structure (which inputs exist, their
families, how often they are drawn, the expression trees with every literal replaced by a
slot in ``P``) becomes generated numba source (``roisim.engine.codegen``); the numbers travel in
arrays: ``P`` (parameters, literals, constants, line multipliers), ``T`` (sampling tables)
and ``K`` (one 64-bit stream key per random input).  Changing a number in a scenario
therefore reuses the compiled kernel from numba's cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from roisim.engine.keys import input_key
from roisim.errors import ScenarioError
from roisim.scenario import diskcache
from roisim.scenario.distributions import Distribution
from roisim.scenario.expressions import names_in, uses_year
from roisim.scenario.model import Scenario

METRICS = ("npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr")
CLOSED_FORM = {
    "uniform": "s_uniform",
    "normal": "s_normal",
    "lognormal": "s_lognormal",
    "triangular": "s_triangular",
}
TABLED = ("pert", "beta", "gamma")
#: the code a cached plan depends on (its layout follows the code that builds and reads it)
PLAN_CODE = ("scenario", "engine", "kernels", "errors.py")


@dataclass
class Node:
    """One value computed per run (level "run") or per run and year (level "year")."""

    name: str
    level: str
    kind: str  # "random" or "derived"
    code: str = ""  # sampler call or expression code
    store: int = -1  # row in out_in / out_iny
    flag: int = -1  # flag counter for non-finite values (derived only)
    path: str = ""


@dataclass
class LineCode:
    path: str
    is_cost: bool
    mult_base: int  # P[mult_base + t] = active(t) * ramp(t)
    amount: str
    growth: str | None
    t0_slot: int
    t_last_slot: int
    flag_base: int


@dataclass
class Plan:
    scenario: Scenario
    P: np.ndarray
    T: np.ndarray
    K: np.ndarray
    nodes: list[Node]
    lines: list[LineCode]
    rate_code: str
    n_flags: int
    flag_labels: list[tuple[str, str, str]]  # (field path, problem, 'run' or 'year') per counter
    run_inputs: list[str] = field(default_factory=list)
    year_inputs: list[str] = field(default_factory=list)
    input_meta: dict = field(default_factory=dict)

    @property
    def years(self) -> int:
        return self.scenario.horizon_years + 1


class _Builder:
    def __init__(self, scenario: Scenario, seed: int):
        self.s = scenario
        self.seed = seed
        self.P: list[float] = []
        self.T: list[np.ndarray] = []
        self.t_len = 0
        self.keys: list[int] = []
        self.env: dict[str, tuple[str, str]] = {}  # name -> (code, level)
        self.nodes: list[Node] = []
        self.flags: list[tuple[str, str, str]] = [("", "several IRRs", "run")]
        self.run_inputs: list[str] = []
        self.year_inputs: list[str] = []
        self.meta: dict = {}

    def slot(self, value: float) -> int:
        self.P.append(float(value))
        return len(self.P) - 1

    def flag(self, path: str, problem: str, level: str = "year") -> int:
        self.flags.append((path, problem, level))
        return len(self.flags) - 1

    # ---------------------------------------------------------------- random inputs
    def sampler(self, name: str, dist: Distribution, path: str) -> tuple[str, str]:
        from roisim.engine.tables import (
            discrete_table,
            quantile_table,
        )  # scipy: only when a plan is built

        frozen = dist.scipy()
        level = "year" if dist.per == "year" else "run"
        key = len(self.keys)
        self.keys.append(input_key(self.seed, name))
        u = f"uniform01(K[{key}], r, {'t' if level == 'year' else 0})"
        fam = dist.family
        if dist.discrete:
            try:
                table = discrete_table(frozen, fam, dist.params)
            except ValueError:
                raise ScenarioError(
                    "this distribution has too many possible values to tabulate", path
                ) from None
            p = self.slot(0.0)
            self.slot(1.0)
            self.slot(self._table(table))
            return f"s_discrete({u}, P, {p}, T)", level
        flo = float(frozen.cdf(dist.lower)) if dist.lower is not None else 0.0
        fhi = float(frozen.cdf(dist.upper)) if dist.upper is not None else 1.0
        p = self.slot(flo)
        self.slot(fhi - flo)
        c = dist.params
        if fam in CLOSED_FORM:
            vals = {
                "uniform": (c.get("min"), c.get("max")),
                "normal": (c.get("mean"), c.get("sd")),
                "lognormal": (c.get("mu"), c.get("sigma")),
                "triangular": (c.get("min"), c.get("mode"), c.get("max")),
            }[fam]
            for v in vals:
                self.slot(v)
            return f"{CLOSED_FORM[fam]}({u}, P, {p})", level
        if fam in TABLED:
            self.slot(self._table(quantile_table(frozen)))
            return f"s_table({u}, P, {p}, T)", level
        raise AssertionError(f"no sampler for {fam}")

    def _table(self, arr: np.ndarray) -> int:
        off = self.t_len
        self.T.append(np.asarray(arr, float))
        self.t_len += len(arr)
        return off

    def add_random(self, name: str, dist: Distribution, path: str) -> str:
        code, level = self.sampler(name, dist, path)
        var = f"v{len(self.nodes)}"
        node = Node(name, level, "random", code, path=path)
        self._store(node, dist)
        self.nodes.append(node)
        self.env[name] = (var, level)
        return var

    def _store(self, node: Node, dist: Distribution | None) -> None:
        target = self.year_inputs if node.level == "year" else self.run_inputs
        node.store = len(target)
        target.append(node.name)
        self.meta[node.name] = {
            "unit": dist.unit if dist else None,
            "description": dist.description if dist else None,
            "path": node.path,
        }

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
            return f"P[{self.slot(tree[1])}]"
        if kind == "name":
            return self.env[tree[1]][0]
        if kind == "year":
            return "yr"
        if kind == "neg":
            return f"(-{self._code(tree[1])})"
        if kind == "bin":
            a, b = self._code(tree[2]), self._code(tree[3])
            if tree[1] == "**" and tree[3][0] == "num" and tree[3][1] == 2.0:
                return f"({a} * {a})"
            return f"({a} {tree[1]} {b})"
        if kind == "cmp":
            return f"(1.0 if {self._code(tree[2])} {tree[1]} {self._code(tree[3])} else 0.0)"
        fn, args = tree[1], [self._code(a) for a in tree[2]]
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


def build_plan(scenario: Scenario, seed: int | None = None) -> Plan:
    """Lay out the kernel for ``scenario``; raise ScenarioError for what only shows up here.

    Plans are cached on disk (``roisim.scenario.diskcache``) keyed by the scenario, the seed and
    the source of the code that builds and reads them (``PLAN_CODE``).
    """
    seed = scenario.seed if seed is None else seed
    fingerprint = diskcache.source_fingerprint(*PLAN_CODE)
    ckey = diskcache.key(
        fingerprint, "plan", repr(scenario), seed
    )  # repr: structural, unlike pickle
    plan = diskcache.get("plan", ckey)
    if plan is None:
        plan = _build_plan(scenario, seed)
        diskcache.put("plan", ckey, plan)
    plan.scenario = scenario
    return plan


def _build_plan(scenario: Scenario, seed: int) -> Plan:
    s = scenario
    b = _Builder(s, seed)
    for name, inp in s.inputs.items():
        if inp.kind == "constant":
            b.env[name] = (f"P[{b.slot(inp.value)}]", "run")
        elif inp.kind == "distribution":
            b.add_random(name, inp.dist, f"inputs.{name}")
    for name in s.order:
        inp = s.inputs[name]
        code, level = b.expr(inp.expr)
        var = f"v{len(b.nodes)}"
        node = Node(name, level, "derived", code, path=f"inputs.{name}")
        node.flag = b.flag(f"inputs.{name}", "is not a finite number", level)
        b._store(node, None)
        b.nodes.append(node)
        b.env[name] = (var, level)
    if isinstance(s.discount_rate, Distribution):
        rate_code = b.add_random("discount_rate", s.discount_rate, "scenario.discount_rate")
    else:
        rate_code = f"P[{b.slot(s.discount_rate)}]"

    lines = []
    H1 = s.horizon_years + 1
    for ln in s.lines:
        if ln.amount.kind == "number":
            amount = f"P[{b.slot(ln.amount.value)}]"
        elif ln.amount.kind == "expr":
            amount = b.expr(ln.amount.expr)[0]
        else:
            amount = b.add_random(ln.anonymous_name, ln.amount.dist, f"{ln.path}.amount")
        growth = None
        if ln.growth is not None:
            growth = (
                f"P[{b.slot(ln.growth.value)}]"
                if ln.growth.kind == "number"
                else b.expr(ln.growth.expr)[0]
            )
        mult = np.zeros(H1)
        for k, t in enumerate(ln.years):
            mult[t] = ln.ramp[k] if k < len(ln.ramp) else 1.0
        base = len(b.P)
        for v in mult:
            b.slot(v)
        t0 = b.slot(ln.years[0])
        t_last = b.slot(ln.years[-1])
        fb = b.flag(f"{ln.path}.amount", "is not a finite number")
        b.flag(f"{ln.path}.amount", "is negative (costs must be >= 0)")
        b.flag(f"{ln.path}.growth", "makes the growth factor 1 + growth <= 0")
        lines.append(LineCode(ln.path, ln.kind == "costs", base, amount, growth, t0, t_last, fb))

    T = np.concatenate(b.T) if b.T else np.zeros(1)
    return Plan(
        scenario=s,
        P=np.asarray(b.P, float),
        T=T,
        K=np.asarray(b.keys, dtype=np.uint64),
        nodes=b.nodes,
        lines=lines,
        rate_code=rate_code,
        n_flags=len(b.flags),
        flag_labels=b.flags,
        run_inputs=b.run_inputs,
        year_inputs=b.year_inputs,
        input_meta=b.meta,
    )
