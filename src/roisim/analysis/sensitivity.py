"""``sensitivity``: what drives the case, and what it is worth to find out more before deciding.

Orchestration only: one base run with the inputs kept, the array-level figures on it
(``correlation``, ``given_data``, ``value_of_information``), then, per uncertain input, the
variants that the swing (``swing``) and the switching value (``switching``) need, each on the
base run's draws (common random numbers) and on the kernel the base run compiled.

The summary (``Sensitivity.summary``, printed by ``roisim sensitivity --json``)::

    roisim_version, scenario {name, file, sha256}, runs, seed, currency, metric,
    base {mean, finite_share, npv_mean},
    evpi {value, ci95: [lo, hi]},
    settings {decision_metric, given_data_bins, swing_probabilities, evppi_method, evppi_knots,
              switching_bracket, streaming, pilot_runs},
    inputs: [{name, field, per, unit, spearman, contribution_to_variance,
              given_data {bins, low, high}, swing {p10, p90, at: [lo, hi]}, evppi,
              switching {factor, percent_change, reason}}, ...]   # by |contribution|, largest first

``spearman``, ``contribution_to_variance``, ``given_data`` and ``swing`` are about ``metric``;
``evpi``, ``evppi`` and ``switching`` are about the NPV fund / do-not-fund decision whatever the
metric.  Means of a metric leave out the runs where it is not finite (no IRR, no payback within
the horizon); ``base.finite_share`` says how many runs count.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from roisim._version import __version__
from roisim.analysis.correlation import average_ranks, contribution_to_variance, rank_correlation
from roisim.analysis.given_data import BINS, given_data
from roisim.analysis.simulate import check_runs_seed, memory_limit
from roisim.analysis.streamed_figures import streamed_figures
from roisim.analysis.swing import PROBABILITIES, held_mean, swing
from roisim.analysis.switching import BRACKET, switching
from roisim.analysis.uncertain import held_values, uncertain_inputs
from roisim.analysis.value_of_information import SPLINE_KNOTS, evpi, evppi
from roisim.analysis.variant_runs import collect, means
from roisim.engine.layout import METRICS
from roisim.engine.plan import build_plan
from roisim.errors import ScenarioError, suggest
from roisim.scenario.model import Scenario

#: the switching search stops when |mean NPV| is below this fraction of its standard error
FTOL_OF_SE = 1e-3


@dataclass
class Sensitivity:
    """What :func:`sensitivity` returns: ``summary`` (plain data, strict JSON) and ``to_json``."""

    summary: dict

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.summary, indent=indent)

    def _repr_html_(self) -> str:
        """Jupyter's view (``roisim.report.notebook.sensitivity_html``)."""
        from roisim.report.notebook import sensitivity_html

        return sensitivity_html(self)

    def __repr__(self) -> str:
        s = self.summary
        top = max(s["inputs"], key=lambda i: i["evppi"] or 0.0, default=None)
        worth = f", most worth measuring: {top['name']}" if top and top["evppi"] else ""
        return (f"<roisim.Sensitivity '{s['scenario']['name']}': {s['metric']}, "
                f"{len(s['inputs'])} inputs, {s['runs']:,} runs{worth}>")


def check_metric(metric, path: str = "metric") -> str:
    """``metric`` if it is one of the per-run metrics, else a ScenarioError with a suggestion."""
    if isinstance(metric, str) and metric in METRICS:
        return metric
    raise ScenarioError(
        f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}"
        + suggest(str(metric), METRICS),
        path,
    )


def sensitivity(
    scenario: Scenario,
    metric: str = "npv",
    runs: int | None = None,
    seed: int | None = None,
    *,
    threads: int | None = None,
    progress=None,
    summary_only: bool | None = None,
) -> Sensitivity:
    """Sensitivity and value of information for every uncertain input of ``scenario``.

    ``runs`` and ``seed`` default to the scenario's [simulation] table; ``threads`` to numba's
    thread count; ``progress(1, runs_done, runs_expected)`` is called as runs are made (the
    base run and every variant count).  ``summary_only`` keeps no per-run vector: the figures
    come from a pilot and one pass over blocks of runs (``roisim.analysis.streamed_figures``),
    in memory bounded whatever ``runs`` is; ``None`` (default) streams only when the per-run
    vectors would exceed ``ROISIM_MEMORY_LIMIT``.  See the module docstring for the summary's
    keys and docs/methodology.md for the formulas.

    >>> import roisim
    >>> s = roisim.load_scenario("scenarios/fintech.toml")               # doctest: +SKIP
    >>> out = roisim.sensitivity(s, runs=200_000)                        # doctest: +SKIP
    >>> out.summary["inputs"][0]["name"], out.summary["evpi"]["value"]    # doctest: +SKIP
    """
    if not isinstance(scenario, Scenario):
        raise TypeError("sensitivity expects a Scenario from roisim.load_scenario")
    metric = check_metric(metric)
    runs, seed = check_runs_seed(scenario, runs, seed)
    plan = build_plan(scenario, seed, runs=runs)
    inputs = uncertain_inputs(plan)
    tick = _Progress(progress, runs, len(inputs))
    stream = _streams(summary_only, runs, len(inputs))
    if stream:
        figures = streamed_figures(plan, runs, inputs, metric, threads=threads, tick=tick)
        rows, guesses, whole, base = figures.rows, figures.guesses, figures.evpi, figures.base
        npv_mean, npv_sd = figures.npv_mean, figures.npv_sd
        tick.runs = runs + figures.pilot_runs
    else:
        y, npv, values = collect(plan, runs, inputs, metric, threads=threads, tick=tick)
        rows, guesses = _array_figures(inputs, values, y, npv)
        del values
        npv_mean, npv_sd, whole = float(npv.mean()), float(npv.std()), evpi(npv)
        base = _base(y, npv_mean)
        del y, npv
    ftol = FTOL_OF_SE * npv_sd / math.sqrt(runs)
    for k, (inp, row) in enumerate(zip(inputs, rows)):
        row["evppi"] = min(row["evppi"], whole[0])
        mean_with = held_mean(plan, runs, inp.name, metric, threads=threads, tick=tick)
        row["swing"] = swing(mean_with, held_values(inp.dist, PROBABILITIES))
        scaled = _scaled_npv(plan, runs, inp.name, threads, tick)
        row["switching"] = switching(scaled, npv_mean, guesses[k], ftol, BRACKET)
        tick.input_done(len(inputs) - k - 1)
    rows.sort(key=lambda r: -abs(r["contribution_to_variance"]))
    mode = {"streaming": stream, "pilot_runs": figures.pilot_runs if stream else None}
    return Sensitivity(_clean(_summary(scenario, runs, seed, metric, base, whole, rows, mode)))


