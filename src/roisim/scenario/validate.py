"""Validate a parsed TOML document into a ``Scenario``: plain data, no numpy.

``parse_scenario(data)`` is the only entry point; every problem raises
``ScenarioError`` with the field path of the offending value.
"""

from __future__ import annotations

import copy
import keyword
import re
from dataclasses import replace

from roisim.errors import ScenarioError, suggest
from roisim.scenario.correlations import parse_correlations
from roisim.scenario.discounting import SCHEDULE_KEYS, DiscountSchedule, entry_name, parse_schedule
from roisim.scenario.distributions import Distribution, parse_distribution
from roisim.scenario.expressions import FUNCTIONS, names_in, parse_expression
from roisim.scenario.fields import check_keys as _check_keys
from roisim.scenario.fields import number as _number
from roisim.scenario.fields import show as _show
from roisim.scenario.fields import string as _string
from roisim.scenario.fields import whole as _whole
from roisim.scenario.model import (
    DEFAULT_REPLICATES,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    LINE_KEYS,
    MAX_HORIZON,
    MAX_REPLICATES,
    MAX_RUNS,
    METRICS,
    SAMPLINGS,
    SCENARIO_KEYS,
    SIMULATION_KEYS,
    STRESS_KEYS,
    TIMINGS,
    TOP_KEYS,
    Amount,
    Input,
    Line,
    Scenario,
    StressCase,
)
from roisim.scenario.precision import parse_precision

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"year", "net_cashflow", "discount_rate", "run"} | set(METRICS) | set(FUNCTIONS)


# ------------------------------------------------------------------ helpers
def _table(data, path: str, required: bool = True) -> dict:
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(f"must be a table, got {_show(data)}", path)
    return data


def lowest_value(dist: Distribution) -> float:
    """The smallest value the sampler can produce (uniforms never go below 2**-53)."""
    frozen = dist.scipy()
    if dist.discrete:
        if dist.family in ("discrete", "constant"):
            return float(frozen.xk[0])
        # not ppf(0): scipy gives the support's lower end minus 1 there (-1 for a poisson)
        return float(frozen.ppf(2.0**-53))
    flo = float(frozen.cdf(dist.lower)) if dist.lower is not None else 0.0
    return float(frozen.ppf(flo + dist.mass * 2.0**-53))


# ------------------------------------------------------------------ main entry
def parse_scenario(
    data: dict, *, source_file: str | None = None, sha256: str | None = None
) -> Scenario:
    """Validate a TOML document (as returned by ``tomllib``) into a Scenario."""
    data = _table(data, "")
    _check_keys(data, TOP_KEYS, "")
    head = _parse_head(data)
    runs, seed = _parse_simulation(data)
    sampling = _parse_sampling(data)
    inputs, order = _parse_inputs(_table(data.get("inputs"), "inputs", required=False))
    benefits = _parse_lines(data, "benefits", head["horizon_years"], inputs)
    costs = _parse_lines(data, "costs", head["horizon_years"], inputs)
    if not benefits and not costs:
        raise ScenarioError("the scenario has no [[benefits]] or [[costs]] lines", "benefits")
    scenario = Scenario(
        **head,
        runs=runs,
        seed=seed,
        **sampling,
        inputs=inputs,
        order=order,
        benefits=benefits,
        costs=costs,
        source_file=source_file,
        source_sha256=sha256,
        document=copy.deepcopy(data),
    )
    if "correlations" in data:
        levels, others = _correlatable(scenario)
        correlated = parse_correlations(data["correlations"], levels, others)
        scenario = replace(scenario, correlations=correlated)
    simulation = data.get("simulation") or {}
    if "precision" in simulation:  # the stop rule (roisim.scenario.precision)
        method = getattr(scenario, "sampling", "random")
        scenario = replace(scenario, precision=parse_precision(simulation["precision"], runs,
                                                               method))
    if "stress" in data:
        scenario = replace(scenario, stress=_parse_stress(data, scenario))
    return scenario


