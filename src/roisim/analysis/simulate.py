"""``simulate``: Scenario -> Plan -> blocks of runs -> Result.  Orchestration only."""

from __future__ import annotations

import functools
import os

from roisim._version import __version__
from roisim.analysis.correlation_figures import correlation_figures
from roisim.analysis.precision import fetcher, precision_rule, run_rounds
from roisim.analysis.replicates import (
    check_sampling,
    replicate_metrics,
    sampling_of,
    with_replicate_intervals,
    with_sampling,
)
from roisim.analysis.schema import (
    CashflowByYear,
    CentralCase,
    DiscountRateInfo,
    Metrics,
    RunSummary,
    ScenarioInfo,
)
from roisim.analysis.summary import summarize_run
from roisim.engine.blocks import ArraySource
from roisim.engine.layout import SEVERAL_IRRS, Layout
from roisim.engine.plan import build_plan
from roisim.engine.run import KernelSource, default_threads, run_range
from roisim.errors import ScenarioError
from roisim.result import Result, build_dataset
from roisim.scenario import diskcache
from roisim.scenario.discounting import DiscountSchedule
from roisim.scenario.distributions import Distribution
from roisim.scenario.model import MAX_RUNS, Scenario

#: per-run results larger than this (bytes) are summarised in streaming mode instead
DEFAULT_MEMORY_LIMIT = 4 * 1024**3


def check_runs_seed(scenario: Scenario, runs, seed) -> tuple[int, int]:
    """The run count and seed to use (the scenario's own when None), checked: a ScenarioError at
    ``runs`` or ``seed`` for anything but a whole number in range. Every analysis calls it."""
    where = "simulation.runs" if runs is None else "runs"  # the file's, or the one given
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    if isinstance(runs, float) and runs.is_integer():
        runs = int(runs)
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise ScenarioError(f"must be a whole number from 1 to {MAX_RUNS:,}, got {runs!r}", "runs")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ScenarioError(f"must be a whole number from 0 to 2**63-1, got {seed!r}", "seed")
    check_sampling(scenario.sampling, scenario.replicates, runs, where)
    return runs, seed


def run_summary(
    scenario: Scenario,
    runs: int,
    seed: int,
    metrics: Metrics,
    cashflow: CashflowByYear,
    lines: tuple = (),
    central: CentralCase | None = None,
    correlations=None,
) -> RunSummary:
    """The summary of ``runs`` runs of ``scenario`` under ``seed``: its header and figures
    (``lines`` and ``central`` are empty and None unless given)."""
    return RunSummary(
        roisim_version=__version__,
        scenario=ScenarioInfo(
            name=scenario.name, file=scenario.source_file, sha256=scenario.source_sha256
        ),
        runs=runs,
        seed=seed,
        currency=scenario.currency,
        horizon_years=scenario.horizon_years,
        timing=scenario.timing,
        discount_rate=discount_rate_info(scenario),
        metrics=metrics,
        cashflow_by_year=cashflow,
        lines=tuple(lines),
        central_case=central,
        correlations=correlations,
    )


def discount_rate_info(scenario: Scenario) -> DiscountRateInfo:
    """The summary's ``discount_rate``: ``8%``; ``pert(min=0.065, mode=0.08, max=0.11)``; or a
    schedule's entries in force, ``green-book-2018: 3.5% from year 0, 3% from year 31``."""
    rate = scenario.discount_rate
    if isinstance(rate, DiscountSchedule):
        entries = rate.in_force(scenario.horizon_years)
        shown = tuple((year, r if isinstance(r, float) else rate_text(r)) for year, r in entries)
        head = f"{rate.preset}: " if rate.preset else "schedule: "
        text = head + ", ".join(
            f"{rate_text(r)} from year {year}" for year, r in entries)
        return DiscountRateInfo("schedule", text, rate.preset, shown)
    kind = "distribution" if isinstance(rate, Distribution) else "constant"
    return DiscountRateInfo(kind, rate_text(rate))


def rate_text(rate) -> str:
    """One rate as written: ``8%`` or ``pert(min=0.065, mode=0.08, max=0.11)``."""
    if isinstance(rate, float | int):
        return f"{100 * rate:.6g}%"
    given = {k: v for k, v in rate.given.items() if k != "dist"}
    bounds = {k: v for k, v in (("lower", rate.lower), ("upper", rate.upper)) if v is not None}
    return f"{rate.family}(" + ", ".join(
        f"{k}={v}" for k, v in {**given, **bounds}.items()) + ")"


#: the code the cached central case depends on
CENTRAL_CODE = ("scenario", "analysis/central.py", "analysis/uncertain.py", "finance.py", "kernels")


def central_figures(scenario: Scenario) -> CentralCase | None:
    """The central case of ``scenario`` (``roisim.analysis.central.central_case``) as summary
    figures, or None when it has no central case (its medians give an amount that is not a
    finite number, or a negative cost).  Cached on disk with the plans: the medians of
    truncated families need scipy, which a warm ``roisim run`` never imports otherwise."""
    ckey = diskcache.key(diskcache.source_fingerprint(*CENTRAL_CODE), "central", repr(scenario))
    cached = diskcache.get("central", ckey)
    if cached is not None:
        return cached[0]
    from roisim.analysis.central import central_case  # here: a warm run never needs it

    try:
        figures = CentralCase(**central_case(scenario))
    except ScenarioError:
        figures = None
    diskcache.put("central", ckey, (figures,))
    return figures


