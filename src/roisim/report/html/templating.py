"""The Jinja2 environment of the HTML views: templates from package data, autoescaping on.

The templates live in ``roisim/report/templates/`` and are read with ``importlib.resources``,
so they load the same from a source tree, an editable install or a wheel.  Autoescaping is on
for every template: a scenario name such as ``<script>`` prints as text.  Only the inline SVG
charts (drawn by ``roisim.report.charts``) are passed in as ``Markup``.
"""

from __future__ import annotations

import functools
import importlib.resources

from roisim.report import numbers

TEMPLATE_PACKAGE = "roisim.report"
TEMPLATE_FOLDER = "templates"


def _source(name: str):
    """Jinja2 ``FunctionLoader`` callback: the template's text, or None when it does not exist."""
    path = importlib.resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_FOLDER, name)
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8"), None, lambda: True


@functools.cache
def environment():
    """The shared ``jinja2.Environment``: autoescaping on, strict undefined, number filters.

    The filters are ``roisim.report.numbers``'s formatters, so a template prints money as
    money (``{{ v | money(currency) }}``), probabilities as percentages and paybacks as years.

    >>> environment().from_string("{{ name }}").render(name="<b>")
    '&lt;b&gt;'
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=numbers.money, percent=numbers.percent, years=numbers.years,
        ratio=numbers.ratio, count=numbers.count,
    )
    return env


def render(name: str, **context) -> str:
    """Render the template ``name`` of ``roisim/report/templates/`` with ``context``.

    >>> "<svg" in render("histogram.svg.j2", bars=[], width=10, height=10, zero=None, label="")
    True
    """
    return environment().get_template(name).render(**context)


def markup(text: str):
    """``text`` marked as safe HTML (an SVG drawn by roisim itself), not to be escaped."""
    from markupsafe import Markup

    return Markup(text)
