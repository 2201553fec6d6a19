"""``compare``: options (scenarios) on common random numbers, and their paired NPV differences.

Every option runs the same runs under the same seed.  A draw is a pure function of (seed, input
name, run, year), so an input with the same name in two options takes the same draws in run i
of both: the per-run difference NPV(option) − NPV(first) then carries only what the options do
differently, and its interval is far narrower than that of two independent means.

For each option after the first the result gives the distribution of that difference (mean with
a 95% interval, P5, P50, P95) and P(option better than the first), the share of runs in which
its NPV is strictly higher, with a Wilson interval (``roisim.analysis.paired``); and, across all
options, P(best): the share of runs in which each has the highest NPV, a tie splitting its run
equally between the options that share the top value.

Rules: at least two options; one currency (different currencies are an error); different
horizons, discount rates or timings are allowed, with a warning in ``Comparison.warnings`` (the
``"warnings"`` key of the JSON; ``roisim compare`` prints each on stderr).

Streaming (``summary_only=True``, or when the runs of all options would not fit in
``ROISIM_MEMORY_LIMIT``): each option's summary is computed as ``simulate`` streams it, and each
difference is summarised exactly by the same block reductions, from a source that regenerates
both options' blocks and hands on their per-run difference; so the figures are those of the
in-memory mode (the mean to the last few bits: it is merged from block moments).

>>> import roisim
>>> a = roisim.load_scenario('''
... [scenario]
... name = "build"
... horizon_years = 3
... discount_rate = 0.1
... [inputs]
... saving = { dist = "normal", mean = 50, sd = 5 }
... [[benefits]]
... name = "saving"
... amount = "saving"
... [[costs]]
... name = "build"
... amount = 100
... years = "0"
... ''')
>>> c = roisim.compare([a, a], runs=10_000, seed=1)
>>> c.summary["differences"][0]["npv"]["mean"], c.summary["prob_best"]
(0.0, [0.5, 0.5])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from roisim.analysis.paired import difference, prob_best, prob_better
from roisim.analysis.schema import Interval, Record, RunSummary, finite
from roisim.analysis.simulate import (
    check_runs_seed,
    memory_limit,
    result_bytes,
    summarize_plan,
)
from roisim.analysis.summary import summarize_figures
from roisim.engine.blocks import (
    SUMMARY_BLOCK,
    Partial,
    block_range,
    n_blocks,
    run_blocks,
)
from roisim.engine.codegen import compile_plan
from roisim.engine.layout import N_METRICS, ROW
from roisim.engine.plan import build_plan
from roisim.engine.run import default_threads, run_range
from roisim.engine.sampling import shared_dimensions
from roisim.errors import ScenarioError
from roisim.result import Result
from roisim.scenario.discounting import DiscountSchedule
from roisim.scenario.loading import load_scenario
from roisim.scenario.model import Scenario

NPV = ROW["npv"]


# ============================================================================ the figures
@dataclass(frozen=True)
class NpvDifference(Record):
    """The distribution of NPV(option) − NPV(versus) over the runs."""

    mean: float | None
    ci95: Interval  # of the mean: d̄ ± z·s_d/√n
    p5: float | None
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class Probability(Record):
    value: float | None
    ci95: Interval  # Wilson


@dataclass(frozen=True)
class Difference(Record):
    option: int  # 0-based position of the option in the comparison
    versus: int  # always 0: the first option
    npv: NpvDifference
    prob_better: Probability  # P(NPV(option) > NPV(versus)), strictly


@dataclass(frozen=True)
class OptionSummary(Record):
    file: str | None  # None for a scenario loaded from text
    name: str
    summary: RunSummary  # exactly what `roisim run --json` prints for these runs and seed


@dataclass(frozen=True)
class Unshared(Record):
    name: str
    options: tuple[int, ...]  # the options that draw it (0-based)


@dataclass(frozen=True)
class SharedInputs(Record):
    """The random inputs (each a stream of draws, ``Plan.streams``): those every option draws,
    on the same draws, and the others."""

    shared: tuple[str, ...]
    not_shared: tuple[Unshared, ...]


@dataclass(frozen=True)
class ComparisonSummary(Record):
    """What ``roisim compare --json`` prints."""

    options: tuple[OptionSummary, ...]
    differences: tuple[Difference, ...]
    prob_best: tuple[float | None, ...]
    inputs: SharedInputs
    warnings: tuple[str, ...]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


class Comparison:
    """What ``roisim.compare`` returns.

    Attributes
    ----------
    figures : ComparisonSummary, the typed figures (``figures.differences[0].npv.mean``)
    summary : dict, the same as plain data: exactly what ``roisim compare --json`` prints
    results : one ``Result`` per option (``results[i].dataset`` holds its runs in memory mode)
    npv : per-run NPV of each option (a list of arrays), None after a streaming comparison
    warnings : the warning lines (also ``summary["warnings"]``)
    """

    def __init__(self, figures: ComparisonSummary, results: list, npv: list | None):
        self.figures = figures
        self.summary = figures.to_dict()
        self.results = results
        self.npv = npv
        self.warnings = list(figures.warnings)

    def to_json(self, indent: int | None = 2) -> str:
        return self.figures.to_json(indent)

    def _repr_html_(self) -> str:
        """Jupyter's view (``roisim.report.notebook.comparison_html``)."""
        from roisim.report.notebook import comparison_html

        return comparison_html(self)

    def __repr__(self) -> str:
        names = ", ".join(repr(o.name) for o in self.figures.options)
        means = [d.npv.mean for d in self.figures.differences]
        gaps = ", ".join("n/a" if m is None else f"{m:,.0f}" for m in means)
        return f"<Comparison of {names}: mean NPV differences from the first [{gaps}]>"


