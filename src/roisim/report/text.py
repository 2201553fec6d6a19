"""The plain-text report of a run summary, and the ``roisim validate`` description.

The report reads the typed summary (``roisim.analysis.schema.RunSummary``) and prints every
number through ``roisim.report.numbers``.  It fits one screen: the metrics table, the Monte
Carlo intervals of the headline figures with the central case beside the mean NPV, the present
value of each line, and the net cash flow by year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roisim.report.numbers import (
    NOT_AVAILABLE,
    count,
    interval,
    money,
    percent,
    ratio,
    whole_years,
    years,
)

if TYPE_CHECKING:
    from roisim.analysis.schema import MetricFigures, PaybackFigures, RunSummary

TABLE_PERCENTILES = (5, 10, 50, 90, 95)  # of the metrics table, after the mean
TABLE_COLUMNS = ("mean", *(f"P{p}" for p in TABLE_PERCENTILES))
LABEL_WIDTH = 20  # the metrics table's first column
CELL_WIDTH = 12
NOTE_LABEL_WIDTH = 28  # the intervals section: label, value, then the interval or a note
NOTE_VALUE_WIDTH = 12
SHORTFALL_NOTE = "mean NPV of the worst 5% of runs"
CENTRAL_NOTE = "every input at its median, as a spreadsheet"
LINE_NAME_WIDTH = 34  # the lines table's first column, kind after it
KIND_WIDTH = 8
SEVERAL_IRRS_NOTE = "the smallest IRR is reported"
YEAR_WIDTH, CASH_WIDTH = 6, 14
PAIR_WIDTH = 44  # the correlations table's first column


def render_report(summary: RunSummary) -> str:
    """The text that ``roisim run`` prints."""
    sections = [_heading, _precision_line, _metric_table, _intervals, _line_table, _cashflow_table,
                _schedule, _correlation_table]
    texts = ("\n".join(section(summary)) for section in sections)
    return "\n\n".join(text for text in texts if text)


def _heading(summary: RunSummary) -> list[str]:
    where = summary.scenario.file or "(from text)"
    return [
        summary.scenario.name,
        f"  {where} | {count(summary.runs)} runs | seed {summary.seed} | "
        f"horizon {summary.horizon_years} years ({summary.timing}) | {summary.currency}",
    ] + _sampling_line(summary)


def _schedule(summary: RunSummary) -> list[str]:
    """A discount schedule's entries in force (a single rate is the file's own number)."""
    rate = summary.discount_rate
    if rate.kind != "schedule":
        return []
    out = [f"Discount schedule{f' ({rate.preset})' if rate.preset else ''}: the rate in force "
           "from each year on"]
    for year, value in rate.schedule:
        shown = f"{100 * value:.6g}%" if isinstance(value, float) else (
            f"{value}, drawn once per run")
        out.append(f"  from year {year:<4} {shown}")
    return out


SAMPLING_WORDS = {"lhs": "Latin hypercube", "sobol": "scrambled Sobol"}


def _sampling_line(summary: RunSummary) -> list[str]:
    """How the runs were sampled and the intervals obtained (nothing for plain random runs)."""
    if summary.sampling == "random":
        return []
    return [f"  sampling {SAMPLING_WORDS.get(summary.sampling, summary.sampling)} | "
            f"intervals: {summary.intervals}"]


def precision_line(summary: RunSummary) -> str | None:
    """The precision stop rule's outcome in one sentence (None when the run had none); the
    text report and the HTML report's method section show it."""
    line = _precision_line(summary)
    return line[0][len("Precision: "):] if line else None


def _precision_line(summary: RunSummary) -> list[str]:
    """One line on the precision stop rule, when the run had one."""
    rule = summary.precision
    if rule is None:
        return []
    verdict = "within" if rule.met else "NOT within"
    ended = "" if rule.met or rule.runs < rule.max_runs else "; max_runs reached"
    rounds = len(rule.rounds)
    return [f"Precision: {_precision_text(summary)} after {count(rule.runs)} runs in {rounds} "
            f"round{'s' if rounds != 1 else ''}: {verdict} the tolerance "
            f"{_tolerance_text(summary)}{ended}"]


def precision_warning(summary: RunSummary) -> str | None:
    """The warning ``roisim run`` prints on stderr when a precision rule was not met by
    max_runs (None when it was met, or when the run had no rule)."""
    rule = summary.precision
    if rule is None or rule.met:
        return None
    if rule.half_width is None or rule.tolerance is None:
        return (f"warning: precision not met: {rule.metric} is not defined in "
                f"{count(rule.runs)} runs (it has no estimate or no interval), so no more runs "
                f"were tried; choose a figure that every run defines")
    return (f"warning: precision not met by max_runs: {_precision_text(summary)} after "
            f"{count(rule.runs)} runs, above the tolerance {_tolerance_text(summary)}; the "
            f"figures are those of {count(rule.runs)} runs (raise max_runs or the tolerance)")


