"""The tables of the HTML report below the headline: lines, sensitivity, stress cases, inputs
and the method.

Each function turns a typed result of ``roisim.analysis`` into rows of printed cells (and, for
the figures a test checks, :class:`~roisim.report.html.headline.Figure` cells carrying their
summary key).  No arithmetic on the figures happens here beyond choosing how to print them.
"""

from __future__ import annotations

from roisim.report.html.headline import Figure
from roisim.report.numbers import count, interval, money, percent, whole_years, years
from roisim.report.sensitivity import conclusion as sensitivity_conclusion
from roisim.report.stress import points, signed_money
from roisim.report.text import correlation_method, precision_line, realised_over

METHODOLOGY = "docs/methodology.md"
DEFAULT_SAMPLING = "random"


def line_rows(figures) -> list[dict]:
    """One row per benefit or cost line: its name, kind and PV (mean, P5, P50, P95).

    Each PV cell is a :class:`Figure` keyed ``lines.K.pv.mean`` and so on; an empty list when
    the summary has no per-line figures.
    """
    rows = []
    for k, line in enumerate(getattr(figures, "lines", None) or ()):
        cells = [Figure(f"lines.{k}.pv.{s}", getattr(line.pv, s),
                        money(getattr(line.pv, s), figures.currency))
                 for s in ("mean", "p5", "p50", "p95")]
        rows.append({"name": line.name, "kind": line.kind, "cells": cells})
    return rows


def switching_text(sw: dict) -> str:
    """A switching value in words: '×0.662 (-34%)', or why there is none.

    >>> switching_text({"factor": 0.6616, "percent_change": -33.84, "reason": None})
    '×0.662 (-34%)'
    """
    if sw["factor"] is not None:
        return f"×{sw['factor']:.3g} ({sw['percent_change']:+.0f}%)"
    return sw["reason"] or "none found"


def sensitivity_table(summary: dict) -> dict:
    """The sensitivity section's figures from ``Sensitivity.summary``: EVPI with its interval,
    one row per input (rank correlation, share of variance, swing, EVPPI, switching value) and
    the sentence naming the input most worth measuring."""
    cash = lambda v: money(v, summary["currency"])
    rows = [{
        "name": row["name"] + (" *" if row["per"] == "year" else ""),
        "spearman": "n/a" if row["spearman"] is None else f"{row['spearman']:+.2f}",
        "share": f"{100 * row['contribution_to_variance']:+.1f}%",
        "p10": cash(row["swing"]["p10"]),
        "p90": cash(row["swing"]["p90"]),
        "evppi": cash(row["evppi"]),
        "switching": switching_text(row["switching"]),
    } for row in summary["inputs"]]
    evpi = summary["evpi"]
    return {
        "evpi": Figure("evpi.value", evpi["value"], cash(evpi["value"])),
        "evpi_interval": interval(evpi["ci95"], cash),
        "rows": rows,
        "per_year": any(row["per"] == "year" for row in summary["inputs"]),
        "conclusion": sensitivity_conclusion(summary) if summary["inputs"] else "",
    }


def stress_rows(stress) -> list[dict]:
    """The stress table: the base case, then each case with its paired difference from the base
    in mean NPV and in P(NPV > 0), each with its 95% interval."""
    base = stress.base
    cash = lambda v: signed_money(v, base.currency)
    rows = [_case_row("Base case", base, None, None)]
    for case in stress.cases:
        npv, prob = case.difference["npv"], case.difference["prob_positive"]
        rows.append(_case_row(
            case.name, case.figures,
            (cash(npv["mean"]), interval(npv["ci95"], cash)),
            (points(prob["value"]), interval(prob["ci95"], points))))
    return rows


def _case_row(name: str, s, npv_change, prob_change) -> dict:
    cash = lambda v: money(v, s.currency)
    npv, payback = s.metrics.npv, s.metrics.payback_years
    return {
        "name": name,
        "mean": cash(npv.mean), "prob_positive": percent(npv.prob_positive),
        "p5": cash(npv.p5), "p50": cash(npv.p50),
        "payback": years(payback.p50, s.horizon_years),
        "pays_back": percent(payback.prob_within_horizon),
        "npv_change": npv_change, "prob_change": prob_change,
    }