def _correlatable(s: Scenario) -> tuple[dict[str, str], dict[str, str]]:
    """The inputs that may be correlated, with their level ("run" or "year"), and why each
    other name may not be."""
    levels, others = {}, {}
    for name, inp in s.inputs.items():
        if inp.kind == "distribution" and inp.dist.family != "constant":
            levels[name] = inp.dist.per
        else:
            others[name] = {"constant": "a constant", "derived": "a derived input"}.get(
                inp.kind, "a constant")
    rate = s.discount_rate
    if isinstance(rate, Distribution):
        levels["discount_rate"] = "run"
    elif isinstance(rate, DiscountSchedule):
        drawn = [entry_name(y) for y, r in rate.in_force(s.horizon_years)
                 if isinstance(r, Distribution)]
        for year, r in rate.in_force(s.horizon_years):
            if isinstance(r, Distribution):
                levels[entry_name(year)] = "run"
            else:
                others[entry_name(year)] = "a constant (this entry of the schedule is not drawn)"
        others["discount_rate"] = (
            "a discount schedule; correlate one of its drawn entries by name ("
            + (", ".join(drawn) if drawn else "none is drawn") + ")")
    else:
        others["discount_rate"] = "a constant (the discount rate is not drawn)"
    return levels, others


def _parse_head(data: dict) -> dict:
    """The [scenario] table: name, description, currency, horizon, timing and discount rate."""
    if "scenario" not in data:
        raise ScenarioError(
            "missing the [scenario] table (name, horizon_years, discount_rate)", "scenario"
        )
    head = _table(data["scenario"], "scenario")
    _check_keys(head, SCENARIO_KEYS, "scenario")
    for key in ("name", "horizon_years", "discount_rate"):
        if key not in head:
            raise ScenarioError("is required", f"scenario.{key}")
    name = _string(head["name"], "scenario.name")
    if not name.strip():
        raise ScenarioError("must not be empty", "scenario.name")
    description = (
        _string(head["description"], "scenario.description") if "description" in head else None
    )
    currency = _string(head.get("currency", "GBP"), "scenario.currency")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ScenarioError(
            f"must be a three-letter ISO 4217 code such as \"GBP\", got {currency!r}",
            "scenario.currency",
        )
    horizon = _whole(head["horizon_years"], "scenario.horizon_years", 1, MAX_HORIZON)
    timing = head.get("timing", "end-of-year")
    if timing not in TIMINGS:
        raise ScenarioError(
            f"must be \"end-of-year\" or \"mid-year\", got {timing!r}"
            f"{suggest(str(timing), TIMINGS)}",
            "scenario.timing",
        )
    return {
        "name": name,
        "description": description,
        "currency": currency,
        "horizon_years": horizon,
        "timing": timing,
        "discount_rate": _discount_rate(head["discount_rate"]),
    }


def _parse_simulation(data: dict) -> tuple[int, int]:
    sim = _table(data.get("simulation"), "simulation", required=False)
    _check_keys(sim, SIMULATION_KEYS, "simulation")
    runs = _whole(sim.get("runs", DEFAULT_RUNS), "simulation.runs", 1, MAX_RUNS)
    seed = _whole(sim.get("seed", DEFAULT_SEED), "simulation.seed", 0, 2**63 - 1)
    return runs, seed


def sampling_name(value, path: str = "simulation.sampling") -> str:
    """A sampling method ("random", "lhs" or "sobol"); a ScenarioError at ``path`` otherwise."""
    if value not in SAMPLINGS:
        shown = repr(value) if isinstance(value, str) else _show(value)
        raise ScenarioError(
            f"must be \"random\", \"lhs\" or \"sobol\", got {shown}"
            f"{suggest(str(value), SAMPLINGS)}",
            path,
        )
    return value


def check_sobol_runs(sampling: str, replicates: int, runs: int, path: str) -> None:
    """A ScenarioError at ``path`` when Sobol replicates cannot share ``runs`` equally
    (``roisim validate`` checks the file's runs; every simulation checks its own)."""
    if sampling != "sobol" or runs % replicates == 0:
        return
    low = runs - runs % replicates
    options = f"{low:,} or {low + replicates:,}" if low else f"{replicates:,}"
    raise ScenarioError(
        f"with sampling = \"sobol\" the runs must be a multiple of the {replicates} "
        f"replicates (simulation.replicates), each replicate taking runs / replicates "
        f"points; got {runs:,}: use {options}",
        path,
    )


