"""The headline of the HTML report: the figures a committee reads first, and one paragraph.

Every figure is a :class:`Figure`: the summary key it comes from (``metrics.npv.mean``), its
raw value and its printed text.  The template writes the key and the raw value into
``data-key`` and ``data-value`` attributes, so a test (or a reader's script) can check the page
against ``roisim run --json``.  The paragraph is wording only: every number in it is a figure of
the summary, printed through ``roisim.report.numbers``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from roisim.report.numbers import money, percent, years

#: how the paragraph words P(NPV > 0): the first band whose lower bound it reaches
LIKELIHOOD = ((0.95, "almost certain"), (0.80, "likely"), (0.60, "more likely than not"),
              (0.40, "about as likely as not"), (0.20, "unlikely"), (0.0, "very unlikely"))


@dataclass(frozen=True)
class Figure:
    """One printed figure: where it comes from in the summary, its value and its text."""

    key: str
    value: float | None
    text: str

    @property
    def raw(self) -> str:
        """The value as JSON (``null`` when it does not exist), for ``data-value``."""
        return json.dumps(self.value)


def likelihood(p: float) -> str:
    """P(NPV > 0) in words: 0.82 -> 'likely'.

    >>> likelihood(0.82), likelihood(0.5), likelihood(0.03)
    ('likely', 'about as likely as not', 'very unlikely')
    """
    return next(words for low, words in LIKELIHOOD if p >= low)


def headline(figures) -> dict:
    """The headline's figures (a dict of :class:`Figure` by role) from a ``RunSummary``.

    Roles: ``mean``, ``mean_low``, ``mean_high`` (its 95% interval), ``prob_positive``,
    ``p5``, ``p50``, ``p95``, ``payback`` (median payback), ``pays_back`` (P(payback within
    the horizon)) and, when the summary has a central case, ``central`` and ``gap`` (mean NPV
    minus the central case's NPV).
    """
    cash = lambda v: money(v, figures.currency)
    npv, payback = figures.metrics.npv, figures.metrics.payback_years
    low, high = npv.ci95.mean
    out = {
        "mean": Figure("metrics.npv.mean", npv.mean, cash(npv.mean)),
        "mean_low": Figure("metrics.npv.ci95.mean.0", low, cash(low)),
        "mean_high": Figure("metrics.npv.ci95.mean.1", high, cash(high)),
        "prob_positive": Figure("metrics.npv.prob_positive", npv.prob_positive,
                                percent(npv.prob_positive)),
        "payback": Figure("metrics.payback_years.p50", payback.p50,
                          years(payback.p50, figures.horizon_years)),
        "pays_back": Figure("metrics.payback_years.prob_within_horizon",
                            payback.prob_within_horizon, percent(payback.prob_within_horizon)),
    }
    for p in ("p5", "p50", "p95"):
        out[p] = Figure(f"metrics.npv.{p}", getattr(npv, p), cash(getattr(npv, p)))
    central = getattr(figures, "central_case", None)
    if central is not None and central.npv is not None:
        out["central"] = Figure("central_case.npv", central.npv, cash(central.npv))
        gap = None if npv.mean is None else npv.mean - central.npv
        out["gap"] = Figure("", gap, cash(None if gap is None else abs(gap)))
    return out


def paragraph(figures, h: dict) -> str:
    """One plain-English paragraph from the headline figures ``h`` (see :func:`headline`).

    >>> import roisim                                                    # doctest: +SKIP
    >>> s = roisim.load_scenario("scenarios/fintech.toml")              # doctest: +SKIP
    >>> r = roisim.simulate(s, runs=20_000)                             # doctest: +SKIP
    >>> paragraph(r.figures, headline(r.figures))                        # doctest: +SKIP
    'Over 20,000 simulated runs the investment is likely to pay: ...'
    """
    horizon = f"{figures.horizon_years}-year"
    p = figures.metrics.npv.prob_positive
    text = [
        f"Over {figures.runs:,} simulated runs the investment is {likelihood(p)} to pay: its "
        f"NPV is above zero in {h['prob_positive'].text} of runs, and the mean NPV is "
        f"{h['mean'].text} (95% interval {h['mean_low'].text} to {h['mean_high'].text}).",
        f"In the worst one run in twenty the NPV is {h['p5'].text} or less (P5); in the best "
        f"one in twenty it is {h['p95'].text} or more (P95).",
        _payback_sentence(figures, h, horizon),
    ]
    if "central" in h and h["gap"].value is not None:
        side = "below" if h["gap"].value > 0 else "above"
        text.append(
            f"A single-point spreadsheet with every input at its median gives "
            f"{h['central'].text}, {h['gap'].text} {side} the mean: the flaw of averages.")
    return " ".join(text)


def _payback_sentence(figures, h: dict, horizon: str) -> str:
    if figures.metrics.payback_years.p50 is None:
        return (f"Fewer than half of the runs pay back within the {horizon} horizon "
                f"({h['pays_back'].text} do).")
    return (f"Half of the runs have paid back by {h['payback'].text}, and "
            f"{h['pays_back'].text} pay back within the {horizon} horizon.")