# ============================================================================ the function
def compare(
    scenarios,
    runs: int | None = None,
    seed: int | None = None,
    *,
    threads: int | None = None,
    summary_only: bool | None = None,
    keep_inputs: bool = False,
    progress=None,
) -> Comparison:
    """Compare ``scenarios`` (at least two; each a Scenario or a path to a .toml file) on common
    random numbers: every option runs ``runs`` runs under ``seed`` (default: the first option's
    [simulation] table).

    ``summary_only`` streams (bounded memory; the same figures); ``None`` streams only when the
    runs of all options would exceed ``ROISIM_MEMORY_LIMIT``.  ``keep_inputs`` keeps every
    sampled input in ``results[i].dataset``.  ``progress(pass_number, runs_done, runs_total)``
    is called as the options and then the differences are computed, passes numbered on.

    Raises ScenarioError for fewer than two options or options in different currencies.
    """
    if isinstance(scenarios, Scenario | str | os.PathLike):
        scenarios = [scenarios]  # one option: check_options says that two are needed
    scenarios = [_scenario(s) for s in scenarios]
    warnings = check_options(scenarios, runs, seed)
    runs, seed = check_runs_seed(scenarios[0], runs, seed)
    threads = threads or default_threads()
    plans = [build_plan(s, seed, runs=runs) for s in scenarios]
    if any(p.sampling == "sobol" for p in plans):  # shared inputs: the same Sobol dimensions
        shared = shared_dimensions([p.uniform_streams() for p in plans])
        plans = [build_plan(s, seed, runs=runs, dimensions=shared) for s in scenarios]
    if summary_only is None:
        need = sum(result_bytes(p, runs, keep_inputs) for p in plans)
        summary_only = need > memory_limit()
    if summary_only:
        results, npv, diffs, best = _streaming(plans, runs, seed, threads, _Steps(progress))
    else:
        steps = _Steps(progress)
        pairs = [_in_memory(p, runs, seed, threads, keep_inputs, steps.next()) for p in plans]
        results, npv = [r for r, _ in pairs], [v for _, v in pairs]
        diffs = [_difference(npv[0], npv[i], i) for i in range(1, len(plans))]
        best = prob_best(npv)
    figures = ComparisonSummary(
        options=tuple(_option(s, r) for s, r in zip(scenarios, results)),
        differences=tuple(diffs),
        prob_best=tuple(finite(v) for v in best),
        inputs=shared_inputs(plans),
        warnings=tuple(warnings),
    )
    return Comparison(figures, results, npv)


def _scenario(s) -> Scenario:
    if isinstance(s, Scenario):
        return s
    if isinstance(s, (str, os.PathLike)):
        return load_scenario(s)
    raise TypeError("compare expects Scenarios from roisim.load_scenario (or paths to .toml files)")


def _option(scenario: Scenario, result: Result) -> OptionSummary:
    return OptionSummary(file=scenario.source_file, name=scenario.name, summary=result.figures)


# ============================================================================ the rules
def label(scenario: Scenario, k: int) -> str:
    """How messages name option ``k`` (0-based): its file, else its number and name."""
    return scenario.source_file or f"option {k + 1} ({scenario.name!r})"


