"""The workbook's figure sheets: Summary, Inputs, Cash flows, Sensitivity, Stress and Runs.

Each function writes one sheet from figures computed elsewhere (the run summary, the dataset,
``roisim.analysis.input_table``, the sensitivity and stress summaries): numbers as numbers with
a number format; a figure that does not exist as the text ``n/a`` (a payback beyond the
horizon as ``> H y``).  Labels sit in column A, so a reader (or a test) finds a row by its
label.
"""

from __future__ import annotations

import math

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from roisim._version import __version__
from roisim.analysis.input_table import input_rows
from roisim.report.inputs import describe
from roisim.report.text import correlation_method

METRIC_ROWS = (
    # key, label, format, probability field, what the probability is
    ("npv", "NPV", "money", "prob_positive", "P(NPV > 0)"),
    ("irr", "IRR", "pct", "prob_defined", "P(IRR defined)"),
    ("payback_years", "Payback", "years", "prob_within_horizon", "P(pays back in horizon)"),
    ("discounted_payback_years", "Discounted payback", "years", "prob_within_horizon",
     "P(pays back in horizon)"),
    ("roi", "ROI", "pct", "prob_defined", "P(ROI defined)"),
    ("bcr", "BCR", "ratio", "prob_defined", "P(BCR defined)"),
)
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
SUMMARY_HEADER = (
    "Metric", "Mean", "Mean: 95% low", "Mean: 95% high", "SD",
    *(f"P{p}" for p in PERCENTILES), "Probability", "Probability: 95% low",
    "Probability: 95% high", "Probability of", "Central case",
)
CENTRAL_COL = SUMMARY_HEADER.index("Central case")


def put(ws, row: int, col: int, value, fmt=None, missing: str = "n/a") -> None:
    """A number with ``fmt``; None (or NaN/inf) as the text ``missing``; text as text."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_string(row, col, missing)
    elif isinstance(value, str):
        ws.write_string(row, col, value)
    else:
        ws.write_number(row, col, float(value), fmt)


def _info_rows(ws, f, rows, start: int) -> int:
    for label, value in rows:
        ws.write_string(start, 0, label, f["bold"])
        put(ws, start, 1, value, f["general"])
        start += 1
    return start


def summary(wb, f, scenario, result, central: dict, command) -> None:
    """Headline figures with their intervals, and the central case beside each mean."""
    ws = wb.add_worksheet("Summary")
    s = result.figures
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(SUMMARY_HEADER), 15)
    ws.write_string(0, 0, scenario.name, f["title"])
    row = _info_rows(ws, f, [
        ("Description", scenario.description or ""),
        ("Scenario file", scenario.source_file or "(text)"),
        ("Scenario SHA-256", scenario.source_sha256 or ""),
        ("Runs", s.runs), ("Seed", s.seed), ("Sampling", s.sampling),
        ("Intervals", s.intervals), ("Currency", s.currency),
        ("Horizon (years)", s.horizon_years), ("Timing", s.timing),
        ("Discount rate", scenario.discount_rate if isinstance(scenario.discount_rate, float)
         else s.discount_rate.text if s.discount_rate.kind == "schedule"
         else describe(scenario.discount_rate)),
        ("roisim version", __version__),
        ("Command", command or ""),
    ], 2)
    row += 1
    header = row
    for col, text in enumerate(SUMMARY_HEADER):
        ws.write_string(row, col, text, f["header"])
    horizon = f"> {s.horizon_years} y"
    for key, label, fmt, prob, prob_label in METRIC_ROWS:
        row += 1
        m = getattr(s.metrics, key)
        missing = horizon if key.endswith("payback_years") else "n/a"
        ws.write_string(row, 0, label, f["bold"])
        values = [m.mean, *m.ci95.mean, m.sd, *(m.percentile(p) for p in PERCENTILES)]
        for col, v in enumerate(values, start=1):
            put(ws, row, col, v, f[fmt], missing)
        put(ws, row, 12, getattr(m, prob), f["share"])
        for col, v in enumerate(getattr(m.ci95, prob), start=13):
            put(ws, row, col, v, f["share"])
        ws.write_string(row, 15, prob_label)
        put(ws, row, CENTRAL_COL, central.get(key), f[fmt], missing)
    _flaw_of_averages(ws, f, s, header + 1, row + 2)
    ws.freeze_panes(header + 1, 1)


def _flaw_of_averages(ws, f, s, npv_row: int, row: int) -> None:
    """The gap between the mean NPV and the central case's, as a formula over the table."""
    npv = s.metrics.npv
    ws.write_string(row, 0, "Mean NPV minus central-case NPV", f["bold"])
    central = xl_rowcol_to_cell(npv_row, CENTRAL_COL)
    ws.write_formula(row, 1, f"=B{npv_row + 1}-{central}", f["money"])
    ws.write_string(row, 2, "the 'flaw of averages': what a single-point spreadsheet misses "
                    "on average", f["note"])
    rows = [
        ("Expected shortfall (worst 5%)", npv.expected_shortfall_5, "money"),
        ("P(several IRRs)", s.metrics.irr.prob_multiple, "share"),
        ("Mean payback, runs that pay back", s.metrics.payback_years.mean_within_horizon,
         "years"),
    ]
    for k, (label, value, fmt) in enumerate(rows, start=1):
        ws.write_string(row + k, 0, label, f["bold"])
        put(ws, row + k, 1, value, f[fmt])