def _precision_text(summary: RunSummary) -> str:
    rule = summary.precision
    return (f"{rule.metric} known to ±{_precision_amount(summary, rule.half_width)} "
            f"({100 * rule.confidence:g}% interval)")


def _tolerance_text(summary: RunSummary) -> str:
    rule = summary.precision
    text = f"±{_precision_amount(summary, rule.tolerance)}"
    return text + (f" ({100 * rule.relative:g}% of the estimate)" if rule.relative else "")


def _precision_amount(summary: RunSummary, v) -> str:
    """A half-width or tolerance in the unit of the rule's figure."""
    if v is None:
        return NOT_AVAILABLE
    metric, figure = summary.precision.metric.split(".")
    if figure.startswith("prob_") or metric in ("irr", "roi"):
        return f"{100 * v:.3g} pts"
    if metric == "npv":  # whole money, or three digits of a small amount
        return money(v, summary.currency) if v >= 100 else money(0, summary.currency).replace(
            "0", f"{v:.3g}")
    return f"{v:.3g} y" if metric.endswith("payback_years") else f"{v:.3g}"


def _metric_table(summary: RunSummary) -> list[str]:
    metrics, horizon = summary.metrics, summary.horizon_years
    rows = [
        ("NPV", metrics.npv, lambda v: money(v, summary.currency, compact=True)),
        ("IRR", metrics.irr, percent),
        ("Payback", metrics.payback_years, lambda v: years(v, horizon)),
        ("Discounted payback", metrics.discounted_payback_years, lambda v: years(v, horizon)),
        ("ROI", metrics.roi, percent),
        ("BCR", metrics.bcr, ratio),
    ]
    head = f"{'':<{LABEL_WIDTH}}" + "".join(f"{c:>{CELL_WIDTH}}" for c in TABLE_COLUMNS)
    out = [head, "-" * len(head)]
    for label, figures, fmt in rows:
        cells = _table_cells(figures, fmt)
        out.append(f"{label:<{LABEL_WIDTH}}" + "".join(f"{c:>{CELL_WIDTH}}" for c in cells))
    return out


def _table_cells(figures: MetricFigures, fmt) -> list[str]:
    # a mean that does not exist (payback beyond the horizon in some runs) is "n/a", not "> H y"
    mean = NOT_AVAILABLE if figures.mean is None else fmt(figures.mean)
    return [mean] + [fmt(figures.percentile(p)) for p in TABLE_PERCENTILES]


def _intervals(summary: RunSummary) -> list[str]:
    """Headline figures with their 95% intervals: label, value, then interval and note."""
    npv, irr = summary.metrics.npv, summary.metrics.irr
    within = whole_years(summary.horizon_years)
    cash = lambda v: money(v, summary.currency)
    rows = [
        ("mean NPV", cash(npv.mean), interval(npv.ci95.mean, cash)),
    ]
    if summary.central_case is not None:  # beside the mean: the flaw of averages
        rows.append(("central case NPV", cash(summary.central_case.npv), CENTRAL_NOTE))
    rows += [
        ("median NPV", cash(npv.p50), interval(npv.ci95.p50, cash)),
        ("NPV 5th percentile (P5)", cash(npv.p5), interval(npv.ci95.p5, cash)),
        ("P(NPV > 0)", percent(npv.prob_positive), interval(npv.ci95.prob_positive, percent)),
        ("expected shortfall (5%)", cash(npv.expected_shortfall_5), SHORTFALL_NOTE),
        ("runs with an IRR", percent(irr.prob_defined), interval(irr.ci95.prob_defined, percent)),
    ]
    if irr.prob_multiple:
        rows.append(("runs with several IRRs", percent(irr.prob_multiple, 2), SEVERAL_IRRS_NOTE))
    rows += [
        _payback_row(f"P(payback within {within})", summary.metrics.payback_years),
        _payback_row(f"P(disc. payback within {within})", summary.metrics.discounted_payback_years),
    ]
    out = ["95% Monte Carlo intervals"]
    for label, value, note in rows:
        out.append(f"  {label:<{NOTE_LABEL_WIDTH}}{value:>{NOTE_VALUE_WIDTH}}  {note}")
    return out


def _payback_row(label: str, payback: PaybackFigures) -> tuple[str, str, str]:
    if payback.mean is not None:  # every run pays back
        mean = f"; mean {years(payback.mean)}"
    elif payback.mean_within_horizon is not None:
        mean = f"; mean {years(payback.mean_within_horizon)} when paid back"
    else:
        mean = ""
    share = percent(payback.prob_within_horizon)
    return label, share, interval(payback.ci95.prob_within_horizon, percent) + mean


