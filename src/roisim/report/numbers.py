"""Number formatting for every report: money as money, probabilities as percentages, years.

One module, so the text report, the progress line, the HTML report and the workbook print a
figure the same way.  Every function takes None (a figure that does not exist) and prints it
as ``n/a``, except ``years``, for which None is a payback beyond the horizon: ``> H y``.
"""

from __future__ import annotations

import math
import time

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹"}
NOT_AVAILABLE = "n/a"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def money(v, currency: str = "GBP", compact: bool = False) -> str:
    """£1,234,567 (or £1.23M when compact and |v| >= 1M); '-£12,345' for negatives."""
    if _missing(v):
        return NOT_AVAILABLE
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
    """0.8142 -> '81.4%'."""
    if _missing(v):
        return NOT_AVAILABLE
    return f"{100 * v:.{digits}f}%"


def whole_years(n: int) -> str:
    """A whole number of years, such as a horizon: '5 y'."""
    return f"{n} y"


def years(v, horizon: int | None = None) -> str:
    """A time in years, '2.94 y'.  For a payback, None means not paid back within the horizon
    and prints as '> 5 y' (pass the horizon); without a horizon None is 'n/a'."""
    if v is None:
        return NOT_AVAILABLE if horizon is None else f"> {whole_years(horizon)}"
    return f"{v:.2f} y"


def ratio(v) -> str:
    """A benefit-cost ratio: '1.23x'."""
    return NOT_AVAILABLE if _missing(v) else f"{v:.2f}x"


def count(n: int) -> str:
    """A count of runs: '20,000'."""
    return f"{n:,}"


def millions(v: float) -> str:
    """A rate in millions: '13.88 M'."""
    return f"{v / 1e6:.2f} M"


def clock(seconds: float) -> str:
    """A duration as HH:MM:SS ('--:--:--' when unknown)."""
    if _missing(seconds):
        return "--:--:--"
    return time.strftime("%H:%M:%S", time.gmtime(seconds))


def interval(pair, fmt) -> str:
    """'[low, high]', each end printed with ``fmt``."""
    low, high = pair
    return f"[{fmt(low)}, {fmt(high)}]"
