"""Charts of a simulation, a sensitivity analysis, a comparison and stress cases (matplotlib).

``draw(kind, source)`` draws one of ``KINDS`` and returns its Axes; ``save(ax, path)`` writes
it as PNG, SVG or PDF; ``to_svg(ax)`` gives it as inline SVG for an HTML page.  matplotlib is
imported only when a chart is drawn, never when this package is imported, and a new figure
uses the Agg backend outside pyplot unless the user chose a backend (Jupyter's inline one,
for instance).  The charts only draw: their counts and percentiles come from
``roisim.analysis.chart_data`` and the summaries.

One module per family of kinds: ``distribution`` (npv, scurve, payback), ``cashflow`` (fan),
``lines``, ``sensitivity`` (tornado, evpi), ``compare``, ``stress``; ``style`` holds the
shared look and ``output`` the files.
"""

from __future__ import annotations

import importlib

from roisim.errors import ScenarioError, suggest
from roisim.report.charts.output import check_suffix, save, to_svg

KINDS = ("npv", "scurve", "payback", "fan", "lines", "tornado", "evpi", "compare", "stress")

def _is_result(source) -> bool:
    return hasattr(source, "figures") and hasattr(source, "dataset")


def _is_sensitivity(source) -> bool:
    return isinstance(getattr(source, "summary", None), dict) and "evpi" in source.summary


def _is_comparison(source) -> bool:
    return hasattr(source, "npv") and hasattr(getattr(source, "figures", None), "differences")


def _is_stress(source) -> bool:
    return hasattr(source, "base") and hasattr(source, "cases")


_RESULT = ("a roisim.Result", _is_result)
_SENSITIVITY = ("a Sensitivity (roisim.sensitivity)", _is_sensitivity)
#: kind -> (module, function, (what the source must be, a test of it))
_DRAWERS = {
    "npv": ("distribution", "npv", _RESULT),
    "scurve": ("distribution", "scurve", _RESULT),
    "payback": ("distribution", "payback", _RESULT),
    "fan": ("cashflow", "fan", _RESULT),
    "lines": ("lines", "lines", _RESULT),
    "tornado": ("sensitivity", "tornado", _SENSITIVITY),
    "evpi": ("sensitivity", "evpi", _SENSITIVITY),
    "compare": ("compare", "compare", ("a Comparison (roisim.compare)", _is_comparison)),
    "stress": ("stress", "stress", ("a StressResult (roisim.stress)", _is_stress)),
}

__all__ = ["KINDS", "check_kind", "draw", "save", "to_svg", "check_suffix"]


def check_kind(kind, where: str = "kind") -> str:
    """``kind`` if it is one of ``KINDS``, else a ScenarioError with the closest kind.

    >>> check_kind("npv")
    'npv'
    """
    if isinstance(kind, str) and kind in KINDS:
        return kind
    raise ScenarioError(f"unknown chart kind {kind!r}; choose one of {', '.join(KINDS)}"
                        + suggest(str(kind), KINDS), where)


def draw(kind: str, source, ax=None, **options):
    """Draw chart ``kind`` of ``source`` and return its matplotlib Axes.

    Parameters
    ----------
    kind : one of ``KINDS``.
    source : a ``roisim.Result`` for npv, scurve, payback, fan and lines; a ``Sensitivity``
        for tornado (``bars="swing"`` or ``"given_data"``) and evpi; a ``Comparison`` for
        compare; a ``StressResult`` for stress.
    ax : the Axes to draw on; None makes a new figure (two panels for fan, compare, stress).
    options : per kind (see each function): ``standalone=True`` always draws outside pyplot;
        payback ``metric``; fan ``cumulative``, ``cumulative_ax``; compare ``difference_ax``;
        stress ``prob_ax``; tornado ``bars``, ``top``; evpi ``top``; npv ``bins``.

    Raises ScenarioError for an unknown kind or a source that lacks what the chart needs
    (per-run data after a summary-only run), TypeError for a source of the wrong type.

    Examples
    --------
    >>> import roisim                                                    # doctest: +SKIP
    >>> case = roisim.load_scenario("scenarios/fintech.toml")            # doctest: +SKIP
    >>> result = roisim.simulate(case, runs=20_000)                      # doctest: +SKIP
    >>> ax = draw("npv", result)                                         # doctest: +SKIP
    >>> save(ax, "npv.png")                                              # doctest: +SKIP
    """
    module, function, (what, fits) = _DRAWERS[check_kind(kind)]
    if not fits(source):
        raise TypeError(f"the {kind} chart draws {what}, got {type(source).__name__}")
    drawer = getattr(importlib.import_module(f"roisim.report.charts.{module}"), function)
    return drawer(source, ax, **options)