INPUT_HEADER = ("Input", "Field", "Distribution", "Unit", "P5", "P50", "P95", "Percentiles from",
                "Drawn", "Description")


def inputs(wb, f, scenario, result) -> None:
    """Each input: its distribution in words and P5/P50/P95 (as sampled when the run kept its
    inputs)."""
    ws = wb.add_worksheet("Inputs")
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2, 48)
    ws.set_column(3, 8, 13)
    ws.set_column(9, 9, 60)
    for col, text in enumerate(INPUT_HEADER):
        ws.write_string(0, col, text, f["header"])
    row = 0
    for row, r in enumerate(input_rows(scenario, result), start=1):
        ws.write_string(row, 0, r["name"], f["bold"])
        ws.write_string(row, 1, r["field"])
        ws.write_string(row, 2, describe(r["distribution"], unit=r["unit"], per=r["per"]))
        ws.write_string(row, 3, r["unit"] or "")
        for col, key in enumerate(("p5", "p50", "p95"), start=4):
            put(ws, row, col, r[key], f["value"])
        ws.write_string(row, 7, r["source"])
        ws.write_string(row, 8, "every year" if r["per"] == "year" else "once per run")
        ws.write_string(row, 9, r["description"] or "")
    ws.freeze_panes(1, 1)
    _correlations(ws, f, result.figures.correlations, row + 2)


CORRELATION_HEADER = ("Correlated inputs", "Target", "Used", "Realised")


def _correlations(ws, f, corr, row: int) -> None:
    """The ``[correlations]`` the runs used, below the inputs: each pair's target, the value
    used (after a repair) and the realised Spearman correlation."""
    if corr is None:
        return
    note = f"{correlation_method(corr)} correlations, Gaussian copula"
    if corr.repaired:
        note += f"; nearest valid matrix used (largest change {corr.max_change:.3f})"
    ws.write_string(row, 0, note, f["section"])
    for col, text in enumerate(CORRELATION_HEADER):
        ws.write_string(row + 1, col, text, f["header"])
    for k, (a, b, *values) in enumerate(corr.pair_values(), start=row + 2):
        ws.write_string(k, 0, f"{a} and {b}", f["bold"])
        for col, v in enumerate(values, start=1):
            put(ws, k, col, v, f["value"])


def cash_flows(wb, f, scenario, result, flows) -> None:
    """Net cash flow by year (mean, P5, P95 and the central case) and each line's PV and
    amounts by year."""
    ws = wb.add_worksheet("Cash flows")
    s = result.figures
    ws.set_column(0, 0, 48)
    ws.set_column(1, 2 + s.horizon_years, 15)
    ws.write_string(0, 0, "Net cash flow by year", f["section"])
    for col, text in enumerate(("Year", "Mean", "P5", "P95", "Central case")):
        ws.write_string(1, col, text, f["header"])
    row = 2
    for (year, mean, p5, p95), central in zip(s.cashflow_by_year.rows(), flows.net):
        ws.write_number(row, 0, year, f["plain"])
        for col, v in enumerate((mean, p5, p95, central), start=1):
            put(ws, row, col, v, f["money"])
        row += 1
    row = _line_pvs(ws, f, s, row + 1)
    row = _line_years(ws, f, s, flows, row + 1)