def result_bytes(plan, runs: int, keep_inputs: bool = True) -> int:
    """Memory the per-run results of ``runs`` runs take when kept."""
    per_run = Layout.of(plan).n_rows
    if keep_inputs:
        per_run += len(plan.run_inputs) + len(plan.year_inputs) * plan.years
    return 8 * per_run * runs


def memory_limit() -> int:
    env = os.environ.get("ROISIM_MEMORY_LIMIT")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise ScenarioError(
                f"ROISIM_MEMORY_LIMIT must be a number of bytes, got {env!r}"
            ) from None
    return DEFAULT_MEMORY_LIMIT


def streams_cheaper(scenario: Scenario, precision=None) -> bool:
    """Is a run that keeps no per-run data cheapest streamed (``summary_only=True``)?

    Streaming needs no memory for the runs, and its summary usually takes one pass over them:
    pass 1 copies the bins that the pilot puts around each wanted percentile
    (``roisim.analysis.candidates``).  Not so with Sobol sampling, whose replicate intervals
    read the runs again, nor with a precision rule (the scenario's, or ``precision`` as
    ``simulate`` takes it), which reads order statistics again between rounds: streamed,
    those runs would be generated again, so the runs are kept in memory instead.  The summary
    is the same either way."""
    if getattr(scenario, "sampling", "random") == "sobol":
        return False
    return precision is False or (precision is None and scenario.precision is None)


def simulate(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    summary_only: bool | None = None,
    progress=None,
    executor=None,
    keep_inputs: bool = True,
    *,
    hold: dict | None = None,
    scale: dict | None = None,
    line_scale: dict | None = None,
    delay: dict | None = None,
    line_years: bool = False,
    precision=None,
) -> Result:
    """Simulate ``runs`` runs of ``scenario`` (defaults from its [simulation] table).

    Parameters
    ----------
    threads : worker threads (default: ``NUMBA_NUM_THREADS`` or the CPU count).
    summary_only : keep no per-run data and stream blocks of runs into mergeable summaries
        (constant memory).  ``None`` (default) streams only when the per-run results would
        exceed ``ROISIM_MEMORY_LIMIT`` bytes (4 GiB).  The summary is identical either way.
    progress : optional callable ``progress(pass_number, runs_done, runs_total)``.
    executor : optional source factory ``executor(plan, runs)`` (e.g. a Dask cluster, see
        ``roisim.engine.distributed``); implies summary_only.
    keep_inputs : keep every sampled input in ``Result.dataset`` (default).  False keeps only the
        metrics and net cash flows: less memory and time when the inputs are not needed.
    hold, scale, line_scale, delay : run a variant of the scenario on the same draws (common
        random numbers), without recompiling: ``hold={"x": 3.0}`` holds input ``x`` at 3 while
        every other input is drawn as usual; ``scale={"x": 1.1}`` multiplies its draws by 1.1;
        ``line_scale={"costs[0]": 1.3}`` multiplies a line (or ``"benefits"``/``"costs"``);
        ``delay={"benefits": 1}`` starts lines a year later.  See
        :func:`roisim.engine.variants.vary` for the names each accepts.  The summary's
        ``central_case`` is None for such a variant (the central case is the scenario's own).
    line_years : also the P5 and P95 of each line's amount in each year (``p5_by_year`` and
        ``p95_by_year`` of ``summary["lines"]``; None otherwise), and the amounts in
        ``Result.dataset["line_amount"]``.  Costs one row per line and year per run:
        (lines × years) × 8 bytes of memory per run in memory, time when streaming.  Each
        line's ``mean_by_year`` is there either way, with the same bits (the kernel sums
        the amounts per block of runs at no measurable cost).
    precision : the precision stop rule (``roisim.analysis.precision``): None (default) follows
        the scenario's ``[simulation] precision``, if any; False ignores it; a rule
        (``roisim.scenario.precision.Precision``) or the ``--precision`` text
        ``"npv.mean=2000"`` / ``"npv.p5=1%"`` replaces it.  ``runs`` is then the first round,
        doubled until the metric's interval is narrow enough or ``max_runs`` is reached; the
        result is that of a plain run of the final number of runs, and
        ``summary["precision"]`` says how it ended.

    Every line's present value ``PV_j = Σ_t A_jt · d_t`` is in ``Result.dataset["line_pv"]``
    and ``summary["lines"]``; Σ PV(benefits) − Σ PV(costs) = NPV in every run.

    The same seed gives bit-identical results whatever ``threads`` or the executor is.

    >>> import roisim
    >>> s = roisim.load_scenario('''
    ... [scenario]
    ... name = "demo"
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
    >>> r = roisim.simulate(s, runs=10_000, seed=1)
    >>> exact = -100 + 50 * (1 / 1.1 + 1 / 1.1**2 + 1 / 1.1**3)   # mean NPV, closed form: 24.34
    >>> npv = r.figures.metrics.npv              # typed; r.summary["metrics"]["npv"] as a dict
    >>> low, high = npv.ci95.mean                # the 95% Monte Carlo interval of the mean
    >>> abs(npv.mean - exact) < 2 * (high - low)  # about 8 standard errors: true for any seed
    True
    """
    if not isinstance(scenario, Scenario):
        raise TypeError("simulate expects a Scenario from roisim.load_scenario")
    runs, seed = check_runs_seed(scenario, runs, seed)
    threads = threads or default_threads()
    rule = precision_rule(scenario, precision, runs)
    variant = {"hold": hold, "scale": scale, "line_scale": line_scale, "delay": delay}
    plain = functools.partial(
        _plain_run, scenario, seed=seed, threads=threads, summary_only=summary_only,
        executor=executor, keep_inputs=keep_inputs, progress=progress, variant=variant,
        line_years=line_years,
    )
    if rule is None:
        return plain(runs)[0]
    sampling = getattr(scenario, "sampling", "random")
    return run_rounds(rule, runs, plain, sampling, getattr(scenario, "replicates", None))