def _parse_sampling(data: dict) -> dict:
    """``sampling`` and ``replicates`` of [simulation] (replicates: Sobol's, from 2 up)."""
    sim = data.get("simulation")
    sim = sim if isinstance(sim, dict) else {}  # _parse_simulation reports a bad table
    sampling = sampling_name(sim.get("sampling", "random"))
    replicates = _whole(
        sim.get("replicates", DEFAULT_REPLICATES), "simulation.replicates", 2, MAX_REPLICATES
    )
    return {"sampling": sampling, "replicates": replicates}


def _parse_lines(data: dict, kind: str, horizon: int, inputs: dict[str, Input]) -> tuple:
    """The [[benefits]] or [[costs]] lines; their names must be unique within the kind, because a
    line's own distribution is keyed on its name (``Line.input_name``)."""
    raw = data.get(kind, [])
    if not isinstance(raw, list):
        raise ScenarioError(
            f"must be an array of tables written [[{kind}]], got {_show(raw)}", kind
        )
    lines = tuple(_parse_line(kind, i, item, horizon, inputs) for i, item in enumerate(raw))
    first: dict[str, Line] = {}
    for line in lines:
        if line.name in first:
            other = first[line.name]
            raise ScenarioError(
                f"the name {line.name!r} is already used by {other.path}; line names must be "
                f"unique within {kind} (a line's draws are keyed on its name)",
                f"{line.path}.name",
            )
        first[line.name] = line
    return lines


def _discount_rate(v) -> float | Distribution | DiscountSchedule:
    """A single rate, a named schedule (``"green-book-2018"``) or ``{ schedule = [...] }``
    (``roisim.scenario.discounting``)."""
    path = "scenario.discount_rate"
    if isinstance(v, str) or (isinstance(v, dict) and _is_schedule(v)):
        return parse_schedule(v, path, _rate)
    return _rate(v, path)


def _is_schedule(table: dict) -> bool:
    """A table with ``schedule`` (or without ``dist``/``range`` and a key close to it)."""
    if "schedule" in table:
        return True
    if "dist" in table or "range" in table:
        return False
    return any(suggest(str(k), SCHEDULE_KEYS) for k in table)


def _rate(v, path: str) -> float | Distribution:
    """One discount rate: a number in (-1, 1] or a per-run distribution that stays there."""
    if isinstance(v, dict):
        dist = parse_distribution(v, path)
        if dist.per != "run":
            raise ScenarioError(
                "the discount rate is sampled once per run; per = \"year\" is not allowed",
                f"{path}.per",
            )
        if dist.family == "constant":
            v = dist.params["value"]
        else:
            high = float(dist.scipy().ppf(1 - 2.0**-53))
            if dist.upper is None and high > 1.0:
                raise ScenarioError(
                    f"this distribution can reach {high:.4g}; a discount rate is a yearly fraction "
                    "such as 0.08 for 8% (add upper = ... if you really mean more than 100%)",
                    path,
                )
            low = lowest_value(dist)
            if not low > -1.0:
                raise ScenarioError(
                    f"this distribution can reach {low:.4g}, and a discount rate must stay "
                    "above -1 (-100%); add lower = 0 or narrow it",
                    path,
                )
            return dist
    if isinstance(v, str):
        raise ScenarioError(
            "must be a number such as 0.08 or a distribution table; expressions are not "
            "accepted here",
            path,
        )
    if isinstance(v, list):
        raise ScenarioError(
            "must be a number such as 0.08, a distribution table, a named schedule such as "
            '"green-book-2018" or { schedule = [[0, 0.035], [31, 0.03]] }; got a list',
            path,
        )
    r = _number(v, path)
    if not r > -1.0:
        raise ScenarioError(f"must be greater than -1 (-100%), got {r:g}", path)
    if r > 1:
        raise ScenarioError(
            f"must be a yearly rate written as a fraction, such as 0.08 for 8%; got {r:g}", path
        )
    return r