def _line_pvs(ws, f, s, row: int) -> int:
    lines = getattr(s, "lines", ()) or ()
    if not lines:
        return row
    ws.write_string(row, 0, "Present value of each line", f["section"])
    for col, text in enumerate(("Line", "Kind", "PV mean", "PV P5", "PV P50", "PV P95")):
        ws.write_string(row + 1, col, text, f["header"])
    row += 2
    for line in lines:
        ws.write_string(row, 0, line.name, f["bold"])
        ws.write_string(row, 1, line.kind)
        for col, v in enumerate((line.pv.mean, line.pv.p5, line.pv.p50, line.pv.p95), start=2):
            put(ws, row, col, v, f["money"])
        row += 1
    return row


def _line_years(ws, f, s, flows, row: int) -> int:
    """Each line's amount by year: mean, P5 and P95 over the runs, and the central case."""
    ws.write_string(row, 0, "Each line by year", f["section"])
    ws.write_string(row + 1, 0, "Line", f["header"])
    for t in range(s.horizon_years + 1):
        ws.write_string(row + 1, 1 + t, f"Year {t}", f["header"])
    row += 2
    figures = {(ln.kind, ln.name): ln for ln in (getattr(s, "lines", ()) or ())}
    for line in flows.lines:
        kind = "benefit" if line.kind == "benefits" else "cost"
        fig = figures.get((kind, line.name))
        stats = [("central case", line.amounts)]
        if fig is not None:
            stats = [("mean", fig.mean_by_year), ("P5", fig.p5_by_year),
                     ("P95", fig.p95_by_year)] + stats
        for label, values in stats:
            if values is None:
                continue
            ws.write_string(row, 0, f"{line.name} ({kind}): {label}")
            for t, v in enumerate(values):
                put(ws, row, 1 + t, v, f["money"])
            row += 1
    return row


SENSITIVITY_HEADER = (
    "Input", "Field", "Drawn", "Unit", "Rank correlation", "Share of variance",
    "Given data: lowest mean", "Given data: highest mean", "Swing: mean at P10",
    "Swing: mean at P90", "EVPPI", "Switching factor", "Switching change", "Switching note",
)


def sensitivity(wb, f, s: dict) -> None:
    """The sensitivity table of ``roisim sensitivity`` (its summary dict)."""
    ws = wb.add_worksheet("Sensitivity")
    ws.set_column(0, 0, 36)
    ws.set_column(1, len(SENSITIVITY_HEADER), 15)
    ws.write_string(0, 0, f"Sensitivity of {s['metric']}", f["title"])
    money = f["money"] if s["metric"] == "npv" else f["value"]
    rows = [("Runs", s["runs"], f["general"]), ("Seed", s["seed"], f["general"]),
            ("Mean NPV", s["base"]["npv_mean"], f["money"]),
            ("EVPI", s["evpi"]["value"], f["money"]),
            ("EVPI: 95% low", s["evpi"]["ci95"][0], f["money"]),
            ("EVPI: 95% high", s["evpi"]["ci95"][1], f["money"])]
    for k, (label, value, fmt) in enumerate(rows, start=2):
        ws.write_string(k, 0, label, f["bold"])
        put(ws, k, 1, value, fmt)
    top = 3 + len(rows)
    for col, text in enumerate(SENSITIVITY_HEADER):
        ws.write_string(top, col, text, f["header"])
    for row, r in enumerate(s["inputs"], start=top + 1):
        ws.write_string(row, 0, r["name"], f["bold"])
        ws.write_string(row, 1, r["field"])
        ws.write_string(row, 2, r["per"])
        ws.write_string(row, 3, r["unit"] or "")
        put(ws, row, 4, r["spearman"], f["factor"])
        put(ws, row, 5, r["contribution_to_variance"], f["share"])
        for col, v in enumerate((r["given_data"]["low"], r["given_data"]["high"],
                                 r["swing"]["p10"], r["swing"]["p90"]), start=6):
            put(ws, row, col, v, money)
        put(ws, row, 10, r["evppi"], f["money"])
        sw = r["switching"]
        put(ws, row, 11, sw["factor"], f["factor"], "none")
        put(ws, row, 12, sw["percent_change"] / 100 if sw["percent_change"] is not None
            else None, f["share"], "none")
        ws.write_string(row, 13, sw.get("reason") or "")
    ws.freeze_panes(top + 1, 1)