def _plain_run(
    scenario, runs, *, seed, threads, summary_only, executor, keep_inputs, progress, variant,
    line_years,
):
    """``(Result, fetch)``: ``runs`` runs of ``scenario`` as ``simulate`` makes them without a
    precision rule, and the order statistics of its runs (``roisim.analysis.precision``)."""
    plan = build_plan(scenario, seed, runs=runs, **variant)
    plan = plan.with_line_rows("years" if line_years else "pv")
    if summary_only is None:
        summary_only = (
            executor is not None or result_bytes(plan, runs, keep_inputs) > memory_limit()
        )
    result, arrays = summarize_plan(
        plan, runs, seed, threads, summary_only, executor, keep_inputs, progress
    )

    def source():
        return executor(plan, runs) if executor else KernelSource(plan, runs, threads=threads)

    return result, fetcher(arrays, source, runs, Layout.of(plan))


def summarize_plan(
    plan,
    runs: int,
    seed: int,
    threads: int | None = None,
    summary_only: bool = False,
    executor=None,
    keep_inputs: bool = True,
    progress=None,
):
    """``(Result, arrays)``: ``runs`` runs of an already built ``plan`` summarised as
    ``simulate`` does (``arrays`` is the in-memory ``RunArrays``, None when streaming).

    A plan without line rows gets each line's PV (``plan.with_line_rows("pv")``); the central
    case is the scenario's, or None for a variant (``plan.varied``).  Compare and stress cases
    call this so that their summaries equal ``roisim run``'s.
    """
    threads = threads or default_threads()
    if plan.line_rows == "none":
        plan = plan.with_line_rows("pv")
    check_sampling(*sampling_of(plan), runs)
    if plan.needs_runs and plan.runs != runs:
        plan = plan.with_runs(runs)  # a Latin hypercube over exactly these runs
    if summary_only or executor is not None:
        (figures, build), arrays = _streaming(plan, runs, threads, executor, progress), None
    else:
        figures, build, arrays = _in_memory(plan, runs, seed, threads, keep_inputs, progress)
    if sampling_of(plan)[0] == "sobol":  # intervals from the replicates' spread
        replicates = replicate_metrics(plan, runs, threads, arrays, executor)
        figures = (with_replicate_intervals(figures[0], replicates), *figures[1:])
    central = None if plan.varied else central_figures(plan.scenario)
    correlated = correlation_figures(plan, runs, arrays, threads)
    summary = run_summary(plan.scenario, runs, seed, *figures, central, correlated)
    return Result(with_sampling(summary, plan, runs), build=build), arrays


def _streaming(plan, runs: int, threads: int, executor, progress):
    """Summarise blocks of runs as the passes regenerate them; no per-run data is kept."""
    source = executor(plan, runs) if executor else KernelSource(plan, runs, threads=threads)
    on_pass = (lambda p, done: progress(p, done, runs)) if progress else None
    return summarize_run(source, runs, Layout.of(plan), progress=on_pass), None


def _in_memory(plan, runs: int, seed: int, threads: int, keep_inputs: bool, progress):
    """Run every run into memory (pass 1), summarise the arrays (passes 2, 3, ...), and return
    the figures with a builder of the per-run dataset."""
    arrays = run_range(
        plan,
        0,
        runs,
        threads=threads,
        keep_inputs=keep_inputs,
        progress=(lambda done: progress(1, done, runs)) if progress else None,
    )
    figures = summarize_run(
        ArraySource(arrays.values, threads, arrays.line_sums),
        runs,
        Layout.of(plan),
        int(arrays.flags[SEVERAL_IRRS]),
        progress=(lambda p, done: progress(p + 1, done, runs)) if progress else None,
    )
    return figures, lambda: build_dataset(plan, arrays, seed), arrays
