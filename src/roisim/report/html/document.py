"""The HTML report as a whole: run the analyses, fill the template, write one file.

:func:`analyse` runs everything the report shows (the simulation, the sensitivity analysis
unless it is turned off, the stress cases when the scenario has any, the inputs table);
:func:`render_parts` fills ``report.html.j2`` from those results; :func:`render_report_html`
and :func:`write_report` do both.  The page is self-contained: CSS inline, charts as inline
SVG, no script, no font or image from anywhere else, so it can be emailed and read offline.
"""

from __future__ import annotations

import os
import pathlib
import shlex
from dataclasses import dataclass

from roisim.files import check_output, replacing
from roisim.report.html import headline as head
from roisim.report.html import sections
from roisim.report.html.svg import chart
from roisim.report.html.templating import render

SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class ReportParts:
    """Everything one report shows: the scenario and the results of the analyses."""

    scenario: object  # roisim.Scenario
    result: object  # roisim.Result
    sensitivity: object | None  # roisim.analysis.sensitivity.Sensitivity
    stress: object | None  # roisim.analysis.stress.StressResult
    inputs: list  # roisim.analysis.input_table.input_rows


def analyse(scenario, *, runs=None, seed=None, sensitivity=True, threads=None) -> ReportParts:
    """Run what the report of ``scenario`` shows, all with the same ``runs`` and ``seed``.

    >>> import roisim                                                    # doctest: +SKIP
    >>> parts = analyse(roisim.load_scenario("scenarios/fintech.toml"))  # doctest: +SKIP
    """
    import roisim
    from roisim.analysis.input_table import input_rows

    result = roisim.simulate(scenario, runs=runs, seed=seed, threads=threads)
    runs, seed = result.figures.runs, result.figures.seed
    sens = roisim.sensitivity(scenario, runs=runs, seed=seed, threads=threads) if sensitivity \
        else None
    stress = roisim.stress(scenario, runs, seed, threads=threads) if scenario.stress else None
    return ReportParts(scenario, result, sens, stress, input_rows(scenario, result))


def default_command(figures, path=None, sensitivity: bool = True) -> str:
    """The command that regenerates a report of these figures (without any ``--set``: pass the
    real command line as ``command=`` when the scenario was loaded with overrides).

    >>> from types import SimpleNamespace as NS
    >>> f = NS(scenario=NS(file="scenarios/fintech.toml"), runs=20000, seed=7)
    >>> default_command(f, "case.html")
    'roisim report scenarios/fintech.toml --runs 20000 --seed 7 -o case.html'
    """
    if figures.scenario.file is None:
        return "(the scenario was loaded from text: no command regenerates it)"
    words = ["roisim", "report", figures.scenario.file, "--runs", str(figures.runs),
             "--seed", str(figures.seed)]
    if not sensitivity:
        words.append("--no-sensitivity")
    if path is not None:
        words += ["-o", os.fspath(path)]
    return shlex.join(words)


def render_parts(parts: ReportParts, command: str | None = None) -> str:
    """The report's HTML from the results of :func:`analyse`."""
    figures = parts.result.figures
    if command is None:
        command = default_command(figures, sensitivity=parts.sensitivity is not None)
    h = head.headline(figures)
    sens = parts.sensitivity.summary if parts.sensitivity is not None else None
    return render(
        "report.html.j2",
        figures=figures, scenario=parts.scenario, h=h,
        paragraph=head.paragraph(figures, h),
        charts=_charts(parts), lines=sections.line_rows(figures),
        sensitivity=None if sens is None else sections.sensitivity_table(sens),
        stress=None if parts.stress is None else sections.stress_rows(parts.stress),
        inputs=_inputs(parts), correlations=sections.correlation_rows(figures),
        method=sections.method(figures, command, sens),
        intervals=sections.intervals_note(figures), methodology=sections.METHODOLOGY,
    )


def _charts(parts: ReportParts) -> dict:
    r, name = parts.result, parts.scenario.name
    out = {
        "npv": chart("npv", r, "Share of runs by NPV; red bars: the runs that lose money. "
                     "Lines mark the mean, P5/P50/P95 and the central case."),
        "scurve": chart("scurve", r, "Share of runs with an NPV at or below each value; read "
                        "off the chance of a loss at NPV = 0."),
        "payback": chart("payback", r, f"When the cumulative cash flow turns positive; the red "
                         f"bar holds the runs that do not pay back within "
                         f"{parts.scenario.horizon_years} years."),
        "fan": chart("fan", r, "Net cash flow by year (top) and its running total (bottom): "
                     "median, P25–P75 and P5–P95 over the runs."),
        "lines": chart("lines", r, "Present value of each benefit and cost line: mean, median "
                       "and P5–P95."),
    }
    if parts.sensitivity is not None:
        out["tornado"] = chart("tornado", parts.sensitivity, "Mean NPV with each input held at "
                               "its P10 and at its P90, everything else drawn.")
        out["evpi"] = chart("evpi", parts.sensitivity, "What knowing each input exactly before "
                            "deciding is worth (EVPPI), against removing all uncertainty (EVPI).")
    if parts.stress is not None:
        out["stress"] = chart("stress", parts.stress, f"Mean NPV and P(NPV > 0) of each stress "
                              f"case beside the base case of {name}.")
    return out


def _inputs(parts: ReportParts) -> list[dict]:
    from roisim.report.inputs import describe

    return sections.input_table(parts.inputs, parts.scenario.currency, describe)


def render_report_html(scenario, *, runs=None, seed=None, sensitivity=True, command=None,
                       threads=None) -> str:
    """The one-file HTML report of ``scenario`` as a string (see :func:`write_report`).

    >>> import roisim                                                    # doctest: +SKIP
    >>> s = roisim.load_scenario("scenarios/fintech.toml")              # doctest: +SKIP
    >>> html = render_report_html(s, runs=20_000)                       # doctest: +SKIP
    """
    parts = analyse(scenario, runs=runs, seed=seed, sensitivity=sensitivity, threads=threads)
    return render_parts(parts, command)


def check_path(path) -> pathlib.Path:
    """``path`` as a Path if it names an ``.html`` (or ``.htm``) file, else a ScenarioError."""
    return check_output(path, SUFFIXES, "the report is an HTML file")


def write_report(path, scenario, *, runs=None, seed=None, sensitivity=True, command=None,
                 threads=None) -> pathlib.Path:
    """Write the one-file HTML report of ``scenario`` to ``path`` (``.html``); return the path.

    The file is written beside ``path`` and renamed, so an interrupted run leaves no partial
    report.  ``command`` is printed as the command that regenerates the report (``roisim
    report`` passes its own command line); by default one is built from the file, runs, seed.

    >>> import roisim                                                    # doctest: +SKIP
    >>> write_report("case.html", roisim.load_scenario("scenarios/fintech.toml"))  # doctest: +SKIP
    PosixPath('case.html')
    """
    target = check_path(path)
    parts = analyse(scenario, runs=runs, seed=seed, sensitivity=sensitivity, threads=threads)
    if command is None:
        command = default_command(parts.result.figures, path, sensitivity)
    text = render_parts(parts, command)
    with replacing(target, ".html.partial") as tmp:
        pathlib.Path(tmp).write_text(text, encoding="utf-8")
    return target