STRESS_HEADER = (
    "Case", "Mean NPV", "P(NPV > 0)", "NPV P5", "NPV P50", "NPV P95",
    "Change in mean NPV", "Change: 95% low", "Change: 95% high",
    "Change in P(NPV > 0)", "Change: 95% low", "Change: 95% high",
)


def stress(wb, f, result) -> None:
    """The base and each ``[[stress]]`` case, with the paired change from the base."""
    ws = wb.add_worksheet("Stress")
    ws.set_column(0, 0, 50)
    ws.set_column(1, len(STRESS_HEADER), 15)
    for col, text in enumerate(STRESS_HEADER):
        ws.write_string(0, col, text, f["header"])
    cases = [("Base case", result.base, None)] + [
        (c.name, c.figures, c.difference) for c in result.cases]
    for row, (name, figures, diff) in enumerate(cases, start=1):
        npv = figures.metrics.npv
        ws.write_string(row, 0, name, f["bold"])
        put(ws, row, 1, npv.mean, f["money"])
        put(ws, row, 2, npv.prob_positive, f["share"])
        for col, v in enumerate((npv.p5, npv.p50, npv.p95), start=3):
            put(ws, row, col, v, f["money"])
        if diff is None:
            continue
        d, p = diff["npv"], diff["prob_positive"]
        for col, v in enumerate((d["mean"], *d["ci95"]), start=6):
            put(ws, row, col, v, f["money"])
        for col, v in enumerate((p["value"], *p["ci95"]), start=9):
            put(ws, row, col, v, f["share"])


def runs(wb, f, scenario, result, n: int) -> None:
    """The first ``n`` runs: every metric, the net cash flow by year and every input."""
    ws = wb.add_worksheet("Runs")
    ds = result.dataset
    if ds is None:
        ws.write_string(0, 0, "This run kept no per-run data (summary-only).", f["note"])
        return
    n = min(n, ds.sizes["run"])
    ws.write_string(0, 0, f"The first {n:,} of {ds.sizes['run']:,} runs. A blank cell: no IRR, "
                    "no payback within the horizon, or ROI/BCR undefined.", f["note"])
    columns = run_columns(ds, n)
    money = f["money"]
    write = ws.write_number
    for col, (title, values, kind) in enumerate(columns):
        ws.write_string(1, col, title, f["header"])
        fmt = {"money": money, "pct": f["pct"], "years": f["years"],
               "ratio": f["ratio"]}.get(kind, f["value"])
        ws.set_column(col, col, 14, fmt)  # the cells take their column's format (faster)
        for i, v in enumerate(values.tolist()):
            if math.isfinite(v):
                write(2 + i, col, v)
    ws.freeze_panes(2, 1)


_KINDS = {"npv": "money", "irr": "pct", "payback_years": "years",
          "discounted_payback_years": "years", "roi": "pct", "bcr": "ratio",
          "net_cashflow": "money", "line_pv": "money"}


def run_columns(ds, n: int) -> list[tuple[str, np.ndarray, str]]:
    """(title, first n values, kind) for each column of the Runs sheet: the run number, each
    variable on (run), one column per year of each variable on (run, year) and per line of
    each variable on (run, line)."""
    cols = [("run", np.asarray(ds["run"].values[:n], float), "plain")]
    for name, var in ds.data_vars.items():
        kind = _KINDS.get(name, "value")
        values = np.asarray(var.values)
        if var.dims == ("run",):
            cols.append((name, values[:n].astype(float), kind))
        elif var.dims == ("run", "year"):
            for t in range(values.shape[1]):
                cols.append((f"{name} [year {t}]", values[:n, t].astype(float), kind))
        elif var.dims == ("run", "line"):
            for j, line in enumerate(ds["line"].values.tolist()):
                cols.append((f"{name} [{line}]", values[:n, j].astype(float), kind))
    return cols
