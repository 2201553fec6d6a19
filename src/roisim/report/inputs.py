"""An input's distribution in words, for the HTML report's and the workbook's inputs tables.

"PERT, 120 – 160 – 240 (h)", "Normal, mean 75, sd 10, at least 40", "Lognormal, 90% interval
80,000 – 170,000", "Poisson, mean 4, drawn every year".  The parameters are the ones the file
gives (``Distribution.given``), so a reader recognises what was written.
"""

from __future__ import annotations

DASH = " – "  # an en dash between spaces, as a finance reader writes a range

_NAMES = {
    "pert": "PERT",
    "normal": "Normal",
    "lognormal": "Lognormal",
    "triangular": "Triangular",
    "uniform": "Uniform",
    "beta": "Beta",
    "gamma": "Gamma",
    "poisson": "Poisson",
    "binomial": "Binomial",
    "bernoulli": "Bernoulli",
    "discrete": "Discrete",
    "constant": "Constant",
}


def number(v) -> str:
    """A parameter as written: 240 -> '240', 7500000 -> '7,500,000', 0.0105 -> '0.0105'."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}"


def describe(dist, *, unit: str | None = None, per: str | None = None) -> str:
    """The distribution ``dist`` in words, with its unit, truncation and draw frequency.

    ``dist`` is a ``roisim.scenario.distributions.Distribution`` or the ``distribution`` dict
    of a row of ``roisim.analysis.input_table.input_rows`` (then pass the row's ``unit`` and
    ``per``): a family with its parameters, ``{"family": "constant", "value": v}`` or
    ``{"family": "derived", "expression": text}``.

    >>> from roisim.scenario.distributions import parse_distribution
    >>> describe(parse_distribution({"dist": "pert", "min": 120, "mode": 160, "max": 240}, "x"))
    'PERT, 120 – 160 – 240'
    >>> describe({"family": "normal", "mean": 10, "sd": 2, "lower": 0}, unit="h")
    'Normal, mean 10, sd 2, at least 0 (h)'
    """
    spec = _spec(dist)
    unit = spec.pop("unit", None) if unit is None else unit
    per = spec.pop("per", None) if per is None else per
    family = spec.pop("family")
    lower, upper = spec.pop("lower", None), spec.pop("upper", None)
    if family == "derived":
        return f"Derived: {spec.get('expression')}"
    text = _NAMES.get(family, family.capitalize()) + ", " + _parameters(family, spec)
    if lower is not None and upper is not None:
        text += f", truncated to {number(lower)}{DASH}{number(upper)}"
    elif lower is not None:
        text += f", at least {number(lower)}"
    elif upper is not None:
        text += f", at most {number(upper)}"
    if per == "year":
        text += ", drawn every year"
    return f"{text} ({unit})" if unit else text


def _spec(dist) -> dict:
    if isinstance(dist, dict):
        return dict(dist)
    spec = {"family": dist.family, **dist.given, "unit": dist.unit, "per": dist.per}
    spec.update(lower=dist.lower, upper=dist.upper)
    return spec


def _parameters(family: str, p: dict) -> str:
    """The family's parameters in the words a finance reader uses."""
    if "range" in p:
        lo, hi = p["range"]
        return f"90% interval {number(lo)}{DASH}{number(hi)}"
    if "min" in p and "mode" in p:
        text = DASH.join(number(p[k]) for k in ("min", "mode", "max"))
        return text + (f", lambda {number(p['lambda'])}" if "lambda" in p else "")
    if family == "uniform":
        return f"{number(p['min'])}{DASH}{number(p['max'])}"
    if "p5" in p:
        return f"90% interval {number(p['p5'])}{DASH}{number(p['p95'])}"
    if "median" in p:
        return f"median {number(p['median'])}, P95 {number(p['p95'])}"
    if family == "beta":
        text = f"alpha {number(p['alpha'])}, beta {number(p['beta'])}"
        if "min" in p or "max" in p:
            text += f", on {number(p.get('min', 0))}{DASH}{number(p.get('max', 1))}"
        return text
    if family == "constant":
        return number(p["value"])
    if family == "discrete":
        total = float(sum(p["weights"]))
        return ", ".join(
            f"{number(v)} ({w / total:.0%})" for v, w in zip(p["values"], p["weights"])
        )
    return ", ".join(f"{k} {number(v)}" for k, v in p.items())