def quantity(v, unit: str | None, currency: str) -> str:
    """An input's value for the inputs table: money when its unit is in the scenario's currency,
    else three significant figures (whole numbers from 1,000 up).

    >>> quantity(450_000.4, "GBP/yr", "GBP"), quantity(0.19876, None, "GBP")
    ('£450,000', '0.199')
    >>> quantity(3200, "h", "GBP")
    '3,200'
    """
    if v is None:
        return "n/a"
    if unit and unit.upper().startswith(currency.upper()):
        return money(v, currency)
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def input_table(rows: list[dict], currency: str, describe) -> list[dict]:
    """The inputs table from ``roisim.analysis.input_table.input_rows``: name, the distribution
    in words (``describe``), P5/P50/P95, unit and description."""
    return [{
        "name": row["name"],
        "distribution": describe(row["distribution"], unit="", per=row.get("per")),
        "p5": quantity(row["p5"], row["unit"], currency),
        "p50": quantity(row["p50"], row["unit"], currency),
        "p95": quantity(row["p95"], row["unit"], currency),
        "source": row.get("source"),
        "unit": row["unit"] or "",
        "description": row["description"] or "",
    } for row in rows]


def method(figures, command: str, sensitivity_summary: dict | None) -> list[tuple[str, str]]:
    """The method and reproducibility rows: runs, seed, sampling, horizon, version, SHA-256,
    the command that regenerates the report and where the formulas are."""
    summary = figures.to_dict()
    rows = [
        ("Runs", count(figures.runs)),
        ("Seed", str(figures.seed)),
        ("Sampling", str(summary.get("sampling", DEFAULT_SAMPLING))),
        ("Intervals", str(summary.get("intervals", "iid"))),
        ("Horizon", f"{whole_years(figures.horizon_years)}, cash flows at years 0 to "
                    f"{figures.horizon_years} ({figures.timing})"),
        ("Discount rate", figures.discount_rate.text),
        ("Currency", figures.currency),
        ("roisim version", figures.roisim_version),
        ("Scenario file", figures.scenario.file or "(loaded from text)"),
        ("Scenario SHA-256", figures.scenario.sha256 or "n/a"),
        ("Regenerate with", command),
    ]
    if sensitivity_summary is not None:
        rows.insert(2, ("Sensitivity runs", count(sensitivity_summary["runs"])))
    stop = precision_line(figures)
    if stop is not None:
        rows.insert(1, ("Precision rule", stop))
    return rows



def correlation_rows(figures) -> dict | None:
    """The ``[correlations]`` the runs used, pair by pair (None without the table): the target,
    the value used (after a repair) and the realised Spearman correlation."""
    corr = figures.correlations
    if corr is None:
        return None
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"
    rows = [{"pair": f"{a} and {b}", "target": fmt(target), "used": fmt(used),
             "realised": fmt(realised)}
            for a, b, target, used, realised in corr.pair_values()]
    return {"method": correlation_method(corr), "repaired": corr.repaired,
            "max_change": f"{corr.max_change:.3f}", "rows": rows,
            "over": realised_over(corr, figures.runs)}


def intervals_note(figures) -> str:
    """How the report's intervals were obtained, in one sentence."""
    summary = figures.to_dict()
    sampling = summary.get("sampling", DEFAULT_SAMPLING)
    if sampling == "sobol":
        return (f"The runs are {summary.get('replicates')} independently scrambled Sobol "
                "sequences (randomised quasi-Monte Carlo): every interval is the figure ± "
                "Student's t times the standard error of the replicates' own figures.")
    text = ("Means carry a 95% Monte Carlo interval (mean ± 1.96 standard errors), percentiles "
            "a distribution-free interval from order statistics, and probabilities a Wilson "
            "interval.")
    if sampling == "lhs":
        text += (" The runs are one Latin hypercube; these iid intervals are conservative for "
                 "it (its variance is never above that of plain sampling with one run fewer, "
                 "Owen 1997).")
    return text
