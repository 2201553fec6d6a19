"""The workbook's cell formats: money in the scenario's currency, percentages, years, ratios.

Blue cells on a pale yellow fill are inputs a reader may change (the usual spreadsheet
convention); everything else is a number or a formula.
"""

from __future__ import annotations

from roisim.report.numbers import SYMBOLS

INPUT = {"font_color": "#1F4EB4", "bg_color": "#FFF7D6", "border": 1, "border_color": "#C9C9C9"}


def money_format(currency: str) -> str:
    """The Excel number format of money: ``£#,##0`` with negatives in red, or ``#,##0 "CHF"``."""
    sym = SYMBOLS.get(currency)
    if sym:
        body = f'"{sym}"#,##0'
        return f'{body};[Red]-{body}'
    body = f'#,##0 "{currency}"'
    return f'{body};[Red]-{body}'


def formats(workbook, currency: str) -> dict:
    """Every format the sheets use, by role."""
    money = money_format(currency)
    spec = {
        "title": {"bold": True, "font_size": 14},
        "section": {"bold": True, "font_size": 12, "bottom": 1},
        "bold": {"bold": True},
        "note": {"italic": True, "font_color": "#595959"},
        "wrap": {"text_wrap": True, "valign": "top", "italic": True, "font_color": "#595959"},
        "header": {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"},
        "plain": {"num_format": "0"},
        "general": {"num_format": "General"},
        "value": {"num_format": "#,##0.####"},
        "money": {"num_format": money},
        "pct": {"num_format": "0.00%"},
        "factor": {"num_format": "0.000000"},
        "years": {"num_format": '0.00 "y"'},
        "ratio": {"num_format": '0.000"x"'},
        "share": {"num_format": "0.0%"},
        "money_bold": {"num_format": money, "bold": True},
        "pct_bold": {"num_format": "0.00%", "bold": True},
        "years_bold": {"num_format": '0.00 "y"', "bold": True},
        "ratio_bold": {"num_format": '0.000"x"', "bold": True},
        "input": {"num_format": "General", **INPUT},
        "input_pct": {"num_format": "0.00%", **INPUT},
        "input_money": {"num_format": money, **INPUT},
        "input_factor": {"num_format": "0.00", **INPUT},
    }
    return {name: workbook.add_format(props) for name, props in spec.items()}