def _parse_inputs(raw: dict) -> tuple[dict[str, Input], tuple[str, ...]]:
    inputs: dict[str, Input] = {}
    for name, spec in raw.items():
        path = f"inputs.{name}"
        if not _NAME_RE.match(name) or keyword.iskeyword(name):
            raise ScenarioError(
                "input names must start with a letter or _ and contain only letters, digits and _",
                path,
            )
        if name in _RESERVED:
            raise ScenarioError(f"'{name}' is a reserved name; choose another", path)
        if isinstance(spec, dict):
            inputs[name] = _table_input(name, spec, path)
        elif isinstance(spec, str):
            inputs[name] = Input(name, "derived", text=spec)
        elif isinstance(spec, bool) or not isinstance(spec, (int, float)):
            raise ScenarioError(
                f"must be a number, an expression string or a table (a distribution, "
                f"{{ value = ... }} or {{ expr = \"...\" }}), got {_show(spec)}",
                path,
            )
        else:
            inputs[name] = Input(name, "constant", value=_number(spec, path))
    names = list(inputs)
    for name, inp in list(inputs.items()):
        if inp.kind == "derived":
            where = f"inputs.{name}" + (".expr" if isinstance(raw[name], dict) else "")
            tree = parse_expression(inp.text, where, names)
            inputs[name] = replace(inp, expr=tree)
    return inputs, _dependency_order(inputs)


#: the keys of an input written as a table that is not a distribution
VALUE_INPUT_KEYS = ("value", "unit", "description")
EXPR_INPUT_KEYS = ("expr", "unit", "description")
_INPUT_TABLE_HELP = (
    'an input table needs dist = "..." (a distribution), range = [lo, hi], value = <number> '
    '(a constant) or expr = "..." (a derived input)'
)


def _table_input(name: str, spec: dict, path: str) -> Input:
    """An input written as a table: a distribution, ``{ value = 4 }`` (a constant) or
    ``{ expr = "a * b" }`` (a derived input), each with an optional ``unit`` and
    ``description``."""
    if "dist" in spec or "range" in spec:
        dist = parse_distribution(spec, path)
        if dist.family == "constant" and dist.per == "run":
            return Input(name, "constant", value=dist.params["value"], dist=dist,
                         description=dist.description)
        return Input(name, "distribution", dist=dist, description=dist.description)
    if "value" in spec and "expr" in spec:
        raise ScenarioError("give value (a constant) or expr (a derived input), not both",
                            f"{path}.expr")
    if "value" not in spec and "expr" not in spec:
        for k in spec:
            choices = ("dist", "range", "value", "expr", "per", "lower", "upper")
            if k not in VALUE_INPUT_KEYS + EXPR_INPUT_KEYS and suggest(k, choices):
                # a misspelt key: point at it (a distribution's parameters without dist fall
                # through to the table's own error below)
                raise ScenarioError(f"unknown key '{k}'{suggest(k, choices)}; {_INPUT_TABLE_HELP}",
                                    f"{path}.{k}")
        raise ScenarioError(_INPUT_TABLE_HELP, path)
    allowed = VALUE_INPUT_KEYS if "value" in spec else EXPR_INPUT_KEYS
    _check_keys(spec, allowed, path)
    texts = {k: _string(spec[k], f"{path}.{k}") for k in ("unit", "description") if k in spec}
    if "value" in spec:
        value = _number(spec["value"], f"{path}.value")
        return Input(name, "constant", value=value, description=texts.get("description"),
                     unit_text=texts.get("unit"))
    return Input(name, "derived", text=_string(spec["expr"], f"{path}.expr"),
                 description=texts.get("description"), unit_text=texts.get("unit"))


