"""The one-file HTML report (``roisim report SCENARIO -o case.html``).

>>> import roisim                                                        # doctest: +SKIP
>>> from roisim.report.html import write_report                          # doctest: +SKIP
>>> s = roisim.load_scenario("scenarios/fintech.toml")                  # doctest: +SKIP
>>> write_report("case.html", s, runs=20_000)                            # doctest: +SKIP

``document`` runs the analyses and writes the file, ``headline`` and ``sections`` turn the
results into printed figures, ``svg`` draws the charts, ``templating`` holds the Jinja2
environment; the templates are package data in ``roisim/report/templates/``.
"""

from roisim.report.html.document import render_report_html, write_report

__all__ = ["render_report_html", "write_report"]