def _streams(summary_only: bool | None, runs: int, inputs: int) -> bool:
    """Stream when asked to, or (``None``) when the in-memory vectors would not fit."""
    if summary_only is not None:
        return bool(summary_only)
    return 8 * runs * (inputs + 2) > memory_limit()


def _base(y: np.ndarray, npv_mean: float) -> dict:
    finite = np.isfinite(y)
    return {
        "mean": float(y[finite].mean()) if finite.any() else None,
        "finite_share": float(finite.mean()),
        "npv_mean": npv_mean,
    }


def _array_figures(inputs, values, y, npv) -> tuple[list[dict], list]:
    """Per input, from the base runs: rank correlation, contribution to variance, given-data
    bins and EVPPI; and each input's first guess of its switching factor."""
    keep = ~np.isnan(y)  # ranks leave out runs with no value (inf ranks as the largest)
    ry = average_ranks(y if keep.all() else y[keep])
    m = float(npv.mean())
    rows, guesses = [], []
    for inp, x in zip(inputs, values):
        order = np.argsort(x, kind="stable")
        rx = average_ranks(x, order)
        rho = rank_correlation(rx if keep.all() else average_ranks(x[keep]), ry)
        rows.append({
            "name": inp.name,
            "field": inp.path,
            "per": inp.per,
            "unit": inp.unit,
            "spearman": rho,
            "given_data": given_data(x, y, BINS, order=order),
            "evppi": evppi(x, npv, SPLINE_KNOTS, ranks=rx),
        })
        guesses.append(_first_guess(x, npv, m))
    for row, c in zip(rows, contribution_to_variance([r["spearman"] for r in rows])):
        row["contribution_to_variance"] = c
    return rows, guesses


def _first_guess(x: np.ndarray, npv: np.ndarray, m: float) -> float | None:
    """1 − m/(b·x̄), with b the least-squares slope of NPV on x: the factor at which a mean NPV
    linear in the input's scale would reach 0."""
    xm = float(x.mean())
    dx = x - xm
    sxx = float(dx @ dx)
    if sxx == 0.0:
        return None
    effect = float(dx @ (npv - m)) / sxx * xm
    return 1.0 - m / effect if effect != 0.0 else None


def _scaled_npv(plan, runs: int, name: str, threads, tick):
    def npv_at(factor: float) -> float:
        variant = plan.vary(scale={name: factor})
        return means(variant, runs, ["npv"], threads=threads, tick=tick)[0][0]

    return npv_at


def _summary(scenario, runs, seed, metric, base, whole, rows, mode) -> dict:
    value, ci = whole
    order = ("name", "field", "per", "unit", "spearman", "contribution_to_variance",
             "given_data", "swing", "evppi", "switching")
    return {
        "roisim_version": __version__,
        "scenario": {"name": scenario.name, "file": scenario.source_file,
                     "sha256": scenario.source_sha256},
        "runs": runs,
        "seed": seed,
        "currency": scenario.currency,
        "metric": metric,
        "base": base,
        "evpi": {"value": value, "ci95": list(ci)},
        "settings": {
            "decision_metric": "npv",
            "given_data_bins": BINS,
            "swing_probabilities": list(PROBABILITIES),
            "evppi_method": "spline regression on the input's normal score",
            "evppi_knots": SPLINE_KNOTS,
            "switching_bracket": list(BRACKET),
            **mode,
        },
        "inputs": [{key: row[key] for key in order} for row in rows],
    }


def _clean(obj):
    """NaN and ±inf become None, numpy numbers plain numbers: the summary is strict JSON."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


class _Progress:
    """Counts the runs made (base and variants) for a ``progress(1, done, expected)`` callback;
    the expected total is re-estimated as each input is finished."""

    def __init__(self, callback, runs: int, inputs: int):
        self.callback, self.runs, self.inputs = callback, runs, inputs
        self.done = 0
        self.total = runs * (1 + 4 * inputs)

    def __call__(self, n: int) -> None:
        self.done += n
        self.total = max(self.total, self.done)
        if self.callback:
            self.callback(1, self.done, self.total)

    def input_done(self, left: int) -> None:
        finished = self.inputs - left
        per_input = (self.done - self.runs) / finished if finished else 4 * self.runs
        self.total = self.done + int(left * per_input)