def _dependency_order(inputs: dict[str, Input]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, stack: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = stack[stack.index(name) :] + [name]
            raise ScenarioError(
                "derived inputs form a cycle: " + " -> ".join(cycle), f"inputs.{cycle[0]}"
            )
        state[name] = 1
        inp = inputs[name]
        if inp.kind == "derived":
            for dep in sorted(names_in(inp.expr)):
                visit(dep, stack + [name])
        state[name] = 2
        if inp.kind == "derived":
            order.append(name)

    for name in inputs:
        visit(name, [])
    return tuple(order)


def parse_years(v, horizon: int, path: str) -> tuple[int, ...]:
    """``"1.."``, ``"2..4"``, ``"0"``, ``3`` or ``[1, 2, 3]`` -> the sorted tuple of years, each in
    0..horizon."""

    def check(y: int) -> int:
        if not 0 <= y <= horizon:
            raise ScenarioError(f"year {y} is outside the horizon 0..{horizon}", path)
        return y

    if isinstance(v, list):
        if not v:
            raise ScenarioError("must list at least one year", path)
        years = []
        for i, y in enumerate(v):
            if isinstance(y, bool) or not isinstance(y, int):
                raise ScenarioError(f"must be a whole-number year, got {_show(y)}", f"{path}[{i}]")
            years.append(check(y))
        if len(set(years)) != len(years):
            raise ScenarioError("lists a year more than once", path)
        return tuple(sorted(years))
    if isinstance(v, int) and not isinstance(v, bool):
        return (check(v),)
    if not isinstance(v, str):
        raise ScenarioError(
            f"must be a string like \"1..\", \"2..4\" or \"0\", or a list of years, got {_show(v)}",
            path,
        )
    m = re.fullmatch(r"\s*(\d+)\s*(?:(\.\.)\s*(\d+)?)?\s*", v)
    if not m:
        raise ScenarioError(f"must look like \"1..\", \"2..4\" or \"0\", got {v!r}", path)
    start = check(int(m.group(1)))
    if not m.group(2):
        return (start,)
    end = check(int(m.group(3))) if m.group(3) else horizon
    if end < start:
        raise ScenarioError(f"the range {v!r} ends before it starts", path)
    return tuple(range(start, end + 1))


def _parse_amount(v, path: str, names, allow_dist: bool) -> Amount:
    if isinstance(v, dict):
        if not allow_dist:
            raise ScenarioError(
                "must be a number or an expression (name a distribution in [inputs] "
                "and refer to it here)",
                path,
            )
        dist = parse_distribution(v, path)
        if dist.family == "constant" and dist.per == "run":
            return Amount("number", value=dist.params["value"])
        return Amount("dist", dist=dist)
    if isinstance(v, str):
        return Amount("expr", expr=parse_expression(v, path, names), text=v)
    return Amount("number", value=_number(v, path))


def _parse_line(kind: str, i: int, item, horizon: int, inputs: dict[str, Input]) -> Line:
    path = f"{kind}[{i}]"
    item = _table(item, path)
    _check_keys(item, LINE_KEYS, path)
    name = _string(item.get("name", f"{kind[:-1]} {i + 1}"), f"{path}.name")
    if not name.strip():
        raise ScenarioError("must not be empty", f"{path}.name")
    if "amount" not in item:
        raise ScenarioError("is required", f"{path}.amount")
    names = list(inputs)
    amount = _parse_amount(item["amount"], f"{path}.amount", names, allow_dist=True)
    if kind == "costs":
        if amount.kind == "number" and amount.value < 0:
            raise ScenarioError(
                f"costs are positive amounts that are subtracted; got {amount.value:g} "
                "(write a saving as a benefit)",
                f"{path}.amount",
            )
        if amount.kind == "dist":
            low = lowest_value(amount.dist)
            if low < 0:
                raise ScenarioError(
                    f"this distribution can be negative (down to {low:.4g}), but a cost "
                    "must be >= 0; add lower = 0 or use pert/lognormal",
                    f"{path}.amount",
                )
    years = parse_years(item.get("years", "1.."), horizon, f"{path}.years")
    ramp_raw = item.get("ramp", [])
    if not isinstance(ramp_raw, list):
        raise ScenarioError(
            f"must be a list of multipliers such as [0.5, 0.8], got {_show(ramp_raw)}",
            f"{path}.ramp",
        )
    ramp = tuple(_number(r, f"{path}.ramp[{j}]") for j, r in enumerate(ramp_raw))
    for j, r in enumerate(ramp):
        if r < 0:
            raise ScenarioError(f"must be >= 0, got {r:g}", f"{path}.ramp[{j}]")
    if len(ramp) > len(years):
        raise ScenarioError(
            f"has {len(ramp)} multipliers but the line is active in only {len(years)} years",
            f"{path}.ramp",
        )
    growth = None
    if "growth" in item:
        growth = _parse_amount(item["growth"], f"{path}.growth", names, allow_dist=False)
        if growth.kind == "number" and not growth.value > -1:
            raise ScenarioError(
                f"must be greater than -1 (-100% a year), got {growth.value:g}", f"{path}.growth"
            )
    description = (
        _string(item["description"], f"{path}.description") if "description" in item else None
    )
    return Line(kind, i, name, amount, years, ramp, growth, description)


def describe(s: Scenario) -> dict:
    """A plain summary of what a scenario contains (used by ``roisim validate``)."""

    def amount_text(a: Amount) -> str:
        if a.kind == "number":
            return f"{a.value:g}"
        if a.kind == "expr":
            return a.text
        return f"{a.dist.family} {a.dist.given}" + (" per year" if a.dist.per == "year" else "")

    inputs = []
    for inp in s.inputs.values():
        if inp.kind == "constant":
            inputs.append((inp.name, "constant", f"{inp.value:g}"))
        elif inp.kind == "distribution":
            d = inp.dist
            extra = "".join(
                f", {k} = {getattr(d, k):g}"
                for k in ("lower", "upper")
                if getattr(d, k) is not None
            )
            inputs.append(
                (
                    inp.name,
                    d.family + (" per year" if d.per == "year" else ""),
                    ", ".join(f"{k} = {v}" for k, v in d.given.items()) + extra,
                )
            )
        else:
            inputs.append((inp.name, "derived", inp.text))
    lines = [(ln.kind, ln.name, amount_text(ln.amount), _years_text(ln.years)) for ln in s.lines]
    return {"inputs": inputs, "lines": lines}


def _years_text(years: tuple[int, ...]) -> str:
    if len(years) > 1 and years == tuple(range(years[0], years[-1] + 1)):
        return f"{years[0]}..{years[-1]}"
    return ", ".join(map(str, years))


# ------------------------------------------------------------------ [[stress]] cases
#: what a stress case's ``set`` may not change: the runs and seed (a case runs on the base
#: case's draws), the currency (differences are in the base's currency) and other cases
_SET_FORBIDDEN = {
    "simulation": "a stress case runs on the base case's runs and seed (common random numbers); "
    "choose them with --runs and --seed",
    "stress": "a stress case cannot change the stress cases",
    "scenario.currency": "a stress case keeps the base case's currency",
}
_SCALE_HELP = (
    'scale a line (costs[0] or "costs: <name>"), every line of a kind (benefits, costs) or an '
    "input (inputs.<name>, scenario.discount_rate)"
)


def _parse_stress(data: dict, base: Scenario) -> tuple[StressCase, ...]:
    """The [[stress]] tables; their names must be unique (``roisim run --stress NAME``)."""
    raw = data["stress"]
    if not isinstance(raw, list):
        raise ScenarioError(f"must be an array of tables written [[stress]], got {_show(raw)}",
                            "stress")
    cases: list[StressCase] = []
    for i, item in enumerate(raw):
        case = _parse_case(i, item, data, base)
        for other in cases:
            if other.name == case.name:
                raise ScenarioError(
                    f"the name {case.name!r} is already used by {other.path}; stress case names "
                    "must be unique (roisim run --stress NAME picks a case by its name)",
                    f"{case.path}.name",
                )
        cases.append(case)
    return tuple(cases)


def _parse_case(i: int, item, data: dict, base: Scenario) -> StressCase:
    path = f"stress[{i}]"
    item = _table(item, path)
    _check_keys(item, STRESS_KEYS, path)
    if "name" not in item:
        raise ScenarioError("is required (a stress case is chosen by its name)", f"{path}.name")
    name = _string(item["name"], f"{path}.name")
    if not name.strip():
        raise ScenarioError("must not be empty", f"{path}.name")
    description = (
        _string(item["description"], f"{path}.description") if "description" in item else None
    )
    pairs, changed = _case_set(item.get("set", {}), data, base, f"{path}.set")
    target = changed or base  # scale and delay act on the case with its set applied
    written, lines, inputs = _case_scale(item.get("scale", {}), target, f"{path}.scale")
    delay = _case_delay(item.get("delay", 0), target, f"{path}.delay")
    return StressCase(
        name=name,
        index=i,
        description=description,
        scale=written,
        line_scale=lines,
        input_scale=inputs,
        delay=delay,
        set=pairs,
        scenario=changed,
    )


def _flatten(table: dict, prefix: str = "", values_are_tables: bool = False) -> list:
    """``{ "a.b" = 1 }`` and ``{ a = { b = 1 } }`` (TOML dotted keys) both as [("a.b", 1)]; a
    distribution table (it has ``dist`` or ``range``) or a discount schedule (``schedule``) is one
    value when ``values_are_tables``."""
    out = []
    for key, value in table.items():
        if isinstance(value, dict) and not (
            values_are_tables and ("dist" in value or "range" in value or "schedule" in value)
        ):
            out += _flatten(value, f"{prefix}{key}.", values_are_tables)
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _case_scale(raw, scenario: Scenario, where: str) -> tuple[tuple, tuple, tuple]:
    """(scale as written, line factors, input factors) of a case's ``scale`` table."""
    written, lines, inputs = [], [], []
    for key, factor in _flatten(_table(raw, where)):
        path = f"{where}.{key}"
        factor = _number(factor, path)
        if factor < 0:
            raise ScenarioError(
                f"must be a factor >= 0, such as 1.3 for 30% more; got {factor:g}", path
            )
        kind, target = _scale_target(key, scenario, path)
        written.append((key, factor))
        (lines if kind == "line" else inputs).append((target, factor))
    return tuple(written), tuple(lines), tuple(inputs)


def _scale_target(key: str, scenario: Scenario, path: str) -> tuple[str, str]:
    """("line", costs[0] | benefits | costs) or ("input", name) for a key of ``scale``."""
    if key in ("benefits", "costs"):
        if not getattr(scenario, key):
            raise ScenarioError(f"the scenario has no [[{key}]] lines to scale", path)
        return "line", key
    m = re.fullmatch(r"(benefits|costs)\[(\d+)\](\.amount)?", key)
    if m:
        kind, k = m.group(1), int(m.group(2))
        count = len(getattr(scenario, kind))
        if k >= count:
            have = f"{kind}[0] to {kind}[{count - 1}]" if count else "none"
            raise ScenarioError(
                f"points at nothing: the scenario has {count} [[{kind}]] lines ({have})", path
            )
        return "line", f"{kind}[{k}]"
    for line in scenario.lines:
        if key in (line.input_name, f"{line.kind}: {line.name}", f"{line.path}.amount"):
            return "line", line.path
    name = key[len("inputs."):] if key.startswith("inputs.") else key
    if key in ("discount_rate", "scenario.discount_rate"):
        return "input", "discount_rate"
    inp = scenario.inputs.get(name)
    if inp is not None and inp.kind == "derived":
        raise ScenarioError(
            f"'{name}' is derived from other inputs ({inp.text}); scale the inputs it is made "
            "from, or the lines that use it",
            path,
        )
    if inp is not None:
        return "input", name
    choices = ["benefits", "costs", "scenario.discount_rate"]
    choices += [ln.path for ln in scenario.lines] + [ln.input_name for ln in scenario.lines]
    choices += [f"inputs.{n}" for n, i in scenario.inputs.items() if i.kind != "derived"]
    what = "input" if key.startswith("inputs.") else "line or input"
    raise ScenarioError(
        f"points at nothing: no {what} '{key}'{suggest(key, choices)}; {_SCALE_HELP}", path
    )


def _case_delay(raw, scenario: Scenario, path: str) -> int:
    """Every benefit line starts ``delay`` years later; at least one must stay in the horizon."""
    delay = _whole(raw, path, 0, MAX_HORIZON)
    if delay == 0:
        return 0
    if not scenario.benefits:
        raise ScenarioError("points at nothing: the scenario has no [[benefits]] lines", path)
    horizon = scenario.horizon_years
    first = min(line.years[0] for line in scenario.benefits)
    if first + delay > horizon:
        raise ScenarioError(
            f"a delay of {delay} years pushes every benefit past the horizon (year {horizon}); "
            f"the earliest benefit starts in year {first}, so the delay can be at most "
            f"{horizon - first}",
            path,
        )
    return delay


def _case_set(raw, data: dict, base: Scenario, where: str) -> tuple[tuple, Scenario | None]:
    """The case's ``set`` as (path, value) pairs, and the base document with them written in,
    validated as a scenario of its own (None when nothing is set)."""
    pairs = _flatten(_table(raw, where), values_are_tables=True)
    if not pairs:
        return (), None
    document = copy.deepcopy({k: v for k, v in data.items() if k != "stress"})
    for key, value in pairs:
        _set_value(document, key, value, f"{where}.{key}")
    try:
        changed = parse_scenario(document, source_file=base.source_file, sha256=base.source_sha256)
    except ScenarioError as err:
        raise _set_error(err, pairs, where) from None
    return tuple(pairs), changed


def _set_error(err: ScenarioError, pairs: list, where: str) -> ScenarioError:
    """An error found validating the case: at the key of ``set`` that caused it."""
    found = canonical_path(err.path)
    for key, _ in pairs:
        mine = canonical_path(key)
        if found == mine or found.startswith((mine + ".", mine + "[")):
            return ScenarioError(f"{err.message} (value given by {where})", f"{where}.{key}")
    return ScenarioError(
        f"with these values {err.path}: {err.message}", f"{where}.{pairs[0][0]}"
    )


def path_segments(path: str, where: str, label: str = "path") -> list:
    """``inputs.x.mean`` -> ["inputs", "x", "mean"]; ``costs[0].amount`` and ``costs.0.amount``
    -> ["costs", 0, "amount"] (the paths ``--set`` takes).  A malformed path raises at
    ``where``, calling it a ``label``."""
    out: list = []
    for part in path.split(".") if path else [""]:
        m = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if not m:
            raise ScenarioError(
                f"bad {label} {path!r}; write e.g. inputs.loaded_hourly_rate.mean or "
                "costs[0].amount",
                where,
            )
        name = m.group(1)
        out.append(int(name) if name.isdigit() else name)
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return out


def canonical_path(path: str) -> str:
    """``costs.0.amount`` -> ``costs[0].amount``: one spelling of a path, for comparisons."""
    try:
        segs = path_segments(path, "")
    except ScenarioError:
        return path
    text = ""
    for seg in segs:
        text += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if text else seg)
    return text