def check_options(scenarios: list[Scenario], runs=None, seed=None) -> list[str]:
    """Raise ScenarioError unless there are two options or more in one currency; return the
    warnings: different horizons, discount rates or timings, and a [simulation] runs or seed
    that is not used (every option runs with the first option's, or with those given)."""
    if len(scenarios) < 2:
        raise ScenarioError(f"compare needs at least two options, got {len(scenarios)}")
    first = scenarios[0]
    for k, s in enumerate(scenarios[1:], start=1):
        if s.currency != first.currency:
            raise ScenarioError(
                f"{label(s, k)} is in {s.currency} but {label(first, 0)} is in "
                f"{first.currency}: options in different currencies cannot be compared "
                "(convert one of them first)"
            )
    warnings = []
    checks = [  # (what, the value compared, how the warning shows it, what that means)
        ("horizons", lambda s: s.horizon_years, lambda s: f"{s.horizon_years} years",
         "each NPV is over its own horizon"),
        ("discount rates", lambda s: _rate_key(s.discount_rate), lambda s: _rate_text(s),
         "each option is discounted at its own rate"),
        ("timings", lambda s: s.timing, lambda s: s.timing,
         "each option counts its cash at its own timing"),
        ("sampling methods", lambda s: (s.sampling, s.replicates if s.sampling == "sobol" else 0),
         lambda s: s.sampling + (f" (R={s.replicates})" if s.sampling == "sobol" else ""),
         "inputs with the same name do not share their draws, so the paired differences "
         "lose their common random numbers; give --sampling to run every option alike"),
    ]
    if runs is None:
        checks.append(("[simulation] runs", lambda s: s.runs, lambda s: f"{s.runs:,}",
                       f"every option runs {first.runs:,} times (the first option's)"))
    if seed is None:
        checks.append(("[simulation] seeds", lambda s: s.seed, lambda s: str(s.seed),
                       f"every option runs with seed {first.seed} (the first option's), "
                       "so that inputs with the same name share their draws"))
    for what, key, text, consequence in checks:
        values = [key(s) for s in scenarios]
        if any(v != values[0] for v in values[1:]):
            listed = ", ".join(f"{label(s, k)} {text(s)}" for k, s in enumerate(scenarios))
            warnings.append(f"the options have different {what}: {listed}; {consequence}")
    return warnings


def _rate_key(rate):
    """A discount rate as a comparable value: the number, or the distribution's canonical
    definition (so the same distribution written two ways is the same rate)."""
    if isinstance(rate, float | int):
        return float(rate)
    if isinstance(rate, DiscountSchedule):
        return ("schedule", tuple((year, _rate_key(r)) for year, r in rate.entries))
    params = tuple(sorted((k, repr(v)) for k, v in rate.params.items()))
    return (rate.family, params, rate.per, rate.lower, rate.upper)


def _rate_text(scenario: Scenario) -> str:
    """A discount rate as written: ``0.08`` or ``pert(min=0.065, mode=0.08, max=0.11)``; a
    schedule as ``green-book-2018`` or ``[0: 0.035, 31: pert(...)]``."""
    rate = scenario.discount_rate
    if isinstance(rate, DiscountSchedule):
        if rate.preset:
            return rate.preset
        return "[" + ", ".join(f"{y}: {_one_rate_text(r)}" for y, r in rate.entries) + "]"
    return _one_rate_text(rate)


def _one_rate_text(rate) -> str:
    if isinstance(rate, float | int):
        return f"{rate:g}"
    given = {k: v for k, v in rate.given.items() if k != "dist"}
    return f"{rate.family}(" + ", ".join(f"{k}={v}" for k, v in given.items()) + ")"


def shared_inputs(plans) -> SharedInputs:
    """The random inputs every option draws (so on the same draws), in the first option's
    order, and each of the others with the options that draw it."""
    names = [list(p.streams) for p in plans]
    drawn = [set(n) for n in names]
    shared = [n for n in names[0] if all(n in d for d in drawn)]
    seen, others = set(shared), []
    for stream_names in names:
        for n in stream_names:
            if n not in seen:
                seen.add(n)
                others.append(Unshared(n, tuple(k for k, d in enumerate(drawn) if n in d)))
    return SharedInputs(tuple(shared), tuple(others))


# ============================================================================ in memory
def _in_memory(plan, runs: int, seed: int, threads: int, keep_inputs: bool, progress):
    """One option's runs into memory and their summary (as ``simulate`` does in memory); its
    Result and its per-run NPVs."""
    result, arrays = summarize_plan(plan, runs, seed, threads, keep_inputs=keep_inputs,
                                    progress=progress)
    return result, arrays.values[NPV]


def _difference(base: np.ndarray, other: np.ndarray, option: int) -> Difference:
    d, better = difference(base, other), prob_better(base, other)
    return Difference(
        option=option,
        versus=0,
        npv=NpvDifference(
            mean=finite(d["mean"]), ci95=Interval.of(d["ci95"]),
            p5=finite(d["p5"]), p50=finite(d["p50"]), p95=finite(d["p95"]),
        ),
        prob_better=Probability(finite(better["value"]), Interval.of(better["ci95"])),
    )


