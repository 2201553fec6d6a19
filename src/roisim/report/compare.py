"""The plain-text report of a comparison of options (``roisim compare``).

It reads the typed figures (``roisim.analysis.compare.ComparisonSummary``) and prints every
number through ``roisim.report.numbers``: the options, their headline figures side by side,
the paired NPV difference of each option from the first, P(each option is best), and the inputs
the options share (on the same draws) and those they do not.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from roisim.report.numbers import count, interval, money, percent, years

if TYPE_CHECKING:
    from roisim.analysis.compare import ComparisonSummary, Difference
    from roisim.analysis.schema import RunSummary

WIDTH = 96  # wrapped paragraphs
LABEL_WIDTH = 28  # the first column of the tables
GAP = 2  # spaces before each option's column
SHARPNESS = (
    "Sharing is what makes the differences sharp: a shared input takes the same draws in every "
    "option, run by run, so what it does to both options cancels out of the difference; an input "
    "that is not shared is drawn independently and adds its own noise to the differences (their "
    "intervals are then wider, not wrong). Constants and derived inputs take no draws of their "
    "own: a derived input moves with the inputs it is made from."
)


def render_comparison(figures: ComparisonSummary) -> str:
    """The text that ``roisim compare`` prints."""
    sections = [_heading, _headline_table, _differences, _best, _inputs]
    return "\n\n".join("\n".join(section(figures)) for section in sections)


def tag(k: int) -> str:
    """How the report names option ``k`` (0-based): ``[1]``, ``[2]``, ..."""
    return f"[{k + 1}]"


def _heading(figures: ComparisonSummary) -> list[str]:
    first = figures.options[0].summary
    out = [
        f"Comparison of {len(figures.options)} options on common random numbers",
        f"  {count(first.runs)} runs of each option | seed {first.seed} | {first.currency}",
    ]
    for k, option in enumerate(figures.options):
        s = option.summary
        out.append(f"  {tag(k)} {option.name}")
        out.append(
            f"      {option.file or '(from text)'} | horizon {s.horizon_years} years ({s.timing})"
        )
    return out


def _headline_rows(s: RunSummary) -> list[str]:
    npv, cash = s.metrics.npv, (lambda v: money(v, s.currency))
    payback = s.metrics.payback_years
    return [
        cash(npv.mean),
        interval(npv.ci95.mean, cash),
        cash(npv.p5),
        cash(npv.p50),
        cash(npv.p95),
        percent(npv.prob_positive),
        percent(s.metrics.irr.p50),
        years(payback.p50, s.horizon_years),
        percent(payback.prob_within_horizon),
    ]


HEADLINE_LABELS = (
    "mean NPV",
    "  95% interval of the mean",
    "NPV P5",
    "NPV P50 (median)",
    "NPV P95",
    "P(NPV > 0)",
    "IRR P50 (median)",
    "payback P50 (median)",
    "P(payback within horizon)",
)


def _headline_table(figures: ComparisonSummary) -> list[str]:
    columns = [_headline_rows(option.summary) for option in figures.options]
    widths = [
        max(len(tag(k)), *(len(cell) for cell in cells)) + GAP for k, cells in enumerate(columns)
    ]
    head = f"{'':<{LABEL_WIDTH}}" + "".join(
        f"{tag(k):>{w}}" for k, w in enumerate(widths)
    )
    currency = figures.options[0].summary.currency
    out = [f"Headline figures of each option ({currency})", head, "-" * len(head)]
    for row, label in enumerate(HEADLINE_LABELS):
        cells = "".join(f"{cells[row]:>{w}}" for cells, w in zip(columns, widths))
        out.append(f"{label:<{LABEL_WIDTH}}{cells}")
    return out


def _differences(figures: ComparisonSummary) -> list[str]:
    currency = figures.options[0].summary.currency
    out = []
    for d in figures.differences:
        out += ([""] if out else []) + _difference(d, currency)
    return out


def _difference(d: Difference, currency: str) -> list[str]:
    cash = lambda v: money(v, currency)
    me, first = tag(d.option), tag(d.versus)
    npv, better = d.npv, d.prob_better
    rows = [
        ("mean", cash(npv.mean), "95% interval " + interval(npv.ci95, cash)),
        ("P5", cash(npv.p5), ""),
        ("P50 (median)", cash(npv.p50), ""),
        ("P95", cash(npv.p95), ""),
        (f"P({me} better than {first})", percent(better.value),
         "Wilson 95% interval " + interval(better.ci95, percent)),
    ]
    out = [f"NPV{me} − NPV{first}, run by run on the same draws (positive: {me} is worth more)"]
    for label, value, note in rows:
        out.append(f"  {label:<{LABEL_WIDTH - 2}}{value:>14}  {note}".rstrip())
    return out


def _best(figures: ComparisonSummary) -> list[str]:
    out = ["P(best): the share of runs in which each option has the highest NPV"]
    for k, value in enumerate(figures.prob_best):
        out.append(f"  {tag(k):<{LABEL_WIDTH - 2}}{percent(value):>14}")
    out.append("  (a run in which options tie for the highest NPV counts equally to each of them)")
    return out + _paragraph(_verdict(figures))


def _verdict(figures: ComparisonSummary) -> str:
    """One plain sentence: which option has the highest mean NPV, and which is most often best."""
    means = [o.summary.metrics.npv.mean for o in figures.options]
    currency = figures.options[0].summary.currency
    if all(d.npv.mean == 0.0 and tuple(d.npv.ci95) == (0.0, 0.0) for d in figures.differences):
        average = money(means[0], currency)
        return f"The options have the same NPV in every run ({average} on average)."
    top = max(range(len(means)), key=lambda k: (means[k] is not None, means[k] or 0.0))
    best = max(range(len(figures.prob_best)), key=lambda k: figures.prob_best[k] or 0.0)
    text = f"{tag(top)} has the highest mean NPV, {money(means[top], currency)}"
    if top != 0:
        d = figures.differences[top - 1].npv
        text += (f", {money(d.mean, currency)} more than {tag(0)} (95% interval "
                 f"{interval(d.ci95, lambda v: money(v, currency))})")
    share = percent(figures.prob_best[best])
    if best == top:
        return text + f"; it is the best option in {share} of runs."
    return text + f"; {tag(best)} is the best option most often, in {share} of runs."


def _inputs(figures: ComparisonSummary) -> list[str]:
    inputs = figures.inputs
    out = ["Inputs the options share (common random numbers)"]
    if inputs.shared:
        out += _listing(
            f"Shared by every option, the same draws in every run ({len(inputs.shared)}):",
            list(inputs.shared),
        )
    else:
        out += _paragraph(
            "No random input is shared: the options are drawn independently, so the differences "
            "are as noisy as two separate simulations."
        )
    if inputs.not_shared:
        out += _listing(
            f"Drawn by some options only ({len(inputs.not_shared)}; in brackets the options "
            "that draw each, on the same draws; the others do without it):",
            [f"{u.name} {''.join(tag(k) for k in u.options)}" for u in inputs.not_shared],
        )
    else:
        out += _paragraph("Every random input is shared.")
    return out + _paragraph(SHARPNESS)


def _listing(intro: str, items: list[str]) -> list[str]:
    """``intro`` and then the items, separated by commas and wrapped between items only."""
    out = _paragraph(intro)
    line = out.pop()
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else ".")
        if len(line) + 1 + len(piece) > WIDTH:
            out.append(line)
            line = "    " + piece
        else:
            line += " " + piece
    return out + [line]


def _paragraph(text: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )
