"""Text reports of stress cases (``roisim stress``) and breakeven values (``roisim breakeven``).

Both read the typed results of ``roisim.analysis.stress`` and ``roisim.analysis.breakeven`` and
print every number through ``roisim.report.numbers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roisim.report.numbers import count, interval, money, percent, ratio, whole_years, years

if TYPE_CHECKING:
    from roisim.analysis.breakeven import BreakevenResult
    from roisim.analysis.schema import RunSummary
    from roisim.analysis.stress import StressResult

NAME_WIDTHS = (20, 48)  # the case column fits the longest name within these; longer names
#                        are cut with an ellipsis
CELL_WIDTH = 12
WIDE_CELL = 18
DIFF_WIDTH = 36
BASE_LABEL = "Base case"


def _name_width(result: StressResult) -> int:
    longest = max(len(case.name) for case in result.cases) if result.cases else 0
    low, high = NAME_WIDTHS
    return min(max(low, longest + 2), high)


def _name(text: str, width: int) -> str:
    return text if len(text) <= width - 2 else text[: width - 3] + "…"


def points(v) -> str:
    """A change in a probability in percentage points: '+1.2 pts' ('n/a' when missing)."""
    return "n/a" if v is None else f"{100 * v:+.1f} pts"


def signed_money(v, currency: str) -> str:
    """A change in money with its sign: '+£1,234', '-£1,234', '£0'."""
    text = money(v, currency)
    return f"+{text}" if v is not None and v > 0 else text


def render_stress(result: StressResult) -> str:
    """What ``roisim stress`` prints: each case's headline figures, then its paired difference
    from the base with 95% intervals."""
    base = result.base
    return "\n\n".join(
        ["\n".join(_stress_heading(result)), "\n".join(_case_table(result)),
         "\n".join(_difference_table(result, base.currency))]
    )


def _stress_heading(result: StressResult) -> list[str]:
    base = result.base
    where = base.scenario.file or "(from text)"
    mode = "; streamed (no per-run data kept)" if result.streamed else ""
    return [
        f"Stress cases: {base.scenario.name}",
        f"  {where} | {count(base.runs)} runs | seed {base.seed} | horizon "
        f"{base.horizon_years} years ({base.timing}) | {base.currency}",
        f"  every case runs on the base case's draws (common random numbers){mode}",
    ]


def _case_table(result: StressResult) -> list[str]:
    name_width = _name_width(result)
    horizon = whole_years(result.base.horizon_years)
    columns = ("mean NPV", "P(NPV > 0)", "P5 NPV", "P50 NPV", "median payback",
               f"P(payback ≤ {horizon})")
    widths = (CELL_WIDTH, CELL_WIDTH, CELL_WIDTH, CELL_WIDTH, WIDE_CELL, WIDE_CELL)
    head = f"{'case':<{name_width}}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths))
    out = [head, "-" * len(head)]
    rows = [(BASE_LABEL, result.base)] + [(case.name, case.figures) for case in result.cases]
    for label, figures in rows:
        cells = _case_cells(figures)
        out.append(f"{_name(label, name_width):<{name_width}}"
                   + "".join(f"{c:>{w}}" for c, w in zip(cells, widths)))
    return out


def _case_cells(figures: RunSummary) -> list[str]:
    npv, payback = figures.metrics.npv, figures.metrics.payback_years
    cash = lambda v: money(v, figures.currency, compact=True)
    return [
        cash(npv.mean),
        percent(npv.prob_positive),
        cash(npv.p5),
        cash(npv.p50),
        years(payback.p50, figures.horizon_years),
        percent(payback.prob_within_horizon),
    ]


def _difference_table(result: StressResult, currency: str) -> list[str]:
    cash = lambda v: signed_money(v, currency)
    name_width = _name_width(result)
    rows = []
    for case in result.cases:
        npv, prob = case.difference["npv"], case.difference["prob_positive"]
        rows.append((
            _name(case.name, name_width),
            f"{cash(npv['mean'])} {interval(npv['ci95'], cash)}",
            f"{points(prob['value'])} {interval(prob['ci95'], points)}",
        ))
    width = max([DIFF_WIDTH - 2] + [len(money_cell) for _, money_cell, _ in rows]) + 2
    out = [
        "Paired difference from the base case (run by run), with 95% intervals",
        f"{'case':<{name_width}}{'mean NPV':<{width}}P(NPV > 0)",
    ]
    for name, money_cell, prob_cell in rows:
        out.append(f"{name:<{name_width}}{money_cell:<{width}}{prob_cell}")
    return out


# ------------------------------------------------------------------ breakeven
_LABELS = {"mean": "mean", "sd": "sd of", "prob_positive": "P(NPV > 0) of",
           "expected_shortfall_5": "expected shortfall (5%) of"}
_METRIC_NAMES = {"npv": "NPV", "irr": "IRR", "payback_years": "payback",
                 "discounted_payback_years": "discounted payback", "roi": "ROI", "bcr": "BCR"}


def metric_label(metric: str) -> str:
    """``npv.mean`` -> 'mean NPV', ``npv.p50`` -> 'P50 NPV', ``npv.prob_positive`` ->
    'P(NPV > 0)', ``payback_years.prob_within_horizon`` -> 'P(payback within the horizon)'."""
    name, figure = metric.split(".")
    label = _METRIC_NAMES[name]
    if figure == "prob_positive":
        return "P(NPV > 0)"
    if figure == "prob_within_horizon":
        return f"P({label} within the horizon)"
    if figure == "prob_defined":
        return f"P({label} defined)"
    if figure == "prob_multiple":
        return "P(several IRRs)"
    if figure.startswith("p") and figure[1:].isdigit():
        return f"{figure.upper()} {label}"
    if figure == "mean_within_horizon":
        return f"mean {label} when paid back"
    return f"{_LABELS.get(figure, figure + ' of')} {label}"


def metric_format(metric: str, currency: str, horizon: int | None = None):
    """How a value of ``metric`` prints: money, a percentage, a ratio or years."""
    name, figure = metric.split(".")
    if figure.startswith("prob"):
        return percent
    if name == "npv":
        return lambda v: money(v, currency)
    if name in ("irr", "roi"):
        return percent
    if name == "bcr":
        return ratio
    return lambda v: years(v, horizon)


def number(v) -> str:
    """A value of a scenario field: six significant digits, thousands separated."""
    return "n/a" if v is None else f"{v:,.6g}"


def render_breakeven(result: BreakevenResult) -> str:
    """What ``roisim breakeven`` prints."""
    r = result
    fmt = metric_format(r.metric, r.currency)
    label = metric_label(r.metric)
    where = r.scenario_file or "(from text)"
    out = [
        f"Breakeven: {r.scenario_name}",
        f"  {where} | {count(r.runs)} runs per trial | seed {r.seed} | {r.trials} simulations, "
        "all on the same draws",
        "",
        f"  {r.path} = {number(r.base_value)} in the file: {label} {fmt(r.base_metric)}",
    ]
    bracket = f"[{number(r.bracket[0])}, {number(r.bracket[1])}]"
    if r.value is not None:
        change = "" if r.percent_change is None else f" ({r.percent_change:+.1f}% from the base)"
        out.append(f"  {label} reaches {fmt(r.target)} at {r.path} = {number(r.value)}{change}")
        out.append(f"  the crossing was bracketed in {bracket}")
    elif r.reason == "no_dependence":
        out.append(f"  {label} does not depend on {r.path}: it is the same for every value "
                   f"tried in {bracket}")
    elif r.reason == "undefined":
        out.append(f"  {label} is not defined at some values in {bracket}, between which it "
                   f"crosses {fmt(r.target)}; no breakeven value was found")
    else:
        out.append(f"  {label} does not reach {fmt(r.target)} for any value of {r.path} in "
                   f"{bracket}")
        out.append(f"  (searched outward from {number(r.base_value)} in doubling steps, as far "
                   "as the scenario accepts the value)")
    return "\n".join(out)