# ============================================================================ streaming
def _streaming(plans, runs: int, seed: int, threads: int, steps):
    """Every figure of the comparison from blocks regenerated as they are needed."""
    results = [_streamed(p, runs, seed, threads, steps.next()) for p in plans]
    diffs = [
        _streamed_difference(plans, i, runs, threads, steps.next()) for i in range(1, len(plans))
    ]
    return results, None, diffs, _streamed_best(plans, runs, threads, steps.next())


def _streamed(plan, runs: int, seed: int, threads: int, progress) -> Result:
    """One option's summary, streamed (as ``simulate(summary_only=True)``)."""
    return summarize_plan(plan, runs, seed, threads, summary_only=True, progress=progress)[0]


class PairedSource:
    """A summary source (``pilot``/``execute``, as ``KernelSource``) whose blocks are the metric
    rows of option ``i`` with its NPV row replaced by NPV(option i) − NPV(option 0), run by run:
    both options' blocks are regenerated from the same run numbers, so nothing grows with the
    number of runs.  Its summary's NPV figures are those of the difference, exactly."""

    def __init__(self, base, other, runs: int, threads: int):
        self.plans = (base, other)
        self.kernels = tuple(compile_plan(p) for p in self.plans)
        self.runs = runs
        self.threads = threads

    def block(self, b: int) -> np.ndarray:
        start, n = block_range(b, self.runs)
        x, y = (
            run_range(p, start, n, threads=1, kernel=k, keep_inputs=False).values
            for p, k in zip(self.plans, self.kernels)
        )
        y = y[:N_METRICS]
        y[NPV] -= x[NPV]  # y − x, as paired.difference takes it
        return y

    def pilot(self) -> np.ndarray:
        return self.block(0)

    def execute(self, spec, progress=None) -> Partial:
        def work(part, b):
            part.reduce_block(b, self.block(b))

        states = run_blocks(
            range(n_blocks(self.runs)), self.threads, lambda: Partial.empty(spec), work,
            progress=(lambda k: progress(min(self.runs, k * SUMMARY_BLOCK))) if progress else None,
        )
        out = states[0]
        for part in states[1:]:
            out.merge(part)
        return out


def _streamed_difference(plans, i: int, runs: int, threads: int, progress) -> Difference:
    on_pass = (lambda p, done: progress(p, done, runs)) if progress else None
    source = PairedSource(plans[0], plans[i], runs, threads)
    metrics, _ = summarize_figures(source, runs, multiple_irr=0, progress=on_pass)
    npv = metrics.npv
    return Difference(
        option=i,
        versus=0,
        npv=NpvDifference(npv.mean, npv.ci95.mean, npv.p5, npv.p50, npv.p95),
        prob_better=Probability(npv.prob_positive, npv.ci95.prob_positive),
    )


def _streamed_best(plans, runs: int, threads: int, progress) -> list[float]:
    """P(best) in one pass over regenerated blocks: for each option, integer counts of the runs
    in which it ties for the top with m options (m = 1 .. k), so the sum does not depend on how
    blocks were spread over threads; a run counts 1/m to each of the m."""
    k = len(plans)
    kernels = [compile_plan(p) for p in plans]

    def work(counts, b):
        start, n = block_range(b, runs)
        stack = np.vstack([
            run_range(p, start, n, threads=1, kernel=kern, keep_inputs=False).values[NPV]
            for p, kern in zip(plans, kernels)
        ])
        top = stack == stack.max(axis=0)
        ties = top.sum(axis=0)
        for m in range(1, k + 1):
            counts[:, m - 1] += top[:, ties == m].sum(axis=1)

    states = run_blocks(
        range(n_blocks(runs)), threads, lambda: np.zeros((k, k), np.int64), work,
        progress=(lambda b: progress(1, min(runs, b * SUMMARY_BLOCK), runs)) if progress else None,
    )
    counts = np.sum(states, axis=0)
    return [float(sum(counts[j, m] / (m + 1) for m in range(k)) / runs) for j in range(k)]


class _Steps:
    """Numbers the passes of successive steps on, for one progress line over the comparison."""

    def __init__(self, progress):
        self.progress = progress
        self.offset = 0
        self.last = 0

    def next(self):
        if self.progress is None:
            return None
        self.offset = self.last

        def call(pass_no: int, done: int, total: int) -> None:
            self.last = max(self.last, self.offset + pass_no)
            self.progress(self.offset + pass_no, done, total)

        return call