def _set_value(document: dict, key: str, value, where: str) -> None:
    """Write ``value`` at the path ``key``, which must name something in the file (the last key
    may be new inside a line or a distribution table: ``growth``, ``lower``)."""
    canonical = canonical_path(key)
    for prefix, reason in _SET_FORBIDDEN.items():
        if canonical == prefix or canonical.startswith((prefix + ".", prefix + "[")):
            raise ScenarioError(reason, where)
    segs = path_segments(key, where)
    node, at = document, ""
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if isinstance(seg, int):
            if not isinstance(node, list) or seg >= len(node):
                size = f"has {len(node)} entries" if isinstance(node, list) else "is not a list"
                raise ScenarioError(f"points at nothing: {at or 'the file'} {size}", where)
            label = f"{at}[{seg}]"
        else:
            if not isinstance(node, dict):
                raise ScenarioError(f"points at nothing: {at} is not a table", where)
            if seg not in node and (not last or at in ("", "inputs")):
                what = "input" if at == "inputs" else ("table" if not at else "field")
                keys = [k for k in node if isinstance(k, str)]
                raise ScenarioError(
                    f"points at nothing: no {what} '{seg}' in {at or 'the file'}"
                    f"{suggest(seg, keys)}",
                    where,
                )
            label = f"{at}.{seg}" if at else seg
        if last:
            node[seg] = value
            return
        node, at = node[seg], label