def _line_table(summary: RunSummary) -> list[str]:
    """Each line's present value: mean, P5 and P95 (costs as positive amounts)."""
    if not summary.lines:
        return []
    cash = lambda v: money(v, summary.currency)
    columns = "".join(f"{c:>{CASH_WIDTH}}" for c in ("mean PV", "P5", "P95"))
    out = [
        f"Lines (present value, {summary.currency})",
        " " * (LINE_NAME_WIDTH + KIND_WIDTH) + columns,
    ]
    width = LINE_NAME_WIDTH - 3  # two spaces before, one after
    for line in summary.lines:
        name = line.name if len(line.name) <= width else line.name[: width - 1] + "~"
        pv = line.pv
        cells = "".join(f"{cash(v):>{CASH_WIDTH}}" for v in (pv.mean, pv.p5, pv.p95))
        out.append(f"  {name:<{width}} {line.kind:<{KIND_WIDTH}}{cells}")
    return out


def _cashflow_table(summary: RunSummary) -> list[str]:
    cash = lambda v: money(v, summary.currency)
    out = [
        f"Net cash flow by year ({summary.currency})",
        f"{'year':>{YEAR_WIDTH}}" + "".join(f"{c:>{CASH_WIDTH}}" for c in ("mean", "P5", "P95")),
    ]
    for year, mean, low, high in summary.cashflow_by_year.rows():
        cells = "".join(f"{cash(v):>{CASH_WIDTH}}" for v in (mean, low, high))
        out.append(f"{year:>{YEAR_WIDTH}}{cells}")
    return out


def _correlation_table(summary: RunSummary) -> list[str]:
    """Each correlated pair: its target, the value used (after a repair) and the realised
    Spearman correlation in the runs."""
    corr = summary.correlations
    if corr is None:
        return []
    repaired = f", repaired (largest change {corr.max_change:.3f})" if corr.repaired else ""
    over = realised_over(corr, summary.runs)
    over = "" if over == "all the runs" else f"; realised over {over}"
    out = [f"Correlations ({correlation_method(corr)} targets{repaired}{over})",
           f"  {'pair':<{PAIR_WIDTH}}{'target':>9}{'used':>9}{'realised':>10}"]
    for a, b, target, used, realised in corr.pair_values():
        shown = "" if realised is None else f"{realised:>10.3f}"
        out.append(f"  {a + ' ~ ' + b:<{PAIR_WIDTH}}{target:>9.3f}{used:>9.3f}{shown}")
    return out


def correlation_method(corr) -> str:
    """How the targets of a ``CorrelationFigures`` are meant, in words."""
    return "Spearman rank" if corr.method == "rank" else "normal-score"


def realised_over(corr, runs: int) -> str:
    """Which runs the realised correlations are over: "all the runs" or "the first N runs"."""
    over = corr.realised_runs
    return "all the runs" if over in (None, runs) else f"the first {count(over)} runs"


def render_validation(scenario, description: dict) -> str:
    """What ``roisim validate`` prints: the scenario's settings, inputs and lines."""
    s = scenario
    rate = s.discount_rate  # as written in the file, or the family of its distribution
    if hasattr(rate, "text"):  # a discount schedule
        rate = rate.text()
    elif not isinstance(rate, float):
        rate = f"{rate.family} distribution"
    out = [
        f"{s.name}: OK",
        f"  horizon {s.horizon_years} years (cash flows at years 0..{s.horizon_years}), "
        f"discount rate {rate}, {s.timing}, {s.currency}",
        f"  default runs {count(s.runs)}, seed {s.seed}"
        + ("" if s.sampling == "random" else f", sampling {s.sampling}"
           + (f" ({s.replicates} replicates)" if s.sampling == "sobol" else "")),
        f"  inputs ({len(description['inputs'])}):",
    ]
    rule = getattr(s, "precision", None)
    if rule is not None:  # the stop rule, after the runs line
        tolerance = (f"{100 * rule.relative:g}% of the estimate" if rule.relative
                     else f"{rule.tolerance:g}")
        out.insert(3, f"  precision: {rule.metric} to ±{tolerance} at {100 * rule.confidence:g}% "
                      f"confidence, doubling the runs up to {count(rule.max_runs)}")
    for name, kind, detail in description["inputs"]:
        out.append(f"    {name:<28} {kind:<18} {detail}")
    out.append(f"  lines ({len(description['lines'])}):")
    for kind, name, amount, yrs in description["lines"]:
        kind_label = "cost" if kind == "costs" else "benefit"
        out.append(f"    {kind_label:<8} {name:<34} years {yrs:<8} {amount}")
    return "\n".join(out)
