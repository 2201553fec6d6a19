"""Number formatting for every report: money as money, probabilities as percentages, years.

One module, so the text report, the HTML report and the workbook print a figure the same way.
"""

from __future__ import annotations

import math

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹"}


def money(v, currency: str = "GBP", compact: bool = False) -> str:
    """£1,234,567 (or £1.23M when compact and |v| >= 1M); '-£12,345' for negatives."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    sym = SYMBOLS.get(currency)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if compact and a >= 1e9:
        body = f"{a / 1e9:.2f}bn"
    elif compact and a >= 1e6:
        body = f"{a / 1e6:.2f}M"
    else:
        body = f"{a:,.0f}"
    return f"{sign}{sym}{body}" if sym else f"{sign}{currency} {body}"


def percent(v, digits: int = 1) -> str:
    if v is None:
        return "n/a"
    return f"{100 * v:.{digits}f}%"


def years(v, horizon: int) -> str:
    return f"> {horizon} y" if v is None else f"{v:.2f} y"


def ratio(v) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def interval(pair, fmt) -> str:
    lo, hi = pair
    return f"[{fmt(lo)}, {fmt(hi)}]"