def read_field(document: dict, path: str, where: str):
    """The value at ``path`` (as ``--set`` writes it) in a TOML document; a path that points at
    nothing raises at ``where``, with the closest key as a suggestion.  A constant written as a
    table, ``{ value = 4, description = "..." }``, reads as its number, as ``fee = 4`` does."""
    node, at = document, ""
    for seg in path_segments(path, where):
        if isinstance(seg, int):
            if not isinstance(node, list) or seg >= len(node):
                size = f"has {len(node)} entries" if isinstance(node, list) else "is not a list"
                raise ScenarioError(f"points at nothing: {at or 'the file'} {size}", where)
            node, at = node[seg], f"{at}[{seg}]"
            continue
        if not isinstance(node, dict) or seg not in node:
            keys = [k for k in node if isinstance(k, str)] if isinstance(node, dict) else []
            what = "input" if at == "inputs" else "field"
            raise ScenarioError(
                f"points at nothing: no {what} '{seg}' in {at or 'the file'}{suggest(seg, keys)}",
                where,
            )
        node, at = node[seg], f"{at}.{seg}" if at else seg
    if isinstance(node, dict) and "value" in node and not {"dist", "range", "expr"} & set(node):
        return node["value"]  # a constant written { value = 4, description = "..." }
    return node
