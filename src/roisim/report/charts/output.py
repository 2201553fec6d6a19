"""Chart files and inline SVG: ``save`` (.png, .svg or .pdf by the file's suffix) and ``to_svg``
(an ``<svg>`` element to put in an HTML page)."""

from __future__ import annotations

import io
import itertools
import os
import re
import uuid

from roisim.errors import ScenarioError

SUFFIXES = (".png", ".svg", ".pdf")
DPI = 150
#: no creation date in the files, so the same chart gives the same bytes
METADATA = {".png": {"Software": None}, ".svg": {"Date": None}, ".pdf": {"CreationDate": None}}
_calls = itertools.count()


def check_suffix(path, where: str = "output") -> str:
    """The file's format ('png', 'svg' or 'pdf'), or a ScenarioError naming the suffixes.

    >>> check_suffix("npv.PNG")
    'png'
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in SUFFIXES:
        given = f"'{suffix}'" if suffix else "no suffix"
        raise ScenarioError(f"{os.fspath(path)}: a chart file must end in .png, .svg or .pdf, "
                            f"got {given}", where)
    return suffix[1:]


def save(ax, path, *, dpi: int = DPI) -> None:
    """Write the figure of ``ax`` to ``path`` as PNG, SVG or PDF, by its suffix.

    Raises ScenarioError for another suffix or a file that cannot be written.

    >>> from roisim.report import charts            # doctest: +SKIP
    >>> charts.save(charts.draw("npv", result), "npv.png")   # doctest: +SKIP
    """
    fmt = check_suffix(path)
    try:
        ax.figure.savefig(path, format=fmt, dpi=dpi, metadata=METADATA["." + fmt])
    except OSError as exc:
        raise ScenarioError(f"{os.fspath(path)}: cannot write the chart: "
                            f"{exc.strerror or exc}", "output") from None


def to_svg(ax, prefix: str | None = None) -> str:
    """The figure of ``ax`` as one ``<svg …>…</svg>`` element for an HTML page: text as text,
    no XML prolog, no metadata, no external reference, and every id prefixed by ``prefix``
    (default: one new to each call), so that several charts can share a page.  With a
    ``prefix`` the element is the same bytes every time (the report passes one per chart slot,
    so the same report is the same file); without one, two charts shown on one page (a
    notebook's outputs) can never share an id.

    >>> svg = to_svg(charts.draw("npv", result))     # doctest: +SKIP
    >>> svg.startswith("<svg")                        # doctest: +SKIP
    True
    """
    import matplotlib

    buf = io.StringIO()
    salt = uuid.uuid4().hex if prefix is None else prefix
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        ax.figure.savefig(buf, format="svg", metadata=METADATA[".svg"])
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    if prefix is None:
        prefix = f"roisim{next(_calls)}{uuid.uuid4().hex[:6]}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    return re.sub(r'((?:xlink:)?href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}'
                  f'{m.group(2)}"', text).strip()
