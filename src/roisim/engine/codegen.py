"""Plan -> numba source for one fused kernel, written to the cache and imported.

The kernel computes, for each run of a block: every random input (the inverse CDF of the uniform
the plan's uniform source gives it, ``roisim.engine.sampling``), every derived input, the
cash-flow lines year by year, and the metrics -- with no (runs × inputs) or
(runs × years × lines) temporaries.  The source depends only on the scenario's structure, so
its file name is a hash of the source and of the code that shapes it; numba's ``cache=True``
then reuses the machine code across runs, processes and changed numbers.

The kernel's arguments::

    first_run, n_runs     the runs first_run .. first_run + n_runs - 1
    first_column          where run first_run goes in the output arrays
    params, tables        the plan's numbers and sampling tables
    stream_keys           one 64-bit key per random input (from the seed and its name)
    out_values            (rows, columns): the metrics, the net cash flows and, when it has the
                          rows for them, each line's PV and each line's amount by year
                          (``roisim.engine.layout.Layout``)
    out_run_inputs        (n_run_inputs, columns): every per-run input (when keep_inputs)
    out_year_inputs       (n_year_inputs, columns, years): every per-year input (when keep_inputs)
    problem_counts        counters of invalid values, labelled by Plan.problem_labels
    keep_inputs           1: store the inputs; 0: leave the input arrays alone
    line_sums             (n_lines × years,): each line's amount in each year is added to
                          line_sums[line * years + year], run after run in run order (the
                          summary's ``mean_by_year``; the caller gives one per summary block)
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from contextlib import contextmanager

from roisim import _version
from roisim.engine import sampling as uniforms
from roisim.engine.copula import source_for
from roisim.engine.layout import FIRST_CASHFLOW_ROW, METRICS, N_METRICS, ROW
from roisim.engine.plan import LineCode, Node, Plan, value_name
from roisim.engine.variants import HELD, HOLD, SCALE
from roisim.kernels.startup import load_without_refresh
from roisim.scenario.diskcache import cache_dir, source_fingerprint

HEADER = '''import math
import numpy as np
from numba import njit
{source_imports}
from roisim.kernels.inverse import s_uniform, s_normal, s_lognormal, s_triangular
from roisim.kernels.inverse import s_table, s_discrete
from roisim.kernels.metrics import irr_one, paybacks, discount_factors, schedule_factors


@njit(cache=True, nogil=True, error_model="numpy")
def kernel(first_run, n_runs, first_column, params, tables, stream_keys, out_values,
           out_run_inputs, out_year_inputs, problem_counts, keep_inputs, line_sums):
    years = out_year_inputs.shape[2]
    # the line rows the output has room for (roisim.engine.layout.Layout): PVs, then amounts
    line_pvs = out_values.shape[0] >= {n_metrics} + years + {n_lines}
    line_years = out_values.shape[0] >= {n_metrics} + years + {n_lines} * (1 + years)
'''

#: each metric's value at the end of a run, from the run's totals (see _emit_metrics)
METRIC_CODE = {
    "npv": "npv",
    "irr": "irr_one(flows, mid_year)",  # +inf: several sign changes, solved after the kernel
    "payback_years": "payback",
    "discounted_payback_years": "discounted_payback",
    "roi": "(sum_benefits - sum_costs) / sum_costs if sum_costs != 0.0 else np.nan",
    "bcr": "pv_benefits / pv_costs if pv_costs != 0.0 else np.nan",
}
assert tuple(METRIC_CODE) == METRICS


class _Writer:
    """Collects indented lines of kernel source."""

    def __init__(self, depth: int = 1):
        self.lines: list[str] = []
        self.depth = depth

    def __call__(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def block(self, header: str):
        self(header)
        self.depth += 1
        yield
        self.depth -= 1


def _streams(plan: Plan) -> list[uniforms.Stream]:
    return plan.uniform_streams()


def _emit_controls(plan: Plan, w: _Writer) -> None:
    """Read every random input's hold flag, held value and scale once per call, before the runs
    (in locals, so the run loop tests a register rather than loading from params)."""
    for k, node in enumerate(plan.nodes):
        if node.kind == "random":
            controls = node.sampler.controls
            w(f"hold_{k} = params[{controls + HOLD}] != 0.0")
            w(f"held_{k} = params[{controls + HELD}]")
            w(f"scale_{k} = params[{controls + SCALE}]")


def _emit_random(k: int, node: Node, uniform: str, w: _Writer) -> None:
    """value_k = held if the input is held, else scale * its inverse CDF of the uniform."""
    s = node.sampler
    tables = ", tables" if s.uses_tables else ""
    draw = f"{s.function}({uniform}, params, {s.first_param}{tables})"
    with w.block(f"if hold_{k}:"):
        w(f"{value_name(k)} = held_{k}")
    with w.block("else:"):
        w(f"{value_name(k)} = scale_{k} * {draw}")


def _emit_inputs(plan: Plan, level: str, w: _Writer) -> None:
    """Compute and store every input of one level ("run" or "year"), in dependency order."""
    source = source_for(plan.scenario, plan.sampling)
    streams = _streams(plan)
    prelude = source.run_prelude if level == "run" else source.year_prelude
    for text in prelude(streams, plan.sampling_numbers):
        w(text)
    if level == "run":
        store = "out_run_inputs[{store}, column]"
    else:
        store = "out_year_inputs[{store}, column, t]"
    for k, node in enumerate(plan.nodes):
        if node.level != level:
            continue
        if node.kind == "random":
            uniform = source.uniform(streams[node.sampler.stream], plan.sampling_numbers)
            _emit_random(k, node, uniform, w)
        else:
            w(f"{value_name(k)} = {node.code}")
            with w.block(f"if not math.isfinite({value_name(k)}):"):
                w(f"problem_counts[{node.problem}] += 1")
        with w.block("if keep_inputs:"):
            w(f"{store.format(store=node.store)} = {value_name(k)}")


def _emit_line(j: int, line: LineCode, n_lines: int, w: _Writer) -> None:
    """Add one line's amount of year t to the totals, to the line's PV and to its sum over the
    runs (its problems counted), and store the amount in its row when the output has the
    line-year rows."""
    w(f"# {line.path}")
    amount_row = f"{FIRST_CASHFLOW_ROW} + years + {n_lines} + {j} * years + t"
    if line.growth is not None:
        first, last = line.first_year_slot, line.last_year_slot
        with w.block(f"if t > params[{first}] and t <= params[{last}]:"):
            w(f"growth_factor = 1.0 + {line.growth}")
            with w.block("if not growth_factor > 0.0:"):
                w(f"problem_counts[{line.problem + 2}] += 1")
            w(f"growth_{j} *= growth_factor")
    w(f"multiplier = params[{line.multipliers} + t]")
    with w.block("if line_years:"):
        w(f"out_values[{amount_row}, column] = 0.0")
    with w.block("if multiplier != 0.0:"):
        grow = f" * growth_{j}" if line.growth is not None else ""
        w(f"amount = multiplier{grow} * {line.amount}")
        with w.block("if not math.isfinite(amount):"):
            w(f"problem_counts[{line.problem}] += 1")
        w(f"line_pv_{j} += amount * discount[t]")
        w(f"sums[{j} * years + t] += amount")
        with w.block("if line_years:"):
            w(f"out_values[{amount_row}, column] = amount")
        if line.is_cost:
            with w.block("if amount < 0.0:"):
                w(f"problem_counts[{line.problem + 1}] += 1")
            w("sum_costs += amount")
            w("pv_costs += amount * discount[t]")
            w("net_flow -= amount")
        else:
            w("sum_benefits += amount")
            w("pv_benefits += amount * discount[t]")
            w("net_flow += amount")


def _emit_year(plan: Plan, w: _Writer) -> None:
    """The loop over years: per-year inputs, every line, the net cash flow and the NPV."""
    with w.block("for t in range(years):"):
        w("year = np.float64(t)")
        _emit_inputs(plan, "year", w)
        w("net_flow = 0.0")
        for j, line in enumerate(plan.lines):
            _emit_line(j, line, len(plan.lines), w)
        w("flows[t] = net_flow")
        w(f"out_values[{FIRST_CASHFLOW_ROW} + t, column] = net_flow")
        w("npv += net_flow * discount[t]")


def _emit_metrics(plan: Plan, w: _Writer) -> None:
    w("payback, discounted_payback = paybacks(flows, discount)")
    for name in METRICS:
        w(f"out_values[{ROW[name]}, column] = {METRIC_CODE[name]}")
    if plan.lines:
        with w.block("if line_pvs:"):
            for j in range(len(plan.lines)):
                w(f"out_values[{FIRST_CASHFLOW_ROW} + years + {j}, column] = line_pv_{j}")


def _emit_discount(plan: Plan, w: _Writer) -> None:
    """The run's discount factors: from one rate, or from a schedule's entries (each a drawn or
    constant rate in force from the year in ``rate_starts``)."""
    if not plan.schedule_codes:
        w(f"rate = {plan.rate_code}")
        w("discount_factors(rate, mid_year, discount)")
        return
    for k, code in enumerate(plan.schedule_codes):
        w(f"rates[{k}] = {code}")
    w("schedule_factors(rates, rate_starts, mid_year, discount)")


def render(plan: Plan) -> str:
    """The body of the kernel for ``plan`` (without the header)."""
    w = _Writer()
    # the timing is part of the structure (the source), not a number in params
    w(f"mid_year = {1 if plan.scenario.timing == 'mid-year' else 0}")
    w("discount = np.empty(years)")
    w("flows = np.empty(years)")
    # this call's line sums, added up here and stored once at the end: another thread adds
    # into the next block's row of the same array, and sharing its cache line slowed both
    w("sums = line_sums.copy()")
    if plan.schedule_codes:
        n = len(plan.schedule_codes)
        w(f"rates = np.empty({n})")
        w(f"rate_starts = params[{plan.schedule_starts}:{plan.schedule_starts + n}]")
    _emit_controls(plan, w)
    with w.block("for i in range(n_runs):"):
        w("run = first_run + i")
        w("column = first_column + i")
        _emit_inputs(plan, "run", w)
        _emit_discount(plan, w)
        for total in ("sum_benefits", "sum_costs", "pv_benefits", "pv_costs", "npv"):
            w(f"{total} = 0.0")
        for j, line in enumerate(plan.lines):
            w(f"line_pv_{j} = 0.0")
            if line.growth is not None:
                w(f"growth_{j} = 1.0")
        _emit_year(plan, w)
        _emit_metrics(plan, w)
    w("line_sums[:] = sums")
    return "\n".join(w.lines) + "\n"


def source(plan: Plan) -> str:
    """The whole generated module for ``plan``, without its first (comment) line."""
    imports = "\n".join(source_for(plan.scenario, plan.sampling).imports)
    header = HEADER.format(source_imports=imports, n_metrics=N_METRICS, n_lines=len(plan.lines))
    return header + render(plan)


#: what shapes the generated code besides the plan: the generator, the uniform sources, the
#: layout, the variants' offsets and the kernels it calls
KERNEL_CODE = (
    "engine/codegen.py",
    "engine/sampling.py",
    "engine/copula.py",
    "engine/layout.py",
    "engine/variants.py",
    "kernels",
)


_LOADED: dict[str, object] = {}


def compile_plan(plan: Plan):
    """Return the compiled ``kernel`` function for ``plan`` (generating and caching its source)."""
    text = source(plan)
    digest = hashlib.sha256((source_fingerprint(*KERNEL_CODE) + text).encode()).hexdigest()[:20]
    if digest in _LOADED:
        return _LOADED[digest]
    text = (
        f"# Generated by roisim {_version.__version__} -- do not edit. Structure hash {digest}.\n"
        + text
    )
    path = _write(f"roisim_kernel_{digest}.py", text)
    modname = f"roisim_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    load_without_refresh(vars(module))
    _LOADED[digest] = module.kernel
    return module.kernel


def _write(filename: str, text: str):
    """Write ``text`` to ``filename`` in the cache folder (atomically; unless it is there)."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    if not path.exists() or path.read_text() != text:
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    return path
