"""The plain-text report of ``roisim sensitivity``: one table, one row per uncertain input.

It reads the summary dictionary (``roisim.analysis.sensitivity.Sensitivity.summary``, the same
data ``--json`` prints) and formats every number through ``roisim.report.numbers``.  Rows come
in the summary's order (largest |contribution to variance| first).  The given-data and swing
bars share one axis, so their lengths compare across rows and between the two columns::

    given data  ....####|#####......   lowest to highest decile mean of the metric; | = its mean
    swing       ......---|+++.......   - the input held at its P10, + held at its P90

The report ends with a sentence naming the input whose measurement is worth most (its EVPPI).
"""

from __future__ import annotations

from roisim.report.numbers import count, interval, money, percent, ratio, years

NAME_WIDTH = 36
BAR_WIDTH = 20
LABELS = {
    "npv": "NPV",
    "irr": "IRR",
    "payback_years": "payback",
    "discounted_payback_years": "discounted payback",
    "roi": "ROI",
    "bcr": "BCR",
}


def _formatter(metric: str, currency: str):
    if metric == "npv":
        return lambda v: money(v, currency, compact=True)
    if metric in ("irr", "roi"):
        return percent
    if metric == "bcr":
        return ratio
    return years


def render_sensitivity(summary: dict) -> str:
    """The text that ``roisim sensitivity`` prints."""
    sections = [_heading(summary), _table(summary)]
    if summary["inputs"]:
        sections += [_notes(summary), [conclusion(summary)]]
    return "\n\n".join("\n".join(lines) for lines in sections if lines)


def _heading(s: dict) -> list[str]:
    cash = lambda v: money(v, s["currency"])
    label = LABELS[s["metric"]]
    fmt = _formatter(s["metric"], s["currency"])
    evpi = s["evpi"]
    means = f"mean NPV {cash(s['base']['npv_mean'])}"
    if s["metric"] != "npv":
        means = f"mean {label} {fmt(s['base']['mean'])} | {means}"
    return [
        f"Sensitivity of {label}: {s['scenario']['name']}",
        f"  {s['scenario']['file'] or '(from text)'} | {count(s['runs'])} runs | "
        f"seed {s['seed']} | {s['currency']}",
        f"  {means} | EVPI {cash(evpi['value'])} (95% interval {interval(evpi['ci95'], cash)})",
    ]


def _axis(s: dict) -> tuple[float, float]:
    """One axis for every bar: from the lowest to the highest value any bar reaches."""
    values = [s["base"]["mean"]]
    for row in s["inputs"]:
        values += [row["given_data"]["low"], row["given_data"]["high"]]
        values += [row["swing"]["p10"], row["swing"]["p90"]]
    values = [v for v in values if v is not None]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    return (low, high) if high > low else (low - 1.0, high + 1.0)


def _position(v: float, axis: tuple[float, float]) -> int:
    low, high = axis
    return round((v - low) / (high - low) * (BAR_WIDTH - 1))


def given_bar(row: dict, centre, axis) -> str:
    """'....####|#####......': the given-data bar from the lowest to the highest bin mean."""
    cells = ["."] * BAR_WIDTH
    low, high = row["given_data"]["low"], row["given_data"]["high"]
    if low is not None:
        for k in range(_position(low, axis), _position(high, axis) + 1):
            cells[k] = "#"
    if centre is not None:
        cells[_position(centre, axis)] = "|"
    return "".join(cells)


def swing_bar(row: dict, centre, axis) -> str:
    """'......---|+++.......': from the mean to the P10 hold ('-') and to the P90 hold ('+')."""
    cells = ["."] * BAR_WIDTH
    if centre is None:
        return "".join(cells)
    middle = _position(centre, axis)
    for key, mark in (("p10", "-"), ("p90", "+")):
        v = row["swing"][key]
        if v is None:
            continue
        end = _position(v, axis)
        for k in range(min(middle, end), max(middle, end) + 1):
            cells[k] = mark
    cells[middle] = "|"
    return "".join(cells)


def _switching(sw: dict) -> str:
    if sw["factor"] is not None:
        return f"x{sw['factor']:.3g} ({sw['percent_change']:+.0f}%)"
    if sw["reason"] and "does not depend" in sw["reason"]:
        return "no effect"
    return "none in x0.01-x100"


def _name(row: dict) -> str:
    name = row["name"] + ("*" if row["per"] == "year" else "")
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "~"


def _table(s: dict) -> list[str]:
    if not s["inputs"]:
        return ["No input of this scenario is uncertain: there is nothing to rank."]
    fmt = _formatter(s["metric"], s["currency"])
    axis = _axis(s)
    ends = f"{fmt(axis[0])}".ljust(BAR_WIDTH // 2) + f"{fmt(axis[1])}".rjust(BAR_WIDTH // 2)
    head = (f"{'input':<{NAME_WIDTH}} {'rank':>6} {'share of':>9}  {'given data':<{BAR_WIDTH}}"
            f"  {'swing P10/P90':<{BAR_WIDTH}} {'EVPPI':>10}  switching")
    sub = f"{'':<{NAME_WIDTH}} {'corr':>6} {'variance':>9}  {ends}  {ends}"
    out = [head, sub, "-" * len(head)]
    centre = s["base"]["mean"]
    for row in s["inputs"]:
        rho = "n/a" if row["spearman"] is None else f"{row['spearman']:+.2f}"
        share = f"{100 * row['contribution_to_variance']:+.1f}%"
        out.append(
            f"{_name(row):<{NAME_WIDTH}} {rho:>6} {share:>9}"
            f"  {given_bar(row, centre, axis)}  {swing_bar(row, centre, axis)}"
            f" {money(row['evppi'], s['currency']):>10}  {_switching(row['switching'])}"
        )
    return out


def _notes(s: dict) -> list[str]:
    label = LABELS[s["metric"]]
    notes = [
        f"given data: lowest to highest mean {label} over the 10 deciles of the input; "
        f"| = mean {label}",
        "swing: mean with the input held at its P10 (-) and at its P90 (+), all else drawn",
        "switching: factor on every draw of the input that takes mean NPV to 0",
    ]
    if any(row["per"] == "year" for row in s["inputs"]):
        notes.append("* drawn each year: ranked through its mean over the years of a run")
    if s["metric"] != "npv":
        notes.append(f"EVPI, EVPPI and switching are about NPV (the fund / do-not-fund "
                     f"decision); the other columns about {label}")
    if s["base"]["finite_share"] < 1.0:
        notes.append(f"{label} has no finite value in {percent(1 - s['base']['finite_share'])} "
                     "of runs; means leave those runs out")
    for row in s["inputs"]:
        reason = row["switching"]["reason"]
        if reason and "invalid" in reason:
            notes.append(f"switching for {row['name']}: {reason}")
    return notes


def conclusion(s: dict) -> str:
    cash = lambda v: money(v, s["currency"])
    best = max(s["inputs"], key=lambda r: r["evppi"] or 0.0, default=None)
    if best is None or not best["evppi"]:
        return ("No single input is worth measuring before deciding: learning any one of them "
                "alone would not change the fund / do-not-fund decision (every EVPPI is "
                f"{cash(0.0)}).")
    return (f"The input whose measurement is worth most is {best['name']}: knowing it exactly "
            f"before deciding is worth {cash(best['evppi'])}, against "
            f"{cash(s['evpi']['value'])} for removing all uncertainty (EVPI).")
